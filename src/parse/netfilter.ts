import type { IptablesFields } from '../model/document.js';
import type { FirewallRecord } from '../model/firewall-record.js';
import { formatMac, parseHexBytes } from '../normalize/mac.js';
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
  const s = v.startsWith('0x') || v.startsWith('0X') ? v.slice(2) : v;
  if (s.length === 0 || s.length > 13 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  return parseInt(s, 16);
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
  const rec: FirewallRecord = { vendor: 'netfilter', format: 'netfilter' };
  applyPrefix(prefix, rec);
  const ipt: IptablesFields = rec.iptables ?? {};
  rec.iptables = ipt;

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
    switch (key) {
      case 'IN':
        if (value !== '') rec.inInterface ??= value;
        ipt.input_device ??= value;
        break;
      case 'OUT':
        if (value !== '') rec.outInterface ??= value;
        ipt.output_device ??= value;
        break;
      case 'MAC': {
        if (value === '' || rec.dstMac !== undefined) break;
        // dst(6):src(6):ethertype(2), sometimes longer (VLAN tags, vendor NICs): the bytes past
        // the ethertype are not addresses and are ignored, as Elastic's integration does.
        const bytes = parseHexBytes(value);
        if (bytes === undefined || bytes.length < 6) break;
        rec.dstMac = formatMac(bytes, 0);
        if (bytes.length >= 12) rec.srcMac = formatMac(bytes, 6);
        if (bytes.length >= 14) ipt.ether_type = bytes[12]! * 256 + bytes[13]!;
        break;
      }
      case 'MACSRC':
        rec.srcMac ??= value;
        break;
      case 'MACDST':
        rec.dstMac ??= value;
        break;
      case 'MACPROTO': {
        const t = toHex(value);
        if (t !== undefined) ipt.ether_type ??= t;
        break;
      }
      case 'SRC':
        if (rec.srcIp === undefined) {
          rec.srcIp = value;
          isV6 = value.indexOf(':') >= 0;
        }
        break;
      case 'DST':
        rec.dstIp ??= value;
        break;
      case 'LEN':
        if (proto === '') ipt.length ??= toInt(value);
        else if (proto === 'UDP' || proto === 'UDPLITE') (ipt.udp ??= {}).length = toInt(value);
        break;
      case 'TOS':
      case 'TC':
        ipt.tos ??= key === 'TC' ? toInt(value) : toHex(value);
        break;
      case 'PREC':
        ipt.precedence_bits ??= toHex(value);
        break;
      case 'TTL':
      case 'HOPLIMIT':
        ipt.ttl ??= toInt(value);
        break;
      case 'FLOWLBL':
        ipt.flow_label ??= toInt(value);
        break;
      case 'ID':
        if (proto === '') ipt.id ??= isV6 ? toHex(value) : toInt(value);
        else if (proto === 'ICMP' || proto === 'ICMPV6') (ipt.icmp ??= {}).id = toInt(value);
        break;
      case 'FRAG':
        ipt.fragment_offset ??= toInt(value);
        break;
      case 'PROTO':
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
      case 'SPT':
        rec.srcPort ??= toPort(value);
        break;
      case 'DPT':
        rec.dstPort ??= toPort(value);
        break;
      case 'SEQ':
        if (proto === 'TCP') (ipt.tcp ??= {}).seq = toInt(value);
        else if (proto === 'ICMP' || proto === 'ICMPV6') (ipt.icmp ??= {}).seq = toInt(value);
        break;
      case 'ACK':
        if (proto === 'TCP') (ipt.tcp ??= {}).ack = toInt(value);
        break;
      case 'WINDOW':
        (ipt.tcp ??= {}).window = toInt(value);
        break;
      case 'RES':
        (ipt.tcp ??= {}).reserved_bits = toHex(value);
        break;
      case 'TYPE':
        if (rec.icmpType === undefined) {
          rec.icmpType = toInt(value);
          (ipt.icmp ??= {}).type = rec.icmpType;
        }
        break;
      case 'CODE':
        if (rec.icmpCode === undefined) {
          rec.icmpCode = toInt(value);
          (ipt.icmp ??= {}).code = rec.icmpCode;
        }
        break;
      case 'PARAMETER':
        (ipt.icmp ??= {}).parameter = toInt(value);
        break;
      case 'POINTER':
        (ipt.icmp ??= {}).parameter = toHex(value);
        break;
      case 'GATEWAY':
        (ipt.icmp ??= {}).redirect = value;
        break;
      case 'SPI':
        ipt.spi = value;
        break;
      case 'MARK':
        ipt.mark = toHex(value);
        break;
      case 'UID':
        ipt.uid = toInt(value);
        break;
      case 'GID':
        ipt.gid = toInt(value);
        break;
      case 'DESCR':
        rec.ruleDescription ??= value;
        break;
    }
  };
  scanKv(text, start, visit);

  if (fragmentFlags !== undefined) ipt.fragment_flags = fragmentFlags;
  if (tcpFlags !== undefined) (ipt.tcp ??= {}).flags = tcpFlags;
  if (proto === '' && rec.srcIp !== undefined) rec.partial ??= 'line ends before PROTO= (split or truncated line)';
  return rec;
}
