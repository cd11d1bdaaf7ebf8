import { intAt } from './numbers.js';

/**
 * IP protocol names and numbers as the formats print them and as ECS wants them
 * (network.transport: the IANA keyword, lower-case; network.iana_number).
 */

/** Upper-case names routers print → [ECS transport, IANA number]. */
export const PROTOCOL_NAMES: Readonly<Record<string, readonly [name: string, iana: number]>> = {
  TCP: ['tcp', 6], UDP: ['udp', 17], UDPLITE: ['udplite', 136], ICMP: ['icmp', 1], ICMPV6: ['ipv6-icmp', 58],
  'IPV6-ICMP': ['ipv6-icmp', 58], ESP: ['esp', 50], AH: ['ah', 51], SCTP: ['sctp', 132], DCCP: ['dccp', 33],
  GRE: ['gre', 47], IGMP: ['igmp', 2],
};

/** IANA keyword of a protocol number, for the numbers routers log instead of a name. */
export const IANA_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp', 2: 'igmp', 4: 'ipv4', 6: 'tcp', 17: 'udp', 33: 'dccp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah',
  58: 'ipv6-icmp', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp', 136: 'udplite',
};

/**
 * A protocol as a router logs it, by name (any case) or by number: the record's transport and IANA
 * number. An unknown name is kept lower-case, without a number. `upper`: the name upper-cased,
 * where the caller has it already.
 */
export function readProtocol(rec: { transport?: string | undefined; ianaNumber?: number | undefined }, name: string, upper = name.toUpperCase()): void {
  const known = PROTOCOL_NAMES[upper];
  if (known !== undefined) {
    rec.transport = known[0];
    rec.ianaNumber = known[1];
    return;
  }
  const n = intAt(name, 0, name.length);
  if (n !== undefined && n <= 255) {
    rec.ianaNumber = n;
    rec.transport = IANA_NAMES[n];
  } else {
    rec.transport = name.toLowerCase();
  }
}
