import type { SyslogHeader } from './syslog.js';
import { TS_ABSOLUTE, TS_WALL } from './syslog.js';
import { gregorianMonthDays, isLeap } from '../time/iso.js';
import type { TimeZone } from '../time/zone.js';

const DAY_MS = 86_400_000;

/**
 * The year of a year-less (RFC3164) timestamp, seen from `referenceMs` (the receive time, or the
 * file's modification time when importing): the reference's own year, unless that puts the event
 * more than a day in the future, in which case it happened last year (the Dec→Jan rollover).
 * Feb 29 only exists in leap years, so it walks back to the latest one.
 */
export function inferYear(zone: TimeZone, referenceMs: number, month: number, day: number, hour: number, minute: number, second: number): number {
  let year = referenceYear(zone, referenceMs);
  if (zone.toUtc(year, month, day, hour, minute, second) > referenceMs + DAY_MS) year--;
  if (month === 2 && day === 29) while (!isLeap(year)) year--;
  return year;
}

/** Days of a month (1–12) of a year as Date.UTC reads it (which takes years 0–99 as 1900–1999). */
export function daysInMonth(year: number, month: number): number {
  if (!(month >= 1 && month <= 12)) return new Date(Date.UTC(year, month, 0)).getUTCDate();
  return gregorianMonthDays(year >= 0 && year <= 99 ? 1900 + year : year, month);
}

let cachedZone: TimeZone | undefined;
let cachedHour = Number.NaN;
let cachedYear = 0;

/** The reference's local year; the reference is usually "now", so it is cached per hour. */
function referenceYear(zone: TimeZone, referenceMs: number): number {
  const hour = Math.floor(referenceMs / 3_600_000);
  if (zone !== cachedZone || hour !== cachedHour) {
    cachedZone = zone;
    cachedHour = hour;
    cachedYear = zone.wallClock(hour * 3_600_000).year;
    // New Year may fall inside this hour in zones with a non-whole-hour offset.
    if (zone.wallClock(hour * 3_600_000 + 3_599_999).year !== cachedYear) cachedHour = Number.NaN;
  }
  return Number.isNaN(cachedHour) ? zone.wallClock(referenceMs).year : cachedYear;
}

export interface TimeOptions {
  zone: TimeZone;
  /** Forces the year of year-less timestamps. */
  year: number | undefined;
  /** What "now" is for year inference; the receive time when undefined. */
  referenceMs: number | undefined;
}

/**
 * Epoch ms of the header's timestamp, or `receivedMs` when it had none. `usedZone` tells whether
 * the configured zone was applied (so event.timezone can say so).
 */
export function resolveTimestamp(h: SyslogHeader, opts: TimeOptions, receivedMs: number): { ms: number; usedZone: boolean } {
  if (h.tsKind === TS_ABSOLUTE) return { ms: h.tsMs, usedZone: false };
  if (h.tsKind !== TS_WALL) return { ms: receivedMs, usedZone: false };
  const year = h.year !== 0 ? h.year
    : opts.year ?? inferYear(opts.zone, opts.referenceMs ?? receivedMs, h.month, h.day, h.hour, h.minute, h.second);
  // Invalid calendar dates (Feb 30) roll over in Date.UTC; clamp them to the month instead.
  const day = Math.min(h.day, daysInMonth(year, h.month));
  return { ms: opts.zone.toUtc(year, h.month, day, h.hour, h.minute, h.second, h.millis), usedZone: true };
}
