import { documentEnd } from '../../codec/bulk.js';
import type { Chunk } from './acks.js';
import type { Clock } from './pacing.js';

/**
 * A run of one chunk's documents on its way to Elasticsearch: all of a processed batch at first,
 * a piece of it when it exceeds a request, the documents to send again after a partial failure.
 * `body` is `_bulk` lines (see codec/bulk.ts) inside the chunk's body, which stays valid until
 * the chunk is settled, so no part is ever a copy.
 */
export interface Part<T> {
  readonly chunk: Chunk<T>;
  readonly body: Buffer;
  readonly docs: number;
  /** Already through the presence check (presence.ts): not asked about again when sent again. */
  readonly checked?: boolean;
}

/** The parts of one `_bulk` request. */
export interface Batch<T> {
  parts: Part<T>[];
  bytes: number;
  docs: number;
}

export interface BatchLimits {
  maxBytes: number;
  maxDocs: number;
}

export const emptyBatch = <T>(): Batch<T> => ({ parts: [], bytes: 0, docs: 0 });

export function addToBatch<T>(batch: Batch<T>, part: Part<T>): void {
  batch.parts.push(part);
  batch.bytes += part.body.length;
  batch.docs += part.docs;
}

/** Whether the part can join the batch without exceeding a request (an empty batch takes anything). */
export function fits<T>(batch: Batch<T>, part: Part<T>, limits: BatchLimits): boolean {
  return batch.docs === 0 || (batch.bytes + part.body.length <= limits.maxBytes && batch.docs + part.docs <= limits.maxDocs);
}

export interface Cut<T> {
  taken: Part<T> | undefined;
  rest: Part<T> | undefined;
}

/**
 * Splits a part where the batch is full: `taken` is the longest run of its first documents that
 * can join the batch within the limits (undefined when not one can), `rest` what is left
 * (undefined when the whole part fits). An empty batch takes at least one document, so a single
 * oversized document stands alone.
 */
export function takeFitting<T>(batch: Batch<T>, part: Part<T>, limits: BatchLimits): Cut<T> {
  const roomBytes = limits.maxBytes - batch.bytes;
  const roomDocs = limits.maxDocs - batch.docs;
  if (part.body.length <= roomBytes && part.docs <= roomDocs) return { taken: part, rest: undefined };
  // Walks only as far as the documents that fit (a part is usually cut near its middle).
  let end = 0;
  let docs = 0;
  while (docs < roomDocs && end < part.body.length) {
    const next = documentEnd(part.body, end);
    if (next > roomBytes && !(docs === 0 && batch.docs === 0)) break;
    docs++;
    end = next;
  }
  if (docs === 0) return { taken: undefined, rest: part };
  if (docs === part.docs) return { taken: part, rest: undefined };
  return { taken: slicePart(part, 0, end, docs), rest: slicePart(part, end, part.body.length, part.docs - docs) };
}

/** Documents of a part, bytes [start, end) of its body: a slice, never a copy. */
export function slicePart<T>(part: Part<T>, start: number, end: number, docs: number): Part<T> {
  return part.checked === true ? { chunk: part.chunk, body: part.body.subarray(start, end), docs, checked: true } : { chunk: part.chunk, body: part.body.subarray(start, end), docs };
}

/** Two halves by document count (for a request refused as too large or malformed). */
export function halve<T>(batch: Batch<T>): [Batch<T>, Batch<T>] {
  const halves: [Batch<T>, Batch<T>] = [emptyBatch(), emptyBatch()];
  const half = Math.ceil(batch.docs / 2);
  let taken = 0;
  for (const part of batch.parts) {
    if (taken >= half) addToBatch(halves[1], part);
    else if (taken + part.docs <= half) addToBatch(halves[0], part);
    else {
      let cut = 0;
      for (let d = 0; d < half - taken; d++) cut = documentEnd(part.body, cut);
      addToBatch(halves[0], slicePart(part, 0, cut, half - taken));
      addToBatch(halves[1], slicePart(part, cut, part.body.length, part.docs - (half - taken)));
    }
    taken += part.docs;
  }
  return halves;
}

/**
 * Collects new parts into requests of at most `maxBytes` and `maxDocs`, and hands each one on
 * when it is full or when its first document has waited `maxAgeMs`. A part that does not fit
 * whole fills the open request up to the limits and starts the next one: requests are full,
 * whatever the size of the parts (a parser batch whose documents come to a little over the limit
 * would otherwise cost a full request and a sliver). The age counts from the first document and
 * is never restarted: under a trickle a document waits at most `maxAgeMs`, however steadily
 * others keep arriving.
 */
export class Batcher<T> {
  private open: Batch<T> = emptyBatch();
  private timer: unknown;

  constructor(
    private readonly limits: BatchLimits & { maxAgeMs: number },
    private readonly clock: Clock,
    private readonly onBatch: (batch: Batch<T>) => void,
  ) {}

  add(part: Part<T>): void {
    let rest: Part<T> | undefined = part;
    while (rest !== undefined) {
      const cut: Cut<T> = takeFitting(this.open, rest, this.limits);
      if (cut.taken !== undefined) {
        addToBatch(this.open, cut.taken);
        if (this.open.parts.length === 1) this.timer = this.clock.setTimeout(() => this.seal(), this.limits.maxAgeMs);
      }
      rest = cut.rest;
      if (rest !== undefined || this.open.docs >= this.limits.maxDocs || this.open.bytes >= this.limits.maxBytes) this.seal();
    }
  }

  /** Hands on what is collected now (a flush). */
  seal(): void {
    this.stop();
    if (this.open.docs === 0) return;
    const batch = this.open;
    this.open = emptyBatch();
    this.onBatch(batch);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
