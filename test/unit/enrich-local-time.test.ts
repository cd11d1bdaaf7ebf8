import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LocalClock } from '../../src/enrich/local-time.js';
import { timeZone } from '../../src/time/zone.js';

const formats = new Map<string, Intl.DateTimeFormat>();

/** Oracle: hour and ISO weekday straight from Intl, without dropship's offset cache. */
function viaIntl(zone: string, ms: number): { hour: number; weekday: number } {
  // One formatter per zone: building one is what made this oracle slow, not formatting.
  let format = formats.get(zone);
  if (format === undefined) formats.set(zone, (format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric', weekday: 'short' })));
  const parts = format.formatToParts(ms);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const day = parts.find((p) => p.type === 'weekday')!.value;
  return { hour, weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(day) + 1 };
}

const at = (zone: string, iso: string) => {
  const r = new LocalClock(timeZone(zone)).at(iso);
  return r && { hour: r.hour, weekday: r.weekday };
};

describe('local hour and weekday', () => {
  it('shifts to Asia/Tokyo across midnight into the next weekday', () => {
    // 2026-11-23 is a Monday; 15:30 UTC is 00:30 on Tuesday in Tokyo (UTC+9, no DST).
    assert.deepEqual(at('Asia/Tokyo', '2026-11-23T15:30:00.000Z'), { hour: 0, weekday: 2 });
    assert.deepEqual(at('Asia/Tokyo', '2026-11-23T14:59:59.999Z'), { hour: 23, weekday: 1 });
  });

  it('follows Europe/Berlin through the spring-forward gap', () => {
    // DST starts 2026-03-29 (a Sunday) at 01:00 UTC: 01:59 CET is followed by 03:00 CEST.
    assert.deepEqual(at('Europe/Berlin', '2026-03-29T00:59:00.000Z'), { hour: 1, weekday: 7 });
    assert.deepEqual(at('Europe/Berlin', '2026-03-29T01:00:00.000Z'), { hour: 3, weekday: 7 });
  });

  it('follows Europe/Berlin through the autumn overlap', () => {
    // DST ends 2026-10-25 at 01:00 UTC: 02:30 local happens twice, an hour apart.
    assert.deepEqual(at('Europe/Berlin', '2026-10-25T00:30:00.000Z'), { hour: 2, weekday: 7 });
    assert.deepEqual(at('Europe/Berlin', '2026-10-25T01:30:00.000Z'), { hour: 2, weekday: 7 });
    assert.deepEqual(at('Europe/Berlin', '2026-10-25T02:30:00.000Z'), { hour: 3, weekday: 7 });
  });

  it('agrees with Intl for a year of timestamps in zones with odd offsets and DST', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham']) {
      const clock = new LocalClock(timeZone(zone));
      const start = Date.UTC(2026, 0, 1);
      for (let ms = start; ms < start + 366 * 86_400_000; ms += 37 * 60_000 + 13_000) {
        const iso = new Date(ms).toISOString();
        const got = clock.at(iso);
        assert.deepEqual(got && { hour: got.hour, weekday: got.weekday }, viaIntl(zone, ms), `${zone} ${iso}`);
      }
    }
  });

  it('reuses the result within a minute without mixing up minutes', () => {
    const clock = new LocalClock(timeZone('Europe/Berlin'));
    const a = clock.at('2026-03-29T00:59:01.000Z');
    assert.equal(clock.at('2026-03-29T00:59:59.999Z'), a);
    assert.equal(clock.at('2026-03-29T01:00:00.000Z')?.hour, 3);
    assert.equal(clock.at('2026-03-29T00:59:30.000Z')?.hour, 1);
  });

  it('reads timestamps with an explicit offset and before 1970', () => {
    assert.deepEqual(at('UTC', '2026-11-23T09:15:00+09:00'), { hour: 0, weekday: 1 });
    const ms = Date.UTC(1969, 11, 31, 23, 30);
    assert.deepEqual(at('Asia/Tokyo', new Date(ms).toISOString()), viaIntl('Asia/Tokyo', ms));
  });

  it('returns nothing for unusable input', () => {
    const clock = new LocalClock(timeZone('Asia/Tokyo'));
    for (const bad of [undefined, null, 42, '', 'garbage', '2026-13-01T00:00:00Z', '2026-11-23T25:00:00.000Z', 'xxxx-xx-xxTxx:xx:xx.xxxZ']) {
      assert.equal(clock.at(bad), undefined, String(bad));
    }
  });
});
