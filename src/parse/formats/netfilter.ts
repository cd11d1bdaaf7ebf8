import type { EcsDocument, IptablesFields } from '../../model/document.js';
import { DATASET_FIREWALL } from '../../model/document.js';
import { makerOf, rangeGuard } from '../../model/fields.js';
import { drop, newFirewallRecord, type FirewallRecord } from '../../model/records.js';
import { forgetProgram } from '../../normalize/ecs.js';
import { applyFirewall } from '../../normalize/firewall.js';
import { normalizeIp } from '../../normalize/ip.js';
import { formatMac, macAt, normalizeMac, parseHexBytes } from '../../normalize/mac.js';
import { COLON, EQ, LBRACKET, LPAREN, QUOTE, RBRACKET, RPAREN, SPACE, TAB, readQuoted, skipBalanced } from '../kv.js';
import { blankControls, DEL, hasControl } from '../controls.js';
import { READ_LIMIT, hexAt, intAt, portAt } from '../numbers.js';
import { readProtocol } from '../protocols.js';
import type { SyslogHeader } from '../syslog.js';
import type { Format, ParseContext } from './format.js';
import { applyPrefix } from './netfilter-prefix.js';

/**
 * Netfilter LOG / nftables `log` lines (kernel nf_log_syslog.c; router_formats.md §1):
 * `<prefix>IN=… OUT=… [MAC=…] SRC=… DST=… LEN=… … PROTO=… …`.
 *
 * The quirks that trip naive key=value parsing are handled by reading tokens in order:
 * the first SRC/DST/SPT/DPT win and the `[ … ]` packet quoted by ICMP errors is skipped whole,
 * `LEN=` after `PROTO=UDP` is the UDP length, `ID=`/`SEQ=` mean different things before and
 * after `PROTO=`, and `ACK` is a TCP flag while `ACK=` is an acknowledgement number.
 */


/*
 * Token words are recognised without slicing them out of the line: the scanner hashes a word's
 * characters while looking for its end, and a small open-addressing table maps the hash to a
 * code, confirmed by comparing the characters. (A slice plus a Map lookup per token, which has to
 * hash the fresh string, was the largest single cost of parsing a line.)
 */

// `KEY=` / `KEY:` words.
const K_IN = 1;
const K_OUT = 2;
const K_MAC = 3;
const K_MACSRC = 4;
const K_MACDST = 5;
const K_MACPROTO = 6;
const K_SRC = 7;
const K_DST = 8;
const K_LEN = 9;
const K_TOS = 10;
const K_TC = 11;
const K_PREC = 12;
const K_TTL = 13;
const K_HOPLIMIT = 14;
const K_FLOWLBL = 15;
const K_ID = 16;
const K_FRAG = 17;
const K_PROTO = 18;
const K_SPT = 19;
const K_DPT = 20;
const K_SEQ = 21;
const K_ACK = 22;
const K_WINDOW = 23;
const K_RES = 24;
const K_TYPE = 25;
const K_CODE = 26;
const K_PARAMETER = 27;
const K_POINTER = 28;
const K_GATEWAY = 29;
const K_SPI = 30;
const K_MARK = 31;
const K_UID = 32;
const K_GID = 33;
const K_DESCR = 34;
const PAIR_KEYS = [
  '', 'IN', 'OUT', 'MAC', 'MACSRC', 'MACDST', 'MACPROTO', 'SRC', 'DST', 'LEN', 'TOS', 'TC', 'PREC', 'TTL', 'HOPLIMIT',
  'FLOWLBL', 'ID', 'FRAG', 'PROTO', 'SPT', 'DPT', 'SEQ', 'ACK', 'WINDOW', 'RES', 'TYPE', 'CODE', 'PARAMETER', 'POINTER',
  'GATEWAY', 'SPI', 'MARK', 'UID', 'GID', 'DESCR',
];

// Bare words: IP flags (before PROTO=), TCP flags, truncation markers.
const F_CE = 1;
const F_DF = 2;
const F_MF = 3;
const F_FIRST_TCP = 4; // F_CWR … F_AE are TCP flags
const F_AE = 12;
const F_INCOMPLETE = 13;
const F_TRUNCATED = 14;
const FLAG_WORDS = ['', 'CE', 'DF', 'MF', 'CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN', 'AE', 'INCOMPLETE', 'TRUNCATED'];

const TABLE_MASK = 255;

/** The scanner's running hash of a word: call with h = 0 before the first character. */
function hashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}

function slotOf(h: number): number {
  return (h ^ (h >>> 11)) & TABLE_MASK;
}

function wordTable(words: readonly string[]): Uint8Array {
  const table = new Uint8Array(TABLE_MASK + 1);
  for (let code = 1; code < words.length; code++) {
    const w = words[code]!;
    let h = 0;
    for (let i = 0; i < w.length; i++) h = hashStep(h, w.charCodeAt(i));
    let slot = slotOf(h);
    while (table[slot] !== 0) slot = (slot + 1) & TABLE_MASK;
    table[slot] = code;
  }
  return table;
}

const PAIR_TABLE = wordTable(PAIR_KEYS);
const FLAG_TABLE = wordTable(FLAG_WORDS);

/** Code of the word text[start, end) with hash h in a wordTable, or 0. */
function wordCode(table: Uint8Array, words: readonly string[], h: number, text: string, start: number, end: number): number {
  const len = end - start;
  for (let slot = slotOf(h); ; slot = (slot + 1) & TABLE_MASK) {
    const code = table[slot]!;
    if (code === 0) return 0;
    const w = words[code]!;
    if (w.length !== len) continue;
    let i = 0;
    while (i < len && text.charCodeAt(start + i) === w.charCodeAt(i)) i++;
    if (i === len) return code;
  }
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Index of the `IN=` key that starts netfilter data (not `PHYSIN=`) in s[from…], or -1. */
export function findNetfilterStart(s: string, from = 0): number {
  let i = s.indexOf('IN=', from);
  while (i >= 0) {
    if ((i === from || !isWordChar(s.charCodeAt(i - 1))) && s.indexOf('OUT=', i + 3) > 0) return i;
    i = s.indexOf('IN=', i + 3);
  }
  return -1;
}

/*
 * Vendor objects made from the field table's templates (model/fields.ts): every member present
 * from the start, so all records share one hidden class.
 */
const newIptables = makerOf<IptablesFields>('iptables');
const newTcp = makerOf<NonNullable<IptablesFields['tcp']>>('iptables.tcp');
const newIcmp = makerOf<NonNullable<IptablesFields['icmp']>>('iptables.icmp');

/** Leaves out iptables.* numbers their mapping cannot hold (TTL=99999999999, RES=0xffffffffff). */
const guardRanges = rangeGuard<IptablesFields, FirewallRecord>('iptables', READ_LIMIT, (rec, field, value, min, max) =>
  drop(rec, `${field} ${value} (outside its mapping's range ${min}..${max})`));

/** A port that is not one: left out, and noted. */
function badPort(rec: FirewallRecord, key: string, text: string, start: number, end: number): undefined {
  drop(rec, `${key}=${text.slice(start, end)} (not a port)`);
  return undefined;
}

// PROTO= values the token rules depend on (the kernel prints them upper-case).
const P_NONE = 0; // no PROTO= yet (or only empty ones)
const P_TCP = 1;
const P_UDP = 2;
const P_UDPLITE = 3;
const P_ICMP = 4;
const P_ICMPV6 = 5;
const P_OTHER = 6;

/** What a `MAC=` value says; cached per distinct value (a router logs very few). */
interface MacFields {
  readonly dst: string;
  readonly setSrc: boolean;
  readonly src: string | undefined;
  readonly etherType: number | undefined;
}

const MAC_CACHE_LIMIT = 1024;
const macCache = new Map<string, MacFields | null>();

let lastMacText = '';
let lastMac: MacFields | null = null;

function macFields(value: string): MacFields | null {
  let f = macCache.get(value);
  if (f === undefined) {
    f = readMac(value);
    if (macCache.size >= MAC_CACHE_LIMIT) macCache.clear();
    macCache.set(value, f);
  }
  lastMacText = value;
  lastMac = f;
  return f;
}

function readMac(value: string): MacFields | null {
  // dst(6):src(6):ethertype(2), sometimes longer (VLAN tags, vendor NICs): the bytes past
  // the ethertype are not addresses and are ignored, as Elastic's integration does.
  const dst = macAt(value, 0);
  if (dst !== undefined) {
    let etherType: number | undefined;
    if (value.length >= 41 && value.charCodeAt(38) === 58) {
      etherType = hexAt(value.slice(36, 38) + value.slice(39, 41), 0, 4);
    }
    return { dst, setSrc: true, src: macAt(value, 6), etherType };
  }
  const bytes = parseHexBytes(value);
  if (bytes === undefined || bytes.length < 6) return null;
  return {
    dst: formatMac(bytes, 0),
    setSrc: bytes.length >= 12,
    src: bytes.length >= 12 ? formatMac(bytes, 6) : undefined,
    etherType: bytes.length >= 14 ? bytes[12]! * 256 + bytes[13]! : undefined,
  };
}

/** `PROTO=` value: sets the transport fields and returns the P_ code for the token rules. */
function applyProto(rec: FirewallRecord, value: string): number {
  const upper = value.toUpperCase();
  let code = P_OTHER;
  switch (upper) {
    case '': code = P_NONE; break;
    case 'TCP': code = P_TCP; break;
    case 'UDP': code = P_UDP; break;
    case 'UDPLITE': code = P_UDPLITE; break;
    case 'ICMP': code = P_ICMP; break;
    case 'ICMPV6': code = P_ICMPV6; break;
  }
  readProtocol(rec, value, upper);
  return code;
}

/**
 * Parses netfilter data starting at `start` (the `IN=` key) of `text`; `prefix` is the text the
 * rule put before it. Returns a record with `vendor`/`action` from the prefix.
 *
 * Tokens are read as scanKv (kv.ts) reads them, in one loop written for this format: no token
 * strings are made except the values that end up in the document.
 */
export function parseNetfilter(text: string, start: number, prefix: string): FirewallRecord {
  const rec = newFirewallRecord('netfilter', 'netfilter');
  const ipt = newIptables();
  rec.iptables = ipt;
  applyPrefix(prefix, rec);

  let proto = P_NONE;
  let isV6 = false;
  let incomplete = false;
  let fragmentFlags: string[] | undefined;
  let tcpFlags: string[] | undefined;
  // Only the first SPT=/DPT= is the packet's (the others belong to a quoted packet).
  let sawSpt = false;
  let sawDpt = false;

  // A control character (NUL…, DEL) is read as a blank, never as part of a value, and noted.
  let controls = false;
  const end = text.length;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c <= SPACE || c === DEL) {
      if (c !== SPACE && c !== TAB) controls = true;
      i++;
      continue;
    }
    if (c === LBRACKET) {
      // `INCOMPLETE [65535 bytes]` tells how much was cut; any other group is the quoted packet
      // of an ICMP error, whose addresses are not this packet's.
      const close = skipBalanced(text, i, LBRACKET, RBRACKET);
      if (incomplete) {
        const innerEnd = close > i + 1 && text.charCodeAt(close - 1) === RBRACKET ? close - 1 : close;
        let wordEnd = i + 1;
        while (wordEnd < innerEnd && text.charCodeAt(wordEnd) !== SPACE) wordEnd++;
        const n = intAt(text, i + 1, wordEnd);
        if (n !== undefined) ipt.incomplete_bytes = n;
        incomplete = false;
      }
      i = close;
      continue;
    }
    // A key runs to '=', ':', a blank or the end.
    const keyStart = i;
    let h = 0;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c === EQ || c === COLON || c <= SPACE || c === DEL) break;
      h = hashStep(h, c);
      i++;
    }
    const keyEnd = i;
    if (i < end && (c === EQ || c === COLON)) {
      i++;
      // The value is text[vs, ve) of src: the line itself, or the unescaped quoted text.
      let src = text;
      let vs = i;
      let ve: number;
      if (i < end && text.charCodeAt(i) === QUOTE) {
        // Rare in netfilter lines: the shared reader, and the value read from its own text.
        const quoted = readQuoted(text, i, end);
        i = quoted.next;
        src = quoted.value;
        if (hasControl(src)) {
          src = blankControls(src);
          controls = true;
        }
        vs = 0;
        ve = src.length;
      } else {
        while (i < end) {
          c = text.charCodeAt(i);
          if (c <= SPACE || c === DEL) break;
          i++;
        }
        ve = i;
      }
      switch (wordCode(PAIR_TABLE, PAIR_KEYS, h, text, keyStart, keyEnd)) {
        case K_IN: {
          if (ipt.input_device !== undefined && rec.inInterface !== undefined) break; // first one wins
          const name = src.slice(vs, ve);
          if (name !== '') rec.inInterface ??= name;
          ipt.input_device ??= name;
          break;
        }
        case K_OUT: {
          if (ipt.output_device !== undefined && rec.outInterface !== undefined) break;
          const name = src.slice(vs, ve);
          if (name !== '') rec.outInterface ??= name;
          ipt.output_device ??= name;
          break;
        }
        case K_MAC: {
          if (ve === vs || rec.dstMac !== undefined) break;
          // Nearly every line repeats the previous line's MAC= value: compare it in place.
          const mac = ve - vs === lastMacText.length && src.startsWith(lastMacText, vs) ? lastMac : macFields(src.slice(vs, ve));
          if (mac === null) break;
          rec.dstMac = mac.dst;
          if (mac.setSrc) rec.srcMac = mac.src;
          if (mac.etherType !== undefined) ipt.ether_type = mac.etherType;
          break;
        }
        case K_MACSRC:
          rec.srcMac ??= normalizeMac(src.slice(vs, ve));
          break;
        case K_MACDST:
          rec.dstMac ??= normalizeMac(src.slice(vs, ve));
          break;
        case K_MACPROTO: {
          const t = hexAt(src, vs, ve);
          if (t !== undefined) ipt.ether_type ??= t;
          break;
        }
        case K_SRC:
          if (rec.srcIp === undefined) {
            const ip = src.slice(vs, ve);
            rec.srcIp = ip;
            isV6 = ip.indexOf(':') >= 0;
          }
          break;
        case K_DST:
          rec.dstIp ??= src.slice(vs, ve);
          break;
        case K_LEN:
          if (proto === P_NONE) ipt.length ??= intAt(src, vs, ve);
          else if (proto === P_UDP || proto === P_UDPLITE) (ipt.udp ??= {}).length = intAt(src, vs, ve);
          break;
        case K_TOS:
          ipt.tos ??= hexAt(src, vs, ve);
          break;
        case K_TC:
          ipt.tos ??= intAt(src, vs, ve);
          break;
        case K_PREC:
          ipt.precedence_bits ??= hexAt(src, vs, ve);
          break;
        case K_TTL:
        case K_HOPLIMIT:
          ipt.ttl ??= intAt(src, vs, ve);
          break;
        case K_FLOWLBL:
          ipt.flow_label ??= intAt(src, vs, ve);
          break;
        case K_ID:
          if (proto === P_NONE) ipt.id ??= isV6 ? hexAt(src, vs, ve) : intAt(src, vs, ve);
          else if (proto === P_ICMP || proto === P_ICMPV6) (ipt.icmp ??= newIcmp()).id = intAt(src, vs, ve);
          break;
        case K_FRAG:
          ipt.fragment_offset ??= intAt(src, vs, ve);
          break;
        case K_PROTO:
          if (proto !== P_NONE) break;
          // The kernel's own spellings, read in place; anything else through applyProto.
          if (ve - vs === 3 && src.charCodeAt(vs) === 84 && src.charCodeAt(vs + 1) === 67 && src.charCodeAt(vs + 2) === 80) {
            proto = P_TCP; // TCP
            rec.transport = 'tcp';
            rec.ianaNumber = 6;
          } else if (ve - vs === 3 && src.charCodeAt(vs) === 85 && src.charCodeAt(vs + 1) === 68 && src.charCodeAt(vs + 2) === 80) {
            proto = P_UDP; // UDP
            rec.transport = 'udp';
            rec.ianaNumber = 17;
          } else {
            proto = applyProto(rec, src.slice(vs, ve));
          }
          break;
        case K_SPT:
          if (rec.srcPort === undefined && !sawSpt) {
            sawSpt = true;
            rec.srcPort = portAt(src, vs, ve) ?? badPort(rec, 'SPT', src, vs, ve);
          }
          break;
        case K_DPT:
          if (rec.dstPort === undefined && !sawDpt) {
            sawDpt = true;
            rec.dstPort = portAt(src, vs, ve) ?? badPort(rec, 'DPT', src, vs, ve);
          }
          break;
        case K_SEQ:
          if (proto === P_TCP) (ipt.tcp ??= newTcp()).seq = intAt(src, vs, ve);
          else if (proto === P_ICMP || proto === P_ICMPV6) (ipt.icmp ??= newIcmp()).seq = intAt(src, vs, ve);
          break;
        case K_ACK:
          if (proto === P_TCP) (ipt.tcp ??= newTcp()).ack = intAt(src, vs, ve);
          break;
        case K_WINDOW:
          (ipt.tcp ??= newTcp()).window = intAt(src, vs, ve);
          break;
        case K_RES:
          (ipt.tcp ??= newTcp()).reserved_bits = hexAt(src, vs, ve);
          break;
        case K_TYPE:
          if (rec.icmpType === undefined) {
            rec.icmpType = intAt(src, vs, ve);
            (ipt.icmp ??= newIcmp()).type = rec.icmpType;
          }
          break;
        case K_CODE:
          if (rec.icmpCode === undefined) {
            rec.icmpCode = intAt(src, vs, ve);
            (ipt.icmp ??= newIcmp()).code = rec.icmpCode;
          }
          break;
        case K_PARAMETER:
          (ipt.icmp ??= newIcmp()).parameter = intAt(src, vs, ve);
          break;
        case K_POINTER:
          (ipt.icmp ??= newIcmp()).parameter = hexAt(src, vs, ve);
          break;
        case K_GATEWAY: {
          // iptables.icmp.redirect is mapped as an IP address: anything else is left out.
          const gateway = src.slice(vs, ve);
          const ip = normalizeIp(gateway);
          if (ip === undefined) drop(rec, `GATEWAY=${gateway} (not an IP address)`);
          else (ipt.icmp ??= newIcmp()).redirect = ip;
          break;
        }
        case K_SPI:
          ipt.spi = src.slice(vs, ve);
          break;
        case K_MARK:
          ipt.mark = hexAt(src, vs, ve);
          break;
        case K_UID:
          ipt.uid = intAt(src, vs, ve);
          break;
        case K_GID:
          ipt.gid = intAt(src, vs, ve);
          break;
        case K_DESCR:
          rec.ruleDescription ??= src.slice(vs, ve);
          break;
      }
      continue;
    }
    // Bare word; `WORD (` is followed by parenthesised option bytes nobody searches on.
    if (i + 1 < end && text.charCodeAt(i + 1) === LPAREN) {
      i = skipBalanced(text, i + 1, LPAREN, RPAREN);
      continue;
    }
    const flag = wordCode(FLAG_TABLE, FLAG_WORDS, h, text, keyStart, keyEnd);
    if (flag === 0) continue;
    if (proto === P_NONE) {
      // (an IPv6 `FRAG:… INCOMPLETE ID:…` flag says nothing about truncation)
      if (flag <= F_MF) (fragmentFlags ??= []).push(FLAG_WORDS[flag]!);
    } else if (proto === P_TCP && flag >= F_FIRST_TCP && flag <= F_AE) {
      (tcpFlags ??= []).push(FLAG_WORDS[flag]!);
    } else if (flag === F_INCOMPLETE) {
      incomplete = true;
      rec.partial ??= 'packet truncated by the kernel (INCOMPLETE)';
    } else if (flag === F_TRUNCATED) {
      rec.partial ??= 'packet truncated by the kernel (TRUNCATED)';
    }
  }

  if (fragmentFlags !== undefined) ipt.fragment_flags = fragmentFlags;
  if (tcpFlags !== undefined) (ipt.tcp ??= newTcp()).flags = tcpFlags;
  if (controls) rec.controlCharacters = true;
  if (proto === P_NONE && rec.srcIp !== undefined) {
    // The head of a line split across syslog messages (UniFi), or a line cut short.
    rec.partial ??= CUT_BEFORE_PROTO;
    rec.unreadable ??= CUT_BEFORE_PROTO;
  }
  guardRanges(ipt, rec);
  return rec;
}

export const CUT_BEFORE_PROTO = 'line ends before PROTO= (split or truncated line)';

/**
 * Whether text[i…] starts with a whole netfilter token: a known `KEY=`/`KEY:` or a known bare
 * word followed by a blank or the end (used to tell where a split line was cut).
 */
export function startsWithToken(text: string, i: number): boolean {
  let h = 0;
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === EQ || c === COLON || c <= SPACE || c === DEL) break;
    h = hashStep(h, c);
    j++;
  }
  if (j === i) return false;
  const c = text.charCodeAt(j);
  if (c === EQ || c === COLON) return wordCode(PAIR_TABLE, PAIR_KEYS, h, text, i, j) !== 0;
  return wordCode(FLAG_TABLE, FLAG_WORDS, h, text, i, j) !== 0;
}

/** The head of a split line, kept until its fragment arrives (see netfilter-fragment.ts). */
export interface SplitHead {
  /** The netfilter data, from `IN=` to the end of the head. */
  readonly text: string;
  readonly prefix: string;
  readonly tsMs: number;
}

/** Heads are kept per sender, at most this many senders (a router is one). */
const MAX_SPLIT_SENDERS = 256;

/** The sender a split line comes from, as far as the parser can tell. */
export function senderKey(header: SyslogHeader): string {
  return header.hostname ?? '';
}

function rememberHead(context: ParseContext, header: SyslogHeader, text: string, prefix: string): void {
  const heads = context.splitHeads;
  if (heads.size >= MAX_SPLIT_SENDERS) heads.clear();
  const head: SplitHead = { text, prefix, tsMs: context.tsMs };
  heads.set(senderKey(header), head);
}

/**
 * Reads the netfilter data of a line claimed by find(): the text before `IN=` is the rule's log
 * prefix. A line that ends before `PROTO=` is the head of a line split across syslog messages
 * (UniFi consoles) or a cut line: remembered for the fragment that may follow (see
 * netfilter-fragment.ts).
 */
export const netfilter: Format = {
  name: 'netfilter',
  dataset: DATASET_FIREWALL,
  screensControls: true,
  find(line: string, header: SyslogHeader): number {
    return findNetfilterStart(line, header.messageStart);
  },
  read(doc: EcsDocument, line: string, at: number, header: SyslogHeader, context: ParseContext): EcsDocument {
    const from = header.messageStart;
    let prefix = line.slice(from, at);
    // `DENY: IN=…` with no host or `kernel:` tag: the header took the rule prefix for a tag.
    if (at === from && header.appname !== undefined && header.appname !== 'kernel' && header.tagStart >= 0) {
      prefix = `${header.appname}:`;
      forgetProgram(doc);
    }
    const rec = parseNetfilter(line, at, prefix);
    if (rec.unreadable === CUT_BEFORE_PROTO) rememberHead(context, header, line.slice(at), prefix);
    return applyFirewall(doc, rec);
  },
};
