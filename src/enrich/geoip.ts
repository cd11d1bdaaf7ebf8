/**
 * GeoIP and ASN lookups over MaxMind-format (.mmdb) databases, producing exactly the fields
 * Elasticsearch's geoip processor writes, so dashboards work whichever side enriched.
 *
 * Each file is read into memory once at startup; per line there is no I/O, only a tree walk
 * in a Buffer (and the enricher caches per address in front of that).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import type { AsFields, GeoFields } from '../model/document.js';
import { CONTINENT_NAMES, CONTINENT_OF_COUNTRY } from './data/countries.js';
import { parseIp } from '../net/ip.js';
import { MmdbTree } from './mmdb-tree.js';

export type GeoDatabaseKind = 'city' | 'country' | 'asn';

export interface GeoResult {
  readonly geo?: Readonly<GeoFields>;
  readonly as?: Readonly<AsFields>;
}

export interface GeoDatabase {
  readonly path: string;
  readonly kind: GeoDatabaseKind;
  /** `databaseType` from the file's metadata, e.g. "GeoLite2-City", "DBIP-ASN-Lite". */
  readonly databaseType: string;
  readonly buildEpoch: Date;
  /** Lookup of an address already parsed into `words` (see parseIp); `ip` is its text. */
  find(version: 4 | 6, words: Uint32Array, ip: string): GeoResult | undefined;
  /** Convenience lookup by text, for tests and tools. */
  lookup(ip: string): GeoResult | undefined;
}

type Rec = Record<string, unknown>;

/** Converted records kept per database; City databases hold a few hundred thousand. */
const RECORD_CACHE_LIMIT = 100_000;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
/** English name of a GeoIP2 record ({names: {en}}), the locale the geoip processor uses. */
const nameEn = (v: unknown): string | undefined => (isRec(v) && isRec(v.names) ? str(v.names.en) : undefined);

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const shortRegionNames = new Intl.DisplayNames(['en'], { type: 'region', style: 'short' });

/**
 * English country name for a bare ISO code. CLDR's long form qualifies some names
 * ("Hong Kong SAR China", "Myanmar (Burma)"); its short form drops that but also abbreviates
 * others ("US"), so the short form is used only where the long one carries a qualifier.
 */
function countryName(iso: string): string | undefined {
  try {
    const long = regionNames.of(iso);
    if (long === undefined || long === iso) return undefined;
    if (long.includes('(') || long.includes(' SAR ')) return shortRegionNames.of(iso) ?? long;
    return long;
  } catch {
    return undefined;
  }
}

/** Drops absent fields (the processor omits them rather than writing nulls); undefined if none remain. */
function compact<T extends object>(fields: T): T | undefined {
  const out: Partial<T> = {};
  let any = false;
  for (const key in fields) {
    if (fields[key] !== undefined) {
      out[key] = fields[key];
      any = true;
    }
  }
  return any ? Object.freeze(out as T) : undefined;
}

/** GeoIP2/GeoLite2/DB-IP City and Country records. */
function geoFromGeoIp2(r: Rec): GeoFields | undefined {
  const country = r.country;
  const iso = isRec(country) ? str(country.iso_code) : undefined;
  // Like Elasticsearch, the most specific subdivision (the last one) names the region.
  const subs = Array.isArray(r.subdivisions) ? r.subdivisions : [];
  const sub: unknown = subs[subs.length - 1];
  const subIso = isRec(sub) ? str(sub.iso_code) : undefined;
  const loc = isRec(r.location) ? r.location : undefined;
  const lat = num(loc?.latitude);
  const lon = num(loc?.longitude);
  return compact<GeoFields>({
    continent_name: nameEn(r.continent),
    country_iso_code: iso,
    country_name: nameEn(country),
    region_iso_code: iso !== undefined && subIso !== undefined ? `${iso}-${subIso}` : undefined,
    region_name: nameEn(sub),
    city_name: nameEn(r.city),
    location: lat !== undefined && lon !== undefined ? Object.freeze({ lat, lon }) : undefined,
  });
}

/** @ip-location-db records: flat `country_code` plus, in city files, city/state1/latitude/longitude. */
function geoFromFlat(r: Rec): GeoFields | undefined {
  const iso = str(r.country_code)?.toUpperCase();
  const continent = iso !== undefined ? CONTINENT_OF_COUNTRY.get(iso) : undefined;
  const lat = num(r.latitude);
  const lon = num(r.longitude);
  return compact<GeoFields>({
    continent_name: continent !== undefined ? CONTINENT_NAMES[continent] : undefined,
    country_iso_code: iso,
    country_name: iso !== undefined ? countryName(iso) : undefined,
    region_name: str(r.state1),
    city_name: str(r.city),
    location: lat !== undefined && lon !== undefined ? Object.freeze({ lat, lon }) : undefined,
  });
}

function asFromRecord(r: Rec): AsFields | undefined {
  const number = num(r.autonomous_system_number);
  const org = str(r.autonomous_system_organization);
  return compact<AsFields>({
    number,
    organization: org !== undefined ? Object.freeze({ name: org }) : undefined,
  });
}

/** Converts whatever record shape a database returns; shapes are told apart by their keys. */
export function resultFromRecord(record: unknown): GeoResult | undefined {
  if (!isRec(record)) return undefined;
  if ('autonomous_system_number' in record || 'autonomous_system_organization' in record) {
    const as = asFromRecord(record);
    return as === undefined ? undefined : Object.freeze({ as });
  }
  const geo = 'country_code' in record ? geoFromFlat(record) : geoFromGeoIp2(record);
  return geo === undefined ? undefined : Object.freeze({ geo });
}

function kindFromType(databaseType: string): GeoDatabaseKind | undefined {
  if (/asn|isp/i.test(databaseType)) return 'asn';
  if (/city/i.test(databaseType)) return 'city';
  if (/country/i.test(databaseType)) return 'country';
  return undefined;
}

// Public resolvers, used only to sniff the record shape of databases with an unfamiliar type.
const PROBES = ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888'];

function kindFromRecords(reader: Reader<Rec>): GeoDatabaseKind | undefined {
  for (const ip of PROBES) {
    let result: GeoResult | undefined;
    try {
      result = resultFromRecord(reader.get(ip));
    } catch {
      continue;
    }
    if (result?.as !== undefined) return 'asn';
    if (result?.geo !== undefined) return result.geo.city_name !== undefined || result.geo.location ? 'city' : 'country';
  }
  return undefined;
}

/** Opens one database from a Buffer already in memory (the path is only for messages). */
export function geoDatabaseFromBuffer(path: string, buffer: Buffer): GeoDatabase {
  let reader: Reader<Rec>;
  try {
    reader = new Reader<Rec>(buffer);
  } catch (err) {
    throw new Error(`${path}: not a MaxMind DB file (${(err as Error).message})`);
  }
  const databaseType = String(reader.metadata.databaseType ?? '');
  const kind = kindFromType(databaseType) ?? kindFromRecords(reader);
  if (kind === undefined) {
    throw new Error(`${path}: unsupported database type "${databaseType}" (need a City, Country or ASN database)`);
  }
  const tree = new MmdbTree(buffer, reader.metadata);
  // Converted results per data pointer; bounded because City databases hold many records.
  const byPointer = new Map<number, GeoResult | null>();
  const find = (version: 4 | 6, words: Uint32Array, ip: string): GeoResult | undefined => {
    const pointer = tree.find(version, words);
    if (pointer === 0) return undefined;
    let result = byPointer.get(pointer);
    if (result === undefined) {
      result = resultFromRecord(reader.get(ip)) ?? null;
      if (byPointer.size >= RECORD_CACHE_LIMIT) byPointer.clear();
      byPointer.set(pointer, result);
    }
    return result ?? undefined;
  };
  return {
    path,
    kind,
    databaseType,
    buildEpoch: reader.metadata.buildEpoch,
    find,
    lookup(ip: string): GeoResult | undefined {
      const words = new Uint32Array(4);
      const version = parseIp(ip, words);
      return version === 0 ? undefined : find(version, words, ip);
    },
  };
}

export async function openGeoDatabase(path: string): Promise<GeoDatabase> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read GeoIP database ${path}: ${(err as Error).message}`);
  }
  return geoDatabaseFromBuffer(path, buffer);
}

/** Path of the embedded CC0 country database (the @ip-location-db npm package). */
export function defaultDatabasePath(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
}

/** Combines several databases (typically City + ASN) into one answer per address. */
export class GeoLookup {
  constructor(readonly databases: readonly GeoDatabase[]) {}

  /** Geo and AS data for an address already parsed into `words`; `ip` is its text. */
  find(version: 4 | 6, words: Uint32Array, ip: string): GeoResult | undefined {
    let geo: Readonly<GeoFields> | undefined;
    let as: Readonly<AsFields> | undefined;
    let single: GeoResult | undefined;
    // Earlier databases win, so `--geoip City.mmdb Country.mmdb` prefers the City answer.
    for (const db of this.databases) {
      let r: GeoResult | undefined;
      try {
        r = db.find(version, words, ip);
      } catch {
        continue;
      }
      if (r === undefined) continue;
      single ??= r;
      if (geo === undefined) geo = r.geo;
      if (as === undefined) as = r.as;
      if (geo !== undefined && as !== undefined) break;
    }
    if (single === undefined) return undefined;
    // One database answered everything: its (cached) result can be shared as is.
    if (single.geo === geo && single.as === as) return single;
    return Object.freeze(geo !== undefined && as !== undefined ? { geo, as } : geo !== undefined ? { geo } : { as: as! });
  }
}
