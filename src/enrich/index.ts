/**
 * Enrichment stage: GeoIP/ASN, targeted service, known scanners and local time, applied to a
 * parsed document in place. Everything is loaded in createEnricher; enrich() does no I/O and
 * never throws, whatever the document looks like.
 *
 * Sub-objects it attaches (geo, as, scanner, service, local) are frozen and shared between
 * documents: they come from caches, which is what keeps the per-line cost low.
 */
import type { AsFields, EcsDocument, EndpointFields, GeoFields } from '../model/document.js';
import type { TimeZone } from '../time/zone.js';
import { GenerationalCache, Ipv4Cache } from './cache.js';
import { GeoLookup, defaultDatabasePath, openGeoDatabase } from './geoip.js';
import { formatV4, parseIp } from '../net/ip.js';
import { isNonPublic } from '../net/ip-ranges.js';
import { LocalClock } from './local-time.js';
import { type ScannerIndex, type ScannerInfo, addScannerListFile, builtinScanners } from './scanners.js';
import { type ServiceTable, serviceTable } from './services.js';

export interface EnrichOptions {
  geoip: string[] | false | undefined; // undefined = embedded CC0 default; false = --no-geoip
  scannerList?: string | undefined; // path of a user CIDR list
  timezone: TimeZone; // from src/time/zone.ts
}

export interface Enricher {
  enrich(doc: EcsDocument): void;
}

export const KNOWN_SCANNER_TAG = 'known_scanner';

/** Bad lines beyond this many are summarised rather than listed one by one. */
const MAX_REPORTED_PROBLEMS = 20;

/** What is wrong with a user's scanner list, one message per bad line (the first ones), for the command to report. */
export async function scannerListProblems(path: string): Promise<string[]> {
  const problems = await addScannerListFile(builtinScanners(), path);
  const messages = problems.slice(0, MAX_REPORTED_PROBLEMS).map((p) => `${path}:${p.line}: ignored, ${p.reason}`);
  if (problems.length > MAX_REPORTED_PROBLEMS) messages.push(`${path}: ${problems.length - MAX_REPORTED_PROBLEMS} more bad lines ignored`);
  return messages;
}

/** Distinct addresses remembered; a busy router log sees tens of thousands a day. */
const ADDRESS_CACHE_SIZE = 50_000;
/** IPv4 addresses: 65,536 slots (768 KiB). */
const IPV4_CACHE_SLOT_BITS = 16;

export async function createEnricher(opts: EnrichOptions): Promise<Enricher> {
  let geo: GeoLookup | undefined;
  if (opts.geoip !== false) {
    const paths = opts.geoip ?? [defaultDatabasePath()];
    if (paths.length > 0) geo = new GeoLookup(await Promise.all(paths.map(openGeoDatabase)));
  }
  const scanners = builtinScanners();
  // Lines it cannot read are left out silently here, in every thread that loads it: the command
  // reports them once, from scannerListProblems.
  if (opts.scannerList !== undefined) await addScannerListFile(scanners, opts.scannerList);
  return new DocumentEnricher(geo, scanners, serviceTable(), new LocalClock(opts.timezone));
}

/** Everything known about one address; cached so a repeated address costs one Map lookup. */
interface AddressInfo {
  readonly scanner?: ScannerInfo;
  readonly geo?: Readonly<GeoFields>;
  readonly as?: Readonly<AsFields>;
}

const NOTHING: AddressInfo = Object.freeze({});

class DocumentEnricher implements Enricher {
  // Scratch space for parsed addresses, reused by every call.
  private readonly words = new Uint32Array(4);
  private readonly addresses = new GenerationalCache<AddressInfo>(ADDRESS_CACHE_SIZE);
  private readonly ipv4 = new Ipv4Cache<AddressInfo>(IPV4_CACHE_SLOT_BITS);
  // The destination is nearly always the router itself: skip even the cache lookup for it.
  private lastDestinationIp = '';
  private lastDestination: AddressInfo = NOTHING;

  constructor(
    private readonly geo: GeoLookup | undefined,
    private readonly scanners: ScannerIndex,
    private readonly services: ServiceTable,
    private readonly clock: LocalClock,
  ) {}

  enrich(doc: EcsDocument): void {
    if (typeof doc !== 'object' || doc === null) return;
    try {
      this.source(doc);
      this.destination(doc);
      this.service(doc);
      this.localTime(doc);
    } catch {
      // Enrichment is best effort: a document that defeats it is still shipped as parsed.
    }
  }

  private source(doc: EcsDocument): void {
    const ep = doc.source;
    if (typeof ep !== 'object' || ep === null || typeof ep.ip !== 'string') return;
    const info = this.address(ep.ip);
    if (info.scanner !== undefined) {
      const d = (doc.dropship ??= {});
      d.scanner ??= info.scanner;
      const tags = Array.isArray(doc.tags) ? doc.tags : (doc.tags = []);
      if (!tags.includes(KNOWN_SCANNER_TAG)) tags.push(KNOWN_SCANNER_TAG);
    }
    applyGeo(ep, info);
  }

  private destination(doc: EcsDocument): void {
    const ep = doc.destination;
    if (typeof ep !== 'object' || ep === null || typeof ep.ip !== 'string') return;
    if (ep.ip !== this.lastDestinationIp) {
      this.lastDestination = this.address(ep.ip);
      this.lastDestinationIp = ep.ip;
    }
    applyGeo(ep, this.lastDestination);
  }

  private address(ip: string): AddressInfo {
    const words = this.words;
    if (ip.indexOf(':') < 0) {
      // IPv4 text (most lines) is keyed by its value: parsing it costs less than hashing it for a
      // Map, and each address has one text (parseIp refuses leading zeros).
      if (parseIp(ip, words) !== 4) return NOTHING;
      const value = words[0]!;
      let info = this.ipv4.get(value);
      if (info === undefined) {
        info = this.lookupParsed(4, words, ip);
        this.ipv4.set(value, info);
      }
      return info;
    }
    let info = this.addresses.get(ip);
    if (info === undefined) {
      const version = parseIp(ip, words);
      info = version === 0 ? NOTHING : this.lookupParsed(version, words, ip);
      this.addresses.set(ip, info);
    }
    return info;
  }

  /** What is known about an address already parsed into `words`. */
  private lookupParsed(version: 4 | 6, words: Uint32Array, ip: string): AddressInfo {
    // A user's own list may name an internal scanner (a vulnerability-scanning box on the LAN),
    // so scanners are matched on every address; geo only on public ones.
    const scanner = this.scanners.match(version, words);
    // Databases index mapped IPv6 addresses under their IPv4 form, if at all.
    const text = version === 4 && ip.indexOf(':') >= 0 ? formatV4(words[0]!) : ip;
    const found = isNonPublic(version, words) ? undefined : this.geo?.find(version, words, text);
    if (scanner === undefined && found === undefined) return NOTHING;
    const info: { scanner?: ScannerInfo; geo?: Readonly<GeoFields>; as?: Readonly<AsFields> } = {};
    if (scanner !== undefined) info.scanner = scanner;
    if (found?.geo !== undefined) info.geo = found.geo;
    if (found?.as !== undefined) info.as = found.as;
    return Object.freeze(info);
  }

  private service(doc: EcsDocument): void {
    const found = this.services.lookup(doc.destination?.port, doc.network?.transport);
    if (found === undefined) return;
    const d = (doc.dropship ??= {});
    if (d.service === undefined) {
      d.service = found;
    } else if (!Object.isFrozen(d.service)) {
      if (found.name !== undefined) d.service.name ??= found.name;
      if (found.note !== undefined) d.service.note ??= found.note;
    }
  }

  private localTime(doc: EcsDocument): void {
    const local = this.clock.at(doc['@timestamp']);
    if (local !== undefined) (doc.dropship ??= {}).local = local;
  }
}

/** Geo and AS already on the document (e.g. from the router or a previous run) are kept. */
function applyGeo(ep: EndpointFields, info: AddressInfo): void {
  if (info.geo !== undefined && ep.geo === undefined) ep.geo = info.geo;
  if (info.as !== undefined && ep.as === undefined) ep.as = info.as;
}
