import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import { createEnricher } from '../enrich/index.js';
import { createParser } from '../parse/index.js';
import { TAG_TRUNCATED } from '../normalize/ecs.js';
import { openMaybeGzip, readLineBatches, MAX_LINE_BYTES } from '../sources/lines.js';
import { hostTimeZoneName } from '../time/zone.js';
import { parseTimeZoneOption, parseYearOption } from './options.js';

interface ParseCommandOptions {
  timezone?: string;
  year?: string;
  observer?: string;
  /** commander sets false for --no-geoip, a list for --geoip, undefined otherwise */
  geoip?: string[] | false;
  scannerList?: string;
}

/** Writes with backpressure; resolves false once stdout is gone (e.g. `| head`). */
function writer(out: NodeJS.WritableStream): (s: string) => Promise<boolean> {
  let closed = false;
  out.on('error', () => {
    closed = true;
  });
  return (s) =>
    new Promise((resolve) => {
      if (closed) return resolve(false);
      if (out.write(s)) return resolve(true);
      const done = (): void => {
        out.off('drain', done);
        out.off('error', done);
        resolve(!closed);
      };
      out.once('drain', done);
      out.once('error', done);
    });
}

export async function runParse(files: string[], options: ParseCommandOptions): Promise<void> {
  const zone = parseTimeZoneOption(options.timezone ?? hostTimeZoneName());
  const year = parseYearOption(options.year);
  const parse = createParser({ zone, year, observer: options.observer });
  const enricher = await createEnricher({ geoip: geoipOption(options.geoip), scannerList: options.scannerList, timezone: zone });
  const write = writer(process.stdout);
  const inputs = files.length === 0 ? ['-'] : files;

  for (const file of inputs) {
    let stream: Readable;
    try {
      stream = file === '-' ? process.stdin : await openMaybeGzip(file);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      for await (const batch of readLineBatches(stream)) {
        let out = '';
        let t = 0;
        for (let i = 0; i < batch.lines.length; i++) {
          const line = batch.lines[i]!;
          const cut = batch.truncated[t] === i;
          if (cut) t++;
          if (!cut && isBlank(line)) continue;
          const doc = parse(line);
          enricher.enrich(doc);
          if (cut && !doc.tags?.includes(TAG_TRUNCATED)) {
            (doc.tags ??= []).push(TAG_TRUNCATED);
            doc.error ??= { message: `line longer than ${MAX_LINE_BYTES} bytes was cut` };
          }
          out += JSON.stringify(doc) + '\n';
        }
        if (out.length > 0 && !(await write(out))) return;
      }
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0) return false;
  }
  return true;
}

function collect(value: string, previous: string[] | boolean | undefined): string[] {
  return [...(Array.isArray(previous) ? previous : []), ...value.split(',').filter((v) => v !== '')];
}

/** commander gives `true` for "neither --geoip nor --no-geoip" because of the negatable form. */
function geoipOption(value: string[] | boolean | undefined): string[] | false | undefined {
  if (value === false) return false;
  return Array.isArray(value) ? value : undefined;
}

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('read log lines (files, .gz files or stdin) and print one ECS JSON document per line (NDJSON); needs no Elasticsearch')
    .argument('[files...]', 'files to read (plain or gzip); none or "-" reads stdin')
    .option('--timezone <IANA>', 'time zone of timestamps that carry no offset (default: the host\'s)')
    .option('--year <yyyy>', 'year of year-less (RFC 3164) timestamps (default: inferred)')
    .option('--observer <name>', 'name of the router, for lines whose header has no hostname')
    .option('--geoip <mmdb>', 'MaxMind-format GeoIP/ASN database (repeat or comma-separate; default: the bundled country database)', collect)
    .option('--no-geoip', 'no GeoIP/ASN enrichment')
    .option('--scanner-list <file>', 'your own known-scanner networks: one CIDR per line, optional name')
    .action(async (files: string[], options: ParseCommandOptions) => runParse(files, options));
}
