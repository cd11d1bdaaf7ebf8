import type { IptablesFields, PfsenseFields } from './document.js';
import { objectMaker } from './fields.js';

/**
 * What the formats extract from a line, before normalization to ECS (src/normalize/): one record
 * type per dataset, so that every format of a dataset gets addresses, direction, community ID and
 * the event fields computed the same way.
 */

/**
 * Every member of a record type, each undefined: the compiler checks that none is missing, and the
 * record makers are built from its keys (see fields.ts objectMaker).
 */
type Complete<T> = { [K in keyof Required<T>]: T[K] | undefined };

/** What went wrong while reading a line, shared by every record type. */
export interface ReadProblems {
  /** Why the line could not be fully read (a cut line, a malformed field): the document becomes a pipeline_error. */
  unreadable?: string | undefined;
  /** Values left out because they cannot be what their field holds (`DPT=99999`, a TTL above the mapping's range). */
  dropped?: string[] | undefined;
  /** Control characters were read as blanks (formats that screen their own data for them). */
  controlCharacters?: boolean | undefined;
}

/**
 * A firewall event. Addresses are as logged (the normalizer makes them canonical and derives
 * direction, community ID and event fields, so every vendor gets them the same way); MACs are
 * already in ECS form (parsers see their layout).
 */
export interface FirewallRecord extends ReadProblems {
  vendor: string;
  format: string;
  /** The router's own word for its decision, lower-case (`drop`, `block`, `accept`…). */
  action?: string | undefined;
  /** Why the firewall logged it, when it says (pf's `match`). */
  reason?: string | undefined;
  ruleName?: string | undefined;
  ruleId?: string | undefined;
  ruleset?: string | undefined;
  ruleDescription?: string | undefined;
  ingressZone?: string | undefined;
  egressZone?: string | undefined;
  inInterface?: string | undefined;
  outInterface?: string | undefined;
  srcIp?: string | undefined;
  dstIp?: string | undefined;
  srcPort?: number | undefined;
  dstPort?: number | undefined;
  /** ECS form, `00-11-22-AA-BB-CC` */
  srcMac?: string | undefined;
  dstMac?: string | undefined;
  /** Addresses after NAT, as logged. */
  srcNatIp?: string | undefined;
  srcNatPort?: number | undefined;
  dstNatIp?: string | undefined;
  dstNatPort?: number | undefined;
  /** Lower-case transport name (`tcp`, `udp`, `icmp`, `ipv6-icmp`, `esp`…) if known. */
  transport?: string | undefined;
  ianaNumber?: number | undefined;
  icmpType?: number | undefined;
  icmpCode?: number | undefined;
  /** IP packet length, where the format's vendor namespace has no field for it (network.bytes). */
  bytes?: number | undefined;
  /** Set when the record is visibly incomplete (a fragment of a split line, a truncated packet). */
  partial?: string | undefined;
  /** A fragment of a split line that was joined with the fragment before it. */
  reassembled?: boolean | undefined;
  /** Vendor namespaces, copied into the document as they are. */
  iptables?: IptablesFields | undefined;
  pfsense?: PfsenseFields | undefined;
}

const FIREWALL_RECORD: Complete<FirewallRecord> = {
  vendor: undefined, format: undefined, action: undefined, reason: undefined, ruleName: undefined, ruleId: undefined,
  ruleset: undefined, ruleDescription: undefined, ingressZone: undefined, egressZone: undefined, inInterface: undefined,
  outInterface: undefined, srcIp: undefined, dstIp: undefined, srcPort: undefined, dstPort: undefined,
  srcMac: undefined, dstMac: undefined, srcNatIp: undefined, srcNatPort: undefined, dstNatIp: undefined,
  dstNatPort: undefined, transport: undefined, ianaNumber: undefined, icmpType: undefined, icmpCode: undefined,
  bytes: undefined, partial: undefined, reassembled: undefined, iptables: undefined, pfsense: undefined,
  unreadable: undefined, dropped: undefined, controlCharacters: undefined,
};

const makeFirewallRecord = objectMaker<FirewallRecord>(Object.keys(FIREWALL_RECORD));

export function newFirewallRecord(vendor: string, format: string): FirewallRecord {
  const rec = makeFirewallRecord();
  rec.vendor = vendor;
  rec.format = format;
  return rec;
}

/**
 * An SSH login event (OpenSSH, dropbear). `kind` says what happened (normalize/auth.ts:
 * accepted, failed, invalid, max_attempts, disconnect); `event` is what Elastic's system
 * integration writes to system.auth.ssh.event (`Failed`, `Accepted`, `Invalid`), `method` the
 * authentication method.
 */
export interface AuthRecord extends ReadProblems {
  vendor: string;
  format: string;
  kind?: 'accepted' | 'failed' | 'invalid' | 'max_attempts' | 'disconnect' | undefined;
  event?: string | undefined;
  method?: string | undefined;
  signature?: string | undefined;
  /** The user name as logged (attacker-controlled: may be empty or hold spaces). */
  user?: string | undefined;
  srcIp?: string | undefined;
  srcPort?: number | undefined;
}

const AUTH_RECORD: Complete<AuthRecord> = {
  vendor: undefined, format: undefined, kind: undefined, event: undefined, method: undefined, signature: undefined, user: undefined,
  srcIp: undefined, srcPort: undefined, unreadable: undefined, dropped: undefined, controlCharacters: undefined,
};

const makeAuthRecord = objectMaker<AuthRecord>(Object.keys(AUTH_RECORD));

export function newAuthRecord(vendor: string, format: string): AuthRecord {
  const rec = makeAuthRecord();
  rec.vendor = vendor;
  rec.format = format;
  return rec;
}

/** Notes a value left out of a record. */
export function drop(rec: ReadProblems, what: string): void {
  (rec.dropped ??= []).push(what);
}
