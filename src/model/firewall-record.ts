import type { IptablesFields } from './document.js';

/**
 * What any firewall-format parser extracts, before normalization to ECS. Values are as logged
 * (addresses and MACs not yet canonical); the normalizer owns canonical forms and derived fields,
 * so every vendor gets them the same way.
 */
export interface FirewallRecord {
  vendor: string;
  format: string;
  /** The router's own word for its decision, lower-case (`drop`, `block`, `accept`…). */
  action?: string | undefined;
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
  srcMac?: string | undefined;
  dstMac?: string | undefined;
  /** Lower-case transport name (`tcp`, `udp`, `icmp`, `ipv6-icmp`, `esp`…) if known. */
  transport?: string | undefined;
  ianaNumber?: number | undefined;
  icmpType?: number | undefined;
  icmpCode?: number | undefined;
  /** Set when the record is visibly incomplete (a fragment of a split line, a truncated packet). */
  partial?: string | undefined;
  iptables?: IptablesFields | undefined;
}
