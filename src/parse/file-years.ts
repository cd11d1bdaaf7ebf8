import { parseSyslogHeader, TS_WALL } from './syslog.js';
import { inferYear } from './timestamp.js';
import type { TimeZone } from '../time/zone.js';

/**
 * Years for a file of year-less (RFC 3164) timestamps, decided from the file itself.
 *
 * A log is written in time order, so the only thing a year-less file can tell is where the year
 * changes: where the date goes back (Dec 31 → Jan 1, see yearStep). The year of the LAST line comes from an
 * anchor known to be just after it (the file's mtime, or the first line of the next-newer file of a
 * rotated set), and every earlier line is that year minus the rollovers after it.
 *
 * A .gz cannot be read backwards without holding it whole, so this is done in two forward passes:
 * the first feeds every line to a `YearScanner`, which keeps only the few line numbers where the
 * year changes; the second reads the file again and takes each line's year from `yearSegments`.
 * Gaps of more than a year between two lines cannot be seen in year-less timestamps at all.
 */

export interface WallTime {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A line from where on the year differs by `step` from the line before. */
export interface YearChange {
  line: number;
  step: 1 | -1;
}

/** What the first pass keeps: bounded by the number of New Years in the file, not its size. */
export interface YearScan {
  changes: YearChange[];
  /**
   * False when the dates go back where no time-ordered log would (a merged export, lines of
   * several routers, shuffled lines; see yearStep), or change year more often than MAX_YEAR_CHANGES:
   * no year can be derived from the order, so none is claimed.
   */
  ordered: boolean;
  /** First and last year-less timestamps (undefined when the file has none). */
  first: WallTime | undefined;
  last: WallTime | undefined;
}

/** Lines [fromLine, next segment's fromLine) are in `year`. */
export interface YearSegment {
  fromLine: number;
  year: number;
}

const DAY_S = 86_400;
/** Seconds in the nominal (365-day) year positions are counted in. */
const YEAR_S = 365 * DAY_S;
/** Days before each month of a nominal year (Feb 29 counts as Mar 1: a day's error at most). */
const DAYS_BEFORE = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** Where in a (nominal) year a wall time falls, in seconds. */
function positionInYear(t: WallTime): number {
  return ((DAYS_BEFORE[t.month] ?? 0) + t.day - 1) * DAY_S + t.hour * 3600 + t.minute * 60 + t.second;
}

/**
 * A line earlier than the one before by at most this much is a late line (buffered writers, a
 * clock set back an hour at the end of summer time), not a sign of anything.
 */
export const LATE_S = DAY_S;
/**
 * A step back of more than LATE_S is either New Year after a quiet spell or a file not in time
 * order (merged files, several routers in one file). New Year needs the quiet spell it implies to
 * be believable: at most this long (a step back of at least 65 days). A step back of 1 to 65 days
 * would mean 300 to 364 silent days and is taken for disorder.
 */
export const MAX_QUIET_S = 300 * DAY_S;

/**
 * How the year changes from year-less time `a` to the next line's `b` in a log written in time
 * order: +1 across New Year, -1 for a late line of the old year just after New Year, 0 otherwise;
 * null when no time-ordered log goes from `a` to `b` (see MAX_QUIET_S).
 */
export function yearStep(a: WallTime, b: WallTime): -1 | 0 | 1 | null {
  const d = positionInYear(b) - positionInYear(a);
  if (d > YEAR_S - LATE_S) return -1; // Jan 1 00:00:01 → Dec 31 23:59:59: one second back, over New Year
  if (d >= -LATE_S) return 0; // forward, or a late line
  return YEAR_S + d <= MAX_QUIET_S ? 1 : null;
}

/** More year changes than this: the file is not in time order (and memory stays bounded). */
export const MAX_YEAR_CHANGES = 100;

/** First pass: feed lines in file order. */
export class YearScanner {
  private readonly changes: YearChange[] = [];
  private ordered = true;
  private first: WallTime | undefined;
  private last: WallTime | undefined;
  private line = 0;

  /** Takes one line; only year-less wall-clock timestamps count. Never throws. */
  addLine(text: string): void {
    this.addTime(wallTimeOf(text));
  }

  /** Takes the timestamp of the next line (undefined: a line without a year-less timestamp). */
  addTime(t: WallTime | undefined): void {
    const line = this.line++;
    if (t === undefined) return;
    if (this.last !== undefined && this.ordered) {
      const step = yearStep(this.last, t);
      if (step === null || (step !== 0 && this.changes.length >= MAX_YEAR_CHANGES)) {
        this.ordered = false;
        this.changes.length = 0;
      } else if (step !== 0) {
        this.changes.push({ line, step });
      }
    }
    this.first ??= t;
    this.last = t;
  }

  /** Lines seen so far. */
  get lines(): number {
    return this.line;
  }

  result(): YearScan {
    return { changes: [...this.changes], ordered: this.ordered, first: this.first, last: this.last };
  }
}

/** The year-less wall-clock time at the head of a syslog line, if it has one. */
export function wallTimeOf(line: string): WallTime | undefined {
  let h;
  try {
    h = parseSyslogHeader(line);
  } catch {
    return undefined;
  }
  if (h.tsKind !== TS_WALL || h.year !== 0) return undefined;
  return { month: h.month, day: h.day, hour: h.hour, minute: h.minute, second: h.second };
}

/**
 * Year of the file's last year-less line, seen from `anchorMs` (an instant known to be at or after
 * it): the anchor's year, or the one before when that would put the line in the future.
 */
export function lastLineYear(scan: YearScan, zone: TimeZone, anchorMs: number): number | undefined {
  const t = scan.last;
  if (t === undefined || !Number.isFinite(anchorMs)) return undefined;
  return inferYear(zone, anchorMs, t.month, t.day, t.hour, t.minute, t.second);
}

/** Years by line range, in file order, counting year changes back from the last line's year. */
export function yearSegments(scan: YearScan, lastYear: number): YearSegment[] {
  const total = scan.changes.reduce((sum, c) => sum + c.step, 0);
  let year = lastYear - total;
  const segments: YearSegment[] = [{ fromLine: 0, year }];
  for (const c of scan.changes) {
    year += c.step;
    segments.push({ fromLine: c.line, year });
  }
  return segments;
}

/** Index of the segment holding `line` (segments are sorted by fromLine; the first starts at 0). */
export function segmentAt(segments: readonly YearSegment[], line: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.fromLine <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The instant of the file's first year-less line: an anchor for the next-older file of a rotated
 * set, whose last line can be no later than this one.
 */
export function firstLineInstant(scan: YearScan, segments: readonly YearSegment[], zone: TimeZone): number | undefined {
  const t = scan.first;
  const seg = segments[0];
  if (t === undefined || seg === undefined) return undefined;
  const lastDay = new Date(Date.UTC(seg.year, t.month, 0)).getUTCDate();
  return zone.toUtc(seg.year, t.month, Math.min(t.day, lastDay), t.hour, t.minute, t.second);
}
