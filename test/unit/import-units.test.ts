import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatSummary, type ImportSummary } from '../../src/cli/import-command.js';
import { formatBytes, formatDuration, progressLine } from '../../src/cli/progress.js';
import { discover, groupRotated, rotationOf, sniffKind } from '../../src/sources/archive/import-files.js';
import { jsonRecords, recordOf, recordsOf } from '../../src/sources/archive/json-records.js';

test('rotated sets are ordered oldest to newest', () => {
  const sets = groupRotated(['/l/router.log', '/l/router.log.1', '/l/router.log.10.gz', '/l/router.log.2.gz', '/l/router.log.3.gz', '/l/other.log', '/m/router.log.1']);
  assert.deepEqual(sets, [
    { key: '/l/other.log', files: ['/l/other.log'] },
    { key: '/l/router.log', files: ['/l/router.log.10.gz', '/l/router.log.3.gz', '/l/router.log.2.gz', '/l/router.log.1', '/l/router.log'] },
    { key: '/m/router.log', files: ['/m/router.log.1'] },
  ]);
  assert.deepEqual(groupRotated(['/l/fw.log', '/l/fw.log-20260102.gz', '/l/fw.log-20251231']).map((s) => s.files), [['/l/fw.log-20251231', '/l/fw.log-20260102.gz', '/l/fw.log']]);
  assert.deepEqual(rotationOf('messages'), { base: 'messages', order: [2, 0] });
  assert.equal(rotationOf('router.log.4.gz').base, 'router.log');
});

test('discover walks directories (hidden files left out), expands globs and reports what matched nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-discover-'));
  mkdirSync(join(dir, 'sub'));
  for (const f of ['router.log', 'router.log.1', 'sub/router.log.2.gz', '.hidden', 'x.json']) writeFileSync(join(dir, f), '');
  const walked = await discover([dir]);
  assert.deepEqual(walked.sets.flatMap((s) => s.files).map((f) => f.slice(dir.length + 1)), ['router.log.1', 'router.log', 'sub/router.log.2.gz', 'x.json']);
  const globbed = await discover([join(dir, 'router.log*'), join(dir, 'none*'), join(dir, 'missing.log')]);
  assert.deepEqual(globbed.sets.map((s) => s.files.length), [2]);
  assert.deepEqual(globbed.missing, [join(dir, 'none*'), join(dir, 'missing.log')]);
  mkdirSync(join(dir, 'state'));
  writeFileSync(join(dir, 'state', 'import.json'), '{}');
  writeFileSync(join(dir, 'out.ndjson'), '');
  const excluded = await discover([dir], [join(dir, 'state'), join(dir, 'out.ndjson')]);
  assert.deepEqual(excluded.sets.flatMap((s) => s.files), walked.sets.flatMap((s) => s.files));
  rmSync(dir, { recursive: true, force: true });
});

test('sniffKind tells log lines, NDJSON and JSON documents apart by their first bytes', () => {
  const k = (s: string): string => sniffKind(Buffer.from(s));
  assert.equal(k('<4>Dec 31 23:59:59 kernel: DROP'), 'lines');
  assert.equal(k('[ 1234.567890] DROP IN=eth0'), 'lines');
  assert.equal(k('[UFW BLOCK] IN=eth0'), 'lines');
  assert.equal(k('\n\n  [\n  {"message":"x"}]'), 'json');
  assert.equal(k('[]'), 'json');
  assert.equal(k('\ufeff{"message":"a"}\n{"message":"b"}\n'), 'ndjson');
  assert.equal(k('{\n  "took": 1,\n  "hits": {'), 'json');
  assert.equal(k('{"took":1,"hits":{"hits":['), 'json');
  assert.equal(k(''), 'lines');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => ['lines', 'ndjson', 'json'].includes(sniffKind(Buffer.from(bytes)))));
});

test('the original line is event.original, then message, then log.original, nested or dotted', () => {
  assert.equal(recordOf({ event: { original: 'a' }, message: 'b', log: { original: 'c' } }).line, 'a');
  assert.equal(recordOf({ event: { original: '' }, message: 'b' }).line, 'b');
  assert.equal(recordOf({ message: ['not', 'a string'], log: { original: 'c' } }).line, 'c');
  assert.equal(recordOf({ 'log.original': 'd' }).line, 'd');
  assert.equal(recordOf({ _index: 'x', _source: { message: 'e', '@timestamp': '2026-01-01T00:00:00Z' } }).timeMs, Date.UTC(2026, 0, 1));
  assert.equal(recordOf({ '@timestamp': 1_700_000_000_000, message: 'f' }).timeMs, 1_700_000_000_000);
  assert.deepEqual(recordsOf({ hits: { hits: [{ _source: { message: 'g' } }, { _source: {} }] } }).map((r) => r.line), ['g', undefined]);
  for (const v of [null, 1, 'str', [], { event: null }, { event: { original: 5 } }]) assert.equal(recordOf(v).line, undefined);
});

test('jsonRecords streams arrays, search responses and NDJSON; bad JSON in NDJSON is a record without a line', async () => {
  const collect = async (text: string, kind: 'ndjson' | 'json'): Promise<(string | undefined)[]> => {
    const out: (string | undefined)[] = [];
    for await (const r of jsonRecords(Readable.from([Buffer.from(text)]), kind)) out.push(r.line);
    return out;
  };
  assert.deepEqual(await collect('[{"message":"a"},{"x":1},{"_source":{"message":"b"}}]', 'json'), ['a', undefined, 'b']);
  assert.deepEqual(await collect('{"took":1,"hits":{"total":{"value":1},"hits":[{"_source":{"message":"c"}}]},"aggregations":{"x":[1]}}', 'json'), ['c']);
  assert.deepEqual(await collect('{"message":"d"}\n\n{oops\n{"hits":{"hits":[{"_source":{"message":"e"}}]}}\n', 'ndjson'), ['d', undefined, 'e']);
  await assert.rejects(collect('[{"message":"a"}, {broken', 'json'), /Parser cannot parse input/);
});

test('progress line and formatting', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1_500_000), '1.50 MB');
  assert.equal(formatBytes(123_400_000_000), '123.4 GB');
  assert.equal(formatDuration(61_000), '1m01s');
  assert.equal(formatDuration(3_725_000), '1h02m');
  assert.equal(progressLine({ unit: 'bytes', done: 250_000_000, total: 1_000_000_000, lines: 1_000_000 }, 10_000),
    'import: 25.0% 250.0 MB of 1.00 GB, 1,000,000 lines, 100,000 lines/s, ETA 30s');
  assert.match(progressLine({ unit: 'docs', done: 0, total: 0, lines: 0 }, 0), /ETA \?$/);
  // Lately slower than on average (the import after the faster dating pass): the recent rate wins.
  assert.match(progressLine({ unit: 'bytes', done: 500e6, total: 1e9, lines: 1 }, 10_000, 5_000), /ETA 1m40s$/);
});

const base: ImportSummary = {
  files: 3, skippedFiles: 0, failedFiles: 0, lines: 1200, output: 'elasticsearch', indexed: 1150, failureStore: 0, alreadyPresent: 40,
  unparsed: 10, deadLettered: 0, withoutOriginal: 0, elapsedMs: 4200, peakRssBytes: 150e6, interrupted: false,
};

test('the summary says what was read and written, and when nothing was new', () => {
  assert.deepEqual(formatSummary(base), [
    'dropship import: 3 files (0 already imported, skipped), 1,200 lines read, 1,150 indexed, 40 already present, 10 unparsed, 0 dead-lettered; 4s, peak memory 150 MB',
  ]);
  assert.equal(formatSummary({ ...base, indexed: 0, alreadyPresent: 1190 })[1], 'nothing new: all 1,190 documents were already present');
  assert.equal(formatSummary({ ...base, indexed: 0, alreadyPresent: 0, lines: 0, skippedFiles: 3 })[1], 'nothing new: all 3 files were imported before (--reimport reads them again)');
  assert.equal(formatSummary({ ...base, indexed: 0, interrupted: true }).length, 1);
  assert.match(formatSummary({ ...base, files: 0, output: 'ndjson', withoutOriginal: 2 })[0]!, /^dropship import: 1,200 lines read, 1,150 written, 10 unparsed, 2 documents without an original line/);
});
