/**
 * Character tests shared by the hot-path scanners (syslog header, KV, ISO timestamps): they read
 * char codes, never build substrings, so they sit at the bottom of the layers.
 */

/** The decimal digit at i of s as a number, or -1 (also past the end). */
export function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}
