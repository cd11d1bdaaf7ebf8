import ipaddr from 'ipaddr.js';
import { parseIp } from '../net/ip.js';

const words = new Uint32Array(4);

/**
 * Canonical text of an IP address, or undefined when it is not one.
 *
 * IPv4 is checked by the allocation-free parser (it is on every line). IPv6 — which netfilter
 * prints zero-padded and uncompressed — comes out of ipaddr.js in RFC 5952 form, so the same
 * address always indexes, aggregates and hashes the same way.
 */
export function normalizeIp(text: string): string | undefined {
  if (text.indexOf(':') < 0) return parseIp(text, words) === 4 ? text : undefined;
  let t = text;
  if (t.charCodeAt(0) === 91 && t.charCodeAt(t.length - 1) === 93) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (!ipaddr.IPv6.isValid(t)) return undefined;
  try {
    return ipaddr.IPv6.parse(t).toRFC5952String();
  } catch {
    return undefined;
  }
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
