import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GeoLookup, openGeoDatabase, type GeoDatabase, type GeoResult } from '../../src/enrich/geoip.js';
import { parseIp, type IpVersion } from '../../src/net/ip.js';
import { createEnricher } from '../../src/enrich/index.js';
import type { EcsDocument, GeoFields } from '../../src/model/document.js';
import { timeZone } from '../../src/time/zone.js';

const fixtures = fileURLToPath(new URL('../fixtures/mmdb/', import.meta.url));
const dataFile = join(fixtures, 'data.json');

interface Entry {
  network: string;
  record: any;
}
const data = JSON.parse(readFileSync(dataFile, 'utf8')) as Record<string, Entry[]>;
const entry = (type: string, network: string): Entry => {
  const e = data[type]!.find((x) => x.network === network);
  assert.ok(e, `fixture ${type} ${network}`);
  return e;
};

/** What Elasticsearch's geoip processor writes for a GeoIP2 City/Country record. */
function expectedGeo(record: any): GeoFields {
  const geo: GeoFields = {};
  if (record.continent) geo.continent_name = record.continent.names.en;
  geo.country_iso_code = record.country.iso_code;
  geo.country_name = record.country.names.en;
  const sub = record.subdivisions?.at(-1);
  if (sub) {
    geo.region_iso_code = `${record.country.iso_code}-${sub.iso_code}`;
    geo.region_name = sub.names.en;
  }
  if (record.city) geo.city_name = record.city.names.en;
  if (record.location) geo.location = { lat: record.location.latitude, lon: record.location.longitude };
  return geo;
}

function look(g: GeoLookup, ip: string): GeoResult | undefined {
  const words = new Uint32Array(4);
  const v: IpVersion = parseIp(ip, words);
  assert.ok(v !== 0, ip);
  return g.find(v, words, ip);
}

function hasPerlWriter(): boolean {
  try {
    execFileSync('perl', ['-MMaxMind::DB::Writer::Tree', '-e', '1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const writerMissing = !hasPerlWriter();
if (writerMissing && process.env.CI) {
  throw new Error('MaxMind::DB::Writer (Debian package libmaxmind-db-writer-perl) is required in CI; see .ci/apt-packages.txt');
}
const skip = writerMissing ? 'perl MaxMind::DB::Writer not installed (apt-get install libmaxmind-db-writer-perl)' : false;
if (skip) console.log(`# skipping MaxMind fixture tests: ${skip}`);

function doc(sourceIp: string, extra: Partial<EcsDocument> = {}): EcsDocument {
  return {
    '@timestamp': '2026-01-05T10:00:00.000Z',
    ecs: { version: '8.17.0' },
    event: { kind: 'event', original: 'x', created: '2026-01-05T10:00:01.000Z' },
    source: { ip: sourceIp },
    ...extra,
  };
}

describe('GeoIP with MaxMind-written fixture databases', { skip }, () => {
  let dir = '';
  const path = (type: string): string => join(dir, `${type}.mmdb`);
  let city: GeoDatabase;
  let country: GeoDatabase;
  let asn: GeoDatabase;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dropship-mmdb-'));
    execFileSync('perl', [join(fixtures, 'build.pl'), dataFile, dir], { stdio: 'inherit' });
    for (const size of [24, 32]) {
      mkdirSync(join(dir, String(size)));
      execFileSync('perl', [join(fixtures, 'build.pl'), dataFile, join(dir, String(size)), String(size)], { stdio: 'inherit' });
    }
    city = await openGeoDatabase(path('GeoIP2-City'));
    country = await openGeoDatabase(path('GeoLite2-Country'));
    asn = await openGeoDatabase(path('GeoLite2-ASN'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('detects the database kind from metadata', () => {
    assert.deepEqual([city.kind, country.kind, asn.kind], ['city', 'country', 'asn']);
    assert.equal(city.databaseType, 'GeoIP2-City');
  });

  it('maps City records to the geoip processor fields (IPv4)', () => {
    const e = entry('GeoIP2-City', '192.0.2.0/24');
    assert.deepEqual(city.lookup('192.0.2.77'), { geo: expectedGeo(e.record) });
  });

  it('uses the most specific subdivision for region_iso_code and region_name', () => {
    const e = entry('GeoIP2-City', '203.0.113.0/24');
    assert.ok(e.record.subdivisions.length > 1);
    const got = city.lookup('203.0.113.200')?.geo;
    assert.equal(got?.region_iso_code, `${e.record.country.iso_code}-${e.record.subdivisions.at(-1).iso_code}`);
    assert.equal(got?.region_name, e.record.subdivisions.at(-1).names.en);
  });

  it('maps City records for IPv6 networks', () => {
    const e = entry('GeoIP2-City', '2001:db8:1::/48');
    assert.deepEqual(city.lookup('2001:db8:1:ffff::1'), { geo: expectedGeo(e.record) });
    assert.equal(city.lookup('2001:db8:2::1'), undefined);
  });

  it('maps Country records to continent and country only', () => {
    const e = entry('GeoLite2-Country', '2001:db8:2::/48');
    assert.deepEqual(country.lookup('2001:db8:2::9'), { geo: expectedGeo(e.record) });
  });

  it('maps ASN records to as.number and as.organization.name', () => {
    for (const [network, ip] of [['192.0.2.0/24', '192.0.2.1'], ['2001:db8:1::/48', '2001:db8:1::1']] as const) {
      const r = entry('GeoLite2-ASN', network).record;
      assert.deepEqual(asn.lookup(ip), { as: { number: r.autonomous_system_number, organization: { name: r.autonomous_system_organization } } });
    }
  });

  it('walks trees with 24-, 28- and 32-bit records alike', async () => {
    const probes = ['192.0.2.1', '203.0.113.9', '198.51.100.1', '10.9.8.7', '192.88.99.1', '2001:db8:1::1', '2001:db8:2::1', '8.8.8.8'];
    for (const size of ['24', '32']) {
      const other = await openGeoDatabase(join(dir, size, 'GeoIP2-City.mmdb'));
      for (const ip of probes) assert.deepEqual(other.lookup(ip), city.lookup(ip), `${ip} with ${size}-bit records`);
    }
  });

  it('misses addresses the database does not cover', () => {
    assert.equal(city.lookup('198.51.100.1'), undefined);
    assert.equal(asn.lookup('203.0.113.1'), undefined);
  });

  it('combines databases, earlier ones winning', () => {
    const cityFirst = new GeoLookup([city, country, asn]);
    assert.deepEqual(look(cityFirst, '192.0.2.1'), {
      geo: expectedGeo(entry('GeoIP2-City', '192.0.2.0/24').record),
      as: asn.lookup('192.0.2.1')!.as,
    });
    const countryFirst = new GeoLookup([country, city]);
    assert.equal(look(countryFirst, '192.0.2.1')?.geo?.country_iso_code, entry('GeoLite2-Country', '192.0.2.0/24').record.country.iso_code);
    // Falls through to the next database when the first has no record.
    assert.equal(look(countryFirst, '203.0.113.5')?.geo?.country_iso_code, entry('GeoIP2-City', '203.0.113.0/24').record.country.iso_code);
  });

  it('shares one cached result object per database record', () => {
    assert.equal(city.lookup('192.0.2.1'), city.lookup('192.0.2.254'));
    assert.ok(Object.isFrozen(city.lookup('192.0.2.1')?.geo));
  });

  it('enriches public source and destination through createEnricher, with ASN', async () => {
    const enricher = await createEnricher({ geoip: [path('GeoIP2-City'), path('GeoLite2-ASN')], timezone: timeZone('UTC') });
    const d = doc('192.88.99.10', { destination: { ip: '192.88.99.20', port: 22 } });
    enricher.enrich(d);
    const cityRec = entry('GeoIP2-City', '192.88.99.0/24').record;
    const asnRec = entry('GeoLite2-ASN', '192.88.99.0/24').record;
    for (const ep of [d.source!, d.destination!]) {
      assert.deepEqual(ep.geo, expectedGeo(cityRec));
      assert.deepEqual(ep.as, { number: asnRec.autonomous_system_number, organization: { name: asnRec.autonomous_system_organization } });
    }
  });

  it('skips private and documentation addresses even when the database has them', async () => {
    const enricher = await createEnricher({ geoip: [path('GeoIP2-City'), path('GeoLite2-ASN')], timezone: timeZone('UTC') });
    assert.ok(city.lookup('10.1.2.3'), 'fixture covers the private address');
    for (const ip of ['10.1.2.3', '192.0.2.1', '2001:db8:1::1']) {
      const d = doc(ip);
      enricher.enrich(d);
      assert.equal(d.source?.geo, undefined, ip);
      assert.equal(d.source?.as, undefined, ip);
    }
  });

  it('does not overwrite geo or as already present', async () => {
    const enricher = await createEnricher({ geoip: [path('GeoIP2-City'), path('GeoLite2-ASN')], timezone: timeZone('UTC') });
    const mine = { country_iso_code: 'ZZ' };
    const d = doc('192.88.99.1');
    d.source!.geo = mine;
    enricher.enrich(d);
    assert.equal(d.source!.geo, mine);
    assert.equal(d.source!.as?.number, entry('GeoLite2-ASN', '192.88.99.0/24').record.autonomous_system_number);
  });

  it('writes nothing with --no-geoip', async () => {
    const enricher = await createEnricher({ geoip: false, timezone: timeZone('UTC') });
    const d = doc('8.8.8.8');
    enricher.enrich(d);
    assert.equal(d.source?.geo, undefined);
  });

  it('rejects unreadable and non-MaxMind files with the path in the message', async () => {
    await assert.rejects(createEnricher({ geoip: [join(dir, 'missing.mmdb')], timezone: timeZone('UTC') }), /missing\.mmdb/);
    const junk = join(dir, 'junk.mmdb');
    writeFileSync(junk, 'not a database');
    await assert.rejects(createEnricher({ geoip: [junk], timezone: timeZone('UTC') }), /junk\.mmdb/);
  });
});
