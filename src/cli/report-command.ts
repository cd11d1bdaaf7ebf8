import type { Command } from 'commander';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { addConnectionOptions, connectionWarnings, createClient, resolveConnection, type ConnectionFlags } from '../elasticsearch/connection.js';
import { tallyFiles, type ReadProgress } from '../report/files.js';
import { tallyIndex } from '../report/from-index.js';
import type { ReportData } from '../report/data.js';
import { DEFAULT_TOP, summarize } from '../report/summarize.js';
import { renderText } from '../report/render-text.js';
import { num } from '../report/format.js';
import { timeZone } from '../time/zone.js';
import { UsageError } from './errors.js';
import { addProcessingOptions, checkScannerList, DROPSHIP_ENV_HELP, numericOption, processorConfig, wholeNumber, type ProcessingOptions } from './options.js';
import { startProgress } from './progress.js';

/**
 * `dropship report`: the dashboards' views without a stack — one self-contained HTML page, or
 * the same tables as text or JSON — from log files (as `parse` reads them) or from an index
 * (aggregations only).
 */

export type ReportFormat = 'html' | 'text' | 'json';

export interface ReportOptions extends ProcessingOptions, ConnectionFlags {
  format?: string;
  out?: string;
  top: string;
  fromIndex?: string;
}

const FORMATS: readonly ReportFormat[] = ['html', 'text', 'json'];
const EXTENSIONS: Readonly<Record<string, ReportFormat>> = { '.html': 'html', '.htm': 'html', '.txt': 'text', '.json': 'json' };

/** --format, else what --out's extension says, else html. */
export function reportFormat(format: string | undefined, out: string | undefined): ReportFormat {
  if (format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be html, text or json, got "${format}"`);
    return format as ReportFormat;
  }
  return (out !== undefined && EXTENSIONS[extname(out).toLowerCase()]) || 'html';
}

/** Where the report goes: --out, or report.html for HTML and stdout for text and JSON; "-" is stdout. */
export function reportTarget(format: ReportFormat, out: string | undefined): string {
  return out ?? (format === 'html' ? 'report.html' : '-');
}

async function writeStdout(text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => {
      // A reader that went away (`| head`) has what it wanted.
      if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') reject(new Error(`cannot write the report: ${err.message}`));
      else resolve();
    });
  });
}

/**
 * A file is written beside the target and renamed over it: an interrupted run leaves no half
 * report. Anything else that exists (/dev/null, a FIFO, a terminal) is written to as it is:
 * renaming over it would replace the device or pipe with a plain file.
 */
async function writeReport(target: string, text: string): Promise<void> {
  if (target === '-') return writeStdout(text);
  const existing = await stat(target).catch(() => undefined);
  if (existing !== undefined && !existing.isFile()) {
    try {
      return await writeFile(target, text);
    } catch (err) {
      throw new Error(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw new Error(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function render(data: ReportData, format: ReportFormat, version: string): Promise<string> {
  switch (format) {
    case 'json': return `${JSON.stringify(data, null, 2)}\n`;
    case 'text': return renderText(data);
    case 'html': return (await import('../report/render-html.js')).renderHtml(data, { version });
  }
}

export async function runReport(paths: string[], o: ReportOptions, version: string): Promise<ReportData> {
  const format = reportFormat(o.format, o.out);
  const target = reportTarget(format, o.out);
  const top = wholeNumber('--top', o.top, 1);
  const config = processorConfig(o);
  if (o.fromIndex !== undefined && paths.length > 0) throw new UsageError('give files to report on or --from-index, not both');
  if (o.fromIndex === '') throw new UsageError('--from-index needs an index name or pattern');
  if (o.fromIndex === undefined && paths.length === 0 && process.stdin.isTTY) {
    throw new UsageError('nothing to report on: give log files, pipe lines in, or use --from-index <pattern>');
  }

  if (o.fromIndex === undefined) await checkScannerList(config.scannerList);
  let tallied;
  if (o.fromIndex !== undefined) {
    const settings = resolveConnection(o);
    for (const w of connectionWarnings(settings)) process.stderr.write(`dropship: warning: ${w}\n`);
    const client: Client = createClient(settings);
    try {
      tallied = await tallyIndex({ client, pattern: o.fromIndex, zone: timeZone(config.timezone), top });
    } finally {
      await client.close();
    }
  } else {
    const progress: ReadProgress = { rawBytes: 0, totalBytes: 0, lines: 0 };
    const bar = paths.some((p) => p !== '-')
      ? startProgress({ snapshot: () => ({ unit: 'bytes', done: progress.rawBytes, total: progress.totalBytes, lines: progress.lines }), stream: process.stderr, intervalSeconds: 0 })
      : undefined;
    try {
      tallied = await tallyFiles({
        paths, exclude: target === '-' ? [] : [target], stdin: process.stdin, progress,
        timezone: config.timezone, year: config.year, observer: config.observer, geoip: config.geoip, scannerList: config.scannerList,
        // Named as it happens, not only in the report: the reader may never open it.
        onInputError: (path, reason) => process.stderr.write(`dropship: cannot read ${path}: ${reason}\n`),
      });
    } finally {
      bar?.stop();
    }
  }

  const data = summarize(tallied.tally, { input: tallied.input, top });
  const text = await render(data, format, version);
  await writeReport(target, text);
  if (target !== '-') {
    process.stderr.write(`dropship report: wrote ${target} (${format}, ${num(Buffer.byteLength(text))} bytes): ` +
      `${num(data.lines.read)} ${data.input.kind === 'index' ? 'documents' : 'lines'}, ${num(data.lines.attempts)} attempts, ${num(data.lines.parseFailures)} parse failures\n`);
  }
  const unreadable = data.input.kind === 'files' ? data.input.files.filter((f) => f.error !== undefined) : [];
  if (unreadable.length > 0) {
    throw new Error(`${num(unreadable.length)} input(s) could not be read completely (named above and in the report): ${unreadable.map((f) => f.path).join(', ')}`);
  }
  return data;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('the dashboards\' views without a stack: one self-contained offline HTML page, or text / JSON; from log files (as parse reads them) or --from-index (aggregations)')
    .argument('[paths...]', 'files (plain or .gz), directories or globs; none or "-" reads stdin')
    .option('--format <format>', 'html, text or json (default: from the --out extension, else html)')
    .option('--out <file>', 'where to write ("-": stdout; default: report.html for html, stdout for text and json)')
    .addOption(numericOption('--top <n>', 'rows per table', DEFAULT_TOP))
    .option('--from-index <pattern>', 'summarize documents already in Elasticsearch (e.g. logs-dropship.*-default) with aggregations');
  addConnectionOptions(addProcessingOptions(cmd)).addHelpText('after', DROPSHIP_ENV_HELP).action(async (paths: string[], o: ReportOptions) => {
    await runReport(paths, o, program.version() ?? 'unknown');
  });
}
