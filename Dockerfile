# syntax=docker/dockerfile:1
# dropship image: `dropship <command>` as a non-root user, with only the compiled code, the
# runtime dependencies and the assets `dropship setup` installs.
ARG NODE_IMAGE=node:20-bookworm-slim

# Runtime dependencies only, exactly as locked.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` build needs sources and dev tools that this stage lacks.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Compile with the full (dev) dependency set.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: the Elasticsearch assets `setup` installs and the Kibana saved objects.
COPY pipelines ./pipelines
COPY kibana/dropship.ndjson ./kibana/dropship.ndjson
RUN chmod 755 dist/cli/main.js && ln -s /app/dist/cli/main.js /usr/local/bin/dropship
# The official Node image's unprivileged user (uid 1000).
USER node
ENTRYPOINT ["dropship"]
CMD ["--help"]
