import type { Command } from 'commander';
import type { ProcessorConfig } from '../processing/process.js';
import { hostTimeZoneName, timeZone } from '../time/zone.js';
import { UsageError } from './errors.js';

export function parseTimeZoneOption(name: string): string {
  try {
    return timeZone(name).name;
  } catch {
    throw new UsageError(`unknown time zone "${name}" (use an IANA name such as Asia/Tokyo or UTC)`);
  }
}

export function parseYearOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}$/.test(value) || Number(value) < 1970) throw new UsageError(`--year must be a four-digit year, got "${value}"`);
  return Number(value);
}

/** A whole-number option (counts, sizes, seconds) of at least `min`; a usage error otherwise. */
export function wholeNumber(name: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}"`);
  }
  return n;
}

export interface ProcessingOptions {
  timezone?: string;
  year?: string;
  observer?: string;
  /** commander: a list for --geoip, false for --no-geoip, true when neither was given */
  geoip?: string[] | boolean;
  scannerList?: string;
}

function collect(value: string, previous: string[] | boolean | undefined): string[] {
  return [...(Array.isArray(previous) ? previous : []), ...value.split(',').filter((v) => v !== '')];
}

/** The options every command that parses lines shares (parse, tail, import). */
export function addProcessingOptions(cmd: Command): Command {
  return cmd
    .option('--timezone <IANA>', "time zone of timestamps that carry no offset (default: the host's)")
    .option('--year <yyyy>', 'year of year-less (RFC 3164) timestamps (default: inferred)')
    .option('--observer <name>', 'name of the router, for lines whose header has no hostname')
    .option('--geoip <mmdb>', 'MaxMind-format GeoIP/ASN database (repeat or comma-separate; default: the bundled country database)', collect)
    .option('--no-geoip', 'no GeoIP/ASN enrichment')
    .option('--scanner-list <file>', 'your own known-scanner networks: one CIDR per line, optional name');
}

export function processorConfig(o: ProcessingOptions): ProcessorConfig {
  return {
    timezone: parseTimeZoneOption(o.timezone ?? hostTimeZoneName()),
    year: parseYearOption(o.year),
    observer: o.observer,
    geoip: o.geoip === false ? false : Array.isArray(o.geoip) ? o.geoip : undefined,
    scannerList: o.scannerList,
  };
}
