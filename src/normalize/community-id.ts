import { ipBytes } from './ip.js';

/**
 * Community ID v1 (corelight/community-id-spec): a flow hash that other tools (Zeek, Suricata,
 * Elastic's community_id processor) compute identically, so a blocked attempt can be joined with
 * their records. Unlike Elasticsearch's processor, port 0 is hashed as the spec says.
 *
 * It is computed for nearly every line, and the hashed tuple is at most 40 bytes: one SHA-1 block.
 * SHA-1 and base64 are therefore done here, in place in preallocated arrays, which costs less than
 * a call into node:crypto plus the Buffers around it.
 */

const ICMP4_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIRS: Record<number, number> = {
  128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
};

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP6 = 58;
const PROTO_SCTP = 132;

/**
 * An address as the hash sees it: `size` network-order bytes (4, or 16 for any IPv6 text including
 * IPv4-mapped addresses) held in big-endian 32-bit words w0… (only w0 for IPv4).
 */
export interface WireAddress {
  readonly size: 4 | 16;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
}

/** Byte-wise comparison of two addresses of one size (unsigned word by word is the same order). */
function compare(a: WireAddress, b: WireAddress): number {
  if (a.w0 !== b.w0) return a.w0 - b.w0;
  if (a.size === 4) return 0;
  if (a.w1 !== b.w1) return a.w1 - b.w1;
  if (a.w2 !== b.w2) return a.w2 - b.w2;
  return a.w3 - b.w3;
}

/**
 * For ICMP, `srcPort`/`dstPort` are the ICMP type and code. Returns undefined when the spec has no
 * answer (ports missing for a port protocol, mixed address families).
 */
export function communityId(
  srcIp: string, dstIp: string, proto: number, srcPort: number | undefined, dstPort: number | undefined, seed = 0,
): string | undefined {
  return communityIdOf(wireOf(ipBytes(srcIp)), wireOf(ipBytes(dstIp)), proto, srcPort, dstPort, seed);
}

function wireOf(bytes: Uint8Array): WireAddress {
  const word = (i: number): number => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  if (bytes.length === 4) return { size: 4, w0: word(0), w1: 0, w2: 0, w3: 0 };
  if (bytes.length !== 16) throw new Error(`not an IP address (${bytes.length} bytes)`);
  return { size: 16, w0: word(0), w1: word(4), w2: word(8), w3: word(12) };
}

/** communityId for addresses already read (see readAddress in ip.ts). */
export function communityIdOf(
  src: WireAddress, dst: WireAddress, proto: number, srcPort: number | undefined, dstPort: number | undefined, seed = 0,
): string | undefined {
  if (src.size !== dst.size) return undefined;
  if (!(proto >= 0 && proto <= 255)) throw new RangeError(`protocol number out of range: ${proto}`);
  const hasPorts = proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMP6;
  let sp = 0;
  let dp = 0;
  let oneWay = false;
  if (hasPorts) {
    if (srcPort === undefined || dstPort === undefined) return undefined;
    sp = srcPort;
    dp = dstPort;
    if (proto === PROTO_ICMP || proto === PROTO_ICMP6) {
      const pairs = proto === PROTO_ICMP ? ICMP4_PAIRS : ICMP6_PAIRS;
      const counterpart = pairs[srcPort];
      if (counterpart === undefined) oneWay = true;
      else dp = counterpart;
    }
  }
  let sa = src;
  let da = dst;
  if (!oneWay) {
    const c = compare(sa, da);
    if (c > 0 || (c === 0 && sp > dp)) {
      sa = dst;
      da = src;
      const t = sp;
      sp = dp;
      dp = t;
    }
  }
  // seed(2) src dst proto(1) 0(1) [sport(2) dport(2)]
  const b = block;
  b[0] = seed >>> 8;
  b[1] = seed;
  let o = putAddress(sa, 2);
  o = putAddress(da, o);
  b[o++] = proto;
  b[o++] = 0;
  if (hasPorts) {
    b[o++] = sp >>> 8;
    b[o++] = sp;
    b[o++] = dp >>> 8;
    b[o++] = dp;
  }
  sha1OneBlock(o);
  return digestBase64();
}

// One SHA-1 message block, its schedule, and the digest.
const block = new Uint8Array(64);
const schedule = new Int32Array(80);
const digest = new Int32Array(5);

function putAddress(a: WireAddress, o: number): number {
  const b = block;
  b[o] = a.w0 >>> 24;
  b[o + 1] = a.w0 >>> 16;
  b[o + 2] = a.w0 >>> 8;
  b[o + 3] = a.w0;
  if (a.size === 4) return o + 4;
  b[o + 4] = a.w1 >>> 24;
  b[o + 5] = a.w1 >>> 16;
  b[o + 6] = a.w1 >>> 8;
  b[o + 7] = a.w1;
  b[o + 8] = a.w2 >>> 24;
  b[o + 9] = a.w2 >>> 16;
  b[o + 10] = a.w2 >>> 8;
  b[o + 11] = a.w2;
  b[o + 12] = a.w3 >>> 24;
  b[o + 13] = a.w3 >>> 16;
  b[o + 14] = a.w3 >>> 8;
  b[o + 15] = a.w3;
  return o + 16;
}

/** SHA-1 (FIPS 180-4) of block[0, length), length ≤ 55 so that the padding fits the block. */
function sha1OneBlock(length: number): void {
  const b = block;
  const w = schedule;
  b[length] = 0x80;
  b.fill(0, length + 1, 62);
  b[62] = length >>> 5; // length in bits, big-endian (< 2^16 here)
  b[63] = length << 3;
  for (let t = 0; t < 16; t++) w[t] = (b[4 * t]! << 24) | (b[4 * t + 1]! << 16) | (b[4 * t + 2]! << 8) | b[4 * t + 3]!;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = 0x67452301;
  let bb = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  let t = 0;
  for (; t < 20; t++) {
    const x = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + 0x5a827999 + w[t]!) | 0;
    e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = x;
  }
  for (; t < 40; t++) {
    const x = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
    e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = x;
  }
  for (; t < 60; t++) {
    const x = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[t]!) | 0;
    e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = x;
  }
  for (; t < 80; t++) {
    const x = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + (0xca62c1d6 | 0) + w[t]!) | 0;
    e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = x;
  }
  digest[0] = 0x67452301 + a;
  digest[1] = (0xefcdab89 | 0) + bb;
  digest[2] = (0x98badcfe | 0) + c;
  digest[3] = 0x10325476 + d;
  digest[4] = (0xc3d2e1f0 | 0) + e;
}

const BASE64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (ch) => ch.charCodeAt(0));

/** `1:` + base64 of the 20-byte digest, made in one flat string. */
function digestBase64(): string {
  const e = BASE64;
  const h0 = digest[0]!, h1 = digest[1]!, h2 = digest[2]!, h3 = digest[3]!, h4 = digest[4]!;
  // The 160 bits as 24-bit groups (four characters each); the last group holds the final 16 bits.
  const g0 = h0 >>> 8;
  const g1 = ((h0 & 0xff) << 16) | (h1 >>> 16);
  const g2 = ((h1 & 0xffff) << 8) | (h2 >>> 24);
  const g3 = h2 & 0xffffff;
  const g4 = h3 >>> 8;
  const g5 = ((h3 & 0xff) << 16) | (h4 >>> 16);
  const g6 = (h4 & 0xffff) << 8;
  return String.fromCharCode(
    49, 58, // "1:"
    e[g0 >>> 18]!, e[(g0 >>> 12) & 63]!, e[(g0 >>> 6) & 63]!, e[g0 & 63]!,
    e[g1 >>> 18]!, e[(g1 >>> 12) & 63]!, e[(g1 >>> 6) & 63]!, e[g1 & 63]!,
    e[g2 >>> 18]!, e[(g2 >>> 12) & 63]!, e[(g2 >>> 6) & 63]!, e[g2 & 63]!,
    e[g3 >>> 18]!, e[(g3 >>> 12) & 63]!, e[(g3 >>> 6) & 63]!, e[g3 & 63]!,
    e[g4 >>> 18]!, e[(g4 >>> 12) & 63]!, e[(g4 >>> 6) & 63]!, e[g4 & 63]!,
    e[g5 >>> 18]!, e[(g5 >>> 12) & 63]!, e[(g5 >>> 6) & 63]!, e[g5 & 63]!,
    e[g6 >>> 18]!, e[(g6 >>> 12) & 63]!, e[(g6 >>> 6) & 63]!, 61, // 20 bytes: one '=' of padding
  );
}
