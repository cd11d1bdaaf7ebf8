import type { IptablesFields } from './document.js';

/**
 * What any firewall-format parser extracts, before normalization to ECS. Addresses are as logged
 * (the normalizer makes them canonical and derives direction, community ID and event fields, so
 * every vendor gets them the same way); MACs are already in ECS form (parsers see their layout).
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
  /** ECS form, `00-11-22-AA-BB-CC` */
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

/**
 * A record with every field present (undefined until set), so all records share one hidden class
 * and the parser's property stores stay monomorphic; JSON.stringify skips the undefined ones.
 */
export function newFirewallRecord(vendor: string, format: string): FirewallRecord {
  return {
    vendor, format, action: undefined, ruleName: undefined, ruleId: undefined, ruleset: undefined,
    ruleDescription: undefined, ingressZone: undefined, egressZone: undefined, inInterface: undefined,
    outInterface: undefined, srcIp: undefined, dstIp: undefined, srcPort: undefined, dstPort: undefined,
    srcMac: undefined, dstMac: undefined, transport: undefined, ianaNumber: undefined, icmpType: undefined,
    icmpCode: undefined, partial: undefined, iptables: undefined,
  };
}
