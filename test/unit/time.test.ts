import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoMs, isoString } from '../../src/time/iso.js';
import { daysInMonth } from '../../src/parse/timestamp.js';
import { TimeZone } from '../../src/time/zone.js';

test('isoMs reads back every isoString, and otherwise agrees with Date.parse or leaves it to it (NaN)', () => {
  // Years 0000-9999 in full: the calendar arithmetic must hold for every day of every era.
  fc.assert(fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => isoMs(isoString(ms)) === ms), { numRuns: 20000 });
  for (const [t, ok] of [
    ['2024-02-29T23:59:59.999Z', true], ['2000-02-29T00:00:00.000Z', true], ['2023-02-29T00:00:00.000Z', false],
    ['2100-02-29T00:00:00.000Z', false], ['2023-04-31T00:00:00.000Z', false], ['2023-01-01T24:00:00.000Z', false],
    ['2023-01-01T23:60:00.000Z', false], ['2023-13-01T00:00:00.000Z', false], ['2023-01-01T00:00:00.000+00:00', false],
    ['2023-01-01 00:00:00.000Z', false], ['2023-01-01T00:00:00Z', false],
  ] as const) {
    const ms = isoMs(t);
    if (ok) assert.equal(ms, Date.parse(t), t);
    else assert.ok(Number.isNaN(ms), `${t}: ${ms} (left to Date.parse: ${Date.parse(t)})`);
  }
  // One character changed anywhere: the answer is Date.parse's, or NaN.
  const mutated = fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.nat(23), fc.constantFrom(...'0123456789:-.TZ+ a\u0660'))
    .map(([ms, at, c]) => { const t = isoString(ms); return t.slice(0, at) + c + t.slice(at + 1); });
  fc.assert(fc.property(fc.oneof(mutated, fc.string({ maxLength: 26 })), (t) => {
    const ms = isoMs(t);
    return Number.isNaN(ms) || ms === Date.parse(t);
  }), { numRuns: 20000 });
});

test('isoString is Date#toISOString, including its range limits', () => {
  const edges = [0, -1, 1, -0, 0.5, -0.5, 1e12 + 0.999, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 1, 28, 12),
    -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15];
  for (const ms of edges) assert.equal(isoString(ms), new Date(ms).toISOString(), String(ms));
  fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => isoString(ms) === new Date(ms).toISOString()), { numRuns: 20000 });
  fc.assert(fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => isoString(ms) === new Date(ms).toISOString()), { numRuns: 20000 });
  for (const bad of [NaN, Infinity, 8.64e15 + 1]) assert.throws(() => isoString(bad), RangeError);
});

test('daysInMonth counts as Date.UTC does', () => {
  for (let year = -401; year <= 2500; year++) {
    for (let month = 1; month <= 12; month++) {
      assert.equal(daysInMonth(year, month), new Date(Date.UTC(year, month, 0)).getUTCDate(), `${year}-${month}`);
    }
  }
});

/** TimeZone#toUtc as first written, without its per-minute memo, over the same offsetAt. */
function referenceToUtc(zone: TimeZone, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (zone.isUtc) return wall;
  const first = zone.offsetAt(wall);
  const guess = wall - first;
  const second = zone.offsetAt(guess);
  if (second === first) {
    const earlierOffset = zone.offsetAt(guess - 3600_000);
    if (earlierOffset > first && zone.offsetAt(wall - earlierOffset) === earlierOffset) return wall - earlierOffset;
    return guess;
  }
  return wall - second;
}

test('toUtc remembers a minute without changing any answer, around DST gaps and overlaps', () => {
  // Whole-hour, half-hour (Lord Howe) and 45-minute offsets, and a zone whose offset had seconds.
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Africa/Monrovia'];
  for (const name of zones) {
    const zone = new TimeZone(name);
    // Days around this zone's transitions in 2025–26 (found from the offsets); for Monrovia, its
    // change from -0:44:30 in January 1972.
    const days: number[] = [];
    const [from, to] = name === 'Africa/Monrovia' ? [Date.UTC(1971, 11, 1), Date.UTC(1972, 1, 1)] : [Date.UTC(2025, 0, 1), Date.UTC(2027, 0, 1)];
    for (let ms = from; ms < to; ms += 86_400_000) {
      if (zone.offsetAt(ms) !== zone.offsetAt(ms + 86_400_000)) days.push(ms, ms + 86_400_000);
    }
    assert.ok(name === 'Asia/Kathmandu' || days.length >= 2, `${name} has transitions`);
    for (const dayMs of days) {
      const date = new Date(dayMs);
      const [y, mo, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      // In time order (the memo hits), every 7 s across the day, with milliseconds.
      for (let t = 0; t < 86_400; t += 7) {
        const [h, mi, s, ms] = [Math.floor(t / 3600), Math.floor(t / 60) % 60, t % 60, (t * 37) % 1000];
        assert.equal(zone.toUtc(y, mo, d, h, mi, s, ms), referenceToUtc(zone, y, mo, d, h, mi, s, ms), `${name} ${y}-${mo}-${d} ${h}:${mi}:${s}.${ms}`);
      }
    }
  }
});
