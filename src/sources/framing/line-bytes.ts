/**
 * Byte → line splitting that keeps lines as bytes. A followed file's lines cross to a parser
 * thread as one buffer per batch: the main thread then does no per-line decoding or copying,
 * and holds no per-line strings on its heap (which is what its garbage collector spent its time
 * on). No I/O imports here, so parser threads can load it cheaply.
 */

/** Bytes kept of one line; the rest up to the newline is skipped (the line is tagged). */
export const MAX_LINE_BYTES = 64 * 1024;

const NL = 10;

/**
 * A Buffer of exactly `size` bytes at offset 0 of an ArrayBuffer that nothing else uses, so a
 * batch can be handed to a thread without a copy.
 */
export type Allocate = (size: number) => Buffer;

const allocateOwn: Allocate = (size) => Buffer.allocUnsafeSlow(size);

export interface LineBytes {
  /** Whole lines, each ending in "\n"; a line cut at the byte limit keeps its head (see Allocate). */
  data: Buffer;
  /** Indexes (line numbers within `data`) of lines that were cut at the byte limit. */
  truncated: number[];
  /** Byte offset of the input just past the last complete line of this batch (-1: none). */
  endOffset: number;
  /** Byte offset of the input where the batch's first line starts. */
  startOffset: number;
}

/**
 * Incremental splitter that never holds more than one bounded partial line. Offsets are bytes of
 * the input, so a checkpoint says exactly where the next unread line starts.
 */
export class ByteLineSplitter {
  private carry: Buffer | undefined; // start of an unfinished line, at most maxLineBytes long
  // Inside an overlong line: its kept head, emitted once its newline arrives (so the line's end
  // offset is exact), the rest of its bytes dropped.
  private overlong: Buffer | undefined;
  private offset: number;
  private lineStartOffset: number;

  constructor(
    private readonly maxLineBytes = MAX_LINE_BYTES,
    startOffset = 0,
    /** Where batch buffers come from (a pool of reused ones, see ArrayBufferPool). */
    private readonly allocate: Allocate = allocateOwn,
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

  /** The complete lines that `chunk` finishes. The chunk is not retained: callers may reuse it. */
  push(chunk: Buffer): LineBytes {
    const base = this.offset;
    const startOffset = this.lineStartOffset;
    this.offset += chunk.length;
    const max = this.maxLineBytes;
    const truncated: number[] = [];
    let endOffset = -1;
    let start = 0;

    // The line carried over from earlier chunks ends at this chunk's first newline.
    let first: Buffer | undefined;
    if (this.carry !== undefined || this.overlong !== undefined) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.hold(chunk);
        return { data: EMPTY, truncated, endOffset, startOffset };
      }
      if (this.overlong !== undefined) {
        first = this.overlong;
        truncated.push(0);
      } else {
        const whole = Buffer.concat([this.carry!, chunk.subarray(0, nl)]);
        if (whole.length > max) truncated.push(0);
        first = whole.length > max ? whole.subarray(0, max) : whole;
      }
      this.carry = this.overlong = undefined;
      start = nl + 1;
      endOffset = this.lineStartOffset = base + start;
    }

    // Then every line the chunk holds whole, as one region unless one of them is overlong.
    const last = chunk.lastIndexOf(NL);
    let pieces: Buffer[] | undefined;
    let regionEnd = start;
    if (last >= start) {
      regionEnd = last + 1;
      if (!linesFit(chunk, start, regionEnd, max)) pieces = cutOverlong(chunk, start, regionEnd, max, first === undefined ? 0 : 1, truncated);
      endOffset = this.lineStartOffset = base + regionEnd;
    }
    if (regionEnd < chunk.length) this.hold(chunk.subarray(regionEnd));

    const size = (first === undefined ? 0 : first.length + 1) + (pieces === undefined ? regionEnd - start : byteSum(pieces));
    if (size === 0) return { data: EMPTY, truncated, endOffset, startOffset };
    const data = this.allocate(size);
    let at = 0;
    if (first !== undefined) {
      at += first.copy(data, 0);
      data[at++] = NL;
    }
    if (pieces === undefined) chunk.copy(data, at, start, regionEnd);
    else for (const p of pieces) at += p.copy(data, at);
    return { data, truncated, endOffset, startOffset };
  }

  /** The unfinished last line, when the input is known to be complete (end of a file). */
  flush(): LineBytes {
    const rest = this.overlong ?? this.carry;
    const cut = this.overlong !== undefined;
    const startOffset = this.lineStartOffset;
    this.carry = this.overlong = undefined;
    this.lineStartOffset = this.offset;
    if (rest === undefined || rest.length === 0) return { data: EMPTY, truncated: [], endOffset: -1, startOffset };
    const data = this.allocate(rest.length + 1);
    rest.copy(data, 0);
    data[rest.length] = NL;
    return { data, truncated: cut ? [0] : [], endOffset: this.offset, startOffset };
  }

  /** Keeps the start of an unfinished line (a copy: the chunk may be reused), bounded. */
  private hold(part: Buffer): void {
    if (this.overlong !== undefined) return;
    this.carry = this.carry === undefined ? Buffer.from(part) : Buffer.concat([this.carry, part]);
    if (this.carry.length > this.maxLineBytes) {
      this.overlong = Buffer.from(this.carry.subarray(0, this.maxLineBytes));
      this.carry = undefined;
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Whether line `line`'s byte in the batch's data is also its byte in the input: no line cut before it. */
export function isInputByte(b: Pick<LineBytes, 'truncated'>, line: number, byte: number): boolean {
  return byte >= 0 && !(b.truncated.length > 0 && b.truncated[0]! < line);
}

/**
 * The input offset where line `line` of a batch starts, given its byte in the batch's data. Lines
 * cut before it make data and input differ; then the batch's own start is given, which lies before
 * (what reads from there reads a few lines more, never fewer).
 */
export function inputOffsetOf(b: Pick<LineBytes, 'startOffset' | 'truncated'>, line: number, byte: number): number {
  return isInputByte(b, line, byte) ? b.startOffset + byte : b.startOffset;
}

/**
 * Whether every line in [start, end) (which ends with a newline) has at most `max` bytes. It
 * jumps a whole `max` at a time, so a 256 KiB chunk costs a handful of searches, not one per line.
 */
function linesFit(chunk: Buffer, start: number, end: number, max: number): boolean {
  let p = start;
  while (end - p > max + 1) {
    const q = chunk.lastIndexOf(NL, p + max);
    if (q < p) return false;
    p = q + 1;
  }
  return true;
}

/** The region's lines with each overlong one cut to its head (rare: the slow path). */
function cutOverlong(chunk: Buffer, start: number, end: number, max: number, firstIndex: number, truncated: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let runStart = start;
  let index = firstIndex;
  for (let p = start; p < end; index++) {
    const nl = chunk.indexOf(NL, p);
    if (nl - p > max) {
      if (p > runStart) pieces.push(chunk.subarray(runStart, p));
      pieces.push(chunk.subarray(p, p + max), NEWLINE);
      truncated.push(index);
      runStart = nl + 1;
    }
    p = nl + 1;
  }
  if (end > runStart) pieces.push(chunk.subarray(runStart, end));
  return pieces;
}

const NEWLINE = Buffer.from('\n');

function byteSum(pieces: Buffer[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/**
 * The lines of a LineBytes buffer one at a time, decoded as UTF-8 with invalid sequences replaced.
 * One at a time because a line's text is garbage once its document is written: a batch decoded
 * whole stays alive through every young-generation collection the batch sees, which copies it.
 */
export class LineReader {
  private readonly buf: Buffer;
  private at = 0;

  constructor(data: Uint8Array) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  /** The next line without its newline; undefined past the last. */
  next(): string | undefined {
    const buf = this.buf;
    const start = this.at;
    if (start >= buf.length) return undefined;
    let nl = buf.indexOf(NL, start);
    if (nl < 0) nl = buf.length; // not produced by the splitter, but never lose the bytes
    this.at = nl + 1;
    return buf.toString('utf8', start, nl);
  }
}

/**
 * Where line `line` of the `count` lines of a LineBytes buffer starts. Searched from the end: the
 * line asked for is usually in the batch's last second (processing/occurrence.ts).
 */
export function lineStart(data: Uint8Array, line: number, count: number): number {
  if (line >= count) return data.length;
  // `end`: where line n's content ends (its newline, or the buffer's end for a last line without one).
  let end = data.length > 0 && data[data.length - 1] === NL ? data.length - 1 : data.length;
  let start = 0;
  for (let n = count - 1; n >= line; n--) {
    // A negative start makes lastIndexOf search from the buffer's end.
    start = end <= 0 ? 0 : data.lastIndexOf(NL, end - 1) + 1;
    end = start - 1;
  }
  return start;
}

/** The lines of a LineBytes buffer, decoded as UTF-8 with invalid sequences replaced. */
export function decodeLines(data: Uint8Array): string[] {
  const reader = new LineReader(data);
  const lines: string[] = [];
  for (let line = reader.next(); line !== undefined; line = reader.next()) lines.push(line);
  return lines;
}

/** Splits a whole stream into line batches, one per chunk; a last line without newline is kept. */
export async function* readLineBytes(input: AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES, allocate?: Allocate): AsyncGenerator<LineBytes> {
  const splitter = new ByteLineSplitter(maxLineBytes, 0, allocate);
  for await (const piece of input) {
    const batch = splitter.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
    if (batch.data.length > 0) yield batch;
  }
  const last = splitter.flush();
  if (last.data.length > 0) yield last;
}
