/**
 * `new Date(ms).toISOString()` without the Date: the runtime call formats through C++ and costs
 * about as much as parsing the rest of a log line. Every document carries two such timestamps.
 *
 * Years 0000–9999 are formatted here (the date part is remembered per day, since consecutive log
 * lines share it); anything else, including invalid instants, is left to Date, which also throws
 * the RangeError for those.
 */

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
