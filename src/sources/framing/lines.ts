import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decodeLines, MAX_LINE_BYTES, readLineBytes, type Allocate, type LineBytes } from './line-bytes.js';

export { MAX_LINE_BYTES };

export interface LineBatch {
  lines: string[];
  /** Indexes (into `lines`) of lines that were cut at the byte limit. */
  truncated: number[];
  /** Byte offset just past the last complete line of this batch. */
  endOffset: number;
}

function decoded(b: LineBytes): LineBatch {
  return { lines: decodeLines(b.data), truncated: b.truncated, endOffset: b.endOffset };
}

/**
 * Batch buffers for lines decoded as soon as they are split: one scratch buffer serves every
 * batch, since nothing keeps the bytes.
 */
function scratchAllocate(): Allocate {
  let scratch = Buffer.allocUnsafeSlow(0);
  return (size) => {
    if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 320 * 1024));
    return scratch.subarray(0, size);
  };
}

/** Splits a whole stream into line batches, one per chunk; a last line without newline is kept. */
export async function* readLineBatches(input: AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<LineBatch> {
  // Each batch is decoded before the generator asks for the next one, so the scratch is free.
  for await (const b of readLineBytes(input, maxLineBytes, scratchAllocate())) yield decoded(b);
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
  } finally {
    await fh.close();
  }
}

export interface OpenOptions {
  /** Byte of the file to start at (plain files; a gzip stream can only be read from its start). */
  start?: number;
  /** Told the size of every chunk read from disk (before gunzip): progress in file bytes. */
  onRawBytes?: (bytes: number) => void;
}

/** Bytes read from a file at a time: with gzip, before it is inflated. */
export const FILE_READ_BYTES = 256 * 1024;

/** Opens a file, transparently gunzipping it when it starts with the gzip magic bytes. */
export async function openMaybeGzip(path: string, options: OpenOptions = {}): Promise<Readable> {
  const gz = await isGzipFile(path);
  let raw: Readable = createReadStream(path, { highWaterMark: FILE_READ_BYTES, start: gz ? 0 : options.start ?? 0 });
  const onRawBytes = options.onRawBytes;
  if (onRawBytes !== undefined) {
    // A pass-through counter rather than a 'data' listener, which would start the flow early.
    const file = raw;
    raw = file.pipe(new Transform({ transform(chunk: Buffer, _enc, done) { onRawBytes(chunk.length); done(null, chunk); } }));
    file.on('error', (err) => raw.destroy(err));
  }
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}
