/**
 * The sample logs the compose `demo` profile imports (samples/demo/*.log): exactly what the
 * committed generator writes, parsed by dropship without error, and rich enough for every panel
 * (many countries as the database places them, the seed posts' ports, NICT sweeps, every day).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader, type CountryResponse } from 'maxmind';
import { COUNTRY_WEIGHTS, DEMO_DAYS, DEMO_DIR, DEMO_START, NICT, PORTS, demoLogs } from '../../scripts/make-demo-log.js';
import { parserFor, at } from '../helpers/doc.js';
import { timeZone } from '../../src/time/zone.js';

const router = readFileSync(`${DEMO_DIR}router.log`, 'utf8');
const auth = readFileSync(`${DEMO_DIR}auth.log`, 'utf8');
const parse = parserFor({ zone: timeZone('Asia/Tokyo') });
const docs = router.trimEnd().split('\n').map((l) => parse(l));

test('samples/demo/*.log are what `npm run build:demo` generates', () => {
  const fresh = demoLogs();
  assert.ok(fresh.router === router, 'router.log is stale: run `npm run build:demo`');
  assert.ok(fresh.auth === auth, 'auth.log is stale: run `npm run build:demo`');
});

test('small enough to ship in the repository', () => {
  assert.ok(Buffer.byteLength(router) + Buffer.byteLength(auth) < 512 * 1024);
});

test('every firewall line parses as a denied netfilter event, in the demo period', () => {
  const first = Date.parse(`${DEMO_START}T00:00:00+09:00`);
  const days = new Set<string>();
  for (const d of docs) {
    assert.equal(d.tags, undefined, d.event.original);
    assert.equal(d.dropship?.format, 'netfilter');
    assert.ok(d.event.type?.includes('denied'), d.event.original);
    const t = Date.parse(d['@timestamp']);
    assert.ok(t >= first && t < first + DEMO_DAYS * 86_400_000, d['@timestamp']);
    days.add(new Date(t + 9 * 3_600_000).toISOString().slice(0, 10));
  }
  assert.equal(days.size, DEMO_DAYS);
  assert.deepEqual(new Set(docs.map((d) => d.dropship?.vendor)), new Set(['asuswrt', 'openwrt', 'ufw']));
});

test('sources cover every listed country, as the bundled country database reports them', () => {
  const require = createRequire(import.meta.url);
  const db = new Reader<CountryResponse & { country_code?: string }>(readFileSync(
    require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb')));
  const countries = new Set(docs.map((d) => db.get(d.source!.ip!)?.country_code));
  assert.ok(!countries.has(undefined), 'every source is a public address the database knows');
  for (const c of Object.keys(COUNTRY_WEIGHTS)) assert.ok(countries.has(c), c);
});

test('the seed posts\' ports are all targeted, telnet most', () => {
  const counts = new Map<string, number>();
  for (const d of docs) {
    const k = `${at(d, 'destination.port')}/${at(d, 'network.transport')}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [port, proto] of PORTS) assert.ok(counts.has(`${port}/${proto.toLowerCase()}`), `${port}/${proto}`);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  assert.equal(top, '23/tcp');
});

test('NICT NOTICE addresses sweep 22/23/80 every day', () => {
  const nict = docs.filter((d) => NICT.includes(d.source!.ip!));
  assert.deepEqual(new Set(nict.map((d) => d.destination!.port)), new Set([22, 23, 80]));
  assert.equal(new Set(nict.map((d) => d['@timestamp'].slice(0, 10))).size >= DEMO_DAYS - 1, true);
});

test('auth.log holds OpenSSH failures for root and invalid users, and an accepted key login', () => {
  const lines = auth.trimEnd().split('\n');
  assert.ok(lines.some((l) => /sshd\[\d+\]: Failed password for root from \S+ port \d+ ssh2$/.test(l)));
  assert.ok(lines.some((l) => /sshd\[\d+\]: Invalid user admin from \S+ port \d+$/.test(l)));
  assert.ok(lines.some((l) => /sshd\[\d+\]: Accepted publickey for /.test(l)));
  for (const l of lines) assert.match(l, /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00 vps sshd\[\d+\]: /);
});
