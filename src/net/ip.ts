/**
 * Allocation-free IP address parsing into 32-bit words, shared by the prefix tries.
 *
 * Addresses arrive already normalized by the parser, but enrichment must survive anything, so
 * every path returns 0 ("not an address") instead of throwing.
 */

export type IpVersion = 0 | 4 | 6;

const groups = new Uint16Array(8);

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Parses a dotted quad between `start` and `end`; returns the address or -1. */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // Leading zeros are rejected: some parsers read them as octal, so they are ambiguous.
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/**
 * Reads IPv6 text (hex groups, one `::`, an optional dotted IPv4 tail) into `words` without folding
 * IPv4-mapped addresses; false when it is not one.
 */
export function parseV6Words(s: string, words: Uint32Array): boolean {
  const len = s.length;
  if (len < 2 || len > 45) return false;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) fills the last two groups.
    let end = i;
    let sawDot = false;
    while (end < len && s.charCodeAt(end) !== 58) {
      if (s.charCodeAt(end) === 46) sawDot = true;
      end++;
    }
    if (sawDot) {
      if (end !== len || count > 6) return false;
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = end - i;
    if (digits === 0 || digits > 4 || count === 8) return false;
    let group = 0;
    for (let j = i; j < end; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) return false;
      group = (group << 4) | h;
    }
    groups[count++] = group;
    i = end;
    if (i === len) break;
    // i is at a colon; a second colon marks the elided run.
    if (i + 1 < len && s.charCodeAt(i + 1) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i += 2;
    } else {
      i += 1;
      if (i === len) return false;
    }
  }
  if (gap >= 0) {
    if (count > 7) return false;
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  } else if (count !== 8) {
    return false;
  }
  for (let w = 0; w < 4; w++) words[w] = ((groups[w * 2]! << 16) | groups[w * 2 + 1]!) >>> 0;
  return true;
}

/**
 * Parses `s` into `words` (big-endian 32-bit words; an IPv4 address goes in words[0]).
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are reported as IPv4, because geo databases,
 * reserved-range tables and scanner lists all describe them as IPv4.
 */
export function parseIp(s: string, words: Uint32Array): IpVersion {
  if (typeof s !== 'string') return 0;
  if (s.indexOf(':') < 0) {
    const v4 = parseV4(s, 0, s.length);
    if (v4 < 0) return 0;
    words[0] = v4;
    return 4;
  }
  if (!parseV6Words(s, words)) return 0;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    words[0] = words[3]!;
    return 4;
  }
  return 6;
}

export function formatV4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export interface Cidr {
  version: 4 | 6;
  words: Uint32Array;
  prefix: number;
}

/** Parses "addr/len" or a bare address (a host route); host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const words = new Uint32Array(4);
  const version = parseIp(slash < 0 ? text : text.slice(0, slash), words);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    prefix = Number(lenText);
    // A mapped IPv6 prefix such as ::ffff:1.2.3.0/120 is an IPv4 /24.
    if (version === 4 && text.indexOf(':') >= 0) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  for (let w = 0; w < 4; w++) {
    const keep = Math.min(32, Math.max(0, prefix - w * 32));
    words[w] = keep === 0 ? 0 : (words[w]! & (0xffffffff << (32 - keep))) >>> 0;
  }
  return { version, words, prefix };
}
