import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { addConnectionOptions, type ConnectionFlags } from '../elasticsearch/connection.js';
import { createLogger, type Logger } from '../core/log.js';
import { defaultWorkerCount } from '../processing/pool.js';
import type { SourceBatch } from '../core/batch.js';
import { namespaceProblem } from '../model/data-stream.js';
import { archiveBatches, dateRotatedSet, planFile, plannedBytes, type ArchiveCounters, type ArchiveFile } from '../sources/archive/archive.js';
import { discover } from '../sources/archive/import-files.js';
import { indexBatches, type IndexReadCounters } from '../elasticsearch/index-reader.js';
import { CheckpointStore } from '../state/checkpoints.js';
import { lockStateDir, type StateLock } from '../state/lock.js';
import { timeZone } from '../time/zone.js';
import { openShipper } from '../shipper/shipper.js';
import { UsageError } from './errors.js';
import { addLogOptions, addProcessingOptions, checkScannerList, DROPSHIP_ENV_HELP, numericOption, processorConfig, wholeNumber, type LogOptions, type ProcessingOptions } from './options.js';
import { addBulkOptions, addShutdownOption, bulkSettings, checkOutputOption, stateDirOption, type BulkFlags } from './output.js';
import { formatDuration, startProgress, type ProgressSnapshot } from './progress.js';

/**
 * `dropship import`: re-index archives once — rotated sets of plain and .gz logs, JSON exports, or
 * an existing index — dated from the files themselves, with progress, safe to interrupt and to run
 * again (per-file checkpoints in `<state-dir>/import.json`, deterministic ids for everything else).
 */

export interface ImportOptions extends ProcessingOptions, ConnectionFlags, Partial<BulkFlags>, LogOptions {
  fromIndex?: string;
  output: string;
  namespace: string;
  stateDir: string;
  workers?: string;
  reimport?: boolean;
  /** `--no-presence-check` sets it false. */
  presenceCheck?: boolean;
  progressInterval: string;
  shutdownTimeout?: string;
}

export interface ImportSummary {
  files: number;
  /** Files recorded as completely imported by an earlier run, not read again. */
  skippedFiles: number;
  failedFiles: number;
  lines: number;
  output: 'elasticsearch' | 'ndjson';
  /** Elasticsearch: created; NDJSON: written. */
  indexed: number;
  /** Elasticsearch answered 201 `failure_store: used`: stored in the data stream's failure store, not indexed. */
  failureStore: number;
  alreadyPresent: number;
  unparsed: number;
  deadLettered: number;
  withoutOriginal: number;
  elapsedMs: number;
  peakRssBytes: number;
  interrupted: boolean;
}

const n = (v: number): string => v.toLocaleString('en-US');

/** The end-of-import report, for people; the last line says when nothing new was indexed. */
export function formatSummary(s: ImportSummary): string[] {
  const files = s.files > 0 ? `${n(s.files)} files (${n(s.skippedFiles)} already imported, skipped${s.failedFiles > 0 ? `; ${n(s.failedFiles)} FAILED` : ''}), ` : '';
  const written = s.output === 'elasticsearch'
    ? `${n(s.indexed)} indexed, ${s.failureStore > 0 ? `${n(s.failureStore)} in the failure store (see docs/operations.md), ` : ''}` +
      `${n(s.alreadyPresent)} already present, ${n(s.unparsed)} unparsed, ${n(s.deadLettered)} dead-lettered`
    : `${n(s.indexed)} written, ${n(s.unparsed)} unparsed`;
  const without = s.withoutOriginal > 0 ? `, ${n(s.withoutOriginal)} documents without an original line (not imported)` : '';
  const lines = [
    `dropship import${s.interrupted ? ' (interrupted)' : ''}: ${files}${n(s.lines)} lines read, ${written}${without}; ` +
      `${formatDuration(s.elapsedMs)}, peak memory ${Math.round(s.peakRssBytes / 1e6)} MB`,
  ];
  if (s.indexed === 0 && s.failedFiles === 0 && !s.interrupted) {
    if (s.files > 0 && s.skippedFiles === s.files) lines.push(`nothing new: all ${n(s.files)} files were imported before (--reimport reads them again)`);
    else if (s.alreadyPresent > 0 && s.deadLettered === 0) lines.push(`nothing new: all ${n(s.alreadyPresent)} documents were already present`);
    else lines.push('nothing new was indexed');
  }
  return lines;
}

export async function runImport(inputs: string[], o: ImportOptions, log: Logger = createLogger({ format: o.logFormat })): Promise<ImportSummary> {
  const held: { lock?: StateLock } = {};
  try {
    return await importOnce(inputs, o, log, held);
  } finally {
    await held.lock?.release();
  }
}

/** `held.lock`: the state directory's import lock once taken, released by the caller however this ends. */
async function importOnce(inputs: string[], o: ImportOptions, log: Logger, held: { lock?: StateLock }): Promise<ImportSummary> {
  const started = Date.now();
  const processing = processorConfig(o);
  const zone = timeZone(processing.timezone);
  if (o.fromIndex !== undefined && inputs.length > 0) throw new UsageError('give files to import or --from-index, not both');
  if (o.fromIndex === undefined && inputs.length === 0) throw new UsageError('nothing to import: give files, directories or globs, or --from-index <pattern>');
  if (o.fromIndex === '') throw new UsageError('--from-index needs an index name or pattern');
  const problem = namespaceProblem(o.namespace);
  if (problem !== undefined) throw new UsageError(`--namespace: ${problem}`);
  checkOutputOption(o.output);
  const workers = o.workers === undefined ? defaultWorkerCount() : wholeNumber('--workers', o.workers);
  const progressSeconds = wholeNumber('--progress-interval', o.progressInterval);
  const shutdownMs = wholeNumber('--shutdown-timeout', o.shutdownTimeout ?? '10') * 1000;
  const bulk = bulkSettings(o);
  await checkScannerList(processing.scannerList);

  // Everything that can fail on the command line fails before anything is read or sent.
  const sets: ArchiveFile[][] = [];
  let store: CheckpointStore | undefined;
  let unreadable = 0;
  if (o.fromIndex === undefined) {
    const found = await discover(inputs, [o.stateDir, ...(o.output.startsWith('ndjson:') ? [o.output.slice(7)] : [])]);
    if (found.missing.length > 0) throw new Error(`nothing matches ${found.missing.map((m) => `"${m}"`).join(', ')}`);
    store = await CheckpointStore.open(o.stateDir, 'import.json');
    // Two imports on one state directory would each write import.json from their own view and
    // lose the other's progress; the second is refused before it reads anything.
    held.lock = await lockStateDir(o.stateDir, 'import');
    for (const set of found.sets) {
      const planned: ArchiveFile[] = [];
      for (const path of set.files) {
        try {
          planned.push(await planFile(path, store, o.reimport === true));
        } catch (err) {
          unreadable++;
          log.error({ file: path }, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      if (planned.length > 0) sets.push(planned);
    }
  }
  const files = sets.flat();
  if (o.reimport === true && o.output.startsWith('ndjson:')) await warnReimportAppends(o.output.slice('ndjson:'.length));
  let failedFiles = unreadable;

  const shipper = await openShipper({
    processing, workers, output: o.output, namespace: o.namespace, stateDir: o.stateDir, bulk, connection: o, store, shutdownMs, log,
    presenceCheck: o.presenceCheck !== false,
    onForcedStop: 'the import resumes from its last checkpoint',
  });
  const signal = shipper.signal;
  const archive: ArchiveCounters = { rawBytes: 0, withoutOriginal: 0 };
  const index: IndexReadCounters = { total: 0, read: 0, withoutOriginal: 0 };
  const scans = processing.year === undefined;
  const totalBytes = files.reduce((sum, f) => sum + plannedBytes(f, scans), 0);
  const snapshot = (): ProgressSnapshot => o.fromIndex === undefined
    ? { unit: 'bytes', done: archive.rawBytes, total: totalBytes, lines: shipper.counters.lines }
    : { unit: 'docs', done: index.read, total: index.total, lines: shipper.counters.lines };

  async function* fileSource(): AsyncGenerator<SourceBatch> {
    for (const set of sets) {
      if (set.every((f) => f.done)) continue;
      if (scans) {
        await dateRotatedSet(set, zone, archive, signal, (path) =>
          log.warn({ file: path }, `${path}: timestamps are not in time order; each line's year is inferred from the file's modification time`));
      }
      for (const f of set) {
        if (f.done || signal.aborted) continue;
        try {
          yield* archiveBatches(f, { store: store!, counters: archive, signal, allocate: shipper.allocate });
        } catch (err) {
          // One damaged file (a truncated .gz, invalid JSON) must not stop the others; what was
          // read of it is delivered and checkpointed, the rest is reported.
          failedFiles++;
          log.error({ file: f.path }, `cannot import ${f.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
    }
  }

  let failure: unknown;
  const progress = startProgress({ snapshot, stream: process.stderr, intervalSeconds: progressSeconds });
  try {
    const source = o.fromIndex === undefined
      ? fileSource()
      : indexBatches({ client: shipper.client(), pattern: o.fromIndex, counters: index, signal, onCloseError: (err) => log.warn({ err }, 'could not close the point in time (it expires by itself)') });
    await shipper.run([source]);
  } catch (err) {
    failure = err;
  }
  // Every step runs whatever failed before it: what the output settled is still checkpointed.
  try {
    await shipper.close();
  } catch (err) {
    failure ??= err;
  }
  progress.stop();
  if (failure !== undefined) throw failure;

  const stats = shipper.outputStats();
  const summary: ImportSummary = {
    files: files.length + unreadable,
    skippedFiles: files.filter((f) => f.done).length,
    failedFiles,
    lines: shipper.counters.lines,
    output: shipper.outputKind,
    indexed: 'written' in stats ? stats.written : stats.indexed,
    failureStore: 'written' in stats ? 0 : stats.failureStore,
    alreadyPresent: 'written' in stats ? 0 : stats.duplicates,
    unparsed: shipper.counters.unparsed,
    deadLettered: 'written' in stats ? 0 : stats.deadLettered,
    withoutOriginal: archive.withoutOriginal + index.withoutOriginal,
    elapsedMs: Date.now() - started,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    interrupted: signal.aborted,
  };
  for (const line of formatSummary(summary)) process.stderr.write(`${line}\n`);
  if (summary.interrupted) throw new Error('interrupted: run the same command again to resume');
  if (failedFiles > 0) throw new Error(`${n(failedFiles)} file(s) could not be imported completely (see above); once they are fixed, run again: what was imported is not sent twice`);
  return summary;
}

/**
 * An NDJSON file has no ids to say "already present": `--reimport` into one that has documents
 * appends a second copy of what was imported before. That can be what is wanted (the file is a
 * log of runs), so it is said rather than refused.
 */
async function warnReimportAppends(file: string): Promise<void> {
  const size = await stat(file).then((s) => (s.isFile() ? s.size : 0), () => 0);
  if (size === 0) return;
  process.stderr.write(`dropship: warning: --reimport appends to ${file}, which already holds documents: the lines imported before get a second copy in it (remove the file first, or write to a new one)\n`);
}

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description('re-index archives once: plain and .gz logs (rotated sets, directories), NDJSON/JSON exports, or --from-index')
    .argument('[paths...]', 'files, directories (walked) or globs; rotated sets are read oldest first')
    .option('--from-index <pattern>', 're-process the original lines of an existing index (e.g. filebeat-*)')
    .option('--output <where>', 'elasticsearch, stdout, or ndjson:<file>', 'elasticsearch')
    .option('--namespace <name>', 'data stream namespace', 'default')
    .addOption(stateDirOption('import checkpoints and dead-letter file'))
    .option('--workers <n>', 'parser threads (default: cores - 1; 0 parses on the main thread)')
    .option('--reimport', 'read files recorded as imported again (their documents end as "already present")')
    .option('--no-presence-check', 'do not ask Elasticsearch which documents it already holds in backing indices older than the write index (faster; after a rollover, re-imported lines are indexed again)')
    .addOption(numericOption('--progress-interval <seconds>', 'without a terminal: seconds between progress lines (0: none)', 10));
  addConnectionOptions(addLogOptions(addShutdownOption(addBulkOptions(addProcessingOptions(cmd))))).addHelpText('after', DROPSHIP_ENV_HELP).action(async (paths: string[], o: ImportOptions) => {
    await runImport(paths, o);
  });
}
