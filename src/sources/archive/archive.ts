import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ResumePoint, SourceBatch } from '../../core/batch.js';
import { inodeKey, type CheckpointStore, type FileCheckpoint } from '../../state/checkpoints.js';
import { firstLineInstant, lastLineYear, segmentAt, YearScanner, yearSegments, type YearSegment } from '../../parse/file-years.js';
import type { TimeZone } from '../../time/zone.js';
import { FINGERPRINT_BYTES, fingerprintOf } from '../live/file-identity.js';
import { sniffKind, type InputKind } from './import-files.js';
import { jsonRecords } from './json-records.js';
import { isGzipFile, openMaybeGzip, readLineBatches } from '../framing/lines.js';
import { ByteLineSplitter, isInputByte, MAX_LINE_BYTES, type Allocate, type LineBytes } from '../framing/line-bytes.js';

/**
 * One archived file as `dropship import` reads it: identified and checkpointed like a followed
 * file (device + inode + fingerprint of its first bytes), dated by `file-years`, and delivered as
 * pipeline batches whose commits record how far the output has settled.
 *
 * A checkpoint counts `line`s (log lines, or documents of a JSON file) so that every kind of file
 * can resume; a plain log file also resumes by seeking to `offset`. Compressed and JSON files are
 * read again from their start and the settled part skipped: they cannot be entered in the middle.
 * The lines of the last settled second (from `contextLine`) are read again as context: counted
 * among identical lines so the ones after the checkpoint keep their numbers, not sent
 * (processing/occurrence.ts).
 */

export interface ImportCheckpoint extends FileCheckpoint {
  line: number;
  /** Where the lines of the last settled second begin, when before `line` (and its byte, in a plain file). */
  contextLine?: number;
  contextOffset?: number;
  complete: boolean;
  /** Size when recorded: a plain log that has grown since is not complete any more. */
  size: number;
  /** Instant of the first year-less line, anchoring the next-older file of its rotated set. */
  firstMs?: number;
}

export interface ArchiveFile {
  path: string;
  kind: InputKind;
  gz: boolean;
  size: number;
  mtimeMs: number;
  checkpoint: ImportCheckpoint;
  /** Already imported completely: nothing to read. */
  done: boolean;
  /** Year segments from the first pass; undefined when years are forced or inferred per line. */
  years?: YearSegment[];
}

/** Shared counters the import reports. */
export interface ArchiveCounters {
  rawBytes: number;
  /** JSON documents that carried no original line. */
  withoutOriginal: number;
}

const HEAD_BYTES = 64 * 1024;
const JSON_BATCH = 1000;

async function readHead(path: string): Promise<Buffer> {
  const stream = await openMaybeGzip(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HEAD_BYTES) break;
    }
  } catch {
    // A damaged file still gets its kind from what could be read; reading it fails later, visibly.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/** Stats, identifies and sniffs a file, and looks up how far an earlier import got. */
export async function planFile(path: string, store: CheckpointStore, reimport: boolean): Promise<ArchiveFile> {
  const fh = await open(path, 'r');
  let st;
  let fingerprint: string;
  let old: Partial<ImportCheckpoint> | undefined;
  try {
    st = await fh.stat();
    fingerprint = await fingerprintOf(fh, st.size);
    old = store.get(st.dev, st.ino) as Partial<ImportCheckpoint> | undefined;
    // A reused inode or a rewritten file is a new file: its fingerprint (of the length recorded) differs.
    const recorded = old?.fingerprintLength;
    const same = old !== undefined && typeof old.line === 'number' && recorded !== undefined && recorded <= st.size &&
      (await fingerprintOf(fh, st.size, recorded)) === old.fingerprint;
    if (!same) old = undefined;
  } finally {
    await fh.close();
  }
  const gz = await isGzipFile(path);
  const kind = sniffKind(await readHead(path));
  const grown = old !== undefined && !gz && kind === 'lines' && st.size > (old.size ?? 0);
  const resume = reimport ? undefined : old;
  const checkpoint: ImportCheckpoint = {
    dev: st.dev, ino: st.ino, fingerprint, fingerprintLength: Math.min(st.size, FINGERPRINT_BYTES), path, generation: 0,
    updated: new Date().toISOString(),
    offset: resume?.offset ?? 0,
    line: resume?.line ?? 0,
    ...(typeof resume?.contextLine === 'number' && resume.contextLine < (resume.line ?? 0) ? { contextLine: resume.contextLine } : {}),
    ...(typeof resume?.contextLine === 'number' && typeof resume.contextOffset === 'number' ? { contextOffset: resume.contextOffset } : {}),
    complete: resume?.complete === true && !grown,
    size: st.size,
    ...(old?.firstMs !== undefined ? { firstMs: old.firstMs } : {}),
  };
  return { path, kind, gz, size: st.size, mtimeMs: st.mtimeMs, checkpoint, done: checkpoint.complete };
}

/** Bytes the import will read from disk for this file (both passes), for progress. */
export function plannedBytes(f: ArchiveFile, scans: boolean): number {
  if (f.done) return 0;
  const second = f.kind === 'lines' && !f.gz ? f.size - Math.min(f.size, f.checkpoint.offset) : f.size;
  return second + (f.kind === 'lines' && scans ? f.size : 0);
}

/** First pass over a log file: where its years change. */
async function scanYears(f: ArchiveFile, counters: ArchiveCounters, signal: AbortSignal): Promise<YearScanner> {
  const scanner = new YearScanner();
  const stream = await openMaybeGzip(f.path, { onRawBytes: (n) => (counters.rawBytes += n) });
  try {
    // Up to damage (a truncated .gz): the second pass reads the same lines, imports them and
    // reports the damage, so the years are those of the lines that can be read.
    for await (const batch of readLineBatches(untilDamage(stream, {}))) {
      for (const line of batch.lines) scanner.addLine(line);
      if (signal.aborted) break;
    }
  } finally {
    stream.destroy();
  }
  return scanner;
}

/**
 * Dates the log files of one rotated set (oldest first), newest to oldest: each file's last line
 * is anchored on the earlier of its own mtime and the first line of the next-newer file. The mtime
 * alone is wrong for files copied without preserving times; the newer file's first line alone
 * would carry one mistake down the whole set; the earlier of the two is the tighter bound.
 */
export async function dateRotatedSet(
  files: ArchiveFile[], zone: TimeZone, counters: ArchiveCounters, signal: AbortSignal, onUnordered?: (path: string) => void,
): Promise<void> {
  let newerFirstMs: number | undefined;
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    if (f.kind !== 'lines') {
      newerFirstMs = undefined;
      continue;
    }
    if (f.done) {
      newerFirstMs = f.checkpoint.firstMs;
      continue;
    }
    const scan = (await scanYears(f, counters, signal)).result();
    if (signal.aborted) return;
    if (!scan.ordered) {
      // Each line's year is then inferred on its own, relative to the file's mtime.
      onUnordered?.(f.path);
      newerFirstMs = undefined;
      continue;
    }
    const anchor = newerFirstMs === undefined ? f.mtimeMs : Math.min(f.mtimeMs, newerFirstMs);
    const last = lastLineYear(scan, zone, anchor);
    if (last === undefined) {
      newerFirstMs = undefined;
      continue;
    }
    f.years = yearSegments(scan, last);
    newerFirstMs = firstLineInstant(scan, f.years, zone);
    if (newerFirstMs !== undefined) f.checkpoint.firstMs = newerFirstMs;
  }
}

const NL = 0x0a;

function countLines(data: Buffer): number {
  let n = 0;
  for (let p = data.indexOf(NL); p !== -1; p = data.indexOf(NL, p + 1)) n++;
  return n;
}

/**
 * Lines [from, to) of a batch of `count` lines, with their truncation marks and the byte where
 * line `from` starts: the batch itself when that is all of it, else a copy into a buffer of its
 * own (a year boundary or a resume point inside the batch: rare).
 */
function sliceLines(b: LineBytes, count: number, from: number, to: number, allocate: Allocate): { data: Buffer; truncated: number[]; start: number } {
  if (from === 0 && to === count) return { data: b.data, truncated: b.truncated, start: 0 };
  let start = 0;
  let end = 0;
  for (let line = 0, p = 0; line < to; line++) {
    if (line === from) start = p;
    p = b.data.indexOf(NL, p) + 1;
    end = p;
  }
  const data = allocate(end - start);
  b.data.copy(data, 0, start, end);
  return { data, truncated: b.truncated.filter((t) => t >= from && t < to).map((t) => t - from), start };
}

export interface ArchiveReadOptions {
  store: CheckpointStore;
  counters: ArchiveCounters;
  signal: AbortSignal;
  /**
   * Where line buffers come from: a log file's lines go to processing as bytes (a parser thread
   * takes them without a copy and decodes them itself), as a followed file's do.
   */
  allocate?: Allocate;
}

/** Records how far the output settled: `patch`, and where the last settled second's lines began. */
type Recorder = (patch: Partial<ImportCheckpoint>) => (runStart: ResumePoint | undefined) => void;

/** Where reading a file stopped early: the read error, and whether a partial line was left out. */
interface Damage {
  error?: Error;
  partialLine?: boolean;
}

/**
 * A file's chunks up to the first read error, which goes into `damage` instead of being thrown:
 * a truncated or corrupt .gz (gunzip: "unexpected end of file", "invalid block type") still
 * yields everything before the damage.
 */
async function* untilDamage(stream: Readable, damage: Damage): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    damage.error = err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Whole lines of a file up to damage. At a clean end, a last line without newline is a line (as
 * everywhere); after damage it is a line cut off mid-way, whose values would lie (`DPT=2` of
 * `DPT=23`): it is left out, and the damage report says so.
 */
async function* wholeLines(stream: Readable, allocate: Allocate, damage: Damage): AsyncGenerator<LineBytes> {
  const splitter = new ByteLineSplitter(MAX_LINE_BYTES, 0, allocate);
  for await (const chunk of untilDamage(stream, damage)) {
    const batch = splitter.push(chunk);
    if (batch.data.length > 0) yield batch;
  }
  if (damage.error !== undefined) {
    damage.partialLine = splitter.pending;
    return;
  }
  const last = splitter.flush();
  if (last.data.length > 0) yield last;
}

const formatCount = (n: number): string => n.toLocaleString('en-US');

/** One line for the user: what went wrong with the file and how much of it was read. */
function damageReport(f: ArchiveFile, error: Error, lines: number | undefined, partialLine: boolean): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const what = code !== undefined && /^E[A-Z]+$/.test(code) ? code : error.message;
  const kind = code?.startsWith('Z_') === true || f.gz ? 'the .gz file is truncated or damaged' : 'the file could not be read to its end';
  const read = lines === undefined ? '' : `; its first ${formatCount(lines)} lines were read${partialLine ? ', the partial line after them was left out' : ''}`;
  return new Error(`${what} (${kind})${read}`);
}

/**
 * Second pass: the file's batches, each committing its checkpoint once settled, then an empty
 * batch that marks the file complete. Stops between batches when `signal` is aborted. A damaged
 * file yields what could be read and then throws, naming how much that was: it is not marked
 * complete, so it is reported again on the next run.
 */
export async function* archiveBatches(f: ArchiveFile, o: ArchiveReadOptions): AsyncGenerator<SourceBatch> {
  const cp = f.checkpoint;
  const record: Recorder = (patch) => (runStart) => {
    Object.assign(cp, patch, { updated: new Date().toISOString() });
    if (runStart?.line !== undefined && runStart.line < cp.line) {
      cp.contextLine = runStart.line;
      if (runStart.offset !== undefined) cp.contextOffset = runStart.offset;
      else delete cp.contextOffset;
    } else {
      delete cp.contextLine;
      delete cp.contextOffset;
    }
    o.store.set(cp);
  };
  o.store.set(cp);
  // Read again from the last settled second's first line, or from the checkpoint.
  const from = cp.contextLine ?? cp.line;
  const plain = f.kind === 'lines' && !f.gz;
  const entry = !plain ? { seek: 0, line: 0 }
    : cp.contextLine === undefined ? { seek: cp.offset, line: cp.line }
    : cp.contextOffset !== undefined ? { seek: cp.contextOffset, line: cp.contextLine }
    : { seek: 0, line: 0 };
  const stream = await openMaybeGzip(f.path, { start: entry.seek, onRawBytes: (n) => (o.counters.rawBytes += n) });
  const id = inodeKey(f.checkpoint.dev, f.checkpoint.ino);
  const damage: Damage = {};
  let lines: number | undefined;
  try {
    if (f.kind === 'lines') {
      const allocate = o.allocate ?? ((size) => Buffer.allocUnsafeSlow(size));
      lines = yield* lineBatches(f, id, wholeLines(stream, allocate, damage), entry, from, record, o.signal, allocate);
    } else {
      yield* recordBatches(f, id, stream, from, o.counters, record, o.signal);
    }
  } catch (err) {
    // A JSON export cut short fails in its parser: the records before it were delivered.
    damage.error = err instanceof Error ? err : new Error(String(err));
  } finally {
    stream.destroy();
  }
  if (damage.error !== undefined) throw damageReport(f, damage.error, lines, damage.partialLine === true);
  if (o.signal.aborted) return;
  yield { lines: [], truncated: [], stream: id, commit: record({ complete: true }) };
}

/**
 * A log file's line batches, split where the year changes; returns the number of lines read.
 * `entry`: where the input starts (byte, and its line number); lines before `from` are skipped,
 * those from `from` up to the checkpoint's line are context.
 */
async function* lineBatches(
  f: ArchiveFile, id: string, input: AsyncIterable<LineBytes>, entry: { seek: number; line: number }, from: number,
  record: Recorder, signal: AbortSignal, allocate: Allocate,
): AsyncGenerator<SourceBatch, number> {
  const resumeLine = f.checkpoint.line;
  const seek = entry.seek;
  let line = entry.line;
  for await (const batch of input) {
    if (signal.aborted) return line;
    const count = countLines(batch.data);
    const first = line;
    line += count;
    const skip = Math.max(0, from - first);
    if (skip >= count) continue;
    // A batch of context only settles nothing new.
    const commit = line > resumeLine ? record({ offset: seek + batch.endOffset, line }) : undefined;
    // Split where the year changes; only the batch's last piece knows a byte offset to commit.
    let at = skip;
    while (at < count) {
      let to = count;
      let year: number | undefined;
      if (f.years !== undefined) {
        const s = segmentAt(f.years, first + at);
        year = f.years[s]!.year;
        const next = f.years[s + 1];
        if (next !== undefined && next.fromLine < first + to) to = next.fromLine - first;
      }
      const piece = sliceLines(batch, count, at, to, allocate);
      const pieceAt = at;
      const pointAt = (l: number, byte: number): ResumePoint => {
        const n = pieceAt + l;
        // Exact where no cut line before it changed the bytes; else the batch's first line.
        return isInputByte(batch, n, byte)
          ? { line: first + n, offset: seek + batch.startOffset + piece.start + byte }
          : { line: first, offset: seek + batch.startOffset };
      };
      yield {
        data: piece.data, truncated: piece.truncated, year, receivedMs: f.mtimeMs, stream: id, pointAt,
        contextLines: Math.max(0, Math.min(to, resumeLine - first) - at),
        ...(to === count && commit !== undefined ? { commit } : {}),
      };
      at = to;
    }
  }
  return line;
}

/** JSON records: those before `from` are skipped, those from `from` up to the checkpoint are context. */
async function* recordBatches(
  f: ArchiveFile, id: string, stream: Readable, from: number, counters: ArchiveCounters, record: Recorder, signal: AbortSignal,
): AsyncGenerator<SourceBatch> {
  const resumeLine = f.checkpoint.line;
  let n = 0;
  let lines: string[] = [];
  let times: number[] = [];
  // Per line, its record's number: where a run of identical lines begins.
  let records: number[] = [];
  let context = 0;
  let size = 0;
  const batch = (): SourceBatch => {
    const of = records;
    return {
      lines, truncated: [], lineReceivedMs: times, receivedMs: f.mtimeMs, stream: id, contextLines: context,
      pointAt: (l) => ({ line: of[l] }),
      ...(n > resumeLine ? { commit: record({ line: n }) } : {}),
    };
  };
  for await (const r of jsonRecords(stream, f.kind as 'ndjson' | 'json')) {
    if (n++ < from) continue;
    size++;
    if (r.line === undefined) {
      if (n > resumeLine) counters.withoutOriginal++;
    } else {
      lines.push(r.line);
      times.push(r.timeMs);
      records.push(n - 1);
      if (n <= resumeLine) context++;
    }
    if (size >= JSON_BATCH) {
      yield batch();
      lines = [];
      times = [];
      records = [];
      context = 0;
      size = 0;
      if (signal.aborted) return;
    }
  }
  if (size > 0) yield batch();
}
