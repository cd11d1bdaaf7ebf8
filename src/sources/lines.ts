import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Bytes kept of one line; the rest up to the newline is skipped (the line is tagged). */
export const MAX_LINE_BYTES = 64 * 1024;

export interface LineBatch {
  lines: string[];
  /** Indexes (into `lines`) of lines that were cut at the byte limit. */
  truncated: number[];
  /** Byte offset just past the last complete line of this batch. */
  endOffset: number;
}

/**
 * Incremental byte → line splitter that never holds more than one bounded partial line.
 * Lines are decoded as UTF-8 with invalid sequences replaced (never throws); offsets are bytes
 * of the input, so a checkpoint can say exactly where the next unread line starts.
 */
export class LineSplitter {
  private carry: Buffer | undefined; // start of an unfinished line, at most maxLineBytes long
  // Inside an overlong line: its kept head, emitted once its newline arrives (so the line's end
  // offset is exact), the rest of its bytes dropped.
  private overlong: string | undefined;
  private offset: number;
  private lineStartOffset: number;

  constructor(
    private readonly maxLineBytes = MAX_LINE_BYTES,
    startOffset = 0,
  ) {
    this.offset = startOffset;
    this.lineStartOffset = startOffset;
  }

  /** Where the first line not yet emitted starts. */
  get lineStart(): number {
    return this.lineStartOffset;
  }

  /** Whether an unfinished line is held back. */
  get pending(): boolean {
    return this.carry !== undefined || this.overlong !== undefined;
  }

  push(chunk: Buffer): LineBatch {
    const batch: LineBatch = { lines: [], truncated: [], endOffset: -1 };
    const base = this.offset;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (this.overlong === undefined) {
          const rest = chunk.subarray(start);
          this.carry = this.carry === undefined ? Buffer.from(rest) : Buffer.concat([this.carry, rest]);
          if (this.carry.length > this.maxLineBytes) {
            this.overlong = this.carry.toString('utf8', 0, this.maxLineBytes);
            this.carry = undefined;
          }
        }
        break;
      }
      if (this.overlong !== undefined) {
        batch.truncated.push(batch.lines.length);
        batch.lines.push(this.overlong);
        this.overlong = undefined;
      } else if (this.carry !== undefined) {
        const whole = Buffer.concat([this.carry, chunk.subarray(start, nl)]);
        this.carry = undefined;
        if (whole.length > this.maxLineBytes) batch.truncated.push(batch.lines.length);
        batch.lines.push(whole.toString('utf8', 0, Math.min(whole.length, this.maxLineBytes)));
      } else if (nl - start > this.maxLineBytes) {
        batch.truncated.push(batch.lines.length);
        batch.lines.push(chunk.toString('utf8', start, start + this.maxLineBytes));
      } else {
        batch.lines.push(chunk.toString('utf8', start, nl));
      }
      start = nl + 1;
      batch.endOffset = this.lineStartOffset = base + start;
    }
    this.offset = base + chunk.length;
    return batch;
  }

  /** The unfinished last line, when the input is known to be complete (end of a file). */
  flush(): LineBatch {
    const batch: LineBatch = { lines: [], truncated: [], endOffset: -1 };
    if (this.overlong !== undefined) {
      batch.truncated.push(0);
      batch.lines.push(this.overlong);
      batch.endOffset = this.offset;
    } else if (this.carry !== undefined && this.carry.length > 0) {
      batch.lines.push(this.carry.toString('utf8'));
      batch.endOffset = this.offset;
    }
    this.carry = undefined;
    this.overlong = undefined;
    this.lineStartOffset = this.offset;
    return batch;
  }
}

/** Splits a whole stream into line batches, one per chunk; a last line without newline is kept. */
export async function* readLineBatches(input: AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<LineBatch> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const piece of input) {
    const batch = splitter.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
    if (batch.lines.length > 0) yield batch;
  }
  const last = splitter.flush();
  if (last.lines.length > 0) yield last;
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

/** Opens a file, transparently gunzipping it when it starts with the gzip magic bytes. */
export async function openMaybeGzip(path: string, options: OpenOptions = {}): Promise<Readable> {
  const gz = await isGzipFile(path);
  let raw: Readable = createReadStream(path, { highWaterMark: 256 * 1024, start: gz ? 0 : options.start ?? 0 });
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
