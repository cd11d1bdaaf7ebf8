/**
 * Character tests shared by the hot-path scanners (syslog header, KV, ISO timestamps): they read
 * char codes, never build substrings, so they sit at the bottom of the layers.
 */

/** The decimal digit at i of s as a number, or -1 (also past the end). */
export function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * Whether a line holds only spaces, tabs, CRs and NULs (what transports pad with): such a line is
 * counted, not parsed, by processing and by the report alike.
 */
export function isBlankLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0) return false;
  }
  return true;
}
