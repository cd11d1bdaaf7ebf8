import { Option, type Command } from 'commander';
import type { LogFormat } from '../core/log.js';
import type { ProcessorConfig } from '../processing/process.js';
import { hostTimeZoneName, timeZone } from '../time/zone.js';
import { UsageError } from './errors.js';

export { DROPSHIP_ENV_HELP } from './env-help.js';

export function parseTimeZoneOption(name: string): string {
  try {
    return timeZone(name).name;
  } catch {
    throw new UsageError(`unknown time zone "${name}" (use an IANA name such as Asia/Tokyo or UTC)`);
  }
}

export function parseYearOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}$/.test(value) || Number(value) < 1970) throw new UsageError(`--year must be a year from 1970 to 9999, got "${value}"`);
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

/**
 * An option with a numeric default: help shows it as a number (commander quotes a string
 * default), while the value stays text, checked by wholeNumber with the option's name.
 */
export function numericOption(flags: string, description: string, value: number): Option {
  return new Option(flags, description).default(String(value), String(value));
}

export interface LogOptions {
  logFormat?: LogFormat;
}

/** `--log-format`, for the commands that log while they run (tail, import). */
export function addLogOptions(cmd: Command): Command {
  return cmd.addOption(
    new Option('--log-format <format>', "dropship's own log lines on stderr: readable text, or ECS JSON (auto: text on a terminal, JSON otherwise)")
      .choices(['auto', 'json', 'text'] satisfies LogFormat[])
      .default('auto'),
  );
}

/**
 * A user's scanner list is checked once, here on the main thread, before anything starts: every
 * thread that loads it (parser threads each do) loads it silently, so a bad line is reported
 * once, as one dropship line.
 */
export async function checkScannerList(path: string | undefined): Promise<void> {
  if (path === undefined) return;
  // Loaded here, not with this module: setup and report --from-index never need the enrichment tables.
  const { scannerListProblems } = await import('../enrich/index.js');
  for (const p of await scannerListProblems(path)) process.stderr.write(`dropship: warning: ${p}\n`);
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
