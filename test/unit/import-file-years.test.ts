import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstLineInstant, lastLineYear, segmentAt, wallTimeOf, YearScanner, yearSegments, yearStep, type WallTime } from '../../src/parse/file-years.js';
import { readFileSync } from 'node:fs';
import { timeZone } from '../../src/time/zone.js';

const UTC = timeZone('UTC');

function line(ts: string): string {
  return `<4>${ts} kernel: DROP IN=ppp0 OUT= SRC=203.0.113.45 DST=198.51.100.20 PROTO=TCP SPT=1 DPT=23`;
}

/** Years of every line, the way the import's second pass assigns them. */
function yearsOf(lines: string[], anchorIso: string, zone = UTC): number[] {
  const scanner = new YearScanner();
  for (const l of lines) scanner.addLine(l);
  const scan = scanner.result();
  const last = lastLineYear(scan, zone, Date.parse(anchorIso));
  assert.notEqual(last, undefined);
  const segments = yearSegments(scan, last!);
  return lines.map((_, i) => segments[segmentAt(segments, i)]!.year);
}

const at = (month: number, day: number, hour = 0, minute = 0, second = 0): WallTime => ({ month, day, hour, minute, second });

test('yearStep: forward in time; New Year when the date goes back by more than a late line can', () => {
  assert.equal(yearStep(at(12, 31, 23, 59, 59), at(1, 1)), 1);
  assert.equal(yearStep(at(11, 30), at(2, 1)), 1); // a quiet spell over New Year
  assert.equal(yearStep(at(6, 1), at(2, 1)), 1); // eight quiet months
  assert.equal(yearStep(at(3, 1), at(2, 28, 23, 59, 59)), 0); // an out-of-order line at a month boundary
  assert.equal(yearStep(at(11, 6, 2, 30), at(11, 6, 1, 45)), 0); // summer time ends: an hour back
  assert.equal(yearStep(at(1, 1, 0, 0, 1), at(12, 31, 23, 59, 59)), -1); // a late line of the old year just after New Year
  assert.equal(yearStep(at(5, 5), at(5, 5)), 0);
  assert.equal(yearStep(at(1, 5), at(7, 30)), 0);
});

test('yearStep: a step back of days to weeks is no New Year (it would mean ten silent months): not in time order', () => {
  assert.equal(yearStep(at(3, 2, 10, 15), at(2, 6, 16, 27)), null);
  assert.equal(yearStep(at(12, 31), at(12, 1)), null);
  assert.equal(yearStep(at(8, 1), at(7, 30)), null);
});

test('a file spanning New Year: lines before the rollover are one year earlier', () => {
  const lines = [line('Dec 30 10:00:00'), line('Dec 31 23:59:59'), line('Jan  1 00:00:01'), line('Jan  2 08:00:00')];
  assert.deepEqual(yearsOf(lines, '2027-01-02T09:00:00Z'), [2026, 2026, 2027, 2027]);
});

test('the last line decides the anchor year: a December last line with a January mtime is last year', () => {
  const lines = [line('Nov 30 10:00:00'), line('Dec 31 23:00:00')];
  assert.deepEqual(yearsOf(lines, '2027-01-03T00:00:00Z'), [2026, 2026]);
  assert.deepEqual(yearsOf(lines, '2026-12-31T23:30:00Z'), [2026, 2026]);
});

test('several New Years: each rollover steps one more year back', () => {
  const lines = [line('Oct  1 00:00:00'), line('Jan  1 00:00:00'), line('Jun  1 00:00:00'), line('Feb  1 00:00:00'), line('Mar  1 00:00:00')];
  assert.deepEqual(yearsOf(lines, '2027-03-02T00:00:00Z'), [2025, 2026, 2026, 2027, 2027]);
});

test('out-of-order lines around New Year and month ends do not shift years', () => {
  const lines = [
    line('Dec 31 23:59:58'), line('Jan  1 00:00:00'), line('Dec 31 23:59:59'), line('Jan  1 00:00:02'),
    line('Mar  1 00:00:00'), line('Feb 28 23:59:59'), line('Mar  1 00:00:01'),
  ];
  assert.deepEqual(yearsOf(lines, '2027-03-01T01:00:00Z'), [2026, 2027, 2026, 2027, 2027, 2027, 2027]);
});

test('lines without a year-less timestamp keep their place and take the surrounding year', () => {
  const lines = [line('Dec 31 10:00:00'), 'garbage', '', '<14>1 2027-01-01T00:00:00Z host app - - - iso', line('Jan  1 10:00:00'), 'more garbage'];
  assert.deepEqual(yearsOf(lines, '2027-01-05T00:00:00Z'), [2026, 2026, 2026, 2026, 2027, 2027]);
});

test('the anchor is read in the configured time zone', () => {
  // 2027-01-01T03:00Z is still 2026-12-31 in New York: a "Dec 31 21:00" line is 2026 there.
  const ny = timeZone('America/New_York');
  assert.deepEqual(yearsOf([line('Dec 31 21:00:00')], '2027-01-01T03:00:00Z', ny), [2026]);
  // In Tokyo it is already 2027-01-01 12:00; "Jan  1 11:00" is 2027.
  assert.deepEqual(yearsOf([line('Jan  1 11:00:00')], '2027-01-01T03:00:00Z', timeZone('Asia/Tokyo')), [2027]);
});

test('a file without year-less timestamps has no last-line year', () => {
  const scanner = new YearScanner();
  scanner.addLine('<14>1 2027-01-01T00:00:00Z host app - - - iso');
  scanner.addLine('not a log line');
  const scan = scanner.result();
  assert.equal(scan.last, undefined);
  assert.equal(lastLineYear(scan, UTC, Date.now()), undefined);
  assert.equal(scanner.lines, 2);
});

test('firstLineInstant anchors the next-older file of a rotated set', () => {
  const scanner = new YearScanner();
  for (const l of [line('Jan  1 00:00:05'), line('Jan  3 00:00:00')]) scanner.addLine(l);
  const scan = scanner.result();
  const segments = yearSegments(scan, lastLineYear(scan, UTC, Date.parse('2027-01-04T00:00:00Z'))!);
  assert.equal(new Date(firstLineInstant(scan, segments, UTC)!).toISOString(), '2027-01-01T00:00:05.000Z');
});

test('a file whose months jump back and forth is not in time order: no years are derived from it', () => {
  const scanner = new YearScanner();
  const months = ['Jan', 'Dec', 'Mar', 'Nov'];
  for (let i = 0; i < 1000; i++) scanner.addLine(line(`${months[i % 4]} 10 10:00:00`));
  const scan = scanner.result();
  assert.equal(scan.ordered, false);
  assert.deepEqual(scan.changes, []);
  const ordered = new YearScanner();
  ordered.addLine(line('Dec 31 00:00:00'));
  ordered.addLine(line('Jan  1 00:00:00'));
  assert.equal(ordered.result().ordered, true);
});

test('samples/router.log (lines of several routers, one after the other) is not in time order', () => {
  const scanner = new YearScanner();
  for (const l of readFileSync(new URL('../../samples/router.log', import.meta.url), 'utf8').split('\n')) scanner.addLine(l);
  assert.equal(scanner.result().ordered, false);
});

test('segmentAt finds the segment of any line', () => {
  const segments = [{ fromLine: 0, year: 2024 }, { fromLine: 10, year: 2025 }, { fromLine: 11, year: 2026 }];
  assert.deepEqual([0, 9, 10, 11, 1000].map((n) => segmentAt(segments, n)), [0, 0, 1, 2, 2]);
});

test('wallTimeOf never throws on odd input', () => {
  for (const s of ['', '\u0000', 'Dec', 'Feb 30 25:61:61 x', '<999>Jan  1 00:00:00 x', 'x'.repeat(70_000)]) wallTimeOf(s);
  assert.deepEqual(wallTimeOf(line('Feb  3 04:05:06')), { month: 2, day: 3, hour: 4, minute: 5, second: 6 });
});
