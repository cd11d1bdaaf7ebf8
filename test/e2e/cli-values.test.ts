import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/import-cli.js';

/**
 * Values that must not lie (issue 18 §4), checked through the command a user runs: a NUL byte after
 * a value and a port that is not one, in a file given to `dropship parse` and to `dropship import`.
 */

interface Doc {
  network?: { transport?: string; iana_number?: string; community_id?: string };
  destination?: { port?: number };
  tags?: string[];
  error?: { message?: string };
  event: { original: string };
}

const HEAD = '<4>Nov 16 00:12:34 router kernel: DROP IN=ppp0 OUT= SRC=203.0.113.45 DST=198.51.100.20 LEN=44';
const NUL_AFTER_VALUE = `${HEAD} PROTO=TCP\0 SPT=51234 DPT=23`;
const BAD_PORT = `${HEAD} PROTO=TCP SPT=51234 DPT=99999`;

let dir: string;
let file: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dropship-values-'));
  file = join(dir, 'router.log');
  writeFileSync(file, `${NUL_AFTER_VALUE}\n${BAD_PORT}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function check(docs: Doc[]): void {
  assert.equal(docs.length, 2);
  const [nul, bad] = docs as [Doc, Doc];
  assert.equal(nul.network?.transport, 'tcp', 'no control character left in the value');
  assert.equal(nul.network?.iana_number, '6');
  assert.match(nul.network?.community_id ?? '', /^1:/, 'community id computed');
  assert.equal(nul.destination?.port, 23);
  assert.ok(nul.tags?.includes('dropship_control_characters'), JSON.stringify(nul.tags));
  assert.ok(nul.event.original.includes('\0'), 'the original line is kept as it was');

  assert.equal(bad.destination?.port, undefined, 'no port that is not one');
  assert.equal(bad.network?.community_id, undefined, 'no community id without a destination port');
  assert.ok(bad.tags?.includes('dropship_value_dropped'), JSON.stringify(bad.tags));
  assert.match(bad.error?.message ?? '', /DPT=99999/);
}

test('parse: PROTO=TCP\\0 is tcp with its community id and a tag; DPT=99999 is dropped with a tag naming it', async () => {
  const r = await runCli(['parse', '--timezone', 'UTC', '--no-geoip', file]);
  assert.equal(r.status, 0, r.stderr);
  check(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Doc));
});

test('import gives the same values', async () => {
  const out = join(dir, 'out.ndjson');
  const r = await runCli(['import', file, '--timezone', 'UTC', '--no-geoip', '--workers', '1', '--output', `ndjson:${out}`, '--state-dir', join(dir, 'state')]);
  assert.equal(r.status, 0, r.stderr);
  check(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Doc));
});
