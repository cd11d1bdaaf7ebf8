/**
 * `new Date(ms).toISOString()` without the Date: the runtime call formats through C++ and costs
 * about as much as parsing the rest of a log line. Every document carries two such timestamps.
 *
 * Years 0000–9999 are formatted here (the date part is remembered per day, since consecutive log
 * lines share it); anything else, including invalid instants, is left to Date, which also throws
 * the RangeError for those.
 */
import { digit } from '../core/ascii.js';

const DAY_MS = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z */
const MIN_MS = -62_167_219_200_000;
const END_MS = 253_402_300_800_000;

let cachedDay = NaN;
// "YYYY-MM-DD" of cachedDay as character codes.
let y0 = 0, y1 = 0, y2 = 0, y3 = 0, mo0 = 0, mo1 = 0, d0 = 0, d1 = 0;

function setDay(day: number): void {
  // Days to civil date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  y0 = 48 + Math.floor(y / 1000);
  y1 = 48 + (Math.floor(y / 100) % 10);
  y2 = 48 + (Math.floor(y / 10) % 10);
  y3 = 48 + (y % 10);
  mo0 = 48 + Math.floor(m / 10);
  mo1 = 48 + (m % 10);
  d0 = 48 + Math.floor(d / 10);
  d1 = 48 + (d % 10);
  cachedDay = day;
}

/** Exactly `new Date(ms).toISOString()`. */
export function isoString(ms: number): string {
  if (!(ms >= MIN_MS && ms < END_MS)) return new Date(ms).toISOString();
  const t = Math.trunc(ms); // Date's TimeClip
  const day = Math.floor(t / DAY_MS);
  if (day !== cachedDay) setDay(day);
  let r = t - day * DAY_MS;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const mi = Math.floor(r / 60_000);
  r -= mi * 60_000;
  const s = Math.floor(r / 1000);
  const milli = r - s * 1000;
  return String.fromCharCode(
    y0, y1, y2, y3, 45, mo0, mo1, 45, d0, d1, 84,
    48 + Math.floor(h / 10), 48 + (h % 10), 58,
    48 + Math.floor(mi / 10), 48 + (mi % 10), 58,
    48 + Math.floor(s / 10), 48 + (s % 10), 46,
    48 + Math.floor(milli / 100), 48 + (Math.floor(milli / 10) % 10), 48 + (milli % 10), 90,
  );
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Proleptic Gregorian, years as written (0 is a leap year). */
export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days of month 1–12 of year `y`, years as written. */
export function gregorianMonthDays(y: number, month: number): number {
  return month === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * The inverse of isoString: epoch ms of text in exactly its form, `YYYY-MM-DDTHH:MM:SS.sssZ`,
 * with a real calendar date and time; NaN for anything else, including what Date.parse would
 * still accept (2023-02-30, 24:00), so callers fall back to it. Document ids hash every
 * @timestamp as epoch ms, and Date.parse is a runtime call worth half a microsecond a line.
 */
export function isoMs(t: string): number {
  if (t.length !== 24 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 ||
    t.charCodeAt(16) !== 58 || t.charCodeAt(19) !== 46 || t.charCodeAt(23) !== 90) return NaN;
  const a = digit(t, 0), b = digit(t, 1), c = digit(t, 2), d = digit(t, 3);
  const mo1 = digit(t, 5), mo2 = digit(t, 6), d1 = digit(t, 8), d2 = digit(t, 9);
  const h1 = digit(t, 11), h2 = digit(t, 12), mi1 = digit(t, 14), mi2 = digit(t, 15);
  const s1 = digit(t, 17), s2 = digit(t, 18), f1 = digit(t, 20), f2 = digit(t, 21), f3 = digit(t, 22);
  if ((a | b | c | d | mo1 | mo2 | d1 | d2 | h1 | h2 | mi1 | mi2 | s1 | s2 | f1 | f2 | f3) < 0) return NaN;
  const year = a * 1000 + b * 100 + c * 10 + d;
  const month = mo1 * 10 + mo2;
  const day = d1 * 10 + d2;
  const hour = h1 * 10 + h2;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || mi1 > 5 || s1 > 5) return NaN;
  if (day > gregorianMonthDays(year, month)) return NaN;
  // Civil date to days (H. Hinnant, as setDay above, the other way round).
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const days = era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
  return days * DAY_MS + hour * 3_600_000 + (mi1 * 10 + mi2) * 60_000 + (s1 * 10 + s2) * 1000 + f1 * 100 + f2 * 10 + f3;
}
