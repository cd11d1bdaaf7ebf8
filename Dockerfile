# syntax=docker/dockerfile:1
# dropship image: `dropship <command>` as a non-root user, with only the compiled code, the
# runtime dependencies and the assets `dropship setup` installs.
# Node 24: the maintained LTS (Node 20 reached end of life on 2026-04-30); CI runs the test suite
# on this major too (.ci/run).
ARG NODE_IMAGE=node:24-bookworm-slim

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
# The launcher: node with main.js's flags, minus any this Node rejects.
COPY bin ./bin
# Every path a named volume is mounted on exists in the image, owned by the user dropship runs
# as: Docker fills a new, empty named volume from the image's directory, ownership included, so
# the volume is writable by that user (a path missing here becomes a root-owned volume).
#   /state  tail's checkpoints, spool and dead letters (docker-compose.yml: shipper-state)
#   /keys   the shipper's API key that `setup` writes (docker-compose.yml: shipper-key)
RUN chmod 755 dist/cli/main.js bin/dropship && ln -s /app/bin/dropship /usr/local/bin/dropship \
 && mkdir -p /state /keys && chown node:node /state /keys && chmod 700 /state /keys
# The official Node image's unprivileged user (uid 1000).
USER node
ENTRYPOINT ["dropship"]
CMD ["--help"]
