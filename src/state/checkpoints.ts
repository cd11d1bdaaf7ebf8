import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Where each followed file has been delivered up to, persisted in `<state-dir>/files.json`.
 *
 * Files are known by device + inode (which survive a rename) plus a fingerprint of their first
 * bytes (which tells a reused inode from the file that had it). An offset here is only ever one
 * that the sink has settled, so a restart resumes exactly after the last delivered line.
 */

export const STATE_FORMAT = 'dropship-file-checkpoints';
export const STATE_VERSION = 1;

export interface FileCheckpoint {
  dev: number;
  ino: number;
  /** sha256 (hex) of the first `fingerprintLength` bytes */
  fingerprint: string;
  fingerprintLength: number;
  /** Last path the file was seen under (a hint for finding it again after a rename). */
  path: string;
  /** Bytes delivered: the next line to ship starts here. */
  offset: number;
  /** Bumped when the file is truncated in place (copytruncate), so stale acks are ignored. */
  generation: number;
  updated: string;
}

interface StateFile {
  format: string;
  version: number;
  files: FileCheckpoint[];
}

export class StateError extends Error {
  override readonly name = 'StateError';
}

export function inodeKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

export class CheckpointStore {
  private readonly entries = new Map<string, FileCheckpoint>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  /**
   * Loads the state directory (`fileName` lets `import` keep its own records apart from the
   * followed files of `tail`); a corrupt or foreign file is an error, never a silent reset.
   */
  static async open(stateDir: string, fileName = 'files.json'): Promise<CheckpointStore> {
    await mkdir(stateDir, { recursive: true });
    const store = new CheckpointStore(join(stateDir, fileName));
    let text: string;
    try {
      text = await readFile(store.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw new StateError(`cannot read state file ${store.path}: ${(err as Error).message}`);
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

  /** Records a settled offset; acks from before a truncation (older generation) are ignored. */
  advance(dev: number, ino: number, generation: number, offset: number): void {
    const cp = this.entries.get(inodeKey(dev, ino));
    if (cp === undefined || generation !== cp.generation || offset <= cp.offset) return;
    cp.offset = offset;
    cp.updated = new Date().toISOString();
    this.dirty = true;
  }

  delete(dev: number, ino: number): void {
    if (this.entries.delete(inodeKey(dev, ino))) this.dirty = true;
  }

  /** Writes atomically (temp file, fsync, rename, fsync of the directory) if anything changed. */
  flush(): Promise<void> {
    this.writing = this.writing.catch(() => undefined).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.write();
      } catch (err) {
        this.dirty = true;
        throw new StateError(`cannot write state file ${this.path}: ${(err as Error).message}`);
      }
    });
    return this.writing;
  }

  private async write(): Promise<void> {
    {
      const body: StateFile = { format: STATE_FORMAT, version: STATE_VERSION, files: this.all() };
      const tmp = `${this.path}.${process.pid}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(body, null, 1));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }
}

function isCheckpoint(v: unknown): v is FileCheckpoint {
  const c = v as FileCheckpoint;
  return (
    c !== null && typeof c === 'object' && Number.isSafeInteger(c.dev) && Number.isSafeInteger(c.ino) &&
    typeof c.fingerprint === 'string' && Number.isSafeInteger(c.fingerprintLength) && typeof c.path === 'string' &&
    Number.isSafeInteger(c.offset) && c.offset >= 0 && Number.isSafeInteger(c.generation)
  );
}
