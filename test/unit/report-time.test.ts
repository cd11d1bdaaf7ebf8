import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TimeTally } from '../../src/report/time-tally.js';
import { timeZone } from '../../src/time/zone.js';

/**
 * The report's hour × weekday grid and timeline against Intl's own reading of the same instants,
 * in zones with DST, half- and quarter-hour offsets.
 */

const ZONES = ['UTC', 'Asia/Tokyo', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe'];
const WEEKDAY = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 } as Record<string, number>;

const formats = new Map<string, Intl.DateTimeFormat>();

function intlCell(zone: string, ms: number): number {
  // One formatter per zone: building one costs far more than formatting with it.
  let format = formats.get(zone);
  if (format === undefined) formats.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', weekday: 'short', hour: 'numeric' })));
  const parts = format.formatToParts(ms);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const weekday = WEEKDAY[parts.find((p) => p.type === 'weekday')!.value]!;
  return weekday * 24 + hour;
}

test('hour × weekday cells: each instant lands where Intl says its local hour and weekday are', () => {
  fc.assert(fc.property(
    fc.constantFrom(...ZONES),
    // Sorted, as logs mostly are, and unsorted: the tally memoizes the last hour.
    fc.array(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2035, 0, 1) }), { minLength: 1, maxLength: 60 }),
    fc.boolean(),
    (zone, instants, sorted) => {
      const list = sorted ? [...instants].sort((a, b) => a - b) : instants;
      const t = new TimeTally(timeZone(zone));
      const expected = new Float64Array(168);
      for (const ms of list) {
        t.addInstant(ms);
        expected[intlCell(zone, ms)]!++;
      }
      assert.deepEqual([...t.grid], [...expected]);
      const g = t.hourGrid();
      assert.equal(g.byHour.reduce((a, b) => a + b, 0), list.length);
      const line = t.timeline();
      assert.equal(line.points.reduce((a, p) => a + p.count, 0), list.length);
    },
  ), { numRuns: 200 });
});

test('around DST changes: the repeated autumn hour counts twice in one cell, the skipped spring hour has none', () => {
  const zone = timeZone('Europe/Berlin');
  const t = new TimeTally(zone);
  // 2025-10-26: 02:00–03:00 CEST then again CET. Every 10 minutes from 00:00 UTC to 02:00 UTC.
  for (let ms = Date.UTC(2025, 9, 26, 0, 0); ms < Date.UTC(2025, 9, 26, 2, 0); ms += 600_000) t.addInstant(ms);
  const sunday = 6 * 24;
  assert.equal(t.grid[sunday + 2], 12); // 00:00–01:00 UTC (02:xx CEST) and 01:00–02:00 UTC (02:xx CET)
  const spring = new TimeTally(zone);
  for (let ms = Date.UTC(2025, 2, 30, 0, 0); ms < Date.UTC(2025, 2, 30, 2, 0); ms += 600_000) spring.addInstant(ms);
  assert.equal(spring.grid[sunday + 2], 0);
  assert.equal(spring.grid[sunday + 1], 6);
  assert.equal(spring.grid[sunday + 3], 6);
});

test('timeline: hourly for up to a week, then daily, weekly (Monday), monthly, yearly; empty buckets included', () => {
  const zone = timeZone('UTC');
  const span = (days: number): TimeTally => {
    const t = new TimeTally(zone);
    t.addInstant(Date.UTC(2025, 0, 1, 5));
    t.addInstant(Date.UTC(2025, 0, 1, 5) + days * 86_400_000);
    return t;
  };
  const hourly = span(2).timeline();
  assert.equal(hourly.interval, 'hour');
  assert.equal(hourly.points.length, 49);
  assert.deepEqual(hourly.points[0], { start: '2025-01-01T05:00', count: 1 });
  assert.equal(hourly.points[1]!.count, 0);
  const daily = span(30).timeline();
  assert.equal(daily.interval, 'day');
  assert.equal(daily.points.length, 31);
  const weekly = span(500).timeline();
  assert.equal(weekly.interval, 'week');
  assert.equal(weekly.points[0]!.start, '2024-12-30'); // the Monday of 2025-01-01's week
  assert.equal(span(3000).timeline().interval, 'month');
  const yearly = span(20_000).timeline();
  assert.equal(yearly.interval, 'year');
  assert.equal(yearly.points[0]!.start, '2025');
  assert.equal(yearly.points.reduce((a, p) => a + p.count, 0), 2);
  assert.deepEqual(new TimeTally(zone).timeline().points, []);
});

test('a clock centuries off does not make the timeline huge: only years with events', () => {
  const t = new TimeTally(timeZone('UTC'));
  t.addInstant(Date.UTC(1971, 0, 1));
  t.addInstant(Date.UTC(2900, 0, 1));
  const line = t.timeline();
  assert.equal(line.interval, 'year');
  assert.deepEqual(line.points, [{ start: '1971', count: 1 }, { start: '2900', count: 1 }]);
});
