/**
 * When the attempts happened, in the router's zone: the hour × weekday grid and the timeline.
 *
 * Everything is counted by *local hour*: the number of whole hours between 1970-01-01T00:00 local
 * wall-clock time and the event's local wall-clock time. Files count each event's instant;
 * Elasticsearch hands out hourly buckets of its date_histogram in the same zone, whose starts
 * give the same numbers. Memory: the grid, at most HOURLY_CAP hourly buckets (only short periods
 * are charted by the hour) and one bucket per day with events (DAILY_CAP, about a century).
 */
import type { TimeZone } from '../time/zone.js';
import type { HourGrid, Timeline, TimelineInterval } from './data.js';

const HOUR_MS = 3_600_000;
/** Longest period charted by the hour; beyond it, by day or longer. */
const MAX_HOURLY_POINTS = 7 * 24;
/** Most points a timeline gets before a coarser interval is used. */
const MAX_POINTS = 400;
const DAILY_CAP = 36_600;

export class TimeTally {
  /** [weekday * 24 + hour], weekday 0 = Monday */
  readonly grid = new Float64Array(7 * 24);
  private hourly: Map<number, number> | undefined = new Map();
  private readonly daily = new Map<number, number>();
  /** Events whose day could not be kept (over DAILY_CAP distinct days): in the grid, not on the timeline. */
  notCharted = 0;
  // The last UTC hour looked up and its local hour: events arrive in time order.
  private lastUtcHour = NaN;
  private lastLocalHour = 0;

  constructor(readonly zone: TimeZone) {}

  /** One event (or `n`) at the instant `ms` (epoch milliseconds). */
  addInstant(ms: number, n = 1): void {
    const utcHour = Math.floor(ms / HOUR_MS);
    // Zone offsets change on quarter-hours at most: a UTC hour maps to one local hour when the
    // offset is whole hours, which the memo checks by looking again at the next hour's start.
    if (utcHour !== this.lastUtcHour) {
      const offset = this.zone.offsetAt(ms);
      const local = Math.floor((ms + offset) / HOUR_MS);
      if (offset % HOUR_MS === 0 && this.zone.offsetAt(utcHour * HOUR_MS) === offset && this.zone.offsetAt(utcHour * HOUR_MS + HOUR_MS - 1) === offset) {
        this.lastUtcHour = utcHour;
        this.lastLocalHour = local;
      } else {
        this.lastUtcHour = NaN;
        this.addLocalHour(local, n);
        return;
      }
    }
    this.addLocalHour(this.lastLocalHour, n);
  }

  addLocalHour(localHour: number, n: number): void {
    const day = Math.floor(localHour / 24);
    const hour = localHour - day * 24;
    this.grid[weekdayOf(day) * 24 + hour]! += n;
    const hourly = this.hourly;
    if (hourly !== undefined) {
      hourly.set(localHour, (hourly.get(localHour) ?? 0) + n);
      // More distinct hours than the longest hourly chart: it will be charted by day or longer.
      if (hourly.size > MAX_HOURLY_POINTS + 1) this.hourly = undefined;
    }
    const had = this.daily.get(day);
    if (had !== undefined) this.daily.set(day, had + n);
    else if (this.daily.size < DAILY_CAP) this.daily.set(day, n);
    else this.notCharted += n;
  }

  hourGrid(): HourGrid {
    const grid = Array.from({ length: 7 }, (_, d) => Array.from(this.grid.subarray(d * 24, d * 24 + 24)));
    const byHour = Array.from({ length: 24 }, (_, h) => grid.reduce((sum, row) => sum + row[h]!, 0));
    return { zone: this.zone.name, grid, byHour };
  }

  timeline(): Timeline {
    const zone = this.zone.name;
    if (this.daily.size === 0) return { zone, interval: 'day', points: [] };
    let firstDay = Infinity;
    let lastDay = -Infinity;
    for (const d of this.daily.keys()) {
      if (d < firstDay) firstDay = d;
      if (d > lastDay) lastDay = d;
    }
    const hourly = this.hourly;
    if (hourly !== undefined) {
      const keys = [...hourly.keys()];
      const first = Math.min(...keys);
      const last = Math.max(...keys);
      if (last - first < MAX_HOURLY_POINTS) {
        const points = [];
        for (let h = first; h <= last; h++) points.push({ start: localLabel('hour', h * HOUR_MS), count: hourly.get(h) ?? 0 });
        return { zone, interval: 'hour', points };
      }
    }
    for (const interval of ['day', 'week', 'month', 'year'] as const) {
      const start = bucketOf(interval, firstDay);
      const end = bucketOf(interval, lastDay);
      if (interval !== 'year' && stepsBetween(interval, start, end) >= MAX_POINTS) continue;
      const sums = new Map<number, number>();
      for (const [day, count] of this.daily) {
        const b = bucketOf(interval, day);
        sums.set(b, (sums.get(b) ?? 0) + count);
      }
      const points: Timeline['points'] = [];
      if (stepsBetween(interval, start, end) < MAX_POINTS) {
        for (let b = start; b <= end; b = nextBucket(interval, b)) points.push({ start: localLabel(interval, b * 86_400_000), count: sums.get(b) ?? 0 });
      } else {
        // Centuries between the first and the last event (a clock far off): years with events only.
        for (const b of [...sums.keys()].sort((x, y) => x - y)) points.push({ start: localLabel(interval, b * 86_400_000), count: sums.get(b)! });
      }
      return { zone, interval, points };
    }
    throw new Error('unreachable: the year interval always returns');
  }
}

/** ISO weekday index of a day number (days since 1970-01-01, a Thursday): 0 = Monday. */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** The first day (day number) of the bucket holding `day`. */
function bucketOf(interval: Exclude<TimelineInterval, 'hour'>, day: number): number {
  switch (interval) {
    case 'day': return day;
    case 'week': return day - weekdayOf(day);
    case 'month': {
      const d = new Date(day * 86_400_000);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 86_400_000;
    }
    case 'year': return Date.UTC(new Date(day * 86_400_000).getUTCFullYear(), 0, 1) / 86_400_000;
  }
}

function nextBucket(interval: Exclude<TimelineInterval, 'hour'>, start: number): number {
  switch (interval) {
    case 'day': return start + 1;
    case 'week': return start + 7;
    case 'month': {
      const d = new Date(start * 86_400_000);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 86_400_000;
    }
    case 'year': return Date.UTC(new Date(start * 86_400_000).getUTCFullYear() + 1, 0, 1) / 86_400_000;
  }
}

function stepsBetween(interval: Exclude<TimelineInterval, 'hour'>, start: number, end: number): number {
  switch (interval) {
    case 'day': return end - start;
    case 'week': return (end - start) / 7;
    case 'month': {
      const a = new Date(start * 86_400_000);
      const b = new Date(end * 86_400_000);
      return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
    }
    case 'year': return new Date(end * 86_400_000).getUTCFullYear() - new Date(start * 86_400_000).getUTCFullYear();
  }
}

/** Local wall-clock `ms` (local time read as if UTC) as the label of its bucket. */
function localLabel(interval: TimelineInterval, localMs: number): string {
  const iso = new Date(localMs).toISOString();
  // Years beyond 9999 or before 0 come out as ±YYYYYY: keep the whole date part then.
  const t = iso.indexOf('T');
  switch (interval) {
    case 'hour': return `${iso.slice(0, t)}T${iso.slice(t + 1, t + 3)}:00`;
    case 'day':
    case 'week': return iso.slice(0, t);
    case 'month': return iso.slice(0, t - 3);
    case 'year': return iso.slice(0, t - 6);
  }
}

/** Formats an instant (epoch ms) as local wall-clock time in `zone`, to the minute: `2026-10-26 13:05`. */
export function localMinute(zone: TimeZone, ms: number): string {
  const iso = new Date(ms + zone.offsetAt(ms)).toISOString();
  const t = iso.indexOf('T');
  return `${iso.slice(0, t)} ${iso.slice(t + 1, t + 6)}`;
}
