import { parseSyslogHeader, TS_WALL } from './syslog.js';
import { inferYear } from './timestamp.js';
import type { TimeZone } from '../time/zone.js';

/**
 * Years for a file of year-less (RFC 3164) timestamps, decided from the file itself.
 *
 * A log is written in time order, so the only thing a year-less file can tell is where the year
 * changes: where the month number drops (Dec → Jan). The year of the LAST line comes from an
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
   * False when the month goes back and forth more often than any time-ordered log can (a sorted
   * or merged export, shuffled lines): no year can be derived from the order, so none is claimed.
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

/**
 * Whether going from month `a` to month `b` (consecutive year-less lines) crosses New Year, and
 * in which direction. A log only moves forward in time, except for lines a little out of order
 * (buffered, multi-threaded writers): a step back of one month is such a line — and when it is
 * Jan → Dec, a late line of the old year, which must not count as another New Year. Any other
 * drop of the month number (Dec → Jan, or Nov → Feb after a quiet spell) is a new year.
 */
export function yearStep(a: number, b: number): -1 | 0 | 1 {
  if (a === b) return 0;
  if ((a - b + 12) % 12 === 1) return a === 1 ? -1 : 0;
  return b < a ? 1 : 0;
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
    if (this.last !== undefined) {
      const step = yearStep(this.last.month, t.month);
      if (step !== 0 && this.ordered) {
        if (this.changes.length < MAX_YEAR_CHANGES) this.changes.push({ line, step });
        else {
          this.ordered = false;
          this.changes.length = 0;
        }
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
