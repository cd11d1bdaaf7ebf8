/**
 * `npm run build:kibana`: regenerate kibana/dropship.ndjson from the typed sources.
 * The file is committed (setup and users importing by hand need no build step);
 * test/unit/kibana-ndjson.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderNdjson } from './objects.js';

export const NDJSON_PATH = fileURLToPath(new URL('../dropship.ndjson', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(NDJSON_PATH, renderNdjson());
  process.stdout.write(`wrote ${NDJSON_PATH}\n`);
}
