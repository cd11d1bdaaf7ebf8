import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Where each followed file has been delivered up to, persisted in `<state-dir>/files.json`.
 *
 * Files are known by device + inode (which survive a rename) plus a fingerprint of their first
 * bytes (which tells a reused inode from the file that had it, and finds a file again in a copy
 * or a compressed generation). An offset here is only ever one that the sink has settled, so a
 * restart resumes exactly after the last delivered line.
 */

export const STATE_FORMAT = 'dropship-file-checkpoints';
export const STATE_VERSION = 1;

export interface FileCheckpoint {
  dev: number;
  ino: number;
  /** sha256 (hex) of the first `fingerprintLength` bytes (of the content, for a `.gz` file) */
  fingerprint: string;
  fingerprintLength: number;
  /** Last path the file was seen under (a hint for finding it again after a rename). */
  path: string;
  /** Bytes delivered: the next line to ship starts here. */
  offset: number;
  /**
   * Where the lines of the last delivered second began, when before `offset`: a restart reads
   * them again as context, to number identical lines after them as the first run did
   * (processing/occurrence.ts), without sending them. Absent in files of older versions.
   */
  context?: number;
  /** Bumped when the file is truncated in place (copytruncate), so stale acks are ignored. */
  generation: number;
  updated: string;
}

/**
 * A file read to its end and let go. Kept (a bounded number of them) so that a copy of it that
 * appears later, such as its compressed generation, is known to be read already.
 */
export interface FinishedFile {
  dev: number;
  ino: number;
  fingerprint: string;
  fingerprintLength: number;
  path: string;
  /** Bytes it had when it was let go. */
  size: number;
  finished: string;
}

interface StateFile {
  format: string;
  version: number;
  files: FileCheckpoint[];
  /**
   * Start time (ms) of the last scan whose findings this file holds: every file that was written
   * after it (its mtime is later) was written while nobody looked. Absent in files of dropship
   * versions that did not record it.
   */
  observedAt?: number;
  finished?: FinishedFile[];
}

/** Finished files remembered: a few rotations' worth for every followed file. */
export const MAX_FINISHED = 256;

export class StateError extends Error {
  override readonly name = 'StateError';
}

export function inodeKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/**
 * Creates the state directory private to its user (0700): it holds checkpoints, the syslog
 * spool (whole messages) and dead letters (whole documents). An existing one that others can
 * read is tightened when it is ours.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StateError(`cannot create state directory ${dir}: ${errorText(err)}`);
  }
  const st = await stat(dir).catch((err: unknown) => {
    throw new StateError(`cannot use state directory ${dir}: ${errorText(err)}`);
  });
  if (!st.isDirectory()) throw new StateError(`state directory ${dir} is not a directory`);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) await chmod(dir, st.mode & 0o700).catch(() => undefined);
}

/** `EACCES (permission denied)`-style text of an fs error, without a stack. */
export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code !== undefined ? `${e.code} (${describeCode(e.code)})` : String((err as Error)?.message ?? err);
}

function describeCode(code: string): string {
  switch (code) {
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return 'read-only file system';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    case 'ENOENT': return 'no such file or directory';
    case 'ENOTDIR': return 'not a directory';
    default: return 'file system error';
  }
}

export class CheckpointStore {
  private readonly entries = new Map<string, FileCheckpoint>();
  private finishedFiles: FinishedFile[] = [];
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  /** See StateFile.observedAt: as loaded, and as the follower reports it. */
  observedAt: number | undefined;
  /** Consecutive failed writes (reset by the next one that succeeds). */
  failedWrites = 0;

  private constructor(readonly path: string) {}

  /**
   * Loads the state directory (`fileName` lets `import` keep its own records apart from the
   * followed files of `tail`); a corrupt or foreign file is an error, never a silent reset.
   */
  static async open(stateDir: string, fileName = 'files.json'): Promise<CheckpointStore> {
    await ensurePrivateDir(stateDir);
    const store = new CheckpointStore(join(stateDir, fileName));
    let text: string;
    try {
      text = await readFile(store.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw new StateError(`cannot read state file ${store.path}: ${errorText(err)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StateError(`state file ${store.path} is corrupt (not JSON); move it away to start over, or restore a backup`);
    }
    const state = parsed as Partial<StateFile>;
    if (state === null || typeof state !== 'object' || state.format !== STATE_FORMAT) {
      throw new StateError(`${store.path} is not a dropship checkpoint file; use another --state-dir`);
    }
    if (state.version !== STATE_VERSION) {
      throw new StateError(`state file ${store.path} has version ${String(state.version)}, this dropship reads version ${STATE_VERSION}`);
    }
    if (!Array.isArray(state.files) || !state.files.every(isCheckpoint)) {
      throw new StateError(`state file ${store.path} is corrupt (bad file entries); move it away to start over`);
    }
    for (const cp of state.files) store.entries.set(inodeKey(cp.dev, cp.ino), cp);
    if (Number.isFinite(state.observedAt)) store.observedAt = state.observedAt;
    if (Array.isArray(state.finished)) store.finishedFiles = state.finished.filter(isFinished);
    return store;
  }

  get(dev: number, ino: number): FileCheckpoint | undefined {
    return this.entries.get(inodeKey(dev, ino));
  }

  all(): FileCheckpoint[] {
    return [...this.entries.values()];
  }

  set(cp: FileCheckpoint): void {
    this.entries.set(inodeKey(cp.dev, cp.ino), cp);
    this.dirty = true;
  }

  /**
   * Records a settled offset, and where its second's lines began (`context`, see FileCheckpoint);
   * acks from before a truncation (older generation) are ignored.
   */
  advance(dev: number, ino: number, generation: number, offset: number, context?: number): void {
    const cp = this.entries.get(inodeKey(dev, ino));
    if (cp === undefined || generation !== cp.generation || offset <= cp.offset) return;
    cp.offset = offset;
    if (context !== undefined && context < offset) cp.context = context;
    else delete cp.context;
    cp.updated = new Date().toISOString();
    this.dirty = true;
  }

  delete(dev: number, ino: number): void {
    if (this.entries.delete(inodeKey(dev, ino))) this.dirty = true;
  }

  /** Files read to their end and let go, oldest first. */
  finished(): readonly FinishedFile[] {
    return this.finishedFiles;
  }

  /** Replaces a file's checkpoint by a finished-file record (its lines are all settled). */
  finish(cp: FileCheckpoint, size: number): void {
    this.entries.delete(inodeKey(cp.dev, cp.ino));
    if (cp.fingerprintLength > 0) {
      this.finishedFiles.push({ dev: cp.dev, ino: cp.ino, fingerprint: cp.fingerprint, fingerprintLength: cp.fingerprintLength, path: cp.path, size, finished: new Date().toISOString() });
      if (this.finishedFiles.length > MAX_FINISHED) this.finishedFiles.splice(0, this.finishedFiles.length - MAX_FINISHED);
    }
    this.dirty = true;
  }

  /** A finished file that turned out not to be (it is followed again): forgotten as finished. */
  unfinish(f: FinishedFile): void {
    const i = this.finishedFiles.indexOf(f);
    if (i >= 0) {
      this.finishedFiles.splice(i, 1);
      this.dirty = true;
    }
  }

  /**
   * Records the start of a scan whose findings are all in this store now. It is written with the
   * next change, not on its own: an idle shipper does not rewrite its state every second (flash
   * storage), and an older time only makes a restart look at more files, never at fewer.
   */
  observed(at: number): void {
    if (this.observedAt === undefined) this.dirty = true; // the first one is what a restart needs
    this.observedAt = at;
  }

  /**
   * Writes atomically (temp file, fsync, rename, fsync of the directory) if anything changed. On
   * failure (a full disk, say) the previous file stays as it was, the temp file is removed, and
   * the next flush tries again with everything that changed since.
   */
  flush(): Promise<void> {
    this.writing = this.writing.catch(() => undefined).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.write();
        this.failedWrites = 0;
      } catch (err) {
        this.dirty = true;
        this.failedWrites++;
        throw new StateError(`cannot write state file ${this.path}: ${errorText(err)}`);
      }
    });
    return this.writing;
  }

  private async write(): Promise<void> {
    const body: StateFile = {
      format: STATE_FORMAT, version: STATE_VERSION, files: this.all(),
      ...(this.observedAt !== undefined ? { observedAt: this.observedAt } : {}),
      finished: this.finishedFiles,
    };
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(body, null, 1));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

export interface CheckpointTimerEvents {
  /** The first failed write of a run of failures. */
  failed(err: StateError): void;
  /** A write succeeded again after `failures` failed ones. */
  recovered(failures: number): void;
}

/**
 * Flushes the store every `intervalMs`. A failing disk is reported once when it starts failing
 * and once when writes succeed again, not every second; the checkpoints meanwhile stay in memory.
 */
export function flushEvery(store: CheckpointStore, intervalMs: number, events: CheckpointTimerEvents): { stop(): void } {
  // One flush at a time: a write slower than the interval (fsync on a loaded disk) would queue a
  // second tick that read the same failure count and reported the recovery twice.
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const before = store.failedWrites;
    store.flush().then(
      () => {
        if (before > 0 && store.failedWrites === 0) events.recovered(before);
      },
      (err: unknown) => {
        if (store.failedWrites === 1) events.failed(err as StateError);
      },
    ).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function isCheckpoint(v: unknown): v is FileCheckpoint {
  const c = v as FileCheckpoint;
  return (
    c !== null && typeof c === 'object' && Number.isSafeInteger(c.dev) && Number.isSafeInteger(c.ino) &&
    typeof c.fingerprint === 'string' && Number.isSafeInteger(c.fingerprintLength) && typeof c.path === 'string' &&
    Number.isSafeInteger(c.offset) && c.offset >= 0 && Number.isSafeInteger(c.generation) &&
    (c.context === undefined || (Number.isSafeInteger(c.context) && c.context >= 0 && c.context <= c.offset))
  );
}

function isFinished(v: unknown): v is FinishedFile {
  const f = v as FinishedFile;
  return f !== null && typeof f === 'object' && Number.isSafeInteger(f.dev) && Number.isSafeInteger(f.ino) && typeof f.fingerprint === 'string' && Number.isSafeInteger(f.fingerprintLength) && Number.isSafeInteger(f.size);
}
