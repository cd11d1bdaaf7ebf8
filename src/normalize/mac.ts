const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Reads a colon/dash/dot-separated or bare hex byte string (`a6:8d:e2:…`, `0011.2233.4455`) into
 * bytes; undefined if anything but hex digits and separators appears or a byte is split.
 */
export function parseHexBytes(text: string): number[] | undefined {
  const out: number[] = [];
  let hi = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 || c === 45 || c === 46) {
      if (hi >= 0) {
        // single-digit group such as `0:1b:…` (some tools drop leading zeros)
        out.push(hi);
        hi = -1;
      }
      continue;
    }
    const v = hexVal(c);
    if (v < 0) return undefined;
    if (hi < 0) hi = v;
    else {
      out.push(hi * 16 + v);
      hi = -1;
    }
  }
  if (hi >= 0) out.push(hi);
  return out;
}

/** ECS / RFC 7042 form: upper-case, dash-separated (`00-11-22-AA-BB-CC`). */
export function formatMac(bytes: ArrayLike<number>, from = 0, count = 6): string {
  let s = '';
  for (let i = from; i < from + count; i++) {
    const b = bytes[i] ?? 0;
    if (i > from) s += '-';
    s += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return s;
}

/**
 * Fast path for the common `aa:bb:cc:dd:ee:ff[:…]` text: the 6 bytes starting at byte `index`
 * in ECS form, or undefined when the text is not in that shape there.
 */
export function macAt(text: string, index: number): string | undefined {
  const from = index * 3;
  if (text.length < from + 17 || (text.length > from + 17 && text.charCodeAt(from + 17) !== 58)) return undefined;
  for (let i = from; i < from + 17; i++) {
    const c = text.charCodeAt(i);
    if ((i - from) % 3 === 2 ? c !== 58 : hexVal(c) < 0) return undefined;
  }
  return text.slice(from, from + 17).toUpperCase().replaceAll(':', '-');
}

export function normalizeMac(text: string): string | undefined {
  const bytes = parseHexBytes(text);
  return bytes !== undefined && bytes.length === 6 ? formatMac(bytes) : undefined;
}
