import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * How a followed file is recognised wherever it went: by its first bytes (up to
 * FINGERPRINT_BYTES), read from the file itself or from inside its gzip-compressed generation.
 */

export const FINGERPRINT_BYTES = 1024;

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export async function fingerprintOf(fh: FileHandle, size: number, length = Math.min(size, FINGERPRINT_BYTES)): Promise<string> {
  return sha256(await headOf(fh, length));
}

/** The first `length` bytes of an open file (fewer if it is shorter now). */
export async function headOf(fh: FileHandle, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, 0);
  return buf.subarray(0, bytesRead);
}

/** Whether `head` starts with the bytes a fingerprint was taken of (an empty one matches nothing). */
export function matchesFingerprint(head: Buffer, fingerprint: string, length: number): boolean {
  return length > 0 && head.length >= length && sha256(head.subarray(0, length)) === fingerprint;
}

/** Whether `head` begins with the bytes `prefix` (a file's first bytes as seen earlier: a copy's, a grown file's). */
export function startsWith(head: Buffer, prefix: Buffer): boolean {
  return head.length >= prefix.length && head.subarray(0, prefix.length).equals(prefix);
}

export function isGzipHead(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Compressions we cannot read: such a generation is reported, not read. */
const OTHER_COMPRESSION = new Set(['.bz2', '.xz', '.zst', '.lz4', '.lzma', '.Z', '.zip']);

export function isOtherCompression(name: string): boolean {
  return OTHER_COMPRESSION.has(extname(name));
}

/**
 * Whether `name` is a rotated generation of the file called `base`, as logrotate, busybox
 * syslogd, newsyslog and dropship's own spool name them: `base.1`, `base.2.gz`, `base-20240101`,
 * `base-20240101.gz`, and with logrotate's `extension`, `router-20240101.log(.gz)`.
 */
export function isRotatedName(name: string, base: string): boolean {
  if (name === base) return false;
  if (name.startsWith(base)) return /^[._-][\w.-]+$/.test(name.slice(base.length));
  const ext = extname(base);
  if (ext === '') return false;
  const stem = base.slice(0, -ext.length);
  if (!name.startsWith(stem)) return false;
  const rest = name.slice(stem.length);
  return /^[._-]\d[\w.-]*$/.test(rest) && (rest.endsWith(ext) || rest.endsWith(`${ext}.gz`));
}

/** The content of a `.gz` file read front to back, from any content offset. */
export class GzipCursor {
  private readonly raw: ReadStream;
  private readonly gunzip: Gunzip;
  private readonly chunks: AsyncIterator<Buffer>;
  private rest: Buffer | undefined;
  /** Content bytes consumed so far. */
  position = 0;

  constructor(path: string) {
    this.raw = createReadStream(path, { highWaterMark: 64 * 1024 });
    this.gunzip = createGunzip();
    this.raw.on('error', (err) => this.gunzip.destroy(err));
    this.chunks = this.raw.pipe(this.gunzip)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Up to `max` content bytes; undefined at the end. Throws on a damaged file. */
  async next(max: number): Promise<Buffer | undefined> {
    let chunk = this.rest;
    this.rest = undefined;
    if (chunk === undefined) {
      const r = await this.chunks.next();
      if (r.done === true) return undefined;
      chunk = r.value;
    }
    if (chunk.length > max) {
      this.rest = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    }
    this.position += chunk.length;
    return chunk;
  }

  /** Skips to content offset `offset`; false if the content is shorter. */
  async seek(offset: number): Promise<boolean> {
    while (this.position < offset) {
      if ((await this.next(offset - this.position)) === undefined) return false;
    }
    return true;
  }

  close(): void {
    this.raw.destroy();
    this.gunzip.destroy();
  }
}

/** The first `length` content bytes of a gzip file (fewer if it is shorter or damaged). */
export async function gzipHead(path: string, length = FINGERPRINT_BYTES): Promise<Buffer> {
  const cursor = new GzipCursor(path);
  const parts: Buffer[] = [];
  let n = 0;
  try {
    while (n < length) {
      const chunk = await cursor.next(length - n);
      if (chunk === undefined) break;
      parts.push(Buffer.from(chunk));
      n += chunk.length;
    }
  } catch {
    // A damaged or still-growing file: what could be read identifies it, or not.
  } finally {
    cursor.close();
  }
  return Buffer.concat(parts);
}
