import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli, summaryOf } from '../helpers/import-cli.js';

/**
 * `dropship import dir/` over a rotated set with a truncated `.gz` in the middle (a copy cut short,
 * a full disk during compression): the damaged file is named, the lines before the damage are
 * imported, the other files of the set too, and the exit code says not everything was read.
 */

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dropship-damaged-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const line = (file: string, i: number): string =>
  `<4>Nov 16 00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} router kernel: ` +
  `DROP IN=ppp0 OUT= SRC=203.0.113.${i % 250} DST=198.51.100.20 LEN=44 PROTO=TCP SPT=${1024 + i} DPT=23 ${file}`;

function lines(file: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => line(file, i));
}

test('a truncated .gz in a rotated set: named, its readable lines imported, the rest of the set too, exit 1', async () => {
  const base = join(dir, 'logs');
  mkdirSync(base);
  const older = lines('old', 3000);
  const whole = gzipSync(older.join('\n') + '\n');
  // Cut off in the middle of the deflate stream: gunzip reads part and then fails with
  // "unexpected end of file" — the real thing, not a mocked error.
  writeFileSync(join(base, 'router.log.2.gz'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(join(base, 'router.log.1'), lines('one', 50).join('\n') + '\n');
  writeFileSync(join(base, 'router.log'), lines('now', 20).join('\n') + '\n');
  const mtime = new Date(Date.UTC(2026, 10, 17));
  for (const f of ['router.log.2.gz', 'router.log.1', 'router.log']) utimesSync(join(base, f), mtime, mtime);
  const out = join(dir, 'out.ndjson');

  const r = await runCli(['import', base, '--output', `ndjson:${out}`, '--state-dir', join(dir, 'state'), '--timezone', 'UTC', '--workers', '0']);
  assert.equal(r.status, 1, r.stderr);
  const damaged = join(base, 'router.log.2.gz');
  assert.match(r.stderr, new RegExp(`${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*unexpected end of file`), 'the damaged file is named with the reason');
  assert.match(r.stderr, /1 file\(s\) could not be imported completely/);

  const originals = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { event: { original: string } }).event.original);
  const fromOld = originals.filter((o) => o.endsWith(' old'));
  assert.equal(originals.filter((o) => o.endsWith(' one')).length, 50, 'the next file of the set is imported');
  assert.equal(originals.filter((o) => o.endsWith(' now')).length, 20, 'and the newest');
  assert.ok(fromOld.length > 100, `what could be read of the damaged file is imported (${fromOld.length} lines)`);
  assert.ok(fromOld.length < older.length);
  // Only whole lines: each imported line of the damaged file is exactly one that was written.
  const written = new Set(older);
  for (const o of fromOld) assert.ok(written.has(o), `a cut line was imported: ${o}`);
  assert.deepEqual(fromOld, older.slice(0, fromOld.length), 'in order, from the start');
  const s = summaryOf(r.stderr);
  assert.equal(s.written, 50 + 20 + fromOld.length);
});
