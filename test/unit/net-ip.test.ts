import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { createEnricher } from '../../src/enrich/index.js';
import { isNonPublic } from '../../src/net/ip-ranges.js';
import { parseCidr, parseIp } from '../../src/net/ip.js';
import type { EcsDocument } from '../../src/model/document.js';
import { timeZone } from '../../src/time/zone.js';

const words = new Uint32Array(4);

/** Oracle words from ipaddr.js. */
function expectedWords(addr: ipaddr.IPv4 | ipaddr.IPv6): number[] {
  const bytes = addr.toByteArray();
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  return out;
}

describe('IP parsing', () => {
  it('parses IPv4 like ipaddr.js', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        assert.equal(parseIp(ip, words), 4);
        assert.deepEqual([words[0]], expectedWords(ipaddr.IPv4.parse(ip)));
      }),
    );
  });

  it('parses compressed and expanded IPv6 like ipaddr.js', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.boolean(), (parts, expanded) => {
        const addr = new ipaddr.IPv6(parts);
        if (addr.isIPv4MappedAddress()) return;
        const text = expanded ? addr.toNormalizedString() : addr.toRFC5952String();
        assert.equal(parseIp(text, words), 6, text);
        assert.deepEqual(Array.from(words), expectedWords(addr), text);
      }),
    );
  });

  it('reads IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(parseIp('::ffff:192.0.2.1', words), 4);
    assert.equal(words[0], expectedWords(ipaddr.IPv4.parse('192.0.2.1'))[0]);
    assert.equal(parseIp('::ffff:c000:201', words), 4);
    assert.equal(words[0], expectedWords(ipaddr.IPv4.parse('192.0.2.1'))[0]);
  });

  it('rejects what ipaddr.js rejects, without throwing', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', '1..2.3', '1.2.3.4 ', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', 'fe80::1%eth0', '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4']) {
      assert.equal(parseIp(bad, words), 0, JSON.stringify(bad));
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.%/ x') , maxLength: 45 }), (s) => {
        const v = parseIp(s, words);
        let valid: boolean;
        if (!s.includes(':')) valid = ipaddr.IPv4.isValidFourPartDecimal(s);
        else if (/(^|[:.])0\d[\d]*\./.test(s) || /\.0\d/.test(s)) return; // ipaddr.js allows leading zeros in an IPv4 tail
        else valid = ipaddr.IPv6.isValid(s) && !s.includes('%') && !s.includes('/');
        assert.equal(v !== 0, valid, JSON.stringify(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('parses CIDRs and clears host bits', () => {
    assert.deepEqual(parseCidr('192.0.2.77/24'), { version: 4, words: new Uint32Array([expectedWords(ipaddr.IPv4.parse('192.0.2.0'))[0]!, 0, 0, 0]), prefix: 24 });
    assert.equal(parseCidr('2001:db8::1/129'), undefined);
    assert.equal(parseCidr('1.2.3.4/-1'), undefined);
    assert.equal(parseCidr('1.2.3.4/'), undefined);
    assert.equal(parseCidr('::ffff:1.2.3.0/120')?.prefix, 24);
  });
});

describe('special-purpose ranges', () => {
  const nonPublic = ['0.0.0.0', '10.255.255.255', '100.64.0.0', '100.127.255.255', '127.0.0.1', '169.254.1.1', '172.16.0.0', '172.31.255.255', '192.0.2.1', '192.168.1.1', '198.18.0.1', '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::', '::1', '2001:db8::1', 'fc00::1', 'fdff:ffff::1', 'fe80::1', 'febf::1', 'ff02::1', '::ffff:10.0.0.1'];
  const isPublic = ['1.1.1.1', '8.8.8.8', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.0', '223.255.255.255', '2001:4860:4860::8888', 'fbff::1', 'fec0::1', '2001:db9::1', '::ffff:8.8.8.8'];

  it('classifies range edges', () => {
    for (const ip of nonPublic) {
      const v = parseIp(ip, words);
      assert.ok(v !== 0 && isNonPublic(v, words), `${ip} is not public`);
    }
    for (const ip of isPublic) {
      const v = parseIp(ip, words);
      assert.ok(v !== 0 && !isNonPublic(v, words), `${ip} is public`);
    }
  });

  it('agrees with ipaddr.js range names for IPv4', () => {
    const special = new Set(['unspecified', 'broadcast', 'multicast', 'linkLocal', 'loopback', 'carrierGradeNat', 'private', 'reserved']);
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const v = parseIp(ip, words) as 4;
        const range = ipaddr.IPv4.parse(ip).range();
        // ipaddr.js has no names for the documentation and benchmarking blocks.
        const doc = ['192.0.2.', '198.51.100.', '203.0.113.', '198.18.', '198.19.', '192.0.0.'].some((p) => ip.startsWith(p)) || ip.startsWith('0.');
        if (doc) return;
        // 192.88.99.0/24 (deprecated 6to4 relays) is "reserved" to ipaddr.js but routes to public hosts.
        if (ip.startsWith('192.88.99.')) return;
        assert.equal(isNonPublic(v, words), special.has(range), `${ip} (${range})`);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('enrich never throws', () => {
  it('survives arbitrary documents', async () => {
    const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('Europe/Berlin') });
    const ipish = fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), fc.constant('::ffff:1.2.3.4'));
    const endpoint = fc.oneof(fc.anything(), fc.record({ ip: fc.oneof(ipish, fc.anything()), port: fc.oneof(fc.integer(), fc.anything()) }, { requiredKeys: [] }));
    const docArb = fc.oneof(
      fc.anything(),
      fc.record(
        {
          '@timestamp': fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.anything()),
          source: endpoint,
          destination: endpoint,
          network: fc.oneof(fc.record({ transport: fc.constantFrom('tcp', 'udp', 'icmp', 'sctp') }), fc.anything()),
          tags: fc.oneof(fc.array(fc.string()), fc.anything()),
          dropship: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(docArb, (d) => {
        enricher.enrich(d as EcsDocument);
      }),
      { numRuns: 3000 },
    );
  });
});
