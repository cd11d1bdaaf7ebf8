import assert from 'node:assert/strict';
import { test } from 'node:test';
import { communityId } from '../src/normalize/community-id.js';
import { normalizeIp } from '../src/normalize/ip.js';

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
