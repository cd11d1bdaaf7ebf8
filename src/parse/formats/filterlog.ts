import type { EcsDocument, PfsenseFields } from '../../model/document.js';
import { DATASET_FIREWALL } from '../../model/document.js';
import { drop, newFirewallRecord, type FirewallRecord } from '../../model/records.js';
import { applyFirewall } from '../../normalize/firewall.js';
import { normalizeIp } from '../../normalize/ip.js';
import { programMessage } from '../endpoint.js';
import { intOf, portAt } from '../numbers.js';
import { IANA_NAMES, PROTOCOL_NAMES } from '../protocols.js';
import type { SyslogHeader } from '../syslog.js';
import type { Format } from './format.js';

/**
 * pfSense and OPNsense `filterlog`: one CSV line per packet (router_formats.md §3; Netgate's "Raw
 * Filter Log Format", OPNsense filterlog/description.txt). The columns after the ninth depend on
 * the IP version and then on the protocol: IPv6 puts the protocol's name before its number, the
 * reverse of IPv4. Fields ECS has no place for go where Elastic's pfsense integration puts them
 * (pfsense.ip.*, pfsense.tcp.*, …; packages/pfsense/…/ingest_pipeline/firewall.yml), with two
 * exceptions: the IPv6 hop limit is pfsense.ip.ttl (Elastic: pfsense.ip.flags), and the interface
 * is the ingress one for `in` and the egress one for `out` (Elastic: always ingress).
 */

const PROGRAMS = ['filterlog'];

/** OPNsense labels its rules with 32 hex digits where pfSense has a number. */
const OPNSENSE_LABEL = /^[0-9a-f]{32}$/;

/** pf's ICMP type words (pf_print_state / filterlog) → ICMP type and code, where the word tells both. */
const ICMP4: Record<string, readonly [number, number | undefined]> = {
  request: [8, 0], reply: [0, 0], unreachproto: [3, 2], unreachport: [3, 3], needfrag: [3, 4], unreach: [3, undefined],
  tstamp: [13, 0], tstampreply: [14, 0], maskreq: [17, 0], maskreply: [18, 0], timexceed: [11, undefined],
  timeexceed: [11, undefined], paramprob: [12, undefined], redirect: [5, undefined],
};
const ICMP6: Record<string, readonly [number, number | undefined]> = { request: [128, 0], reply: [129, 0], unreach: [1, undefined] };


/** A column that must be a number: undefined (and noted) when it is something else; empty is absent. */
function num(rec: FirewallRecord, cols: readonly string[], i: number, what: string): number | undefined {
  const text = cols[i];
  if (text === undefined || text === '') return undefined;
  const n = intOf(text);
  if (n === undefined) drop(rec, `${what} ${JSON.stringify(text)} (not a number)`);
  return n;
}

function port(rec: FirewallRecord, cols: readonly string[], i: number, what: string): number | undefined {
  const text = cols[i];
  if (text === undefined || text === '') return undefined;
  const n = portAt(text, 0, text.length);
  if (n === undefined) drop(rec, `${what} ${JSON.stringify(text)} (not a port)`);
  return n;
}

function text(cols: readonly string[], i: number): string | undefined {
  const t = cols[i];
  return t === undefined || t === '' ? undefined : t;
}

/** Reads one filterlog CSV message into a record. */
export function parseFilterlog(csv: string): FirewallRecord {
  const cols = csv.split(',');
  const tracker = text(cols, 3);
  const rec = newFirewallRecord(tracker !== undefined && OPNSENSE_LABEL.test(tracker) ? 'opnsense' : 'pfsense', 'filterlog');
  if (cols.length < 9) {
    rec.unreadable = `filterlog line with ${cols.length} of at least 9 columns`;
    return rec;
  }
  rec.ruleId = tracker;
  const iface = text(cols, 4);
  rec.reason = text(cols, 5);
  const action = text(cols, 6);
  if (action !== undefined) rec.action = action.toLowerCase();
  const direction = text(cols, 7);
  if (direction === 'out') rec.outInterface = iface;
  else rec.inInterface = iface;

  const pf: PfsenseFields = {};
  rec.pfsense = pf;
  const version = cols[8];
  let protoText: string | undefined;
  let at: number; // first column of the protocol's own data
  if (version === '4') {
    if (cols.length < 20) {
      rec.unreadable = `IPv4 filterlog line with ${cols.length} of at least 20 columns`;
      return rec;
    }
    pf.ip = { tos: text(cols, 9), ecn: text(cols, 10), ttl: num(rec, cols, 11, 'TTL'), id: num(rec, cols, 12, 'IP id'),
      offset: num(rec, cols, 13, 'fragment offset'), flags: text(cols, 14) };
    rec.ianaNumber = num(rec, cols, 15, 'protocol number');
    protoText = text(cols, 16);
    rec.bytes = num(rec, cols, 17, 'length');
    rec.srcIp = text(cols, 18);
    rec.dstIp = text(cols, 19);
    at = 20;
  } else if (version === '6') {
    if (cols.length < 17) {
      rec.unreadable = `IPv6 filterlog line with ${cols.length} of at least 17 columns`;
      return rec;
    }
    pf.ip = { tos: text(cols, 9), flow_label: text(cols, 10), ttl: num(rec, cols, 11, 'hop limit') };
    protoText = text(cols, 12);
    rec.ianaNumber = num(rec, cols, 13, 'protocol number');
    rec.bytes = num(rec, cols, 14, 'length');
    rec.srcIp = text(cols, 15);
    rec.dstIp = text(cols, 16);
    at = 17;
  } else {
    rec.unreadable = `filterlog IP version ${JSON.stringify(version)} is neither 4 nor 6`;
    return rec;
  }
  if (rec.ianaNumber !== undefined && rec.ianaNumber > 255) {
    drop(rec, `protocol number ${rec.ianaNumber} (above 255)`);
    rec.ianaNumber = undefined;
  }
  // pf's own word (`carp`, not IANA's `vrrp` for 112), except ICMPv6's spellings.
  const lower = protoText?.toLowerCase();
  rec.transport = lower === 'icmpv6' ? 'ipv6-icmp' : lower ?? (rec.ianaNumber === undefined ? undefined : IANA_NAMES[rec.ianaNumber]);
  if (rec.srcIp === undefined || rec.dstIp === undefined) rec.unreadable = 'filterlog line without source or destination address';

  switch (rec.ianaNumber) {
    case 6:
      rec.srcPort = port(rec, cols, at, 'source port');
      rec.dstPort = port(rec, cols, at + 1, 'destination port');
      pf.tcp = {
        length: num(rec, cols, at + 2, 'TCP data length'), flags: text(cols, at + 3), seq: sequence(rec, text(cols, at + 4)),
        ack: num(rec, cols, at + 5, 'TCP ack'), window: num(rec, cols, at + 6, 'TCP window'), urg: text(cols, at + 7),
        options: options(text(cols, at + 8)),
      };
      break;
    case 17:
      rec.srcPort = port(rec, cols, at, 'source port');
      rec.dstPort = port(rec, cols, at + 1, 'destination port');
      pf.udp = { length: num(rec, cols, at + 2, 'UDP data length') };
      break;
    case 1:
    case 58:
      readIcmp(rec, pf, cols, at);
      break;
    case 112:
      pf.carp = {
        type: text(cols, at), ttl: num(rec, cols, at + 1, 'CARP TTL'), vhid: num(rec, cols, at + 2, 'CARP vhid'),
        version: num(rec, cols, at + 3, 'CARP version'), advskew: num(rec, cols, at + 4, 'CARP advskew'),
        advbase: num(rec, cols, at + 5, 'CARP advbase'),
      };
      break;
  }
  return rec;
}

/** The TCP sequence column: a number, or pf's `first:last` range (its first number is taken). */
function sequence(rec: FirewallRecord, t: string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const colon = t.indexOf(':');
  const n = intOf(colon < 0 ? t : t.slice(0, colon));
  if (n === undefined) drop(rec, `TCP sequence ${JSON.stringify(t)} (not a number)`);
  return n;
}

function options(t: string | undefined): string[] | undefined {
  if (t === undefined) return undefined;
  const list = t.split(';').filter((o) => o !== '');
  return list.length === 0 ? undefined : list;
}

function readIcmp(rec: FirewallRecord, pf: PfsenseFields, cols: readonly string[], at: number): void {
  const word = text(cols, at);
  // OPNsense's older builds print only `datalength=N`; nothing here names the ICMP message.
  if (word === undefined || word.startsWith('datalength=')) return;
  const icmp: NonNullable<PfsenseFields['icmp']> = { type: word };
  pf.icmp = icmp;
  const known = (rec.ianaNumber === 58 ? ICMP6 : ICMP4)[word];
  if (known !== undefined) {
    rec.icmpType = known[0];
    rec.icmpCode = known[1];
    if (known[1] !== undefined) icmp.code = known[1];
  }
  switch (word) {
    case 'request':
    case 'reply':
    case 'tstamp':
    case 'tstampreply':
      icmp.id = num(rec, cols, at + 1, 'ICMP id');
      icmp.seq = num(rec, cols, at + 2, 'ICMP sequence');
      break;
    case 'unreachport':
      icmp.destination = { ip: text(cols, at + 1) };
      icmp.unreachable = { iana_number: ianaOf(text(cols, at + 2)), port: port(rec, cols, at + 3, 'unreachable port') };
      break;
    case 'unreachproto':
      icmp.destination = { ip: text(cols, at + 1) };
      icmp.unreachable = { iana_number: ianaOf(text(cols, at + 2)) };
      break;
    case 'needfrag':
      icmp.destination = { ip: text(cols, at + 1) };
      icmp.mtu = num(rec, cols, at + 2, 'MTU');
      break;
  }
  // The quoted destination is an address (in canonical form) or nothing.
  const quoted = icmp.destination?.ip;
  if (quoted !== undefined) {
    const canonical = normalizeIp(quoted);
    if (canonical === undefined) {
      drop(rec, `ICMP destination ${JSON.stringify(quoted)} (not an address)`);
      delete icmp.destination;
    } else {
      icmp.destination = { ip: canonical };
    }
  }
}

/** A protocol given by number or by name. */
function ianaOf(t: string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const n = intOf(t);
  if (n !== undefined) return n <= 255 ? n : undefined;
  return PROTOCOL_NAMES[t.toUpperCase()]?.[1];
}

export const filterlog: Format = {
  name: 'filterlog',
  dataset: DATASET_FIREWALL,
  programs: PROGRAMS,
  find(line: string, header: SyslogHeader): number {
    return programMessage(line, header, PROGRAMS);
  },
  read(doc: EcsDocument, line: string, at: number): EcsDocument {
    return applyFirewall(doc, parseFilterlog(line.slice(at).trimEnd()));
  },
};
