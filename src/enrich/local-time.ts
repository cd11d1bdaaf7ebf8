/**
 * Hour of day and ISO weekday of `@timestamp` in the router's zone, for the time-of-day views.
 *
 * Logs arrive in time order, so consecutive lines nearly always share their UTC minute; the
 * result is memoised on the "YYYY-MM-DDTHH:MM" prefix and a miss is computed from the digits
 * with Date.UTC rather than by parsing the string as a Date.
 */
import type { TimeZone } from '../time/zone.js';

export interface LocalTime {
  readonly hour: number;
  /** 1 = Monday … 7 = Sunday */
  readonly weekday: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function digits(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** UTC milliseconds of an ISO-8601 "YYYY-MM-DDTHH:MM…Z" prefix, NaN if it is not one. */
function minuteOf(iso: string): number {
  if (iso.length < 17 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45 || iso.charCodeAt(13) !== 58) return NaN;
  const t = iso.charCodeAt(10);
  if (t !== 84 && t !== 116) return NaN;
  const y = digits(iso, 0, 4);
  const mo = digits(iso, 5, 2);
  const d = digits(iso, 8, 2);
  const h = digits(iso, 11, 2);
  const mi = digits(iso, 14, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi);
}

export class LocalClock {
  private memoKey = '';
  private memo: LocalTime | undefined;

  constructor(private readonly zone: TimeZone) {}

  /**
   * Local hour and weekday of an ISO timestamp, or undefined when it cannot be read. The result
   * is frozen and shared between calls within the same minute.
   */
  at(timestamp: unknown): LocalTime | undefined {
    if (typeof timestamp !== 'string') return undefined;
    // Only UTC ("Z") timestamps share a minute prefix meaningfully; anything else takes the
    // general path through Date.parse.
    const utc = timestamp.length >= 17 && timestamp.charCodeAt(timestamp.length - 1) === 90;
    if (utc) {
      if (this.memoKey !== '' && timestamp.startsWith(this.memoKey)) return this.memo;
      const ms = minuteOf(timestamp);
      const result = Number.isNaN(ms) ? this.fromMs(Date.parse(timestamp)) : this.fromMs(ms);
      this.memoKey = timestamp.slice(0, 16);
      this.memo = result;
      return result;
    }
    return this.fromMs(Date.parse(timestamp));
  }

  private fromMs(ms: number): LocalTime | undefined {
    if (!Number.isFinite(ms)) return undefined;
    const local = ms + this.zone.offsetAt(ms);
    const hour = Math.floor(local / HOUR_MS) % 24;
    // Day 0 (1970-01-01) was a Thursday, ISO weekday 4.
    const weekday = ((Math.floor(local / DAY_MS) % 7) + 7 + 3) % 7 + 1;
    return Object.freeze({ hour: (hour + 24) % 24, weekday });
  }
}
