import type { IptablesFields } from '../model/document.js';
import { newFirewallRecord, type FirewallRecord } from '../model/firewall-record.js';
import { formatMac, macAt, normalizeMac, parseHexBytes } from '../normalize/mac.js';
import { FLAG, GROUP, PAIR, scanKv, type TokenKind } from './kv.js';
import { applyPrefix } from './prefix.js';

/**
 * Netfilter LOG / nftables `log` lines (kernel nf_log_syslog.c; router_formats.md §1):
 * `<prefix>IN=… OUT=… [MAC=…] SRC=… DST=… LEN=… … PROTO=… …`.
 *
 * The quirks that trip naive key=value parsing are handled by reading tokens in order:
 * the first SRC/DST/SPT/DPT win and the `[ … ]` packet quoted by ICMP errors is skipped whole,
 * `LEN=` after `PROTO=UDP` is the UDP length, `ID=`/`SEQ=` mean different things before and
 * after `PROTO=`, and `ACK` is a TCP flag while `ACK=` is an acknowledgement number.
 */

const TRANSPORTS: Record<string, [name: string, iana: number]> = {
  TCP: ['tcp', 6], UDP: ['udp', 17], UDPLITE: ['udplite', 136], ICMP: ['icmp', 1], ICMPV6: ['ipv6-icmp', 58],
  ESP: ['esp', 50], AH: ['ah', 51], SCTP: ['sctp', 132], DCCP: ['dccp', 33], GRE: ['gre', 47], IGMP: ['igmp', 2],
};
const IANA_NAMES: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipv4', 6: 'tcp', 17: 'udp', 33: 'dccp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah',
  58: 'ipv6-icmp', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp', 136: 'udplite',
};

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
const KEY_CODES = new Map<string, number>([
  ['IN', K_IN],
  ['OUT', K_OUT],
  ['MAC', K_MAC],
  ['MACSRC', K_MACSRC],
  ['MACDST', K_MACDST],
  ['MACPROTO', K_MACPROTO],
  ['SRC', K_SRC],
  ['DST', K_DST],
  ['LEN', K_LEN],
  ['TOS', K_TOS],
  ['TC', K_TC],
  ['PREC', K_PREC],
  ['TTL', K_TTL],
  ['HOPLIMIT', K_HOPLIMIT],
  ['FLOWLBL', K_FLOWLBL],
  ['ID', K_ID],
  ['FRAG', K_FRAG],
  ['PROTO', K_PROTO],
  ['SPT', K_SPT],
  ['DPT', K_DPT],
  ['SEQ', K_SEQ],
  ['ACK', K_ACK],
  ['WINDOW', K_WINDOW],
  ['RES', K_RES],
  ['TYPE', K_TYPE],
  ['CODE', K_CODE],
  ['PARAMETER', K_PARAMETER],
  ['POINTER', K_POINTER],
  ['GATEWAY', K_GATEWAY],
  ['SPI', K_SPI],
  ['MARK', K_MARK],
  ['UID', K_UID],
  ['GID', K_GID],
  ['DESCR', K_DESCR],
]);

const TCP_FLAGS = new Set(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN', 'AE']);
const IP_FLAGS = new Set(['CE', 'DF', 'MF']);

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Index of the `IN=` key that starts netfilter data (not `PHYSIN=`), or -1. */
export function findNetfilterStart(s: string): number {
  let i = s.indexOf('IN=');
  while (i >= 0) {
    if ((i === 0 || !isWordChar(s.charCodeAt(i - 1))) && s.indexOf('OUT=', i + 3) > 0) return i;
    i = s.indexOf('IN=', i + 3);
  }
  return -1;
}

const FRAGMENT_KEYS = /(?:^|\s)(?:SRC|DST|PROTO|SPT|DPT|TTL|WINDOW|URGP|TOS|PREC|HOPLIMIT)=/g;

/**
 * A piece of a netfilter line without its `IN=… OUT=` head: UniFi consoles split long kernel
 * lines across syslog messages (`L=126 ID=8698 DF PROTO=TCP SPT=88 …`).
 */
export function looksLikeNetfilterFragment(s: string): boolean {
  FRAGMENT_KEYS.lastIndex = 0;
  let n = 0;
  while (FRAGMENT_KEYS.exec(s) !== null) if (++n >= 2) return true;
  return false;
}

/** Every field present from the start, for one hidden class (see newFirewallRecord). */
function newIptables(): IptablesFields {
  return {
    input_device: undefined, output_device: undefined, ether_type: undefined, length: undefined, tos: undefined,
    precedence_bits: undefined, ttl: undefined, id: undefined, flow_label: undefined, fragment_flags: undefined,
    fragment_offset: undefined, incomplete_bytes: undefined, tcp: undefined, udp: undefined, icmp: undefined,
    spi: undefined, mark: undefined, uid: undefined, gid: undefined, ubiquiti: undefined,
  };
}

function newTcp(): NonNullable<IptablesFields['tcp']> {
  return { seq: undefined, ack: undefined, window: undefined, reserved_bits: undefined, flags: undefined };
}

function newIcmp(): NonNullable<IptablesFields['icmp']> {
  return { type: undefined, code: undefined, id: undefined, seq: undefined, parameter: undefined, redirect: undefined };
}

function toInt(v: string): number | undefined {
  if (v.length === 0 || v.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

/** `0x1a`, `1a` (UniFi prints TOS=00 and MARK=1a0000 without 0x). */
function toHex(v: string): number | undefined {
  const from = v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 0x20) === 120 ? 2 : 0;
  if (v.length === from || v.length - from > 13) return undefined;
  let n = 0;
  for (let i = from; i < v.length; i++) {
    const c = v.charCodeAt(i) | 0x20;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return undefined;
    n = n * 16 + d;
  }
  return n;
}

function toPort(v: string): number | undefined {
  const n = toInt(v);
  return n !== undefined && n <= 65535 ? n : undefined;
}

/**
 * Parses netfilter data starting at `start` (the `IN=` key) of `text`; `prefix` is the text the
 * rule put before it. Returns a record with `vendor`/`action` from the prefix.
 */
export function parseNetfilter(text: string, start: number, prefix: string): FirewallRecord {
  const rec = newFirewallRecord('netfilter', 'netfilter');
  const ipt = newIptables();
  rec.iptables = ipt;
  applyPrefix(prefix, rec);

  let proto = ''; // upper-case PROTO= value once seen
  let isV6 = false;
  let incomplete = false;
  let fragmentFlags: string[] | undefined;
  let tcpFlags: string[] | undefined;

  const visit = (kind: TokenKind, key: string, value: string): void => {
    if (kind === GROUP) {
      // `INCOMPLETE [65535 bytes]` tells how much was cut; any other group is the quoted packet
      // of an ICMP error, whose addresses are not this packet's.
      if (incomplete) {
        const n = toInt(value.split(' ')[0] ?? '');
        if (n !== undefined) ipt.incomplete_bytes = n;
        incomplete = false;
      }
      return;
    }
    if (kind === FLAG) {
      if (proto === '') {
        // (an IPv6 `FRAG:… INCOMPLETE ID:…` flag says nothing about truncation)
        if (IP_FLAGS.has(key)) (fragmentFlags ??= []).push(key);
      } else if (proto === 'TCP' && TCP_FLAGS.has(key)) {
        (tcpFlags ??= []).push(key);
      } else if (key === 'INCOMPLETE') {
        incomplete = true;
        rec.partial ??= 'packet truncated by the kernel (INCOMPLETE)';
      } else if (key === 'TRUNCATED') {
        rec.partial ??= 'packet truncated by the kernel (TRUNCATED)';
      }
      return;
    }
    if (kind !== PAIR) return; // `OPT (…)` carries raw option bytes nobody searches on
    // One hash lookup instead of comparing the key against every case label in turn.
    switch (KEY_CODES.get(key)) {
      case K_IN:
        if (value !== '') rec.inInterface ??= value;
        ipt.input_device ??= value;
        break;
      case K_OUT:
        if (value !== '') rec.outInterface ??= value;
        ipt.output_device ??= value;
        break;
      case K_MAC: {
        if (value === '' || rec.dstMac !== undefined) break;
        // dst(6):src(6):ethertype(2), sometimes longer (VLAN tags, vendor NICs): the bytes past
        // the ethertype are not addresses and are ignored, as Elastic's integration does.
        const dst = macAt(value, 0);
        if (dst !== undefined) {
          rec.dstMac = dst;
          rec.srcMac = macAt(value, 6);
          if (value.length >= 41 && value.charCodeAt(38) === 58) {
            const t = toHex(value.slice(36, 38) + value.slice(39, 41));
            if (t !== undefined) ipt.ether_type = t;
          }
          break;
        }
        const bytes = parseHexBytes(value);
        if (bytes === undefined || bytes.length < 6) break;
        rec.dstMac = formatMac(bytes, 0);
        if (bytes.length >= 12) rec.srcMac = formatMac(bytes, 6);
        if (bytes.length >= 14) ipt.ether_type = bytes[12]! * 256 + bytes[13]!;
        break;
      }
      case K_MACSRC:
        rec.srcMac ??= normalizeMac(value);
        break;
      case K_MACDST:
        rec.dstMac ??= normalizeMac(value);
        break;
      case K_MACPROTO: {
        const t = toHex(value);
        if (t !== undefined) ipt.ether_type ??= t;
        break;
      }
      case K_SRC:
        if (rec.srcIp === undefined) {
          rec.srcIp = value;
          isV6 = value.indexOf(':') >= 0;
        }
        break;
      case K_DST:
        rec.dstIp ??= value;
        break;
      case K_LEN:
        if (proto === '') ipt.length ??= toInt(value);
        else if (proto === 'UDP' || proto === 'UDPLITE') (ipt.udp ??= {}).length = toInt(value);
        break;
      case K_TOS:
      case K_TC:
        ipt.tos ??= key === 'TC' ? toInt(value) : toHex(value);
        break;
      case K_PREC:
        ipt.precedence_bits ??= toHex(value);
        break;
      case K_TTL:
      case K_HOPLIMIT:
        ipt.ttl ??= toInt(value);
        break;
      case K_FLOWLBL:
        ipt.flow_label ??= toInt(value);
        break;
      case K_ID:
        if (proto === '') ipt.id ??= isV6 ? toHex(value) : toInt(value);
        else if (proto === 'ICMP' || proto === 'ICMPV6') (ipt.icmp ??= newIcmp()).id = toInt(value);
        break;
      case K_FRAG:
        ipt.fragment_offset ??= toInt(value);
        break;
      case K_PROTO:
        if (proto === '') {
          proto = value.toUpperCase();
          const known = TRANSPORTS[proto];
          if (known !== undefined) {
            rec.transport = known[0];
            rec.ianaNumber = known[1];
          } else {
            const n = toInt(value);
            if (n !== undefined && n <= 255) {
              rec.ianaNumber = n;
              rec.transport = IANA_NAMES[n];
            } else {
              rec.transport = value.toLowerCase();
            }
          }
        }
        break;
      case K_SPT:
        rec.srcPort ??= toPort(value);
        break;
      case K_DPT:
        rec.dstPort ??= toPort(value);
        break;
      case K_SEQ:
        if (proto === 'TCP') (ipt.tcp ??= newTcp()).seq = toInt(value);
        else if (proto === 'ICMP' || proto === 'ICMPV6') (ipt.icmp ??= newIcmp()).seq = toInt(value);
        break;
      case K_ACK:
        if (proto === 'TCP') (ipt.tcp ??= newTcp()).ack = toInt(value);
        break;
      case K_WINDOW:
        (ipt.tcp ??= newTcp()).window = toInt(value);
        break;
      case K_RES:
        (ipt.tcp ??= newTcp()).reserved_bits = toHex(value);
        break;
      case K_TYPE:
        if (rec.icmpType === undefined) {
          rec.icmpType = toInt(value);
          (ipt.icmp ??= newIcmp()).type = rec.icmpType;
        }
        break;
      case K_CODE:
        if (rec.icmpCode === undefined) {
          rec.icmpCode = toInt(value);
          (ipt.icmp ??= newIcmp()).code = rec.icmpCode;
        }
        break;
      case K_PARAMETER:
        (ipt.icmp ??= newIcmp()).parameter = toInt(value);
        break;
      case K_POINTER:
        (ipt.icmp ??= newIcmp()).parameter = toHex(value);
        break;
      case K_GATEWAY:
        (ipt.icmp ??= newIcmp()).redirect = value;
        break;
      case K_SPI:
        ipt.spi = value;
        break;
      case K_MARK:
        ipt.mark = toHex(value);
        break;
      case K_UID:
        ipt.uid = toInt(value);
        break;
      case K_GID:
        ipt.gid = toInt(value);
        break;
      case K_DESCR:
        rec.ruleDescription ??= value;
        break;
    }
  };
  scanKv(text, start, visit);

  if (fragmentFlags !== undefined) ipt.fragment_flags = fragmentFlags;
  if (tcpFlags !== undefined) (ipt.tcp ??= newTcp()).flags = tcpFlags;
  if (proto === '' && rec.srcIp !== undefined) rec.partial ??= 'line ends before PROTO= (split or truncated line)';
  return rec;
}
