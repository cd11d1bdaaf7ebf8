import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Received syslog messages are written here first, one file per sender (`<sender-ip>.log`), and
 * shipped from there by the ordinary file follower: one delivery path with one set of
 * checkpoints, messages survive an Elasticsearch outage or a restart, and the user keeps a raw
 * archive of what the router sent.
 *
 * One message is one line: line breaks inside a message are written as `#012` (rsyslog's
 * escape for control characters), so a line is always exactly one message.
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
   * Bytes waiting for the disk, all senders together, beyond which messages are dropped (and
   * counted) rather than held in memory: a flood faster than the disk must not exhaust the heap.
   * Default 8 MiB.
   */
  maxPendingBytes?: number;
}

interface SpoolFile {
  fh: FileHandle;
  size: number;
  pending: string[];
  pendingBytes: number;
  writing: Promise<void>;
}

/** File name for a sender; IPv6 colons are replaced so names stay portable. */
export function spoolFileName(senderIp: string): string {
  return `${senderIp.replaceAll(':', '_')}.log`;
}

/** The sender address a spool file name stands for, or undefined for other files. */
export function senderOfSpoolFile(path: string): string | undefined {
  const m = /(?:^|\/)([0-9a-fA-F._]+)\.log$/.exec(path);
  if (m === null) return undefined;
  const name = m[1]!;
  return name.includes('_') ? name.replaceAll('_', ':') : name;
}

export function escapeMessage(msg: string): string {
  let end = msg.length;
  while (end > 0 && (msg.charCodeAt(end - 1) === 10 || msg.charCodeAt(end - 1) === 13 || msg.charCodeAt(end - 1) === 0)) end--;
  const body = end === msg.length ? msg : msg.slice(0, end);
  return body.indexOf('\n') >= 0 || body.indexOf('\r') >= 0 ? body.replaceAll('\r', '#015').replaceAll('\n', '#012') : body;
}

export class Spool {
  private readonly files = new Map<string, SpoolFile>();
  private readonly maxFileBytes: number;
  private readonly keepFiles: number;
  private timer: NodeJS.Timeout | undefined;
  private pendingBytes = 0;
  private readonly maxPendingBytes: number;
  written = 0;
  /** Messages dropped because the disk could not keep up (see maxPendingBytes). */
  dropped = 0;

  constructor(private readonly opts: SpoolOptions) {
    this.maxFileBytes = opts.maxFileBytes ?? 64 * 1024 * 1024;
    this.keepFiles = opts.keepFiles ?? 10;
    this.maxPendingBytes = opts.maxPendingBytes ?? 8 * 1024 * 1024;
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.opts.syncIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Where the follower should look. */
  pattern(): string {
    return join(this.opts.dir, '*.log');
  }

  /** Queues one message; writes are batched per sender and never reordered. false: dropped. */
  append(senderIp: string, message: string): boolean {
    const name = spoolFileName(senderIp);
    const line = escapeMessage(message) + '\n';
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + bytes > this.maxPendingBytes) {
      this.dropped++;
      return false;
    }
    let f = this.files.get(name);
    if (f === undefined) {
      f = { fh: undefined as unknown as FileHandle, size: 0, pending: [], pendingBytes: 0, writing: Promise.resolve() };
      const file = f;
      file.writing = this.openFile(name).then((opened) => {
        file.fh = opened.fh;
        file.size = opened.size;
      });
      this.files.set(name, f);
    }
    f.pending.push(line);
    f.pendingBytes += bytes;
    this.pendingBytes += bytes;
    this.written++;
    if (f.pending.length === 1) {
      const file = f;
      file.writing = file.writing.then(() => this.drain(name, file));
    }
    return true;
  }

  /** Resolves once everything appended so far is written and fsync'ed. */
  async sync(): Promise<void> {
    for (const f of this.files.values()) {
      await f.writing;
      await f.fh?.sync();
    }
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.sync();
    for (const f of this.files.values()) await f.fh?.close();
    this.files.clear();
  }

  private async openFile(name: string): Promise<{ fh: FileHandle; size: number }> {
    const fh = await open(join(this.opts.dir, name), 'a', 0o600);
    return { fh, size: (await fh.stat()).size };
  }

  private async drain(name: string, f: SpoolFile): Promise<void> {
    while (f.pending.length > 0) {
      // Take what fits before the size limit (at least one message), so files rotate on time.
      let take = 0;
      let bytes = 0;
      while (take < f.pending.length) {
        const n = Buffer.byteLength(f.pending[take]!);
        if (take > 0 && f.size + bytes + n > this.maxFileBytes) break;
        bytes += n;
        take++;
      }
      const chunk = f.pending.slice(0, take).join('');
      f.pending = f.pending.slice(take);
      f.pendingBytes -= bytes;
      this.pendingBytes -= bytes;
      await f.fh.write(chunk);
      f.size += bytes;
      if (f.size >= this.maxFileBytes) await this.rotate(name, f);
    }
  }

  /** `x.log` → `x.log.1` → … (the follower finishes a renamed file before letting it go). */
  private async rotate(name: string, f: SpoolFile): Promise<void> {
    await f.fh.sync();
    await f.fh.close();
    const base = join(this.opts.dir, name);
    const rotated = (await readdir(this.opts.dir))
      .filter((n) => n.startsWith(`${name}.`) && /^\d+$/.test(n.slice(name.length + 1)))
      .map((n) => Number(n.slice(name.length + 1)))
      .sort((a, b) => b - a);
    for (const k of rotated) {
      if (k >= this.keepFiles) await rm(`${base}.${k}`, { force: true });
      else await rename(`${base}.${k}`, `${base}.${k + 1}`);
    }
    await rename(base, `${base}.1`);
    const opened = await this.openFile(name);
    f.fh = opened.fh;
    f.size = opened.size;
  }
}

export async function spoolBytes(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) n += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  return n;
}
