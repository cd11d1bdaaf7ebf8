/**
 * IANA time-zone arithmetic on the hot path.
 *
 * Intl.DateTimeFormat is the only zone database Node ships, and formatting costs microseconds,
 * so offsets are measured once per UTC day and cached; a day whose two ends disagree holds a
 * transition and falls back to 15-minute buckets.
 */

const DAY_MS = 86_400_000;
const BUCKET_MS = 15 * 60 * 1000;
const CACHE_LIMIT = 8192;
const MIXED = Number.NaN;

export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday */
  weekday: number;
}

export class TimeZone {
  readonly name: string;
  readonly isUtc: boolean;
  private readonly formatter: Intl.DateTimeFormat | undefined;
  private readonly dayOffsets = new Map<number, number>();
  private readonly bucketOffsets = new Map<number, number>();
  // The last day looked up in dayOffsets: log lines arrive in time order.
  private lastDay = NaN;
  private lastDayOffset = 0;
  // toUtc's answer for one wall-clock minute, as `wall - utc` (see toUtc).
  private memoMinute = NaN;
  private memoShift = 0;

  constructor(name: string) {
    // Throws RangeError for names the zone database does not know.
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    this.name = resolved;
    this.isUtc = resolved === 'UTC' || resolved === 'Etc/UTC' || resolved === 'Etc/GMT' || resolved === 'GMT';
    this.formatter = this.isUtc
      ? undefined
      : new Intl.DateTimeFormat('en-US', {
          timeZone: resolved,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
  }

  /** Offset of local time from UTC, in milliseconds, at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    if (this.formatter === undefined) return 0;
    // Most days have one offset all day: one cache entry per UTC day, checked at both ends.
    const day = Math.floor(utcMs / DAY_MS);
    let whole: number | undefined;
    if (day === this.lastDay) {
      whole = this.lastDayOffset;
    } else {
      whole = this.dayOffsets.get(day);
      if (whole === undefined) {
        const first = this.measure(day * DAY_MS);
        whole = first === this.measure(day * DAY_MS + DAY_MS - 1000) ? first : MIXED;
        if (this.dayOffsets.size >= CACHE_LIMIT) this.dayOffsets.clear();
        this.dayOffsets.set(day, whole);
      }
      this.lastDay = day;
      this.lastDayOffset = whole;
    }
    if (!Number.isNaN(whole)) return whole;
    // A transition day: every real-world change happens on a quarter-hour boundary.
    const bucket = Math.floor(utcMs / BUCKET_MS);
    let offset = this.bucketOffsets.get(bucket);
    if (offset === undefined) {
      offset = this.measure(bucket * BUCKET_MS);
      if (this.bucketOffsets.size >= CACHE_LIMIT) this.bucketOffsets.clear();
      this.bucketOffsets.set(bucket, offset);
    }
    return offset;
  }

  private measure(instant: number): number {
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0;
    for (const part of this.formatter!.formatToParts(instant)) {
      switch (part.type) {
        case 'year': y = Number(part.value); break;
        case 'month': mo = Number(part.value); break;
        case 'day': d = Number(part.value); break;
        case 'hour': h = Number(part.value); break;
        case 'minute': mi = Number(part.value); break;
        case 'second': s = Number(part.value); break;
      }
    }
    return Date.UTC(y, mo - 1, d, h, mi, s) - (instant - (((instant % 1000) + 1000) % 1000));
  }

  /**
   * The instant at which the clocks of this zone showed the given wall time. In a DST gap the
   * wall time does not exist and the result is shifted by the gap; in an overlap the earlier
   * instant is chosen (what a router's clock most likely meant is unknowable there).
   */
  toUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0): number {
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    if (this.formatter === undefined) return wall;
    // Every instant looked at below is `wall` minus offsets (first, earlierOffset), and offsetAt
    // only changes at day and quarter-hour (bucket) boundaries. When those offsets are whole
    // minutes, every wall time of the same minute takes the same branches with the same offsets,
    // so the answer is `wall - shift` for the whole minute: it is remembered (consecutive lines
    // share minutes, and resolveTimestamp asks twice for one line when it infers the year).
    const minute0 = wall - (((wall % 60_000) + 60_000) % 60_000);
    if (minute0 === this.memoMinute) return wall - this.memoShift;
    const first = this.offsetAt(wall);
    const guess = wall - first;
    const second2 = this.offsetAt(guess);
    let wholeMinutes = first % 60_000 === 0;
    let utc: number;
    if (second2 === first) {
      // In an overlap, an earlier instant with a larger offset may show the same wall time.
      const earlierOffset = this.offsetAt(guess - 3600_000);
      wholeMinutes &&= earlierOffset % 60_000 === 0;
      utc = earlierOffset > first && this.offsetAt(wall - earlierOffset) === earlierOffset ? wall - earlierOffset : guess;
    } else {
      utc = wall - second2;
    }
    if (wholeMinutes) {
      this.memoMinute = minute0;
      this.memoShift = wall - utc;
    }
    return utc;
  }

  /** Local wall-clock fields of an instant. */
  wallClock(utcMs: number): WallClock {
    const local = new Date(utcMs + this.offsetAt(utcMs));
    const dow = local.getUTCDay();
    return {
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
      hour: local.getUTCHours(),
      minute: local.getUTCMinutes(),
      second: local.getUTCSeconds(),
      weekday: dow === 0 ? 7 : dow,
    };
  }
}

export function hostTimeZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const zones = new Map<string, TimeZone>();

/** Shared instances, so every module uses one offset cache per zone. */
export function timeZone(name: string): TimeZone {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = new TimeZone(name);
    zones.set(name, zone);
  }
  return zone;
}
