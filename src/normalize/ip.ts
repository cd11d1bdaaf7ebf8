import ipaddr from 'ipaddr.js';
import { isInternal } from '../net/ip-ranges.js';
import { parseIp, parseV6Words } from '../net/ip.js';
import type { WireAddress } from './community-id.js';

const words = new Uint32Array(4);

/**
 * Canonical text of an IP address, or undefined when it is not one.
 *
 * IPv4 is checked by the allocation-free parser (it is on every line). IPv6 — which netfilter
 * prints zero-padded and uncompressed — comes out in RFC 5952 form, so the same address always
 * indexes, aggregates and hashes the same way. Plain hex notation is read and formatted here;
 * anything else (embedded IPv4, odd forms) goes through ipaddr.js, whose reading of such forms
 * this keeps.
 */
export function normalizeIp(text: string): string | undefined {
  if (text.indexOf(':') < 0) return parseIp(text, words) === 4 ? text : undefined;
  let t = text;
  if (t.charCodeAt(0) === 91 && t.charCodeAt(t.length - 1) === 93) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (t.indexOf('.') < 0 && parseV6Words(t, words)) return formatV6(words);
  if (!ipaddr.IPv6.isValid(t)) return undefined;
  try {
    return ipaddr.IPv6.parse(t).toRFC5952String();
  } catch {
    return undefined;
  }
}

const groups = new Uint16Array(8);

/** RFC 5952 §4 text of the IPv6 address in `w`: lower-case, no leading zeros, longest zero run (≥ 2, leftmost) as `::`. */
export function formatV6(w: Uint32Array): string {
  for (let i = 0; i < 4; i++) {
    groups[2 * i] = w[i]! >>> 16;
    groups[2 * i + 1] = w[i]! & 0xffff;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) s += ':';
    s += groups[i]!.toString(16);
  }
  return s;
}

/** Network-order bytes of a canonical address (as produced by normalizeIp). */
export function ipBytes(canonical: string): Uint8Array {
  // An IPv4-mapped IPv6 address is still 16 bytes on the wire (parseIp would fold it to IPv4).
  const v6 = canonical.indexOf(':') >= 0;
  const version = parseIp(canonical, words);
  if (version === 4 && !v6) {
    const w = words[0]!;
    return Uint8Array.of(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  }
  if (version === 6) {
    const out = new Uint8Array(16);
    for (let i = 0; i < 4; i++) {
      const w = words[i]!;
      out[i * 4] = w >>> 24;
      out[i * 4 + 1] = (w >>> 16) & 255;
      out[i * 4 + 2] = (w >>> 8) & 255;
      out[i * 4 + 3] = w & 255;
    }
    return out;
  }
  return Uint8Array.from(ipaddr.IPv6.parse(canonical).toByteArray());
}

/**
 * Everything the normalizer derives from one logged address, read once: its canonical text,
 * whether it is inside the network (isInternalAddress), and its bytes for the Community ID.
 */
export interface Address extends WireAddress {
  readonly text: string;
  readonly internal: boolean;
}

/** Distinct IPv6 addresses remembered: formatting one costs more than a Map lookup. */
const V6_CACHE_SIZE = 4096;
let young = new Map<string, Address | null>();
let old = new Map<string, Address | null>();

/**
 * What a logged address (`SRC=` value) is, or undefined when it is not an address. The result may
 * be shared between calls: callers must not modify it.
 */
export function readAddress(logged: string): Address | undefined {
  // Lines alternate source and destination, and the destination is nearly always the router
  // itself: the last two answers are kept (least recently used one replaced).
  if (logged === recentText0) {
    recentUsed0 = true;
    return recent0;
  }
  if (logged === recentText1) {
    recentUsed0 = false;
    return recent1;
  }
  let a: Address | null | undefined;
  if (logged.indexOf(':') < 0) {
    // IPv4 (most lines) is parsed directly: cheaper than hashing the string for a cache lookup.
    a = parseIp(logged, words) !== 4 ? undefined : { text: logged, internal: isInternal(4, words), size: 4, w0: words[0]!, w1: 0, w2: 0, w3: 0 };
  } else {
    a = cachedV6(logged);
  }
  const answer = a ?? undefined;
  if (recentUsed0) {
    recentText1 = logged;
    recent1 = answer;
  } else {
    recentText0 = logged;
    recent0 = answer;
  }
  recentUsed0 = !recentUsed0;
  return answer;
}

let recentText0 = '';
let recent0: Address | undefined;
let recentText1 = '';
let recent1: Address | undefined;
/** Whether slot 0 was used last (so slot 1 is the one to replace). */
let recentUsed0 = false;

function cachedV6(logged: string): Address | null {
  // Generational cache (as enrich/cache.ts): a hit costs one Map lookup.
  let a = young.get(logged);
  if (a === undefined) {
    a = old.get(logged);
    if (a === undefined) a = addressOf(logged);
    if (young.size >= V6_CACHE_SIZE / 2) {
      old = young;
      young = new Map();
    }
    young.set(logged, a);
  }
  return a;
}

function addressOf(logged: string): Address | null {
  const text = normalizeIp(logged);
  if (text === undefined) return null;
  const version = parseIp(text, words);
  if (version === 0) throw new Error(`canonical address "${text}" does not parse`); // normalizeIp never makes one
  const internal = isInternal(version, words);
  if (text.indexOf(':') < 0) return { text, internal, size: 4, w0: words[0]!, w1: 0, w2: 0, w3: 0 };
  // IPv6 text, 16 bytes on the wire even when IPv4-mapped (which parseIp folded into words[0]).
  if (version === 4) return { text, internal, size: 16, w0: 0, w1: 0, w2: 0xffff, w3: words[0]! };
  return { text, internal, size: 16, w0: words[0]!, w1: words[1]!, w2: words[2]!, w3: words[3]! };
}
