/**
 * `dropship report <paths…>`: lines from files (plain or .gz), directories, globs or stdin,
 * parsed and enriched as `dropship parse` does, each document counted and then dropped. One pass,
 * on this thread; memory is the tally's, whatever the size of the input.
 *
 * An input that cannot be read is named in the report (with what was read of it counted), and
 * the others are still read.
 */
import type { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { createEnricher } from '../enrich/index.js';
import { createParser, type ParseMeta } from '../parse/index.js';
import { discover } from '../sources/archive/import-files.js';
import { openMaybeGzip, readLineBatches } from '../sources/framing/lines.js';
import { timeZone } from '../time/zone.js';
import { DocumentAggregator } from './aggregate.js';
import type { InputFile, ReportInput } from './data.js';
import { Tally } from './tally.js';
import { isBlankLine } from '../core/ascii.js';

export interface FileReportOptions {
  /** Files, directories, globs; `-` or nothing reads `stdin`. */
  paths: readonly string[];
  /** Paths never read although they match (the report being written). */
  exclude?: readonly string[];
  stdin: Readable;
  timezone: string;
  year?: number | undefined;
  observer?: string | undefined;
  geoip: string[] | false | undefined;
  scannerList?: string | undefined;
  /** Filled as the files are read, for a progress bar. */
  progress?: ReadProgress;
  /** Told about each input that cannot be read (or not to its end), as it happens. */
  onInputError?: (path: string, reason: string) => void;
}

export interface ReadProgress {
  /** Bytes read from disk (before gunzip) and the files' sizes. */
  rawBytes: number;
  totalBytes: number;
  lines: number;
}

function reasonOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

export async function tallyFiles(o: FileReportOptions): Promise<{ tally: Tally; input: ReportInput }> {
  const zone = timeZone(o.timezone);
  const parse = createParser({ zone, year: o.year, observer: o.observer });
  const enricher = await createEnricher({ geoip: o.geoip, scannerList: o.scannerList, timezone: zone });
  const tally = new Tally(zone);
  const aggregator = new DocumentAggregator(tally);
  const progress = o.progress ?? { rawBytes: 0, totalBytes: 0, lines: 0 };

  const useStdin = o.paths.length === 0 || o.paths.includes('-');
  const files: InputFile[] = [];
  const named = o.paths.filter((p) => p !== '-');
  if (named.length > 0) {
    const found = await discover(named, o.exclude ?? []);
    for (const missing of found.missing) files.push({ path: missing, lines: 0, error: 'no such file (or nothing matches)' });
    for (const set of found.sets) for (const path of set.files) files.push({ path, lines: 0 });
  }
  for (const f of files) {
    if (f.error !== undefined) continue;
    progress.totalBytes += await stat(f.path).then((s) => s.size, () => 0);
  }

  const count = (lines: string[], truncated: number[], file: InputFile, meta: ParseMeta | undefined): void => {
    let next = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const cut = truncated[next] === i;
      if (cut) {
        next++;
        tally.truncated++;
      }
      if (!cut && isBlankLine(line)) {
        tally.blank++;
        continue;
      }
      const doc = parse(line, meta);
      enricher.enrich(doc);
      aggregator.add(doc);
    }
    tally.read += lines.length;
    file.lines += lines.length;
    progress.lines += lines.length;
  };

  const read = async (file: InputFile, open: () => Promise<Readable>, receivedMs?: number): Promise<void> => {
    // A file's lines were received when it was last written: year-less timestamps are dated from
    // there, as `parse` and `import` date them (docs/formats.md). stdin's are now.
    const meta: ParseMeta | undefined = receivedMs === undefined ? undefined : { receivedMs };
    try {
      const stream = await open();
      for await (const batch of readLineBatches(stream)) count(batch.lines, batch.truncated, file, meta);
    } catch (err) {
      file.error = reasonOf(err);
      o.onInputError?.(file.path, file.error);
    }
  };

  for (const f of files) {
    if (f.error !== undefined) {
      o.onInputError?.(f.path, f.error);
      continue;
    }
    const mtimeMs = await stat(f.path).then((s) => s.mtimeMs, () => undefined);
    await read(f, () => openMaybeGzip(f.path, { onRawBytes: (n) => (progress.rawBytes += n) }), mtimeMs);
  }
  if (useStdin) {
    const f: InputFile = { path: '-', lines: 0 };
    files.push(f);
    await read(f, async () => o.stdin);
  }
  return { tally, input: { kind: 'files', files, stdin: useStdin } };
}
