import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/**
 * `--output ndjson:<file>` and `--output stdout`: documents as NDJSON instead of Elasticsearch.
 * Documents are acknowledged once written (and, for a file, fsync'ed), so sources checkpoint
 * exactly what is on disk.
 */

export interface NdjsonOutputOptions<T> {
  /** A file path, or a stream such as process.stdout. */
  target: string | Writable;
  onAck?: (token: T) => void;
  /** Write when this many bytes are buffered, or every flushIntervalMs. */
  maxBufferBytes?: number;
  flushIntervalMs?: number;
}

export class NdjsonOutput<T> {
  private fh: FileHandle | undefined;
  /** fsync only means something for a regular file; on /dev/null or a FIFO it fails (EINVAL). */
  private syncable = false;
  private buffer: Buffer[] = [];
  private bufferBytes = 0;
  private lastToken: T | undefined;
  private hasToken = false;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private failed: Error | undefined;
  written = 0;
  private pending = 0;
  private releases: (() => void)[] = [];

  private constructor(private readonly opts: NdjsonOutputOptions<T>) {}

  static async open<T>(opts: NdjsonOutputOptions<T>): Promise<NdjsonOutput<T>> {
    const out = new NdjsonOutput(opts);
    if (typeof opts.target === 'string') {
      out.fh = await open(opts.target, 'a', 0o600);
      out.syncable = (await out.fh.stat()).isFile();
    } else {
      // A closed pipe (`| head`) is reported to the write callbacks; without a listener the
      // stream's 'error' event would also crash the process.
      opts.target.on('error', () => undefined);
    }
    out.timer = setInterval(() => void out.flush().catch(() => undefined), opts.flushIntervalMs ?? 200);
    out.timer.unref();
    return out;
  }

  /** `docs` documents, each a JSON line ending in a newline. */
  pushBatch(body: Buffer, docs: number, token: T, release?: () => void): boolean {
    if (this.failed) throw this.failed;
    this.buffer.push(body);
    if (release !== undefined) this.releases.push(release);
    this.bufferBytes += body.length;
    this.pending += docs;
    this.lastToken = token;
    this.hasToken = true;
    if (this.bufferBytes >= (this.opts.maxBufferBytes ?? 1 << 20)) void this.flush().catch(() => undefined);
    return this.bufferBytes < 4 * (this.opts.maxBufferBytes ?? 1 << 20);
  }

  /** Rejects once a write has failed: the pipeline must stop, not wait for room forever. */
  whenWritable(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      void this.flush().catch(() => undefined);
    });
  }

  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.buffer.length === 0) return;
      const lone = this.buffer.length === 1;
      const chunk = lone ? this.buffer[0]! : Buffer.concat(this.buffer);
      // Concatenated, the bodies are free now; a lone one only once it is written.
      const releases = this.releases;
      this.releases = [];
      if (!lone) releaseAll(releases);
      const n = this.pending;
      this.pending = 0;
      const token = this.lastToken as T;
      const ack = this.hasToken;
      this.buffer = [];
      this.bufferBytes = 0;
      this.hasToken = false;
      try {
        if (this.fh !== undefined) {
          // write(2) may take less than asked (a pipe, a signal); what is acknowledged must be whole.
          for (let off = 0; off < chunk.length;) {
            const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
            if (bytesWritten <= 0) throw new Error('the target accepted no bytes');
            off += bytesWritten;
          }
          if (this.syncable) await this.fh.sync();
        } else {
          await writeStream(this.opts.target as Writable, chunk);
        }
      } catch (err) {
        const failed = new Error(`cannot write output: ${(err as Error).message}`);
        this.failed = failed;
        for (const w of this.waiters.splice(0)) w.reject(failed);
        throw failed;
      }
      if (lone) releaseAll(releases);
      this.written += n;
      if (ack) this.opts.onAck?.(token);
      for (const w of this.waiters.splice(0)) w.resolve();
    });
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
    await this.fh?.close();
  }
}

function releaseAll(releases: readonly (() => void)[]): void {
  for (const release of releases) release();
}

function writeStream(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
