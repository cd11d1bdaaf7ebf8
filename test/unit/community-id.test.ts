import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { isInternalAddress } from '../../src/normalize/address-scope.js';
import { communityId } from '../../src/normalize/community-id.js';
import { ipBytes, normalizeIp, readAddress } from '../../src/normalize/ip.js';

// Published vectors of the Community ID spec (the same ones Zeek's and Vector's test suites use).
test('Community ID v1 matches the published vectors, in both directions', () => {
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 6, 1122, 3344), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.equal(communityId('5.6.7.8', '1.2.3.4', 6, 3344, 1122), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 17, 1122, 3344), '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 1, 8, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  assert.equal(communityId('5.6.7.8', '1.2.3.4', 1, 0, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  const a = normalizeIp('fe80:0001:0203:0405:0607:0809:0A0B:0C0D')!;
  const b = normalizeIp('fe80:1011:1213:1415:1617:1819:1A1B:1C1D')!;
  assert.equal(communityId(a, b, 58, 128, 0), '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=');
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 46, undefined, undefined), '1:ikv3kmf89luf73WPz1jOs49S768=');
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 6, 1122, 3344, 1), '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=');
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 1, 8, 0, 1), '1:9pr4ZGTICiuZoIh90RRYE2RyXpU=');
});

test('Community ID refuses what the spec cannot hash', () => {
  assert.equal(communityId('1.2.3.4', '5.6.7.8', 6, undefined, 80), undefined);
  assert.equal(communityId('1.2.3.4', '2001:db8::1', 6, 1, 2), undefined);
});

test('IP normalization', () => {
  assert.equal(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(normalizeIp('[2001:db8::1]'), '2001:db8::1');
  assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeIp('192.0.2.1'), '192.0.2.1');
  for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', '1.2.3.4.5', 'abc', '', '2001:db8::g', ':::']) {
    assert.equal(normalizeIp(bad), undefined, bad);
  }
});

/** The spec's procedure written plainly with node:crypto, as a reference for the in-place implementation. */
function referenceCommunityId(src: string, dst: string, proto: number, sp: number, dp: number, seed: number): string {
  let sa = Buffer.from(ipaddr.parse(src).toByteArray());
  let da = Buffer.from(ipaddr.parse(dst).toByteArray());
  if (src.includes(':') && sa.length === 4) sa = Buffer.from(ipaddr.IPv6.parse(src).toByteArray());
  if (dst.includes(':') && da.length === 4) da = Buffer.from(ipaddr.IPv6.parse(dst).toByteArray());
  const c = Buffer.compare(sa, da);
  if (c > 0 || (c === 0 && sp > dp)) {
    [sa, da] = [da, sa];
    [sp, dp] = [dp, sp];
  }
  const head = Buffer.alloc(2);
  head.writeUInt16BE(seed & 0xffff);
  const tail = Buffer.alloc(6);
  tail.writeUInt8(proto, 0);
  tail.writeUInt16BE(sp & 0xffff, 2);
  tail.writeUInt16BE(dp & 0xffff, 4);
  return '1:' + createHash('sha1').update(Buffer.concat([head, sa, da, tail])).digest('base64');
}

test('Community ID agrees with a node:crypto reference on random tuples (IPv4, IPv6, mapped, equal addresses)', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
  const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => normalizeIp(g.map((x) => x.toString(16)).join(':'))!);
  const mapped = v4.map((a) => normalizeIp(`::ffff:${a}`)!);
  const pair = fc.oneof(fc.tuple(v4, v4), fc.tuple(v6, v6), fc.tuple(mapped, v6), v4.map((a) => [a, a] as [string, string]));
  fc.assert(
    fc.property(pair, fc.constantFrom(6, 17, 132), fc.nat(65535), fc.nat(65535), fc.nat(0xffff), ([a, b], proto, sp, dp, seed) => {
      assert.equal(communityId(a, b, proto, sp, dp, seed), referenceCommunityId(a, b, proto, sp, dp, seed), `${a} ${b} ${proto} ${sp} ${dp} ${seed}`);
    }),
    { numRuns: 5000 },
  );
});

test('IPv6 normalization agrees with ipaddr.js on every notation of random addresses', () => {
  // Zero-heavy groups so that runs of every length and position occur.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.nat(15), fc.nat(0xffff));
  const notation = fc.record({
    groups: fc.array(group, { minLength: 8, maxLength: 8 }),
    pad: fc.boolean(),
    upper: fc.boolean(),
    cut: fc.tuple(fc.nat(8), fc.nat(8)),
    zone: fc.boolean(),
    brackets: fc.boolean(),
  });
  fc.assert(
    fc.property(notation, ({ groups, pad, upper, cut, zone, brackets }) => {
      let parts = groups.map((g) => (pad ? g.toString(16).padStart(4, '0') : g.toString(16)));
      if (upper) parts = parts.map((p) => p.toUpperCase());
      const [from, to] = cut[0] <= cut[1] ? cut : [cut[1], cut[0]];
      // `::` may stand for any run of groups, zero or not: invalid forms must be refused alike.
      let text = to > from ? `${parts.slice(0, from).join(':')}::${parts.slice(to).join(':')}` : parts.join(':');
      const expected = ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text).toRFC5952String() : undefined;
      if (zone) text += '%eth0';
      if (brackets) text = `[${text}]`;
      assert.equal(normalizeIp(text), expected, text);
    }),
    { numRuns: 20000 },
  );
  for (const text of ['::', '1::', '::1', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '1:0:0:2:0:0:0:3', '0:0:1:0:0:2:0:0', '::ffff:1.2.3.4', '::ffff:0102:0304', '1::2:3:4:5:6:7:8', '1:::2', ':1::', '1:2:3:4:5:6:7', '12345::']) {
    const expected = ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text).toRFC5952String() : undefined;
    assert.equal(normalizeIp(text), expected, text);
  }
});

test('readAddress: canonical text, scope and wire form of a logged address', () => {
  for (const logged of ['203.0.113.7', '192.168.1.20', '2001:0db8:0000:0000:0000:0000:0000:0001', 'fe80::1', '::ffff:192.168.0.1', '::ffff:0102:0304', 'nope', '1.2.3']) {
    const a = readAddress(logged);
    const text = normalizeIp(logged);
    assert.equal(a?.text, text, logged);
    if (a === undefined || text === undefined) continue;
    assert.equal(a.internal, isInternalAddress(text), logged);
    const bytes = Array.from(ipBytes(text));
    const wire = [a.w0, a.w1, a.w2, a.w3].slice(0, a.size / 4).flatMap((w) => [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
    assert.deepEqual(wire, bytes, logged);
    if (logged.includes(':')) assert.equal(readAddress(logged), a, 'a repeated IPv6 address is answered from the cache');
    else assert.deepEqual(readAddress(logged), a);
  }
});
