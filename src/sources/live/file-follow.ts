import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { errorText, inodeKey, type CheckpointStore, type FileCheckpoint } from '../../state/checkpoints.js';
import type { SourceBatch } from '../../core/batch.js';
import { ByteLineSplitter, inputOffsetOf, MAX_LINE_BYTES, type Allocate, type LineBytes } from '../framing/line-bytes.js';
import {
  FINGERPRINT_BYTES, GzipCursor, gzipHead, headOf, isGzipHead, isOtherCompression, isRotatedName, matchesFingerprint, sha256, startsWith,
} from './file-identity.js';

/**
 * Follows files through rotation, the way a shipper next to a router must for months, whether
 * the output keeps up or not:
 *
 * - finding files is separate from reading them: a scan runs on its own timer (and at once when
 *   a watched directory changes), so rotations are noticed while the output is stalled and the
 *   reader is not asking for more. What it holds meanwhile is a descriptor and a position per
 *   file, never data;
 * - files are known by device + inode + their first bytes, so a rename keeps the position, a
 *   reused inode does not inherit it, and a copy or a compressed generation is recognised;
 * - a file renamed or deleted away (logrotate `create`, `compress`, `delaycompress`) stays open
 *   and is read to its end before it is let go;
 * - a file truncated in place (`copytruncate`) is noticed by its size going down or by its first
 *   bytes changing (it may have grown past the old position again); what had not been read yet is
 *   read from the copy, and the file itself from its start;
 * - at start-up the checkpointed files are looked for by identity among their rotated siblings
 *   (plain or `.gz`), and the generations written while dropship was stopped are read too; while
 *   running, a generation that was created and rotated away between two scans is found the same
 *   way;
 * - a partial last line is held until its newline arrives (or the file is let go);
 * - offsets are bytes, and the caller commits them only once the sink has settled the lines,
 *   with where the lines of the last settled second began: after a restart the lines from there
 *   to the checkpoint are read again as context (counted among identical lines, not sent; see
 *   processing/occurrence.ts).
 */

export interface FollowOptions {
  patterns: string[];
  /** Patterns followed like the others but never reported as matching nothing (the spool). */
  quietPatterns?: string[];
  store: CheckpointStore;
  /** Where to start in files that have no checkpoint when dropship starts (later files: beginning). */
  startAt: 'beginning' | 'end';
  /** How often files are looked for and checked (default 250 ms). */
  pollIntervalMs?: number;
  /** How long a rotated-away file is kept open after it last grew (a writer may still append). */
  drainGraceMs?: number;
  readChunkBytes?: number;
  maxLineBytes?: number;
  /** Where batch buffers come from (the processing pool's reused ones). */
  allocate?: Allocate;
  onEvent?: (event: FollowEvent) => void;
}

export type FollowEvent =
  | { type: 'opened'; path: string; offset: number; resumed: boolean; compressed?: boolean }
  | { type: 'rotated'; path: string }
  | { type: 'truncated'; path: string }
  | { type: 'closed'; path: string; offset: number }
  | { type: 'lost'; path: string; reason: string }
  /** A file that exists but cannot be opened (reported once until it can). */
  | { type: 'unreadable'; path: string; reason: string }
  | { type: 'readable'; path: string }
  /** A pattern that matches no file (reported once until it does). */
  | { type: 'unmatched'; pattern: string }
  | { type: 'matched'; pattern: string };

export interface FileBatch extends LineBytes {
  path: string;
  dev: number;
  ino: number;
  generation: number;
  /** The file's stream, whose identical lines are counted together: a generation of a file (a copytruncate copy continues the original's). */
  stream: string;
  /** Lines delivered before a restart, read again as context only (see FileCheckpoint.context). */
  context: boolean;
}

/**
 * File times come from a coarse kernel clock that may lag the wall clock by a tick: a file
 * counts as written after a scan if its mtime is later than the scan's start less this much.
 */
const MTIME_SLACK_MS = 50;

/** How a file looked when it was judged: judged again once its size or mtime changes. */
const stampOf = (st: { size: number; mtimeMs: number }): string => `${st.size}:${st.mtimeMs}`;

/** A new checkpoint of a file at `offset`, known by `head` (its first bytes). */
function checkpointOf(f: { dev: number; ino: number; path: string }, offset: number, generation: number, head: Buffer): FileCheckpoint {
  return {
    dev: f.dev, ino: f.ino, path: f.path, offset, generation,
    fingerprint: sha256(head), fingerprintLength: head.length, updated: new Date().toISOString(),
  };
}

/** Whether a file on a checkpoint's inode is still the file it was taken of (taken empty: nothing tells them apart). */
const stillOwn = (cp: FileCheckpoint, head: Buffer): boolean =>
  cp.fingerprintLength === 0 || matchesFingerprint(head, cp.fingerprint, cp.fingerprintLength);

/** A generation of a file, as a stream whose identical lines are counted together. */
const streamOf = (dev: number, ino: number, generation: number): string => `${dev}:${ino}:${generation}`;

let lastGeneration = 0;
/**
 * A number never handed out before in this process or (being time-based) an earlier one: a new
 * file on a reused inode, or a truncated file, gets one, so acks for its predecessor are ignored.
 */
function newGeneration(): number {
  lastGeneration = Math.max(lastGeneration + 1, Date.now());
  return lastGeneration;
}

interface Tracked {
  key: string;
  dev: number;
  ino: number;
  path: string;
  /** A plain file's descriptor; undefined for a compressed generation (read through `gz`). */
  fh: FileHandle | undefined;
  gz: GzipCursor | undefined;
  /** Content offset of the next byte to read. */
  readOffset: number;
  /** Lines that end at or before this offset are context (read again after a restart); 0: none. */
  contextEnd: number;
  generation: number;
  stream: string;
  splitter: ByteLineSplitter;
  /** The file's first bytes as last seen (its fingerprint), up to FINGERPRINT_BYTES. */
  head: Buffer;
  /** Largest size seen: a smaller one means the file was truncated. */
  size: number;
  /** No pattern matches it any more: it is read to its end and let go. */
  draining: boolean;
  lastGrowth: number;
  /** Order in which files were taken up; rotated generations are read oldest first. */
  order: number;
}

/** A file found next to a followed one and not known by identity. */
interface Candidate {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  gz: boolean;
  head: Buffer;
}

/** How a file relates to what the follower knows. */
type Identity =
  | { kind: 'tracked'; t: Tracked }
  /** `readFrom`: where reading goes on, when it is past the settled offset (a file let go, back). */
  | { kind: 'checkpoint'; cp: FileCheckpoint; readFrom?: number }
  | { kind: 'finished' }
  | { kind: 'unknown' };

export class FileFollower {
  private readonly tracked = new Map<string, Tracked>();
  /** Files let go, by inode key: once their lines are settled they become finished records. */
  private readonly letGo = new Map<string, { generation: number; endOffset: number }>();
  /** Siblings already judged (by inode key, with the size and mtime they had then). */
  private readonly judged = new Map<string, string>();
  /** Unknown siblings seen once, adopted if unchanged at the next scan (not still being written). */
  private readonly pendingSiblings = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly reported = new Set<string>();
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly chunkBytes: number;
  private readonly maxLineBytes: number;
  private lock: Promise<unknown> = Promise.resolve();
  private started: Promise<void> | undefined;
  private closed = false;
  private scanTimer: NodeJS.Timeout | undefined;
  private scanSoon = false;
  /** Start of the last complete scan: files written later were not seen by it. */
  private lastLook: number | undefined;
  private wakeReader: (() => void) | undefined;
  private readBuffer: Buffer | undefined;
  private nextOrder = 0;
  private scanCount = 0;
  private caughtUpWaiters: { afterScan: number; done: () => void }[] = [];

  constructor(private readonly opts: FollowOptions) {
    this.pollMs = opts.pollIntervalMs ?? 250;
    this.graceMs = opts.drainGraceMs ?? 5000;
    // ~1,000 lines: enough to amortize a worker round trip, small enough that the batches in
    // flight (and their ~6x larger documents) stay a few MB.
    this.chunkBytes = opts.readChunkBytes ?? 256 * 1024;
    this.maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
  }

  /** Looks for files (and what was rotated while dropship was stopped), then keeps looking. */
  start(): Promise<void> {
    this.started ??= this.exclusive(async () => {
      this.lastLook = this.opts.store.observedAt;
      await this.scan(true);
      // What start-up found is on disk before anything is read: killed within the first second,
      // the next start still knows which files were there before and which came after.
      await this.opts.store.flush().catch(() => undefined);
    }).then(() => this.scheduleScan());
    return this.started;
  }

  /** Batches of complete lines, oldest data first, until `signal` aborts. */
  async *batches(signal: AbortSignal): AsyncGenerator<FileBatch> {
    try {
      await this.start();
      while (!signal.aborted && !this.closed) {
        const scansBefore = this.scanCount;
        const batch = await this.exclusive(() => this.readSome());
        if (batch !== undefined) {
          yield batch;
          continue;
        }
        this.caughtUp(scansBefore);
        await this.sleep(signal);
      }
    } finally {
      await this.close();
    }
  }

  /**
   * Resolves once everything there is to read has been read: a scan that started after this
   * call completed, and then a read found nothing more. (Tests wait on it instead of sleeping.)
   */
  whenCaughtUp(): Promise<void> {
    return new Promise((done) => this.caughtUpWaiters.push({ afterScan: this.scanCount + 2, done }));
  }

  private caughtUp(scansBefore: number): void {
    if (this.caughtUpWaiters.length === 0) return;
    this.caughtUpWaiters = this.caughtUpWaiters.filter((w) => {
      if (w.afterScan > scansBefore) return true;
      w.done();
      return false;
    });
  }

  /**
   * Called once the sink settled every line of `batch` (and all before it); `runStart`: where
   * the lines of the last settled second began (the checkpoint's context).
   */
  commit(batch: Pick<FileBatch, 'dev' | 'ino' | 'generation' | 'endOffset'>, runStart?: number): void {
    this.opts.store.advance(batch.dev, batch.ino, batch.generation, batch.endOffset, runStart);
    this.settleLetGo(inodeKey(batch.dev, batch.ino));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.scanTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.wakeReader?.();
    await this.exclusive(async () => {
      for (const t of this.tracked.values()) await this.release(t);
      this.tracked.clear();
    });
  }

  /** Bytes known to exist but not yet read, over all followed plain files (the input lag). */
  async pendingBytes(): Promise<number> {
    let n = 0;
    for (const t of [...this.tracked.values()]) {
      const st = await t.fh?.stat().catch(() => undefined);
      if (st !== undefined && st.size > t.readOffset) n += st.size - t.readOffset;
    }
    return n;
  }

  /** Open descriptors held for followed files (one per file not finished yet). */
  get openFiles(): number {
    let n = 0;
    for (const t of this.tracked.values()) if (t.fh !== undefined || t.gz !== undefined) n++;
    return n;
  }

  private emit(event: FollowEvent): void {
    this.opts.onEvent?.(event);
  }

  /** Scans and reads take turns: both change what is tracked. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private scheduleScan(delay = this.pollMs): void {
    if (this.closed) return;
    clearTimeout(this.scanTimer);
    this.scanTimer = setTimeout(() => {
      this.scanSoon = false;
      void this.exclusive(() => this.scan(false))
        .catch(() => undefined) // a failed scan is retried at the next one
        .finally(() => {
          this.wakeReader?.();
          this.scheduleScan();
        });
    }, delay);
    this.scanTimer.unref();
  }

  // ---- finding files ----

  private async scan(initial: boolean): Promise<void> {
    if (this.closed) return;
    const scanStart = Date.now();
    let complete = true;
    const matched = await this.expand();
    const seen = new Set<string>();
    const newcomers: Candidate[] = [];
    for (const path of matched) {
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile()) continue;
      const key = inodeKey(st.dev, st.ino);
      seen.add(key);
      const t = this.tracked.get(key);
      if (t !== undefined) {
        t.path = path;
        t.draining = false;
        continue;
      }
      const c = await this.candidate(path, st);
      if (c === undefined) complete = false;
      else newcomers.push(c);
    }
    for (const t of this.tracked.values()) {
      if (!seen.has(t.key) && !t.draining) {
        t.draining = true;
        t.lastGrowth = Date.now();
        this.emit({ type: 'rotated', path: t.path });
      }
      if (t.fh !== undefined && !(await this.checkTruncation(t))) complete = false;
    }
    const siblings = await this.siblings(matched, seen, initial);
    if (initial) {
      if (!(await this.recover(newcomers, siblings))) complete = false;
    } else {
      for (const c of newcomers) if (!(await this.takeUp(c, this.identify(c, true), 'beginning', false))) complete = false;
      if (!(await this.adoptMissed(siblings))) complete = false;
    }
    if (complete) {
      this.lastLook = scanStart;
      this.opts.store.observed(scanStart);
    }
    this.scanCount++;
  }

  /** Stats and reads the first bytes of a file; undefined (and reported) if it cannot be opened. */
  private async candidate(path: string, st: { dev: number; ino: number; size: number; mtimeMs: number }): Promise<Candidate | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      this.report(`unreadable:${path}`, { type: 'unreadable', path, reason: errorText(err) });
      return undefined;
    }
    try {
      this.clear(`unreadable:${path}`, { type: 'readable', path });
      const head = await headOf(fh, FINGERPRINT_BYTES);
      const gz = isGzipHead(head);
      return { path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, gz, head: gz ? await gzipHead(path) : head };
    } finally {
      await fh.close();
    }
  }

  /**
   * Tracked file, checkpoint or finished file this one is: by inode, else by its first bytes (a
   * copy or a compressed generation). `direct`: a pattern matches it. `used`: checkpoints already
   * given to another file. `notCopyOf`: a followed file this one is known not to be a copy of.
   */
  private identify(c: Candidate, direct: boolean, used: Set<FileCheckpoint> = new Set(), notCopyOf?: Tracked): Identity {
    const key = inodeKey(c.dev, c.ino);
    const t = this.tracked.get(key);
    if (t !== undefined) return { kind: 'tracked', t };
    const store = this.opts.store;
    const own = store.get(c.dev, c.ino);
    if (own !== undefined && !used.has(own) && stillOwn(own, c.head)) {
      const gone = this.letGo.get(key);
      if (gone === undefined || gone.generation !== own.generation) return { kind: 'checkpoint', cp: own };
      // Let go a moment ago, its last lines not settled yet, and back under a followed name:
      // followed again from where reading stopped, its acks still count.
      if (direct) return { kind: 'checkpoint', cp: own, readFrom: gone.endOffset };
      return { kind: 'finished' };
    }
    for (const other of this.tracked.values()) {
      if (other === notCopyOf) continue;
      if (other.head.length > 0 && startsWith(c.head, other.head)) return { kind: 'tracked', t: other };
    }
    for (const cp of store.all()) {
      if (used.has(cp) || this.tracked.has(inodeKey(cp.dev, cp.ino)) || !matchesFingerprint(c.head, cp.fingerprint, cp.fingerprintLength)) continue;
      // A file let go whose last lines are not settled yet is read already.
      if (this.letGo.has(inodeKey(cp.dev, cp.ino))) return { kind: 'finished' };
      if (cp.dev === c.dev && cp.ino === c.ino) continue;
      return { kind: 'checkpoint', cp };
    }
    for (const f of store.finished()) {
      if (!matchesFingerprint(c.head, f.fingerprint, f.fingerprintLength)) continue;
      const other = f.dev !== c.dev || f.ino !== c.ino;
      // A copy is never longer than its original: a short file's whole content at the start of a
      // longer one (a one-line log rotated, then the same line again) is no copy of it.
      if (other && !c.gz && c.size > f.size) continue;
      if (!direct || other) return { kind: 'finished' };
      // The same file back under a followed name after it was let go: followed again from its end.
      store.unfinish(f);
      const cp: FileCheckpoint = {
        dev: c.dev, ino: c.ino, path: c.path, offset: f.size, generation: newGeneration(),
        fingerprint: f.fingerprint, fingerprintLength: f.fingerprintLength, updated: new Date().toISOString(),
      };
      store.set(cp);
      return { kind: 'checkpoint', cp };
    }
    return { kind: 'unknown' };
  }

  /**
   * Rotated generations next to the followed files (and next to where checkpointed files were):
   * files no pattern matches, not tracked, judged once per inode, size and mtime.
   */
  private async siblings(matched: string[], seen: Set<string>, initial: boolean): Promise<Candidate[]> {
    const bases = new Map<string, Set<string>>();
    const add = (path: string): void => {
      const dir = dirname(path);
      let set = bases.get(dir);
      if (set === undefined) bases.set(dir, (set = new Set()));
      set.add(basename(path));
    };
    for (const p of matched) add(p);
    for (const p of this.opts.patterns) if (!isDynamicPattern(p)) add(resolve(p)); // missing now: rotated away?
    for (const t of this.tracked.values()) if (!t.draining) add(t.path);
    if (initial) for (const cp of this.opts.store.all()) add(cp.path);
    const found: Candidate[] = [];
    const present = new Set<string>();
    for (const [dir, names] of bases) {
      const entries = await readdir(dir).catch(() => [] as string[]);
      for (const name of entries) {
        if (![...names].some((b) => isRotatedName(name, b))) continue;
        const path = join(dir, name);
        const st = await stat(path).catch(() => undefined);
        if (st === undefined || !st.isFile()) continue;
        const key = inodeKey(st.dev, st.ino);
        present.add(key);
        const t = this.tracked.get(key);
        if (t !== undefined) {
          t.path = path; // where a rotated-away file went
          continue;
        }
        if (seen.has(key)) continue;
        const stamp = stampOf(st);
        if (this.judged.get(key) === stamp) continue;
        if (isOtherCompression(name)) {
          this.judged.set(key, stamp);
          continue;
        }
        const c = await this.candidate(path, st);
        if (c !== undefined) found.push(c);
      }
    }
    for (const key of this.judged.keys()) if (!present.has(key)) this.judged.delete(key);
    for (const key of this.pendingSiblings.keys()) if (!present.has(key)) this.pendingSiblings.delete(key);
    return found;
  }

  /**
   * Start-up: checkpointed files are resumed wherever they are now (renamed, copied, compressed),
   * the generations written while dropship was stopped are read from their start, and other
   * files follow --start-at. Everything is identified before anything is taken up (taking up a
   * file changes the checkpoints the others are recognised by), and taken up oldest first, so a
   * backlog is delivered in the order it was written.
   */
  private async recover(matched: Candidate[], siblings: Candidate[]): Promise<boolean> {
    const store = this.opts.store;
    const all = [...matched.map((c) => ({ c, direct: true })), ...siblings.map((c) => ({ c, direct: false }))]
      .sort((a, b) => a.c.mtimeMs - b.c.mtimeMs);
    const used = new Set<FileCheckpoint>();
    const ids = new Map<Candidate, Identity>();
    // Own inode first: the file a checkpoint was taken of, under whatever name it has now.
    for (const { c } of all) {
      const own = store.get(c.dev, c.ino);
      if (own !== undefined && stillOwn(own, c.head)) {
        used.add(own);
        ids.set(c, { kind: 'checkpoint', cp: own });
      }
    }
    for (const { c, direct } of all) {
      if (ids.has(c)) continue;
      const id = this.identify(c, direct, used);
      if (id.kind === 'checkpoint') used.add(id.cp);
      ids.set(c, id);
    }
    const plan: { c: Candidate; id: Identity; startAt: 'beginning' | 'end'; draining: boolean }[] = [];
    for (const { c, direct } of all) {
      const id = ids.get(c)!;
      const written = this.writtenUnseen(c);
      if (id.kind === 'unknown' && direct) {
        plan.push({ c, id, startAt: written && this.isLaterGeneration(c.path) ? 'beginning' : this.opts.startAt, draining: false });
      } else if (id.kind === 'unknown' && !written) {
        this.judged.set(inodeKey(c.dev, c.ino), stampOf(c)); // history from before we looked
      } else {
        plan.push({ c, id, startAt: 'beginning', draining: !direct });
      }
    }
    for (const cp of store.all()) {
      if (used.has(cp)) continue;
      this.emit({ type: 'lost', path: cp.path, reason: 'rotated away and removed while dropship was stopped; lines written to it after the last checkpoint may be lost' });
      store.delete(cp.dev, cp.ino);
    }
    let complete = true;
    for (const { c, id, startAt, draining } of plan) if (!(await this.takeUp(c, id, startAt, draining))) complete = false;
    return complete;
  }

  /** Whether a file was written after the last complete scan began (no scan saw it as it was). */
  private writtenUnseen(c: Candidate): boolean {
    return this.lastLook !== undefined && c.mtimeMs > this.lastLook - MTIME_SLACK_MS;
  }

  /** Whether a file stands where a file we followed before stood, or is a later generation of one. */
  private isLaterGeneration(path: string): boolean {
    const dir = dirname(path);
    const name = basename(path);
    const store = this.opts.store;
    return [...store.all(), ...store.finished()].some((f) => dirname(f.path) === dir && (f.path === path || isRotatedName(basename(f.path), name)));
  }

  /**
   * While running: a rotated generation no scan saw under a followed name (created and rotated
   * away between two scans, or renamed aside by logrotate) is read once it stops changing.
   */
  private async adoptMissed(siblings: Candidate[]): Promise<boolean> {
    let complete = true;
    for (const c of siblings) {
      const key = inodeKey(c.dev, c.ino);
      const stamp = stampOf(c);
      let id = this.identify(c, false);
      // A copy is never longer than its original (not truncated yet, or this scan would have
      // adopted the copy already): a short file's whole content at the start of a longer one
      // (a one-line log rotated away, then the same line again) is no copy of it. Should the
      // original be truncated just after this scan checked it, the copy waits as an unknown
      // file for its size to settle, and the next scan's truncation adopts it.
      if (id.kind === 'tracked' && !c.gz && c.size > (await this.currentSize(id.t))) id = this.identify(c, false, undefined, id.t);
      if (id.kind === 'tracked') {
        // A copy of a followed file (copytruncate in progress): taken up when the truncation shows.
        this.judged.set(key, stamp);
        continue;
      }
      if (id.kind === 'unknown') {
        if (!this.writtenUnseen(c) && !this.pendingSiblings.has(key)) {
          this.judged.set(key, stamp);
          continue;
        }
        if (this.pendingSiblings.get(key) !== stamp) {
          this.pendingSiblings.set(key, stamp); // still changing, or seen for the first time
          continue;
        }
      }
      this.pendingSiblings.delete(key);
      this.judged.set(key, stamp);
      if (id.kind === 'finished') continue;
      if (!(await this.takeUp(c, id, 'beginning', true))) complete = false;
    }
    return complete;
  }

  /**
   * Opens a file and positions it from what is known of it; false if it could not be opened.
   * `stream`: the stream its lines continue (a copy's: its original's).
   */
  private async takeUp(c: Candidate, id: Identity, startAt: 'beginning' | 'end', draining: boolean, stream?: string): Promise<boolean> {
    if (id.kind === 'tracked' || id.kind === 'finished') return true;
    const key = inodeKey(c.dev, c.ino);
    const store = this.opts.store;
    let fh: FileHandle | undefined;
    let size = c.size;
    let head = c.head;
    if (!c.gz) {
      try {
        fh = await open(c.path, 'r');
      } catch (err) {
        this.report(`unreadable:${c.path}`, { type: 'unreadable', path: c.path, reason: errorText(err) });
        return false;
      }
      const st = await fh.stat();
      if (st.dev !== c.dev || st.ino !== c.ino) {
        await fh.close();
        return true; // replaced since it was looked at; the next scan sees the new one
      }
      size = st.size;
      head = await headOf(fh, Math.min(size, FINGERPRINT_BYTES));
    }
    let offset = 0; // settled: where the checkpoint says the next line starts
    let readFrom: number | undefined;
    let context: number | undefined;
    let generation: number;
    let resumed = false;
    if (id.kind === 'checkpoint') {
      resumed = true;
      offset = id.cp.offset;
      readFrom = id.readFrom;
      // Let go and back within this run, its lines' count is still in memory: no context.
      if (readFrom === undefined && id.cp.context !== undefined && id.cp.context < offset) context = id.cp.context;
      generation = id.cp.dev === c.dev && id.cp.ino === c.ino ? id.cp.generation : newGeneration();
      // A copy carries the checkpoint on; the original's entry goes, unless its inode is another file's by now.
      if ((id.cp.dev !== c.dev || id.cp.ino !== c.ino) && store.get(id.cp.dev, id.cp.ino) === id.cp) store.delete(id.cp.dev, id.cp.ino);
      if (!c.gz && offset > size) {
        offset = 0; // truncated while we were away
        context = undefined;
        generation = newGeneration();
      }
    } else {
      offset = startAt === 'end' && !c.gz ? size : 0;
      generation = newGeneration();
    }
    const start = readFrom !== undefined && readFrom <= size ? readFrom : context ?? offset;
    let gz: GzipCursor | undefined;
    if (c.gz) {
      gz = new GzipCursor(c.path);
      if (!(await gz.seek(start).catch(() => false))) {
        gz.close();
        this.emit({ type: 'lost', path: c.path, reason: `compressed content ends before the checkpoint (${offset} bytes)` });
        this.judged.set(key, stampOf(c));
        return true;
      }
    }
    store.set({ ...checkpointOf(c, offset, generation, head), ...(context !== undefined ? { context } : {}) });
    this.letGo.delete(key); // taken up again: its checkpoint is live once more
    this.tracked.set(key, {
      key, dev: c.dev, ino: c.ino, path: c.path, fh, gz, readOffset: start, contextEnd: context !== undefined ? offset : 0, generation,
      stream: stream ?? streamOf(c.dev, c.ino, generation), head, size,
      splitter: new ByteLineSplitter(this.maxLineBytes, start, this.opts.allocate),
      draining: draining || c.gz, lastGrowth: Date.now(), order: this.nextOrder++,
    });
    this.watchDir(dirname(c.path));
    this.emit({ type: 'opened', path: c.path, offset: start, resumed, ...(c.gz ? { compressed: true } : {}) });
    this.wakeReader?.();
    return true;
  }

  /**
   * A plain file that got shorter, or whose first bytes changed (truncated and written again,
   * maybe past where we were), starts over. false if it could not be checked.
   */
  private async checkTruncation(t: Tracked): Promise<boolean> {
    const fh = t.fh!;
    try {
      const st = await fh.stat();
      if (st.size < t.size || st.size < t.readOffset || !(await this.sameHead(t))) {
        await this.startOver(t, st.size);
        return true;
      }
      if (st.size > t.size) t.size = st.size;
      await this.lengthenHead(t, st.size);
      return true;
    } catch {
      return false;
    }
  }

  /** A followed file's size now (Infinity if it cannot be told: then anything may be its copy). */
  private async currentSize(t: Tracked): Promise<number> {
    return (await t.fh?.stat().catch(() => undefined))?.size ?? Infinity;
  }

  private async sameHead(t: Tracked): Promise<boolean> {
    if (t.head.length === 0) return true;
    return (await headOf(t.fh!, t.head.length)).equals(t.head);
  }

  /**
   * A file first seen short (new, or just truncated) gets a fingerprint of its few first bytes;
   * it is lengthened as the file grows, so that a later copy can still be recognised by it and an
   * empty fingerprint never matches everything.
   */
  private async lengthenHead(t: Tracked, size: number): Promise<void> {
    const want = Math.min(size, FINGERPRINT_BYTES);
    if (t.head.length >= want || t.fh === undefined) return;
    const head = await headOf(t.fh, want);
    if (!startsWith(head, t.head)) return; // truncated meanwhile: the next check sees it
    t.head = head;
    const cp = this.opts.store.get(t.dev, t.ino);
    if (cp === undefined || cp.generation !== t.generation) return;
    cp.fingerprint = sha256(head);
    cp.fingerprintLength = head.length;
    this.opts.store.set(cp);
  }

  /**
   * Truncated in place (copytruncate): the copy (beside it, starting with the same bytes) holds
   * what was not read yet and is read from there as a rotated-away file; the file itself is read
   * again from byte 0 as a new generation. Lines written between the copy and the truncation
   * live on in neither (logrotate's manual says so).
   */
  private async startOver(t: Tracked, size: number): Promise<void> {
    this.emit({ type: 'truncated', path: t.path });
    const store = this.opts.store;
    const cp = store.get(t.dev, t.ino);
    const own = cp !== undefined && cp.generation === t.generation ? cp : undefined;
    const from = t.splitter.lineStart;
    // Reading stopped at `from`. It lies before the settled offset only while a restart's context
    // is read: the copy then reads the rest of it as context, and the checkpoint stays.
    const inContext = t.contextEnd > from;
    const settled = own === undefined ? from : inContext ? own.offset : Math.min(own.offset, from);
    if (t.head.length > 0) await this.adoptCopy(t, from, settled, own?.context, inContext ? t.contextEnd : 0);
    t.generation = newGeneration();
    t.stream = streamOf(t.dev, t.ino, t.generation);
    t.readOffset = 0;
    t.contextEnd = 0;
    t.size = size;
    t.splitter = new ByteLineSplitter(this.maxLineBytes, 0, this.opts.allocate);
    t.head = await headOf(t.fh!, Math.min(size, FINGERPRINT_BYTES));
    t.lastGrowth = Date.now();
    this.letGo.delete(t.key);
    store.set(checkpointOf(t, 0, t.generation, t.head));
  }

  /**
   * `context`: where the original's last settled second began (the copy holds the same bytes);
   * `contextEnd`: lines before it are read as context (see Tracked).
   */
  private async adoptCopy(t: Tracked, from: number, settled: number, context: number | undefined, contextEnd: number): Promise<void> {
    const dir = dirname(t.path);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile() || this.tracked.has(inodeKey(st.dev, st.ino))) continue;
      const c = await this.candidate(path, st);
      if (c === undefined || !startsWith(c.head, t.head)) continue;
      if (!c.gz && c.size < from) continue;
      // Read from where we were; the checkpoint stays at what the sink settled, since the lines
      // in between are not delivered yet.
      const generation = newGeneration();
      this.opts.store.set(checkpointOf(c, from, generation, t.head));
      const copy = { ...c, head: t.head };
      // Its lines continue the original's stream: what was read of the original is counted there.
      if (await this.takeUp(copy, { kind: 'checkpoint', cp: this.opts.store.get(c.dev, c.ino)! }, 'beginning', true, t.stream)) {
        const cp = this.opts.store.get(c.dev, c.ino);
        if (cp !== undefined) {
          cp.offset = settled;
          if (context !== undefined && context < settled) cp.context = context;
        }
        const taken = this.tracked.get(inodeKey(c.dev, c.ino));
        if (taken !== undefined) taken.contextEnd = contextEnd;
        this.judged.set(inodeKey(c.dev, c.ino), stampOf(c));
        return;
      }
      this.opts.store.delete(c.dev, c.ino);
    }
  }

  // ---- reading ----

  /** Reads the next chunk that completes at least one line; rotated-away files go first, oldest first. */
  private async readSome(): Promise<FileBatch | undefined> {
    const order = [...this.tracked.values()].sort((a, b) => Number(b.draining) - Number(a.draining) || a.order - b.order);
    for (const t of order) {
      const batch = t.gz !== undefined ? await this.readCompressed(t) : await this.readPlain(t);
      if (batch !== undefined) return batch;
    }
    return undefined;
  }

  private async readPlain(t: Tracked): Promise<FileBatch | undefined> {
    const fh = t.fh!;
    // One read buffer for every file: the splitter copies out what it keeps.
    const buf = (this.readBuffer ??= Buffer.allocUnsafeSlow(this.chunkBytes));
    for (;;) {
      const st = await fh.stat();
      if (st.size < t.size || st.size < t.readOffset) {
        await this.startOver(t, st.size);
        continue;
      }
      if (st.size > t.readOffset) {
        // Context is read up to its end exactly: a batch is all context or none.
        const inContext = t.readOffset < t.contextEnd;
        const want = Math.min(this.chunkBytes, st.size - t.readOffset, inContext ? t.contextEnd - t.readOffset : Infinity);
        const { bytesRead } = await fh.read(buf, 0, want, t.readOffset);
        if (bytesRead === 0) return undefined;
        // Checked after reading: if the first bytes are still the same, what was read belongs to
        // this file; if not, it may be a regrown file's bytes at our old offset.
        if (!(await this.sameHead(t))) {
          await this.startOver(t, (await fh.stat()).size);
          continue;
        }
        t.readOffset += bytesRead;
        t.size = Math.max(t.size, st.size);
        t.lastGrowth = Date.now();
        const batch = t.splitter.push(buf.subarray(0, bytesRead));
        if (inContext) this.endContext(t);
        await this.lengthenHead(t, st.size);
        if (batch.data.length > 0) return this.batchOf(t, batch, inContext);
        continue; // only part of a line so far: read on
      }
      if (t.draining && Date.now() - t.lastGrowth >= this.graceMs) return this.finish(t);
      return undefined;
    }
  }

  private async readCompressed(t: Tracked): Promise<FileBatch | undefined> {
    const gz = t.gz!;
    for (;;) {
      let chunk: Buffer | undefined;
      const inContext = t.readOffset < t.contextEnd;
      try {
        chunk = await gz.next(inContext ? Math.min(this.chunkBytes, t.contextEnd - t.readOffset) : this.chunkBytes);
      } catch (err) {
        this.emit({ type: 'lost', path: t.path, reason: `compressed file is damaged after ${gz.position} bytes: ${errorText(err)}` });
        chunk = undefined;
      }
      if (chunk === undefined) return this.finish(t);
      t.readOffset += chunk.length;
      const batch = t.splitter.push(chunk);
      if (inContext) this.endContext(t);
      if (batch.data.length > 0) return this.batchOf(t, batch, inContext);
    }
  }

  /** Read to its end: the last unterminated line goes out, the file is let go. */
  private async finish(t: Tracked): Promise<FileBatch | undefined> {
    const last = t.splitter.flush();
    const st = await (t.fh?.stat() ?? stat(t.path)).catch(() => undefined);
    if (st !== undefined) this.judged.set(t.key, stampOf(st)); // done with; not a new sibling
    await this.release(t);
    this.tracked.delete(t.key);
    this.letGo.set(t.key, { generation: t.generation, endOffset: last.data.length > 0 ? last.endOffset : t.readOffset });
    this.emit({ type: 'closed', path: t.path, offset: t.readOffset });
    this.settleLetGo(t.key);
    return last.data.length > 0 ? this.batchOf(t, last) : undefined;
  }

  /** A let-go file whose lines are all settled becomes a finished record. */
  private settleLetGo(key: string): void {
    const done = this.letGo.get(key);
    if (done === undefined) return;
    const store = this.opts.store;
    const [dev, ino] = key.split(':').map(Number) as [number, number];
    const cp = store.get(dev, ino);
    if (cp === undefined || cp.generation !== done.generation) {
      this.letGo.delete(key); // the inode belongs to a newer file now
    } else if (cp.offset >= done.endOffset) {
      store.finish(cp, done.endOffset);
      this.letGo.delete(key);
    }
  }

  private async release(t: Tracked): Promise<void> {
    t.gz?.close();
    t.gz = undefined;
    await t.fh?.close().catch(() => undefined);
    t.fh = undefined;
  }

  /**
   * At the end of the context: a line it leaves unfinished (a checkpoint after a last line without
   * its newline) is read from the checkpoint on, as it would be without context.
   */
  private endContext(t: Tracked): void {
    if (t.readOffset < t.contextEnd) return;
    if (t.splitter.pending) t.splitter = new ByteLineSplitter(this.maxLineBytes, t.contextEnd, this.opts.allocate);
    t.contextEnd = 0;
  }

  private batchOf(t: Tracked, b: LineBytes, context = false): FileBatch {
    return { ...b, path: t.path, dev: t.dev, ino: t.ino, generation: t.generation, stream: t.stream, context };
  }

  // ---- patterns, watching, waiting ----

  private async expand(): Promise<string[]> {
    const quiet = new Set((this.opts.quietPatterns ?? []).map((p) => resolve(p)));
    const out = new Set<string>();
    for (const raw of [...this.opts.patterns, ...(this.opts.quietPatterns ?? [])]) {
      const p = resolve(raw);
      let found: string[];
      if (isDynamicPattern(p)) {
        this.watchDir(dirname(p.replace(/[*?[{].*$/, 'x')));
        found = await glob([p], { absolute: true, onlyFiles: true, dot: true }).catch(() => []);
      } else {
        this.watchDir(dirname(p));
        const st = await stat(p).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') this.report(`unreadable:${p}`, { type: 'unreadable', path: p, reason: errorText(err) });
          return undefined;
        });
        found = st?.isFile() === true ? [p] : [];
      }
      if (!quiet.has(p)) {
        if (found.length === 0) this.report(`unmatched:${p}`, { type: 'unmatched', pattern: raw });
        else this.clear(`unmatched:${p}`, { type: 'matched', pattern: raw });
      }
      for (const f of found) out.add(f);
    }
    return [...out].sort();
  }

  /** Reports a problem once, until clear() says it is over. */
  private report(id: string, event: FollowEvent): void {
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.emit(event);
  }

  private clear(id: string, event: FollowEvent): void {
    if (this.reported.delete(id)) this.emit(event);
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || this.closed) return;
    try {
      const w = watch(dir, { persistent: false }, (eventType) => {
        this.wakeReader?.();
        // A file created, renamed or removed: look now rather than at the next poll.
        if (eventType === 'rename' && !this.scanSoon) {
          this.scanSoon = true;
          this.scheduleScan(5);
        }
      });
      w.on('error', () => undefined);
      this.watchers.set(dir, w);
    } catch {
      // Not watchable (missing yet, or no inotify): polling alone still works.
    }
  }

  private sleep(signal: AbortSignal): Promise<void> {
    return new Promise((done) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.wakeReader = undefined;
        done();
      };
      const timer = setTimeout(finish, this.pollMs);
      this.wakeReader = finish;
      signal.addEventListener('abort', finish, { once: true });
    });
  }
}


/**
 * The follower's batches as the pipeline takes them: each file generation a stream of its own
 * (identical lines are counted per stream), context lines marked, and a commit that records the
 * settled offset with where its second's lines began. `senderOf`: the syslog sender of a file
 * (the spool's), for observer.ip.
 */
export async function* followedBatches(
  follower: FileFollower, signal: AbortSignal, senderOf?: (dev: number, ino: number) => string | undefined,
): AsyncGenerator<SourceBatch> {
  for await (const b of follower.batches(signal)) {
    yield {
      data: b.data,
      truncated: b.truncated,
      senderIp: senderOf?.(b.dev, b.ino),
      stream: b.stream,
      contextLines: b.context ? Number.MAX_SAFE_INTEGER : undefined,
      pointAt: (line, byte) => ({ offset: inputOffsetOf(b, line, byte) }),
      commit: (runStart) => follower.commit(b, runStart?.offset),
    };
  }
}

/** How an event reads in dropship's log: problems a user must hear about are warnings, said once. */
export function followEventLog(e: FollowEvent): { level: 'info' | 'warn'; message: string } {
  switch (e.type) {
    case 'unreadable': return { level: 'warn', message: `cannot read ${e.path} (${e.reason}); will keep trying` };
    case 'readable': return { level: 'info', message: `${e.path} is readable now` };
    case 'unmatched': return { level: 'warn', message: `${e.pattern} matches no file (yet); will keep looking` };
    case 'matched': return { level: 'info', message: `${e.pattern} matches a file now` };
    case 'lost': return { level: 'warn', message: 'file lost' };
    default: return { level: 'info', message: `file ${e.type}` };
  }
}
