import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { describeError } from '../../core/redact.js';
import { DATASET_AUTH, DATASET_FIREWALL } from '../../model/document.js';
import { stringifyDocument } from '../../model/serialize.js';
import { dataStreamName, datasetOf, DEFAULT_NAMESPACE, namespaceProblem, type Dataset } from '../../model/data-stream.js';
import type { DeadLetter, DeadLetterQueue } from './dead-letter.js';
import { documentId } from '../../model/doc-id.js';

/**
 * Bulk sink: batches documents into `_bulk` requests of pre-serialized NDJSON, keeps several in
 * flight, and settles every document exactly once as indexed, duplicate (409) or dead-lettered.
 *
 * Why not `client.helpers.bulk`: it retries only item-level 429 with a fixed wait, counts 409 as a
 * failure, restarts its flush timer on every document, and on a connection error rejects with
 * documents that were neither acknowledged nor dropped. A long-running shipper needs the opposite
 * on all four points, plus in-order acknowledgements to checkpoint its sources.
 */

export interface SinkLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SinkOptions<T> {
  client: Client;
  deadLetter: DeadLetterQueue;
  /** Data stream namespace (`logs-dropship.firewall-<namespace>`). Default `default`. */
  namespace?: string;
  /**
   * Called with the token of the newest document such that it and every document pushed before
   * it are settled. Calls come in push order; a source may checkpoint up to the token.
   */
  onAck?: (token: T) => void;
  /** Upper bound of one request body. Default 5 MB (the CLI passes --bulk-max-bytes). */
  maxBatchBytes?: number;
  /** Upper bound of documents in one request. Default 10,000. */
  maxBatchDocs?: number;
  /** The longest a document waits before its batch is sent, counted from the batch's first document. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Bulk requests in flight at once. Default 3. */
  concurrency?: number;
  /** Budget of unsettled documents' bytes; above it `push` returns false. Default (concurrency + 2) × maxBatchBytes. */
  maxBufferedBytes?: number;
  /** Per-request timeout; always set. Default 60 s. */
  requestTimeoutMs?: number;
  /** Exponential backoff with jitter between retries: first delay and cap. Default 500 ms → 60 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  logger?: SinkLogger;
  /** Injected for tests; Math.random otherwise. */
  random?: () => number;
}

export interface SinkStats {
  /** Documents accepted by push(). */
  pushed: number;
  indexed: number;
  duplicates: number;
  deadLettered: number;
  /** Documents Elasticsearch accepted into its failure store (counted in `indexed` too). */
  failureStore: number;
  /** Bulk requests sent, and those that failed as a whole (connection, timeout, 429, 5xx...). */
  requests: number;
  failedRequests: number;
  /** Item-level retries (one per document per retry). */
  retriedItems: number;
  /** Bytes of documents pushed but not yet settled: what the memory budget counts. */
  bufferedBytes: number;
  bufferedDocs: number;
  inFlightRequests: number;
}

/**
 * What the sink accepted in one push: a processed batch of documents (or a single one). Acks and
 * the memory budget count whole chunks; a chunk is settled once each of its documents is.
 */
interface Chunk<T> {
  readonly seq: number;
  readonly token: T;
  readonly docs: number;
  /** Documents not yet settled. */
  unsettled: number;
  /** What the chunk counts against the memory budget until it is settled. */
  readonly bytes: number;
  /** Told when the chunk is settled: its body is not read again (retries copy what they resend). */
  readonly release: (() => void) | undefined;
}

/**
 * A run of one chunk's documents on its way to Elasticsearch: the whole chunk at first, its failed
 * documents on a retry, a piece of it when it is too large for one request.
 */
interface Part<T> {
  readonly chunk: Chunk<T>;
  /** `_bulk` lines: an action line and a source line per document, each ending in "\n". */
  readonly body: Buffer;
  readonly docs: number;
}

interface Batch<T> {
  parts: Part<T>[];
  bytes: number;
  docs: number;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface DeadItem<T> {
  readonly chunk: Chunk<T>;
  readonly status: number;
  readonly reason: string;
  readonly index: string;
  readonly id: string;
  readonly document: string | null;
}

/** A document ready for the sink: plain data, so it can cross a worker-thread boundary. */
export interface SerializedDocument {
  /** The document as JSON (an object). */
  json: string;
  /** Deterministic `_id` (documentId of its timestamp and original line). */
  id: string;
  dataset: Dataset;
  /** Set when the document could not be serialized; it will be dead-lettered. */
  error?: string;
}

/** Serialize a document, derive its id and dataset. Never throws. */
export function serializeDocument(doc: unknown): SerializedDocument {
  const d = doc as { '@timestamp'?: unknown; event?: { original?: unknown } } | null | undefined;
  const id = documentId(d?.['@timestamp'], d?.event?.original);
  const dataset = datasetOf(doc);
  try {
    // Non-objects fall through to JSON.stringify inside, with its results (undefined included).
    const json: string | undefined = stringifyDocument(doc as object);
    if (typeof json === 'string' && json[0] === '{') return { json, id, dataset };
    return { json: '', id, dataset, error: 'document is not a JSON object' };
  } catch (err) {
    return { json: '', id, dataset, error: `document cannot be serialized: ${describeError(err)}` };
  }
}

/** Per-document bookkeeping that stays until the acknowledgement passes it. */
const ENTRY_OVERHEAD_BYTES = 96;

const RESOLVED = Promise.resolve();

const FILTER_PATH = ['errors', 'items.*.status', 'items.*.error', 'items.*.failure_store'];

const noopLogger: SinkLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** How a whole request failed, which decides what happens to its documents. */
type RequestFailure = { kind: 'retry'; reason: string; status?: number } | { kind: 'split'; reason: string; status: number };

export class ElasticsearchSink<T = unknown> {
  private readonly client: Client;
  private readonly deadLetter: DeadLetterQueue;
  private readonly onAck: ((token: T) => void) | undefined;
  private readonly indices: Partial<Record<string, string>>;
  private readonly maxBatchBytes: number;
  private readonly maxBatchDocs: number;
  private readonly flushIntervalMs: number;
  private readonly concurrency: number;
  private readonly maxBufferedBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly log: SinkLogger;
  private readonly random: () => number;

  private open: Batch<T> = { parts: [], bytes: 0, docs: 0 };
  private openTimer: NodeJS.Timeout | undefined;
  private readonly ready: Batch<T>[] = [];
  private active = 0;
  /**
   * One reusable request-body buffer per request slot. Building each body as a fresh 5 MB
   * Buffer made glibc's heap fragment (RSS over 300 MB for a 24 MB budget); a slot's buffer is
   * rewritten only after its previous request has finished.
   */
  private readonly freeSlots: number[] = [];
  private readonly slotBuffers: Buffer[] = [];
  private nextSeq = 0;
  /** Chunks in push order, not yet passed by the acknowledgement; `head` is the first live slot. */
  private queue: (Chunk<T> | undefined)[] = [];
  private head = 0;
  private ackedSeq = -1;
  private flushWaiters: Waiter[] = [];
  private writableWaiters: (() => void)[] = [];
  private closing = false;
  private aborted = false;
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  private readonly counters: Omit<SinkStats, 'bufferedBytes' | 'bufferedDocs' | 'inFlightRequests'> = {
    pushed: 0,
    indexed: 0,
    duplicates: 0,
    deadLettered: 0,
    failureStore: 0,
    requests: 0,
    failedRequests: 0,
    retriedItems: 0,
  };
  private bufferedBytes = 0;
  private bufferedDocs = 0;

  constructor(options: SinkOptions<T>) {
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const problem = namespaceProblem(namespace);
    if (problem) throw new RangeError(problem);
    this.client = options.client;
    this.deadLetter = options.deadLetter;
    this.onAck = options.onAck;
    this.indices = {
      [DATASET_FIREWALL]: dataStreamName(DATASET_FIREWALL, namespace),
      [DATASET_AUTH]: dataStreamName(DATASET_AUTH, namespace),
    };
    this.maxBatchBytes = positive(options.maxBatchBytes, 5_000_000);
    this.maxBatchDocs = positive(options.maxBatchDocs, 10_000);
    this.flushIntervalMs = positive(options.flushIntervalMs, 1000);
    this.concurrency = positive(options.concurrency, 3);
    this.maxBufferedBytes = positive(options.maxBufferedBytes, (this.concurrency + 2) * this.maxBatchBytes);
    this.requestTimeoutMs = positive(options.requestTimeoutMs, 60_000);
    this.backoffInitialMs = positive(options.backoffInitialMs, 500);
    this.backoffMaxMs = Math.max(this.backoffInitialMs, positive(options.backoffMaxMs, 60_000));
    this.log = options.logger ?? noopLogger;
    this.random = options.random ?? Math.random;
  }

  /**
   * Accept a document. Never throws for a bad document (it is dead-lettered instead). Returns
   * false once the memory budget is used up: the caller should then wait for `whenWritable()`
   * (or use `write`) before pushing more.
   */
  push(doc: unknown, token: T): boolean {
    return this.pushSerialized(serializeDocument(doc), token);
  }

  /** push() for a document already serialized by `serializeDocument`, e.g. in a worker thread. */
  pushSerialized(serialized: SerializedDocument, token: T): boolean {
    if (this.aborted) return true;
    const index = this.indices[serialized.dataset] ?? this.indices[DATASET_FIREWALL]!;
    const { id, json, error } = serialized;
    if (error !== undefined || typeof json !== 'string' || json[0] !== '{' || typeof id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(id)) {
      const chunk = this.accept(0, 1, token);
      void this.settleDeadLetters([{ chunk, status: 0, reason: error ?? 'document is not a JSON object with a valid id', index, id: String(id), document: null }]);
      return this.bufferedBytes < this.maxBufferedBytes;
    }
    // Index names are validated and ids are base64url, so neither needs JSON escaping.
    return this.pushBatch(Buffer.from(`{"create":{"_index":"${index}","_id":"${id}"}}\n${json}\n`, 'utf8'), 1, token);
  }

  /**
   * The fast path: `docs` documents already in `_bulk` form (a `create` action line with index and
   * `_id`, then the source line, per document), e.g. a whole batch built by a parser thread. The
   * sink looks inside only when Elasticsearch rejects some of them.
   */
  pushBatch(body: Buffer, docs: number, token: T, release?: () => void): boolean {
    // After abort() nothing is sent or acknowledged: the source reads it again next time.
    if (this.aborted) return true;
    const chunk = this.accept(docs > 0 ? body.length : 0, docs, token, release);
    if (docs > 0) {
      this.enqueue({ chunk, body, docs });
    } else {
      // Nothing to send: settled at once, acknowledged when everything before it is.
      this.bufferedBytes -= chunk.bytes;
      release?.();
      this.advanceAcks();
    }
    return this.bufferedBytes < this.maxBufferedBytes;
  }

  /** Resolves when the memory budget has room again (at once if it has). */
  whenWritable(): Promise<void> {
    if (this.bufferedBytes < this.maxBufferedBytes || this.aborted) return RESOLVED;
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** push() that waits for room first: memory stays within budget plus one document. */
  async write(doc: unknown, token: T): Promise<void> {
    if (this.bufferedBytes >= this.maxBufferedBytes) await this.whenWritable();
    this.push(doc, token);
  }

  /** Send what is buffered now and resolve once every document pushed so far is settled. */
  flush(): Promise<void> {
    this.seal();
    const seq = this.nextSeq - 1;
    if (seq <= this.ackedSeq || this.aborted) return RESOLVED;
    return new Promise((resolve) => this.flushWaiters.push({ seq, resolve }));
  }

  /** Graceful shutdown: no more pushes; resolves when everything is settled and acknowledged. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
  }

  /**
   * Stop now: pending retries are abandoned and their documents are never acknowledged, so a
   * source replays them after restart (deterministic ids make that safe). For a second SIGINT.
   */
  abort(): void {
    this.closing = true;
    this.aborted = true;
    clearTimeout(this.openTimer);
    for (const sleeper of this.sleeping) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleeping.clear();
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
    for (const resolve of this.writableWaiters.splice(0)) resolve();
  }

  stats(): SinkStats {
    return {
      ...this.counters,
      bufferedBytes: this.bufferedBytes,
      bufferedDocs: this.bufferedDocs,
      inFlightRequests: this.active,
    };
  }

  private accept(bytes: number, docs: number, token: T, release?: () => void): Chunk<T> {
    if (this.closing) throw new Error('elasticsearch sink: push after close');
    const chunk: Chunk<T> = { seq: this.nextSeq++, token, docs, unsettled: docs, bytes: bytes + ENTRY_OVERHEAD_BYTES, release };
    this.queue.push(chunk);
    this.counters.pushed += docs;
    this.bufferedBytes += chunk.bytes;
    this.bufferedDocs += docs;
    return chunk;
  }

  private enqueue(part: Part<T>): void {
    if (part.docs > 1 && (part.body.length > this.maxBatchBytes || part.docs > this.maxBatchDocs)) {
      for (const piece of splitPart(part, this.maxBatchBytes, this.maxBatchDocs)) this.enqueue(piece);
      return;
    }
    const open = this.open;
    if (open.docs > 0 && (open.bytes + part.body.length > this.maxBatchBytes || open.docs + part.docs > this.maxBatchDocs)) this.seal();
    this.open.parts.push(part);
    this.open.bytes += part.body.length;
    this.open.docs += part.docs;
    // The age timer starts with the first document and is never restarted: under a trickle a
    // document waits at most flushIntervalMs, however steadily others keep arriving.
    if (this.open.parts.length === 1) this.openTimer = setTimeout(() => this.seal(), this.flushIntervalMs);
    if (this.open.docs >= this.maxBatchDocs || this.open.bytes >= this.maxBatchBytes) this.seal();
  }

  private seal(): void {
    clearTimeout(this.openTimer);
    this.openTimer = undefined;
    if (this.open.parts.length === 0) return;
    this.ready.push(this.open);
    this.open = { parts: [], bytes: 0, docs: 0 };
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.ready.length > 0 && !this.aborted) {
      const batch = this.ready.shift()!;
      const slot = this.freeSlots.pop() ?? this.active;
      this.active++;
      void this.deliver(batch.parts, slot).finally(() => {
        this.active--;
        this.freeSlots.push(slot);
        this.pump();
      });
    }
  }

  /**
   * The request body: a lone part as it is (under load, each request is one parser batch, so no
   * copy and no slot buffer at all); several are copied into the slot's buffer, grown when needed.
   */
  private body(parts: readonly Part<T>[], slot: number): Buffer {
    if (parts.length === 1) return parts[0]!.body;
    let size = 0;
    for (const part of parts) size += part.body.length;
    let buffer = this.slotBuffers[slot];
    if (buffer === undefined || buffer.length < size) {
      buffer = Buffer.allocUnsafeSlow(Math.max(size, Math.ceil(this.maxBatchBytes * 1.1)));
      this.slotBuffers[slot] = buffer;
    }
    let offset = 0;
    for (const part of parts) offset += part.body.copy(buffer, offset);
    return buffer.subarray(0, offset);
  }

  /**
   * Drive one batch until every document in it is settled. The request slot stays taken during
   * backoff on purpose: when Elasticsearch struggles, fewer concurrent requests is the point.
   */
  private async deliver(initial: Part<T>[], slot: number): Promise<void> {
    let pending = initial;
    let attempt = 0;
    while (pending.length > 0 && !this.aborted) {
      if (attempt > 0) await this.sleep(this.backoffDelay(attempt));
      if (this.aborted) return;
      attempt++;
      this.counters.requests++;
      let response: estypes.BulkResponse;
      try {
        response = await this.client.bulk(
          // A pre-serialized NDJSON Buffer passes through the transport untouched (it only
          // serializes arrays); the request type does not model that, hence the cast.
          {
            operations: this.body(pending, slot) as unknown as estypes.BulkRequest['operations'],
            // Only what classification needs: responses shrink ~8x and parse that much faster.
            filter_path: FILTER_PATH,
          },
          { requestTimeout: this.requestTimeoutMs, maxRetries: 0 },
        );
      } catch (err) {
        this.counters.failedRequests++;
        const failure = classifyRequestError(err);
        const docs = pending.reduce((n, p) => n + p.docs, 0);
        if (failure.kind === 'split' && docs > 1) {
          // 413 or a request-level 400: halve the batch until the offending document stands alone.
          this.log.warn({ status: failure.status, docs }, `bulk request rejected (${failure.reason}); splitting it`);
          const [first, second] = halve(pending);
          // One after the other: both halves write the same slot buffer.
          await this.deliver(first, slot);
          await this.deliver(second, slot);
          return;
        }
        if (failure.kind === 'split') {
          const part = pending[0]!;
          const doc = documentsOf(part.body)[0]!;
          await this.settleDeadLetters([{ chunk: part.chunk, status: failure.status, reason: failure.reason, ...describeDocument(part.body, doc) }]);
          return;
        }
        this.log.warn({ attempt, docs, status: failure.status }, `bulk request failed, retrying with backoff: ${failure.reason}`);
        continue;
      }
      pending = await this.handleResponse(pending, response, attempt);
    }
  }

  /** Settle what succeeded or is hopeless; return the documents to retry. */
  private async handleResponse(sent: Part<T>[], response: estypes.BulkResponse, attempt: number): Promise<Part<T>[]> {
    const items = Array.isArray(response?.items) ? response.items : [];
    const retry: Part<T>[] = [];
    const dead: DeadItem<T>[] = [];
    const retryReasons = new Map<string, number>();
    let sentDocs = 0;
    let offset = 0;
    for (const part of sent) {
      sentDocs += part.docs;
      let done = 0;
      let failed = false;
      for (let i = offset; i < offset + part.docs; i++) {
        const result = items[i]?.create ?? items[i]?.index;
        const status = typeof result?.status === 'number' ? result.status : 0;
        if (status >= 200 && status < 300) {
          this.counters.indexed++;
          if (result?.failure_store === 'used') this.counters.failureStore++;
          done++;
        } else if (status === 409) {
          this.counters.duplicates++;
          done++;
        } else {
          failed = true;
        }
      }
      if (failed) {
        // The rare path: find the failed documents' lines in the part.
        const docs = documentsOf(part.body);
        const again: Buffer[] = [];
        for (let d = 0; d < part.docs; d++) {
          const result = items[offset + d]?.create ?? items[offset + d]?.index;
          const status = typeof result?.status === 'number' ? result.status : 0;
          if ((status >= 200 && status < 300) || status === 409) continue;
          const doc = docs[d]!;
          if (status === 429 || status >= 500 || status === 0 || status === 408) {
            // status 0: the response has fewer items than we sent; never assume they made it.
            again.push(part.body.subarray(doc.start, doc.end));
            const key = status === 0 ? 'missing item in response' : `${status} ${result?.error?.type ?? ''}`.trim();
            retryReasons.set(key, (retryReasons.get(key) ?? 0) + 1);
          } else {
            dead.push({ chunk: part.chunk, status, reason: itemReason(result?.error, status), ...describeDocument(part.body, doc) });
          }
        }
        if (again.length > 0) retry.push({ chunk: part.chunk, body: Buffer.concat(again), docs: again.length });
      }
      this.settle(part.chunk, done);
      offset += part.docs;
    }
    if (dead.length > 0) await this.settleDeadLetters(dead);
    if (retry.length > 0) {
      const retrying = retry.reduce((n, p) => n + p.docs, 0);
      this.counters.retriedItems += retrying;
      this.log.warn({ attempt, retrying, of: sentDocs, reasons: Object.fromEntries(retryReasons) }, 'retrying failed bulk items');
    }
    this.advanceAcks();
    return retry;
  }

  /** Dead-letter records are acknowledged only once stored; a failing store is retried, never skipped. */
  private async settleDeadLetters(dead: DeadItem<T>[]): Promise<void> {
    const records: DeadLetter[] = dead.map(({ status, reason, index, id, document }) => ({ reason, status, index, id, document }));
    for (let attempt = 1; !this.aborted; attempt++) {
      try {
        await this.deadLetter.write(records);
        break;
      } catch (err) {
        this.log.error({ attempt, docs: records.length }, `cannot write the dead-letter file: ${describeError(err)}`);
        await this.sleep(this.backoffDelay(attempt));
      }
    }
    if (this.aborted) return;
    const reasons = new Map<string, number>();
    for (const { chunk, reason } of dead) {
      this.counters.deadLettered++;
      this.settle(chunk, 1);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const [firstReason] = reasons.keys();
    this.log.warn({ docs: dead.length, distinctReasons: reasons.size }, `documents dead-lettered, e.g. ${firstReason}`);
    this.advanceAcks();
  }

  private settle(chunk: Chunk<T>, docs: number): void {
    if (docs === 0) return;
    chunk.unsettled -= docs;
    this.bufferedDocs -= docs;
    if (chunk.unsettled === 0) {
      this.bufferedBytes -= chunk.bytes;
      chunk.release?.();
    }
  }

  private advanceAcks(): void {
    let last: Chunk<T> | undefined;
    while (this.head < this.queue.length) {
      const chunk = this.queue[this.head];
      if (chunk === undefined || chunk.unsettled > 0) break;
      this.queue[this.head] = undefined;
      this.head++;
      last = chunk;
    }
    // Compact now and then so the queue does not grow with everything ever pushed.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (last === undefined) return;
    this.ackedSeq = last.seq;
    if (this.onAck) {
      try {
        this.onAck(last.token);
      } catch (err) {
        this.log.error({}, `acknowledgement callback failed: ${describeError(err)}`);
      }
    }
    if (this.flushWaiters.length > 0) {
      const still: Waiter[] = [];
      for (const waiter of this.flushWaiters) (waiter.seq <= this.ackedSeq ? waiter.resolve() : still.push(waiter));
      this.flushWaiters = still;
    }
    if (this.bufferedBytes < this.maxBufferedBytes && this.writableWaiters.length > 0) {
      for (const resolve of this.writableWaiters.splice(0)) resolve();
    }
  }

  private backoffDelay(attempt: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(attempt - 1, 30));
    // "Equal jitter": never less than half the ceiling, so retries do not collapse to zero delay.
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleeping.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeping.add(sleeper);
    });
  }
}

const NEWLINE = 0x0a;

/** Where each document (action line + source line) lies in a `_bulk` body. */
function documentsOf(body: Buffer): { start: number; end: number }[] {
  const docs: { start: number; end: number }[] = [];
  let start = 0;
  while (start < body.length) {
    const actionEnd = body.indexOf(NEWLINE, start);
    const sourceEnd = actionEnd < 0 ? -1 : body.indexOf(NEWLINE, actionEnd + 1);
    const end = sourceEnd < 0 ? body.length : sourceEnd + 1;
    docs.push({ start, end });
    start = end;
  }
  return docs;
}

/** Index, id and source of one document of a `_bulk` body, for its dead-letter record. */
function describeDocument(body: Buffer, doc: { start: number; end: number }): { index: string; id: string; document: string | null } {
  const actionEnd = body.indexOf(NEWLINE, doc.start);
  const action = body.toString('utf8', doc.start, actionEnd < 0 ? doc.end : actionEnd);
  const meta = /"_index":"([^"\\]*)","_id":"([^"\\]*)"/.exec(action);
  const sourceEnd = body[doc.end - 1] === NEWLINE ? doc.end - 1 : doc.end;
  const document = actionEnd < 0 ? null : body.toString('utf8', actionEnd + 1, sourceEnd);
  return { index: meta?.[1] ?? '', id: meta?.[2] ?? '', document };
}

/** Pieces of a part, each within the request limits (a single oversized document stands alone). */
function splitPart<T>(part: Part<T>, maxBytes: number, maxDocs: number): Part<T>[] {
  const pieces: Part<T>[] = [];
  let start = 0;
  let docs = 0;
  let end = 0;
  for (const doc of documentsOf(part.body)) {
    if (docs > 0 && (doc.end - start > maxBytes || docs >= maxDocs)) {
      pieces.push({ chunk: part.chunk, body: part.body.subarray(start, end), docs });
      start = doc.start;
      docs = 0;
    }
    docs++;
    end = doc.end;
  }
  if (docs > 0) pieces.push({ chunk: part.chunk, body: part.body.subarray(start, end), docs });
  return pieces;
}

/** Two halves by document count, splitting a part when one holds more than half. */
function halve<T>(parts: Part<T>[]): [Part<T>[], Part<T>[]] {
  if (parts.length > 1) {
    const mid = Math.ceil(parts.length / 2);
    return [parts.slice(0, mid), parts.slice(mid)];
  }
  const part = parts[0]!;
  const docs = documentsOf(part.body);
  const half = Math.ceil(docs.length / 2);
  const cut = docs[half - 1]!.end;
  return [
    [{ chunk: part.chunk, body: part.body.subarray(0, cut), docs: half }],
    [{ chunk: part.chunk, body: part.body.subarray(cut), docs: docs.length - half }],
  ];
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function itemReason(error: estypes.ErrorCause | undefined, status: number): string {
  if (!error) return `HTTP ${status}`;
  const cause = error.caused_by?.reason ? ` (caused by: ${error.caused_by.reason})` : '';
  return `${error.type ?? 'error'}: ${error.reason ?? ''}${cause}`;
}

function classifyRequestError(err: unknown): RequestFailure {
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    const reason = `HTTP ${status} ${describeError(err)}`;
    if (status === 413) return { kind: 'split', status, reason: 'request entity too large (413)' };
    if (status === 400) return { kind: 'split', status, reason };
    // 429, 5xx, and also 401/403/404: credentials or cluster state, not the documents' fault;
    // keep them (and the sources paused) until an operator fixes it.
    return { kind: 'retry', status, reason };
  }
  return { kind: 'retry', reason: describeError(err) };
}
