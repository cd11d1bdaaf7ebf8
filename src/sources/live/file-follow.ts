import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { inodeKey, type CheckpointStore, type FileCheckpoint } from '../../state/checkpoints.js';
import { ByteLineSplitter, MAX_LINE_BYTES, type Allocate, type LineBytes } from '../framing/line-bytes.js';

/**
 * Follows files through rotation, the way a shipper next to a router must for months:
 *
 * - files are known by device + inode + a fingerprint of their first bytes, so a rename keeps
 *   the position and a reused inode does not inherit it;
 * - a file renamed or deleted away (logrotate `create`, compression of the rotated file) stays
 *   open and is read to its end before it is let go; one truncated in place (`copytruncate`)
 *   is read again from its start;
 * - `stat` polling decides; `fs.watch` only wakes the poll early;
 * - a partial last line is held until its newline arrives (or the file is let go);
 * - offsets are bytes, and the caller commits them only once the sink has settled the lines.
 */

export interface FollowOptions {
  patterns: string[];
  store: CheckpointStore;
  /** Where to start in files that have no checkpoint when dropship starts (later files: beginning). */
  startAt: 'beginning' | 'end';
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
  | { type: 'opened'; path: string; offset: number; resumed: boolean }
  | { type: 'rotated'; path: string }
  | { type: 'truncated'; path: string }
  | { type: 'closed'; path: string; offset: number }
  | { type: 'lost'; path: string; reason: string };

export interface FileBatch extends LineBytes {
  path: string;
  dev: number;
  ino: number;
  generation: number;
}

export const FINGERPRINT_BYTES = 1024;

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
  dev: number;
  ino: number;
  fh: FileHandle;
  path: string;
  readOffset: number;
  generation: number;
  splitter: ByteLineSplitter;
  draining: boolean;
  lastGrowth: number;
}

export async function fingerprintOf(fh: FileHandle, size: number, length = Math.min(size, FINGERPRINT_BYTES)): Promise<string> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, 0);
  return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
}

export class FileFollower {
  private readonly tracked = new Map<string, Tracked>();
  /** Files let go (by inode), with the generation and end offset: their checkpoint goes once settled. */
  private readonly finished = new Map<string, { generation: number; endOffset: number }>();
  private readonly watchers = new Map<string, FSWatcher>();
  private wake: (() => void) | undefined;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly chunkBytes: number;
  private readonly maxLineBytes: number;
  private started = false;
  private lastScan = 0;
  private readBuffer: Buffer | undefined;

  constructor(private readonly opts: FollowOptions) {
    this.pollMs = opts.pollIntervalMs ?? 250;
    this.graceMs = opts.drainGraceMs ?? 5000;
    // ~1,000 lines: enough to amortize a worker round trip, small enough that the batches in
    // flight (and their ~6x larger documents) stay a few MB.
    this.chunkBytes = opts.readChunkBytes ?? 256 * 1024;
    this.maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
  }

  /** Batches of complete lines, oldest data first, until `signal` aborts. */
  async *batches(signal: AbortSignal): AsyncGenerator<FileBatch> {
    try {
      while (!signal.aborted) {
        if (!this.started) {
          await this.scan(true);
          this.started = true;
        }
        // Scan when idle, and at least every second under sustained load, so a busy file never
        // hides a rotation or a new file.
        if (Date.now() - this.lastScan >= Math.max(this.pollMs, 1000)) await this.scan(false);
        let batch = await this.readSome();
        if (batch === undefined) {
          await this.scan(false);
          batch = await this.readSome();
        }
        if (batch !== undefined) {
          yield batch;
          continue;
        }
        await this.sleep(signal);
      }
    } finally {
      await this.close();
    }
  }

  /** Called once the sink settled every line of `batch` (and all before it). */
  commit(batch: Pick<FileBatch, 'dev' | 'ino' | 'generation' | 'endOffset'>): void {
    this.opts.store.advance(batch.dev, batch.ino, batch.generation, batch.endOffset);
  }

  async close(): Promise<void> {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.tracked.values()) await t.fh.close().catch(() => undefined);
    this.tracked.clear();
  }

  /** Bytes known to exist but not yet read, over all followed files (the input lag). */
  async pendingBytes(): Promise<number> {
    let n = 0;
    for (const t of this.tracked.values()) {
      const st = await t.fh.stat().catch(() => undefined);
      if (st !== undefined && st.size > t.readOffset) n += st.size - t.readOffset;
    }
    return n;
  }

  private emit(event: FollowEvent): void {
    this.opts.onEvent?.(event);
  }

  private async scan(initial: boolean): Promise<void> {
    this.lastScan = Date.now();
    const store = this.opts.store;
    const paths = await this.expand();
    const seen = new Set<string>();
    for (const path of paths) {
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile()) continue;
      const key = inodeKey(st.dev, st.ino);
      seen.add(key);
      const t = this.tracked.get(key);
      if (t !== undefined) {
        t.path = path;
        t.draining = false;
      } else {
        await this.track(path, st.dev, st.ino, initial ? this.opts.startAt : 'beginning', false);
      }
      this.watchDir(dirname(path));
    }
    for (const [key, t] of this.tracked) {
      if (!seen.has(key) && !t.draining) {
        t.draining = true;
        t.lastGrowth = Date.now();
        this.emit({ type: 'rotated', path: t.path });
      }
    }
    if (initial) await this.recoverRotatedWhileDown(seen);
    for (const [key, done] of this.finished) {
      const [dev, ino] = key.split(':').map(Number) as [number, number];
      const cp = store.get(dev, ino);
      // The inode may already belong to a new file (another generation): leave its checkpoint.
      if (cp === undefined || cp.generation !== done.generation) {
        this.finished.delete(key);
      } else if (cp.offset >= done.endOffset) {
        store.delete(dev, ino);
        this.finished.delete(key);
      }
    }
  }

  /**
   * A checkpointed file that no pattern matches any more was rotated while dropship was down:
   * look for its inode next to where it was and finish it, so a restart loses nothing.
   */
  private async recoverRotatedWhileDown(seen: Set<string>): Promise<void> {
    for (const cp of this.opts.store.all()) {
      const key = inodeKey(cp.dev, cp.ino);
      if (seen.has(key) || this.tracked.has(key)) continue;
      const dir = dirname(cp.path);
      const names = await readdir(dir).catch(() => [] as string[]);
      let found: string | undefined;
      for (const name of names) {
        const st = await stat(join(dir, name)).catch(() => undefined);
        if (st !== undefined && st.isFile() && st.dev === cp.dev && st.ino === cp.ino) {
          found = join(dir, name);
          break;
        }
      }
      if (found === undefined || !(await this.track(found, cp.dev, cp.ino, 'beginning', true))) {
        this.emit({ type: 'lost', path: cp.path, reason: 'rotated away and removed (or compressed) while dropship was stopped' });
        this.opts.store.delete(cp.dev, cp.ino);
      }
    }
  }

  /** Opens a file and positions it from its checkpoint; false if it is not the checkpointed file. */
  private async track(path: string, dev: number, ino: number, startAt: 'beginning' | 'end', draining: boolean): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      return false;
    }
    const st = await fh.stat();
    if (st.dev !== dev || st.ino !== ino) {
      await fh.close();
      return false; // replaced between stat and open; the next scan sees the new one
    }
    const store = this.opts.store;
    const cp = store.get(dev, ino);
    let offset = 0;
    let generation = 0;
    let resumed = false;
    if (cp !== undefined && cp.fingerprintLength <= st.size && (await fingerprintOf(fh, st.size, cp.fingerprintLength)) === cp.fingerprint) {
      resumed = true;
      generation = cp.generation;
      offset = cp.offset;
      if (offset > st.size) {
        offset = 0; // truncated while we were away
        generation = newGeneration();
      }
    } else {
      if (draining) {
        await fh.close();
        return false;
      }
      offset = startAt === 'end' ? st.size : 0;
      generation = newGeneration();
    }
    const fresh: FileCheckpoint = {
      dev, ino, path, offset, generation,
      fingerprint: await fingerprintOf(fh, st.size),
      fingerprintLength: Math.min(st.size, FINGERPRINT_BYTES),
      updated: new Date().toISOString(),
    };
    store.set(fresh);
    this.tracked.set(inodeKey(dev, ino), {
      dev, ino, fh, path, readOffset: offset, generation, draining, lastGrowth: Date.now(),
      splitter: new ByteLineSplitter(this.maxLineBytes, offset, this.opts.allocate),
    });
    this.emit({ type: 'opened', path, offset, resumed });
    return true;
  }

  /** Reads the next chunk that completes at least one line; rotated-away files go first. */
  private async readSome(): Promise<FileBatch | undefined> {
    const order = [...this.tracked.values()].sort((a, b) => Number(b.draining) - Number(a.draining));
    for (const t of order) {
      for (;;) {
        const st = await t.fh.stat();
        if (st.size < t.readOffset) {
          // Truncated in place (copytruncate): what follows is new data from byte 0. Lines
          // written between our last read and the truncation live on only in the copy.
          await this.adoptCopy(t);
          t.readOffset = 0;
          t.generation = newGeneration();
          t.splitter = new ByteLineSplitter(this.maxLineBytes, 0, this.opts.allocate);
          this.opts.store.set({
            dev: t.dev, ino: t.ino, path: t.path, offset: 0, generation: t.generation,
            fingerprint: await fingerprintOf(t.fh, st.size), fingerprintLength: Math.min(st.size, FINGERPRINT_BYTES),
            updated: new Date().toISOString(),
          });
          this.emit({ type: 'truncated', path: t.path });
        }
        if (st.size > t.readOffset) {
          const want = Math.min(this.chunkBytes, st.size - t.readOffset);
          // One read buffer for every file: the splitter copies out what it keeps.
          const buf = (this.readBuffer ??= Buffer.allocUnsafeSlow(this.chunkBytes));
          const { bytesRead } = await t.fh.read(buf, 0, want, t.readOffset);
          if (bytesRead === 0) break;
          t.readOffset += bytesRead;
          t.lastGrowth = Date.now();
          const batch = t.splitter.push(buf.subarray(0, bytesRead));
          await this.refreshFingerprint(t, st.size);
          if (batch.data.length > 0) return this.batchOf(t, batch);
          continue; // only part of a line so far: read on
        }
        if (t.draining && Date.now() - t.lastGrowth >= this.graceMs) {
          const last = t.splitter.flush();
          await t.fh.close().catch(() => undefined);
          this.tracked.delete(inodeKey(t.dev, t.ino));
          this.finished.set(inodeKey(t.dev, t.ino), { generation: t.generation, endOffset: last.data.length > 0 ? last.endOffset : t.readOffset });
          this.emit({ type: 'closed', path: t.path, offset: t.readOffset });
          if (last.data.length > 0) return this.batchOf(t, last);
        }
        break;
      }
    }
    return undefined;
  }

  /**
   * A file first seen short (new, or just truncated) gets a fingerprint of its few first bytes;
   * it is lengthened as the file grows, so that a later copy can still be recognised by it and an
   * empty fingerprint never matches everything.
   */
  private async refreshFingerprint(t: Tracked, size: number): Promise<void> {
    const cp = this.opts.store.get(t.dev, t.ino);
    if (cp === undefined || cp.generation !== t.generation) return;
    const want = Math.min(size, FINGERPRINT_BYTES);
    if (cp.fingerprintLength >= want) return;
    cp.fingerprint = await fingerprintOf(t.fh, size, want);
    cp.fingerprintLength = want;
    this.opts.store.set(cp);
  }

  /**
   * After a copytruncate, the copy (same first bytes, another inode, beside the file) holds what
   * we had not read yet: follow it from our offset as a rotated-away file.
   */
  private async adoptCopy(t: Tracked): Promise<void> {
    const cp = this.opts.store.get(t.dev, t.ino);
    if (cp === undefined || cp.fingerprintLength === 0) return;
    const from = t.splitter.lineStart;
    const dir = dirname(t.path);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile() || st.size < from || this.tracked.has(inodeKey(st.dev, st.ino))) continue;
      if (st.dev === t.dev && st.ino === t.ino) continue;
      const fh = await open(path, 'r').catch(() => undefined);
      if (fh === undefined) continue;
      const same = (await fingerprintOf(fh, st.size, cp.fingerprintLength)) === cp.fingerprint;
      await fh.close();
      if (!same) continue;
      // track() resumes from this checkpoint, since the fingerprint matches.
      this.opts.store.set({
        dev: st.dev, ino: st.ino, path, offset: from, generation: newGeneration(),
        fingerprint: cp.fingerprint, fingerprintLength: cp.fingerprintLength, updated: new Date().toISOString(),
      });
      if (await this.track(path, st.dev, st.ino, 'beginning', true)) return;
      this.opts.store.delete(st.dev, st.ino);
    }
  }

  private batchOf(t: Tracked, b: LineBytes): FileBatch {
    return { ...b, path: t.path, dev: t.dev, ino: t.ino, generation: t.generation };
  }

  private async expand(): Promise<string[]> {
    const literal: string[] = [];
    const dynamic: string[] = [];
    for (const p of this.opts.patterns) (isDynamicPattern(p) ? dynamic : literal).push(resolve(p));
    const found = dynamic.length > 0 ? await glob(dynamic, { absolute: true, onlyFiles: true, dot: true }) : [];
    for (const p of dynamic) this.watchDir(dirname(p.replace(/[*?[{].*$/, 'x')));
    for (const p of literal) this.watchDir(dirname(p));
    return [...new Set([...literal, ...found])].sort();
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, () => this.wake?.());
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
        this.wake = undefined;
        done();
      };
      const timer = setTimeout(finish, this.pollMs);
      this.wake = finish;
      signal.addEventListener('abort', finish, { once: true });
    });
  }
}
