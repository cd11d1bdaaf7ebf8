/**
 * Addresses that have no meaningful geolocation: a lookup would either miss or, worse, return
 * the registrant of a reserved block. Drawn from the IANA IPv4/IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates); blocks that embed or route to public addresses
 * (6to4, NAT64, Teredo) are deliberately absent.
 */
import { parseCidr } from './ip.js';
import { PrefixTrie } from './prefix-trie.js';

const NON_PUBLIC = [
  // IPv4
  '0.0.0.0/8', // "this network", incl. unspecified 0.0.0.0 (RFC 791)
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // carrier-grade NAT shared space (RFC 6598)
  '127.0.0.0/8', // loopback (RFC 1122)
  '169.254.0.0/16', // link-local (RFC 3927)
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments (RFC 6890)
  '192.0.2.0/24', // documentation TEST-NET-1 (RFC 5737)
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '198.51.100.0/24', // documentation TEST-NET-2 (RFC 5737)
  '203.0.113.0/24', // documentation TEST-NET-3 (RFC 5737)
  '224.0.0.0/4', // multicast (RFC 5771)
  '240.0.0.0/4', // reserved, incl. limited broadcast 255.255.255.255 (RFC 1112, RFC 919)
  // IPv6 (IPv4-mapped addresses are classified as IPv4 by the parser)
  '::/128', // unspecified (RFC 4291)
  '::1/128', // loopback (RFC 4291)
  '100::/64', // discard-only (RFC 6666)
  '2001:2::/48', // benchmarking (RFC 5180)
  '2001:db8::/32', // documentation (RFC 3849)
  '3fff::/20', // documentation (RFC 9637)
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local (RFC 4291)
  'ff00::/8', // multicast (RFC 4291)
];

/**
 * The inside of a home or office network, for `network.direction`: private, shared (CGNAT),
 * loopback, link-local, unique-local, unspecified, multicast and broadcast. Documentation ranges
 * are not in it: fixtures use them to stand for the Internet.
 */
const INTERNAL = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.168.0.0/16', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8',
];

function trieOf(ranges: string[]): PrefixTrie<true> {
  const trie = new PrefixTrie<true>();
  for (const text of ranges) {
    const cidr = parseCidr(text);
    if (cidr === undefined) throw new Error(`bad built-in range ${text}`);
    trie.insert(cidr, true);
  }
  return trie;
}

const nonPublic = trieOf(NON_PUBLIC);
const internal = trieOf(INTERNAL);

/** True for addresses in special-purpose ranges (see NON_PUBLIC), which get no geo lookup. */
export function isNonPublic(version: 4 | 6, words: Uint32Array): boolean {
  return nonPublic.lookup(version, words) === true;
}

/** True for addresses inside a home/office network (see INTERNAL). */
export function isInternal(version: 4 | 6, words: Uint32Array): boolean {
  return internal.lookup(version, words) === true;
}
