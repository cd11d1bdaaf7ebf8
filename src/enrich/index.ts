/**
 * Enrichment stage: GeoIP/ASN, targeted service, known scanners and local time, applied to a
 * parsed document in place. Everything is loaded in createEnricher; enrich() does no I/O and
 * never throws, whatever the document looks like.
 */
import type { EcsDocument, EndpointFields } from '../model/document.js';
import type { TimeZone } from '../time/zone.js';
import { GeoLookup, defaultDatabasePath, openGeoDatabase } from './geoip.js';
import { formatV4, parseIp } from './ip.js';
import { isNonPublic } from './ip-ranges.js';
import { LocalClock } from './local-time.js';
import { type ScannerIndex, addScannerListFile, builtinScanners } from './scanners.js';
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

export async function createEnricher(opts: EnrichOptions): Promise<Enricher> {
  let geo: GeoLookup | undefined;
  if (opts.geoip !== false) {
    const paths = opts.geoip ?? [defaultDatabasePath()];
    if (paths.length > 0) geo = new GeoLookup(await Promise.all(paths.map(openGeoDatabase)));
  }
  const scanners = builtinScanners();
  if (opts.scannerList !== undefined) {
    const problems = await addScannerListFile(scanners, opts.scannerList);
    problems.slice(0, MAX_REPORTED_PROBLEMS).forEach((p) =>
      process.emitWarning(`${opts.scannerList}:${p.line}: ignored, ${p.reason}`, 'ScannerListWarning'),
    );
    if (problems.length > MAX_REPORTED_PROBLEMS) {
      process.emitWarning(
        `${opts.scannerList}: ${problems.length - MAX_REPORTED_PROBLEMS} more bad lines ignored`,
        'ScannerListWarning',
      );
    }
  }
  return new DocumentEnricher(geo, scanners, serviceTable(), new LocalClock(opts.timezone));
}

class DocumentEnricher implements Enricher {
  // Scratch space for parsed addresses, reused by every call.
  private readonly words = new Uint32Array(4);

  constructor(
    private readonly geo: GeoLookup | undefined,
    private readonly scanners: ScannerIndex,
    private readonly services: ServiceTable,
    private readonly clock: LocalClock,
  ) {}

  enrich(doc: EcsDocument): void {
    if (typeof doc !== 'object' || doc === null) return;
    try {
      this.endpoint(doc, doc.source, true);
      this.endpoint(doc, doc.destination, false);
      this.service(doc);
      this.localTime(doc);
    } catch {
      // Enrichment is best effort: a document that defeats it is still shipped as parsed.
    }
  }

  private endpoint(doc: EcsDocument, ep: EndpointFields | undefined, isSource: boolean): void {
    if (typeof ep !== 'object' || ep === null || typeof ep.ip !== 'string') return;
    const version = parseIp(ep.ip, this.words);
    if (version === 0 || isNonPublic(version, this.words)) return;
    if (isSource) {
      const scanner = this.scanners.match(version, this.words);
      if (scanner !== undefined) {
        const d = (doc.dropship ??= {});
        if (d.scanner === undefined) {
          d.scanner = scanner.operator === undefined ? { name: scanner.name } : { name: scanner.name, operator: scanner.operator };
        }
        const tags = Array.isArray(doc.tags) ? doc.tags : (doc.tags = []);
        if (!tags.includes(KNOWN_SCANNER_TAG)) tags.push(KNOWN_SCANNER_TAG);
      }
    }
    if (this.geo === undefined || (ep.geo !== undefined && ep.as !== undefined)) return;
    // Databases index mapped IPv6 addresses under their IPv4 form, if at all.
    const key = version === 4 && ep.ip.indexOf(':') >= 0 ? formatV4(this.words[0]!) : ep.ip;
    const found = this.geo.lookup(key, version, this.words);
    // Shared with the cache, hence frozen: the same objects go into every matching document.
    if (ep.geo === undefined && found.geo !== undefined) ep.geo = found.geo;
    if (ep.as === undefined && found.as !== undefined) ep.as = found.as;
  }

  private service(doc: EcsDocument): void {
    const port = doc.destination?.port;
    const transport = doc.network?.transport;
    const name = this.services.name(port, transport);
    const note = this.services.note(port, transport);
    if (name === undefined && note === undefined) return;
    const d = (doc.dropship ??= {});
    const s = (d.service ??= {});
    if (s.name === undefined && name !== undefined) s.name = name;
    if (s.note === undefined && note !== undefined) s.note = note;
  }

  private localTime(doc: EcsDocument): void {
    const local = this.clock.at(doc['@timestamp']);
    if (local === undefined) return;
    (doc.dropship ??= {}).local = { hour: local.hour, weekday: local.weekday };
  }
}
