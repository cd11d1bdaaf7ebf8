import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { inodeKey } from '../../state/checkpoints.js';

/**
 * Received syslog messages are written here first, one file per sender (`<sender-ip>.log`), and
 * shipped from there by the ordinary file follower: one delivery path with one set of
 * checkpoints, messages survive an Elasticsearch outage or a restart, and the user keeps a raw
 * archive of what the router sent.
 *
 * One message is one line: line breaks inside a message are written as `#012` (rsyslog's
 * escape for control characters), so a line is always exactly one message.
 *
 * The spool registers each file it writes (by inode, so renames do not matter) with the sender
 * whose messages it holds: that is where `observer.ip` comes from, not the file's name.
 *
 * A disk that fails (full, read-only, out of descriptors) does not end the process: what is on
 * disk stays, messages wait in memory up to a bound and are written, in order, once the disk
 * takes them again; beyond the bound UDP messages are dropped (and counted) and TCP senders are
 * slowed down (see `full`).
 */

export interface SpoolOptions {
  dir: string;
  /** Rotate a sender's file past this size (default 64 MiB). */
  maxFileBytes?: number;
  /** Rotated files kept per sender (default 10): the raw archive. */
  keepFiles?: number;
  /** How often written data is fsync'ed (default 1000 ms). */
  syncIntervalMs?: number;
  /**
   * Bytes waiting for the disk, all senders together, beyond which the spool is `full`: UDP
   * messages are then dropped (and counted), TCP connections are no longer read. Default 8 MiB.
   */
  maxPendingBytes?: number;
  /** How soon a failed write is tried again (default 1000 ms). */
  retryMs?: number;
  /** The disk failed (once per run of failures), or takes writes again. */
  onDiskEvent?: (event: SpoolDiskEvent) => void;
}

export type SpoolDiskEvent =
  | { type: 'failing'; path: string; code: string; message: string }
  | { type: 'recovered'; failures: number };

interface SpoolFile {
  name: string;
  sender: string;
  fh: FileHandle | undefined;
  size: number;
  pending: Buffer[];
  pendingBytes: number;
  busy: boolean;
  retry: NodeJS.Timeout | undefined;
  idle: (() => void)[];
}

export interface SpoolCounters {
  /** Messages dropped: over the memory bound while the disk could not keep up (or failed). */
  dropped: number;
  /** Failed writes (each is retried). */
  writeErrors: number;
  /** Bytes waiting for the disk now. */
  pendingBytes: number;
}

/** File name for a sender; IPv6 colons are replaced so names stay portable. */
export function spoolFileName(senderIp: string): string {
  return `${senderIp.replaceAll(':', '_')}.log`;
}

/** The sender of one of the spool's own file names (`x.log`, `x.log.N`), undefined for others. */
function senderOfOwnName(name: string): string | undefined {
  const m = /^([0-9a-fA-F._]+)\.log(?:\.\d+)?$/.exec(name);
  if (m === null) return undefined;
  return m[1]!.includes('_') ? m[1]!.replaceAll('_', ':') : m[1]!;
}

export function escapeMessage(msg: string): string {
  let end = msg.length;
  while (end > 0 && (msg.charCodeAt(end - 1) === 10 || msg.charCodeAt(end - 1) === 13 || msg.charCodeAt(end - 1) === 0)) end--;
  const body = end === msg.length ? msg : msg.slice(0, end);
  return body.indexOf('\n') >= 0 || body.indexOf('\r') >= 0 ? body.replaceAll('\r', '#015').replaceAll('\n', '#012') : body;
}

export class Spool {
  private readonly files = new Map<string, SpoolFile>();
  /** Sender of each spool file, by inode key. */
  private readonly senders = new Map<string, string>();
  private readonly maxFileBytes: number;
  private readonly keepFiles: number;
  private readonly maxPendingBytes: number;
  private readonly retryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private roomWaiters: (() => void)[] = [];
  readonly counters: SpoolCounters = { dropped: 0, writeErrors: 0, pendingBytes: 0 };

  constructor(private readonly opts: SpoolOptions) {
    this.maxFileBytes = opts.maxFileBytes ?? 64 * 1024 * 1024;
    this.keepFiles = opts.keepFiles ?? 10;
    this.maxPendingBytes = opts.maxPendingBytes ?? 8 * 1024 * 1024;
    this.retryMs = opts.retryMs ?? 1000;
  }

  /** Creates the spool directory (0700) and registers the files already in it. */
  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.opts.dir)) {
      const sender = senderOfOwnName(name);
      if (sender === undefined) continue;
      const st = await stat(join(this.opts.dir, name)).catch(() => undefined);
      if (st?.isFile() === true) this.senders.set(inodeKey(st.dev, st.ino), sender);
    }
    this.timer = setInterval(() => void this.fsyncAll(), this.opts.syncIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Where the follower should look. */
  pattern(): string {
    return join(this.opts.dir, '*.log');
  }

  /** The sender whose messages a spool file holds (under any of its names), if it is one of ours. */
  senderOf(dev: number, ino: number): string | undefined {
    return this.senders.get(inodeKey(dev, ino));
  }

  /** Whether more than `maxPendingBytes` wait for the disk: stop reading senders that can wait. */
  get full(): boolean {
    return this.counters.pendingBytes >= this.maxPendingBytes;
  }

  /** Calls `fn` once the backlog is down to half the bound (at once if it is). */
  onRoom(fn: () => void): void {
    if (this.counters.pendingBytes <= this.maxPendingBytes / 2) fn();
    else this.roomWaiters.push(fn);
  }

  /**
   * Queues one message; writes are batched per sender and never reordered. Over the bound the
   * message is dropped (false), unless `canWait`: a TCP sender, which the caller stops reading
   * once the spool is `full`, so what it already received is kept. That is at most one socket
   * read (64 KiB) per connection beyond the bound.
   */
  append(senderIp: string, message: string, canWait = false): boolean {
    const line = Buffer.from(escapeMessage(message) + '\n');
    if (!canWait && this.counters.pendingBytes + line.length > this.maxPendingBytes) {
      this.counters.dropped++;
      return false;
    }
    const name = spoolFileName(senderIp);
    let f = this.files.get(name);
    if (f === undefined) {
      f = { name, sender: senderIp, fh: undefined, size: 0, pending: [], pendingBytes: 0, busy: false, retry: undefined, idle: [] };
      this.files.set(name, f);
    }
    f.pending.push(line);
    f.pendingBytes += line.length;
    this.addPending(line.length);
    if (!f.busy && f.retry === undefined) void this.drain(f);
    return true;
  }

  /** Resolves once everything appended so far is written and fsync'ed (waits while the disk fails). */
  async sync(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => this.whenIdle(f)));
    await this.fsyncAll();
  }

  /**
   * Writes what it can and closes. Messages the disk would not take within `graceMs` are
   * dropped and counted; what is on disk stays for the next start.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.sync(), new Promise<void>((ok) => (timer = setTimeout(ok, graceMs)))]);
    clearTimeout(timer);
    for (const f of this.files.values()) {
      clearTimeout(f.retry);
      f.retry = undefined;
      this.counters.dropped += f.pending.length;
      this.addPending(-f.pendingBytes);
      f.pending = [];
      f.pendingBytes = 0;
      await f.fh?.close().catch(() => undefined);
      f.fh = undefined;
      for (const done of f.idle.splice(0)) done();
    }
    this.files.clear();
  }

  private whenIdle(f: SpoolFile): Promise<void> {
    if (f.pending.length === 0 && !f.busy) return Promise.resolve();
    return new Promise((ok) => f.idle.push(ok));
  }

  private addPending(n: number): void {
    this.counters.pendingBytes += n;
    if (n < 0 && this.roomWaiters.length > 0 && this.counters.pendingBytes <= this.maxPendingBytes / 2) {
      for (const fn of this.roomWaiters.splice(0)) fn();
    }
  }

  private async fsyncAll(): Promise<void> {
    for (const f of this.files.values()) await f.fh?.sync().catch(() => undefined);
  }

  private async openFile(f: SpoolFile): Promise<void> {
    const fh = await open(join(this.opts.dir, f.name), 'a', 0o600);
    try {
      const st = await fh.stat();
      this.senders.set(inodeKey(st.dev, st.ino), f.sender);
      f.fh = fh;
      f.size = st.size;
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Writes a file's queue in order; on failure keeps the unwritten rest first and retries later. */
  private async drain(f: SpoolFile): Promise<void> {
    f.busy = true;
    try {
      while (f.pending.length > 0) {
        if (f.fh === undefined) await this.openFile(f);
        // Take what fits before the size limit (at least one message), so files rotate on time.
        let take = 0;
        let bytes = 0;
        while (take < f.pending.length) {
          const n = f.pending[take]!.length;
          if (take > 0 && f.size + bytes + n > this.maxFileBytes) break;
          bytes += n;
          take++;
        }
        const chunk = take === 1 ? f.pending[0]! : Buffer.concat(f.pending.slice(0, take), bytes);
        f.pending.splice(0, take);
        let written = 0;
        try {
          // A write(2) can take part of a chunk (a disk filling up does that): write the rest.
          while (written < chunk.length) written += (await f.fh!.write(chunk, written, chunk.length - written)).bytesWritten;
        } finally {
          if (written < chunk.length) f.pending.unshift(chunk.subarray(written));
          f.pendingBytes -= written;
          f.size += written;
          this.addPending(-written);
        }
        if (f.size >= this.maxFileBytes) await this.rotate(f);
      }
      if (this.failures > 0) {
        this.opts.onDiskEvent?.({ type: 'recovered', failures: this.failures });
        this.failures = 0;
      }
    } catch (err) {
      this.counters.writeErrors++;
      if (this.failures++ === 0) {
        const e = err as NodeJS.ErrnoException;
        this.opts.onDiskEvent?.({ type: 'failing', path: join(this.opts.dir, f.name), code: e.code ?? 'EIO', message: e.message });
      }
      f.retry = setTimeout(() => {
        f.retry = undefined;
        if (!f.busy) void this.drain(f);
      }, this.retryMs);
    } finally {
      f.busy = false;
      if (f.pending.length === 0) for (const done of f.idle.splice(0)) done();
    }
  }

  /** `x.log` → `x.log.1` → … (the follower finishes a renamed file before letting it go). */
  private async rotate(f: SpoolFile): Promise<void> {
    const fh = f.fh!;
    f.fh = undefined;
    await fh.sync().catch(() => undefined);
    await fh.close().catch(() => undefined);
    const base = join(this.opts.dir, f.name);
    const rotated = (await readdir(this.opts.dir))
      .filter((n) => n.startsWith(`${f.name}.`) && /^\d+$/.test(n.slice(f.name.length + 1)))
      .map((n) => Number(n.slice(f.name.length + 1)))
      .sort((a, b) => b - a);
    for (const k of rotated) {
      if (k >= this.keepFiles) {
        const st = await stat(`${base}.${k}`).catch(() => undefined);
        await rm(`${base}.${k}`, { force: true });
        if (st !== undefined) this.senders.delete(inodeKey(st.dev, st.ino));
      } else {
        await rename(`${base}.${k}`, `${base}.${k + 1}`);
      }
    }
    await rename(base, `${base}.1`);
    f.size = 0;
    await this.openFile(f); // the sender's file exists again at once (else at the next write)
  }
}
