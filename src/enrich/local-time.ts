/**
 * Hour of day and ISO weekday of `@timestamp` in the router's zone, for the time-of-day views.
 *
 * Logs arrive in time order, so consecutive lines nearly always share their UTC minute; the
 * result is memoised on the "YYYY-MM-DDTHH:MM" prefix, and a miss reads the digits (isoMs)
 * rather than parsing the string as a Date.
 */
import { isoMs } from '../time/iso.js';
import type { TimeZone } from '../time/zone.js';

export interface LocalTime {
  readonly hour: number;
  /** 1 = Monday … 7 = Sunday */
  readonly weekday: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

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
      const ms = isoMs(timestamp);
      const result = this.fromMs(Number.isNaN(ms) ? Date.parse(timestamp) : ms);
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
