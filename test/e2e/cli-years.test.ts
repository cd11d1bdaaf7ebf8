import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/import-cli.js';

/**
 * `parse` and `import` date the year-less lines of samples/router.log alike (issue 18 §1): it holds
 * several routers' lines one after the other, so its dates are not in time order and both commands
 * date each line from the file's modification time (docs/formats.md, "Year-less timestamps").
 * The copy is given a modification time in another year than now, so a command that used the
 * current year instead would be caught.
 */

let dir: string;
let sample: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dropship-years-'));
  sample = join(dir, 'router.log');
  copyFileSync(join(import.meta.dirname, '..', '..', 'samples', 'router.log'), sample);
  const mtime = new Date(Date.UTC(2021, 5, 30, 12));
  utimesSync(sample, mtime, mtime);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const stamps = (ndjson: string): string[] => ndjson.trim().split('\n').map((l) => (JSON.parse(l) as { '@timestamp': string })['@timestamp']);

test('parse and import give every line of samples/router.log the same @timestamp, year-less ones dated from the file', async () => {
  const parsed = await runCli(['parse', '--timezone', 'Asia/Tokyo', '--no-geoip', sample]);
  assert.equal(parsed.status, 0, parsed.stderr);
  const out = join(dir, 'imported.ndjson');
  const imported = await runCli(['import', sample, '--timezone', 'Asia/Tokyo', '--no-geoip', '--workers', '0', '--output', `ndjson:${out}`, '--state-dir', join(dir, 'state')]);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stderr, /timestamps are not in time order/, 'import says why it dates line by line');

  const a = stamps(parsed.stdout);
  const b = stamps(readFileSync(out, 'utf8'));
  assert.equal(a.length, 19);
  assert.deepEqual(b, a);
  const years = new Set(a.map((t) => t.slice(0, 4)));
  assert.ok(years.has('2021'), `year-less lines dated from the modification time: ${[...years].join(', ')}`);
  // 2021 for lines up to the end of June, 2020 for later months (they would be in the file's
  // future), 2018 where a line carries its own year.
  assert.deepEqual([...years].sort(), ['2018', '2020', '2021']);
});
