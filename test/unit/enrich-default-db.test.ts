import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import { defaultDatabasePath, openGeoDatabase } from '../../src/enrich/geoip.js';
import { createEnricher } from '../../src/enrich/index.js';
import { timeZone } from '../../src/time/zone.js';
import { docWithSource } from '../helpers/doc.js';

const path = defaultDatabasePath();
// The raw records, read with the maxmind reader directly: the oracle for what dropship writes.
const raw = new Reader<Record<string, unknown>>(readFileSync(path));

const WELL_KNOWN = [
  ['8.8.8.8', 'US'], // Google Public DNS
  ['1.1.1.1', 'AU'], // Cloudflare DNS, in an APNIC-registered prefix
  ['210.150.186.238', 'JP'], // NICT NOTICE pre-survey source
  ['2001:4860:4860::8888', 'US'], // Google Public DNS over IPv6
] as const;

const doc = docWithSource;

describe('embedded @ip-location-db country database', () => {
  it('is a country database opened from the installed package', async () => {
    const db = await openGeoDatabase(path);
    assert.equal(db.kind, 'country');
    assert.match(path, /@ip-location-db\/geo-whois-asn-country-mmdb\//);
  });

  it('records the country codes these tests expect', () => {
    for (const [ip, cc] of WELL_KNOWN) assert.equal(raw.get(ip)?.country_code, cc, ip);
  });

  it('is used by default and fills country code, name and continent', async () => {
    const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('UTC') });
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const [ip, cc] of WELL_KNOWN) {
      const d = doc(ip);
      enricher.enrich(d);
      assert.equal(d.source?.geo?.country_iso_code, cc, ip);
      assert.equal(d.source?.geo?.country_name, names.of(cc), ip);
      assert.equal(typeof d.source?.geo?.continent_name, 'string', ip);
      assert.equal(d.source?.as, undefined, 'a country database has no ASN');
    }
  });

  it('maps continents for the well-known countries', async () => {
    const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('UTC') });
    const expected: Record<string, string> = { US: 'North America', AU: 'Oceania', JP: 'Asia' };
    for (const [ip, cc] of WELL_KNOWN) {
      const d = doc(ip);
      enricher.enrich(d);
      assert.equal(d.source?.geo?.continent_name, expected[cc], ip);
    }
  });

  it('is documented with its version and build date', () => {
    const require = createRequire(import.meta.url);
    const pkg = require('@ip-location-db/geo-whois-asn-country-mmdb/package.json') as { version: string; license: string };
    const docs = readFileSync(new URL('../../docs/enrichment.md', import.meta.url), 'utf8');
    const built = raw.metadata.buildEpoch.toISOString().slice(0, 10);
    assert.ok(docs.includes(pkg.version), `docs/enrichment.md names version ${pkg.version}`);
    assert.ok(docs.includes(built), `docs/enrichment.md names build date ${built}`);
    assert.ok(docs.includes(pkg.license), `docs/enrichment.md names licence ${pkg.license}`);
  });
});

describe('search-tree walk', () => {
  it('finds the same record as the maxmind reader for random addresses', async () => {
    const { default: fc } = await import('fast-check');
    const { parseIp } = await import('../../src/net/ip.js');
    const db = await openGeoDatabase(path);
    const words = new Uint32Array(4);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const v = parseIp(ip, words);
        // dropship reads ::ffff:a.b.c.d as IPv4 on purpose; the raw reader does not.
        if (v === 0 || (ip.includes(':') && ip.includes('.'))) return;
        const expected = raw.get(ip)?.country_code;
        assert.equal(db.find(v, words, ip)?.geo?.country_iso_code, expected, ip);
      }),
      { numRuns: 20000 },
    );
  });
});
