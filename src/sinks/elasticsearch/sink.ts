import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { describeError } from '../../es/redact.js';
import { DATASET_AUTH, DATASET_FIREWALL } from '../../model/document.js';
import { dataStreamName, datasetOf, DEFAULT_NAMESPACE, namespaceProblem, type Dataset } from './data-stream.js';
import type { DeadLetter, DeadLetterQueue } from './dead-letter.js';
import { documentId } from './doc-id.js';

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
  /** Upper bound of one request body. Default 5 MB. */
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

interface Item<T> {
  readonly seq: number;
  readonly token: T;
  readonly index: string;
  readonly id: string;
  /** Action line + source + "\n"; emptied once settled to free memory early. */
  line: string;
  readonly sourceStart: number;
  readonly bytes: number;
  settled: boolean;
  /** Set when the document could not even be serialized. */
  readonly localError?: string;
}

interface Batch<T> {
  items: Item<T>[];
  bytes: number;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
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
    const json = JSON.stringify(doc);
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

  private open: Batch<T> = { items: [], bytes: 0 };
  private openTimer: NodeJS.Timeout | undefined;
  private readonly ready: Batch<T>[] = [];
  private active = 0;
  /**
   * One reusable request-body buffer per request slot. Building each body as a fresh 5 MB
   * string/Buffer made glibc's heap fragment (RSS over 300 MB for a 24 MB budget); a slot's
   * buffer is rewritten only after its previous request has finished.
   */
  private readonly freeSlots: number[] = [];
  private readonly slotBuffers: Buffer[] = [];
  private nextSeq = 0;
  /** Documents in push order, not yet passed by the acknowledgement; `head` is the first live slot. */
  private queue: (Item<T> | undefined)[] = [];
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

  /**
   * push() for a document already serialized by `serializeDocument`, e.g. in a worker thread:
   * JSON serialization and hashing are most of the per-document cost, and this way they can be
   * spread over cores while the sink's thread only batches and sends.
   */
  pushSerialized(serialized: SerializedDocument, token: T): boolean {
    if (this.closing) throw new Error('elasticsearch sink: push after close');
    const item = this.encode(serialized, token);
    this.queue.push(item);
    this.counters.pushed++;
    this.bufferedBytes += item.bytes + ENTRY_OVERHEAD_BYTES;
    this.bufferedDocs++;
    if (item.localError !== undefined) {
      void this.deadLetterLocal(item);
    } else {
      if (this.open.items.length > 0 && this.open.bytes + item.bytes > this.maxBatchBytes) this.seal();
      this.open.items.push(item);
      this.open.bytes += item.bytes;
      // The age timer starts with the first document and is never restarted: under a trickle a
      // document waits at most flushIntervalMs, however steadily others keep arriving.
      if (this.open.items.length === 1) this.openTimer = setTimeout(() => this.seal(), this.flushIntervalMs);
      if (this.open.items.length >= this.maxBatchDocs || this.open.bytes >= this.maxBatchBytes) this.seal();
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

  private encode(serialized: SerializedDocument, token: T): Item<T> {
    const seq = this.nextSeq++;
    const index = this.indices[serialized.dataset] ?? this.indices[DATASET_FIREWALL]!;
    const { id, json, error } = serialized;
    if (error !== undefined || typeof json !== 'string' || json[0] !== '{' || !/^[A-Za-z0-9_-]+$/.test(id)) {
      return { seq, token, index, id: String(id), line: '', sourceStart: 0, bytes: 0, settled: false, localError: error ?? 'document is not a JSON object with a valid id' };
    }
    // Index names are validated and ids are base64url, so neither needs JSON escaping.
    const action = `{"create":{"_index":"${index}","_id":"${id}"}}\n`;
    const line = `${action}${json}\n`;
    // String length, not Buffer.byteLength: the latter flattens and scans every line (a third of
    // the encode cost); the two agree for the ASCII that logs nearly always are, and multi-byte
    // text only makes a batch up to 3x larger than configured, far below http.max_content_length.
    return { seq, token, index, id, line, sourceStart: action.length, bytes: line.length, settled: false };
  }

  private seal(): void {
    clearTimeout(this.openTimer);
    this.openTimer = undefined;
    if (this.open.items.length === 0) return;
    this.ready.push(this.open);
    this.open = { items: [], bytes: 0 };
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.ready.length > 0 && !this.aborted) {
      const batch = this.ready.shift()!;
      const slot = this.freeSlots.pop() ?? this.active;
      this.active++;
      void this.deliver(batch.items, slot).finally(() => {
        this.active--;
        this.freeSlots.push(slot);
        this.pump();
      });
    }
  }

  /** Write the batch's NDJSON into the slot's buffer, growing it when a batch needs more. */
  private body(items: readonly Item<T>[], slot: number): Buffer {
    let buffer = this.slotBuffers[slot] ?? Buffer.allocUnsafeSlow(Math.ceil(this.maxBatchBytes * 1.1));
    let offset = 0;
    for (const item of items) {
      const line = item.line;
      // UTF-8 takes at most 3 bytes per UTF-16 unit, so the exact (costly) size is only needed
      // for the lines that might not fit; Buffer#write would silently truncate them.
      if (offset + line.length * 3 > buffer.length) {
        const bytes = Buffer.byteLength(line);
        if (offset + bytes > buffer.length) {
          const grown = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, offset + bytes));
          buffer.copy(grown, 0, 0, offset);
          buffer = grown;
        }
      }
      offset += buffer.write(line, offset, 'utf8');
    }
    this.slotBuffers[slot] = buffer;
    return buffer.subarray(0, offset);
  }

  /**
   * Drive one batch until every document in it is settled. The request slot stays taken during
   * backoff on purpose: when Elasticsearch struggles, fewer concurrent requests is the point.
   */
  private async deliver(initial: Item<T>[], slot: number): Promise<void> {
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
        if (failure.kind === 'split' && pending.length > 1) {
          // 413 or a request-level 400: halve the batch until the offending document stands alone.
          const half = Math.ceil(pending.length / 2);
          this.log.warn({ status: failure.status, docs: pending.length }, `bulk request rejected (${failure.reason}); splitting it`);
          // One after the other: both halves write the same slot buffer.
          await this.deliver(pending.slice(0, half), slot);
          await this.deliver(pending.slice(half), slot);
          return;
        }
        if (failure.kind === 'split') {
          await this.settleDeadLetters([{ item: pending[0]!, status: failure.status, reason: failure.reason }]);
          return;
        }
        this.log.warn(
          { attempt, docs: pending.length, status: failure.status },
          `bulk request failed, retrying with backoff: ${failure.reason}`,
        );
        continue;
      }
      pending = await this.handleResponse(pending, response, attempt);
    }
  }

  /** Settle what succeeded or is hopeless; return the documents to retry. */
  private async handleResponse(sent: Item<T>[], response: estypes.BulkResponse, attempt: number): Promise<Item<T>[]> {
    const items = Array.isArray(response?.items) ? response.items : [];
    const retry: Item<T>[] = [];
    const dead: { item: Item<T>; status: number; reason: string }[] = [];
    const retryReasons = new Map<string, number>();
    for (let i = 0; i < sent.length; i++) {
      const item = sent[i]!;
      const result = items[i]?.create ?? items[i]?.index;
      const status = typeof result?.status === 'number' ? result.status : 0;
      if (status >= 200 && status < 300) {
        this.counters.indexed++;
        if (result?.failure_store === 'used') this.counters.failureStore++;
        this.settle(item);
      } else if (status === 409) {
        this.counters.duplicates++;
        this.settle(item);
      } else if (status === 429 || status >= 500 || status === 0 || status === 408) {
        // status 0: the response has fewer items than we sent; never assume they made it.
        retry.push(item);
        const key = status === 0 ? 'missing item in response' : `${status} ${result?.error?.type ?? ''}`.trim();
        retryReasons.set(key, (retryReasons.get(key) ?? 0) + 1);
      } else {
        dead.push({ item, status, reason: itemReason(result?.error, status) });
      }
    }
    if (dead.length > 0) await this.settleDeadLetters(dead);
    if (retry.length > 0) {
      this.counters.retriedItems += retry.length;
      this.log.warn({ attempt, retrying: retry.length, of: sent.length, reasons: Object.fromEntries(retryReasons) }, 'retrying failed bulk items');
    }
    this.advanceAcks();
    return retry;
  }

  /** Dead-letter records are acknowledged only once stored; a failing store is retried, never skipped. */
  private async settleDeadLetters(dead: { item: Item<T>; status: number; reason: string }[]): Promise<void> {
    const records: DeadLetter[] = dead.map(({ item, status, reason }) => ({
      reason,
      status,
      index: item.index,
      id: item.id,
      document: item.line ? item.line.slice(item.sourceStart, -1) : null,
    }));
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
    for (const { item, reason } of dead) {
      this.counters.deadLettered++;
      this.settle(item);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const [firstReason] = reasons.keys();
    this.log.warn({ docs: dead.length, distinctReasons: reasons.size }, `documents dead-lettered, e.g. ${firstReason}`);
    this.advanceAcks();
  }

  private async deadLetterLocal(item: Item<T>): Promise<void> {
    await this.settleDeadLetters([{ item, status: 0, reason: item.localError ?? 'unserializable' }]);
  }

  private settle(item: Item<T>): void {
    if (item.settled) return;
    item.settled = true;
    item.line = '';
    this.bufferedBytes -= item.bytes;
  }

  private advanceAcks(): void {
    let last: Item<T> | undefined;
    while (this.head < this.queue.length) {
      const item = this.queue[this.head];
      if (!item?.settled) break;
      this.queue[this.head] = undefined;
      this.head++;
      this.bufferedBytes -= ENTRY_OVERHEAD_BYTES;
      this.bufferedDocs--;
      last = item;
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
