/**
 * Number readers shared by the formats: they read a value in place (text[start, end)), never
 * building a substring, and refuse anything that is not wholly a number of the expected shape.
 */

/** Most decimal digits read: 10^15 < 2^53, so every value read is exact. */
export const MAX_DECIMAL_DIGITS = 15;
/** Most hex digits read (after an optional 0x): 16^13 = 2^52. */
export const MAX_HEX_DIGITS = 13;
/** Every number these readers return is below this. */
export const READ_LIMIT = 2 ** 52;

/** Decimal digits of text[start, end), or undefined. */
export function intAt(text: string, start: number, end: number): number | undefined {
  if (end === start || end - start > MAX_DECIMAL_DIGITS) return undefined;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

/** `0x1a` or `1a` (UniFi prints TOS=00 and MARK=1a0000 without 0x) in text[start, end), or undefined. */
export function hexAt(text: string, start: number, end: number): number | undefined {
  const from = end - start >= 2 && text.charCodeAt(start) === 48 && (text.charCodeAt(start + 1) | 0x20) === 120 ? start + 2 : start;
  if (end === from || end - from > MAX_HEX_DIGITS) return undefined;
  let n = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return undefined;
    n = n * 16 + d;
  }
  return n;
}

/** A TCP/UDP port (0–65535) in text[start, end), or undefined. */
export function portAt(text: string, start: number, end: number): number | undefined {
  const n = intAt(text, start, end);
  return n !== undefined && n <= 65535 ? n : undefined;
}

/** The whole string as a decimal number, or undefined. */
export function intOf(text: string): number | undefined {
  return intAt(text, 0, text.length);
}
