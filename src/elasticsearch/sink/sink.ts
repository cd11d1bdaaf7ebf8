import type { Client } from '@elastic/elasticsearch';
import { bulkSpans, decodeDocument, type BulkItemResult } from '../../codec/bulk.js';
import { describeError } from '../../core/redact.js';
import { AckQueue, type Chunk } from './acks.js';
import { addToBatch, Batcher, emptyBatch, fits, halve, slicePart, type Batch, type Part } from './batcher.js';
import { classifyItem, classifyRequest, pauseAdvice } from './classify.js';
import type { DeadLetter, DeadLetterQueue } from './dead-letter.js';
import { AdaptiveConcurrency, Backoff, systemClock, type Clock } from './pacing.js';
import { PresenceCheck } from './presence-check.js';
import { BulkSender, type RequestFailure, type SendResult } from './sender.js';

/**
 * The Elasticsearch output: takes processed batches (`_bulk` bodies, see codec/bulk.ts) and
 * settles every document in them exactly once — indexed, in the failure store, duplicate (409)
 * or dead-lettered — acknowledging in push order so sources can checkpoint.
 *
 * Its parts, the way Vector splits its Elasticsearch sink: the batcher (batcher.ts) makes
 * requests, the sender (sender.ts) sends one, the classifier (classify.ts) says what each answer
 * means, the ack queue (acks.ts) settles and acknowledges in order, pacing (pacing.ts) decides
 * when and how much to send. For `import`, the presence check (presence.ts, presence-check.ts)
 * runs between the batcher and the sender: it drops the documents Elasticsearch already holds in
 * an older backing index, which a `create` would store again. This file only connects them.
 *
 * Retries keep pace: a request slot is free as soon as its answer is in; the documents to send
 * again wait on their own (a short fixed delay when most of their request succeeded, an
 * exponential backoff when it mostly failed or failed as a whole) and go out in a later request,
 * ahead of new ones. How many requests are in flight adapts to the cluster's pushback.
 *
 * Why not `client.helpers.bulk`: it retries only item-level 429 with a fixed wait, counts 409 as
 * a failure, restarts its flush timer on every document, and on a connection error rejects with
 * documents that were neither acknowledged nor dropped.
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
  /**
   * Called with the token of the newest batch such that it and every batch pushed before it are
   * settled. Calls come in push order; a source may checkpoint up to the token.
   */
  onAck?: (token: T) => void;
  /** Upper bound of one request body. Default 5 MB (the CLI passes --bulk-max-bytes). */
  maxBatchBytes?: number;
  /** Upper bound of documents in one request. Default 10,000. */
  maxBatchDocs?: number;
  /** The longest a document waits before its request is sent, counted from the request's first document. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Most requests in flight at once. Default 3. */
  concurrency?: number;
  /** Requests in flight at first; adaptive concurrency takes it from there. Default 1. */
  initialConcurrency?: number;
  /** Budget of unsettled documents' bytes; above it `pushBatch` returns false. Default (concurrency + 2) × maxBatchBytes. */
  maxBufferedBytes?: number;
  /** Per-request timeout; always set. Default 60 s. */
  requestTimeoutMs?: number;
  /**
   * Before `_bulk`, ask which documents the data stream already holds in any backing index, and
   * settle those as already present (presence.ts). For `import`: re-imported lines may be in a
   * backing index older than the write index. Default false (`tail`: replays are recent).
   */
  presenceCheck?: boolean;
  /** Exponential backoff after failures: first delay and cap. Default 500 ms → 60 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Delay of the items retried out of a response that mostly succeeded. Default 100 ms. */
  itemRetryMs?: number;
  logger?: SinkLogger;
  /** Injected for tests; Math.random otherwise. */
  random?: () => number;
  /** Injected for tests; the system clock otherwise. */
  clock?: Clock;
}

export interface SinkStats {
  /** Documents accepted by pushBatch(). */
  pushed: number;
  /** Documents stored in their data stream. */
  indexed: number;
  /** Documents Elasticsearch answered 201 `failure_store: used`: stored in the failure store, not indexed. */
  failureStore: number;
  /** Documents already present: answered 409, or found by the presence check. */
  duplicates: number;
  /** Of `duplicates`, those the presence check found (in any backing index) and did not send. */
  presenceFound: number;
  /** Presence-check searches sent, and checks that got no usable answer (sent again with backoff). */
  presenceSearches: number;
  presenceFailures: number;
  deadLettered: number;
  /** Bulk requests sent, and those that got no `_bulk` answer (connection, timeout, 429, 5xx...). */
  requests: number;
  failedRequests: number;
  /** Item-level retries (one per document per retry). */
  retriedItems: number;
  /** Times delivery paused because the cluster refused the credentials or the data stream (401/403/404). */
  pauses: number;
  paused: boolean;
  /** Bytes of documents pushed but not yet settled: what the memory budget counts. */
  bufferedBytes: number;
  bufferedDocs: number;
  inFlightRequests: number;
  /** Requests allowed in flight now (adaptive concurrency). */
  concurrencyLimit: number;
}

type Counters = Pick<
  SinkStats,
  'pushed' | 'indexed' | 'failureStore' | 'duplicates' | 'presenceFound' | 'presenceFailures' | 'deadLettered' | 'requests' | 'failedRequests' | 'retriedItems' | 'pauses'
>;

interface DeadItem<T> {
  readonly chunk: Chunk<T>;
  readonly record: DeadLetter;
}

/** A part to send again, and not before when. */
interface Resend<T> {
  readonly due: number;
  readonly part: Part<T>;
}

const noopLogger: SinkLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class ElasticsearchSink<T = unknown> {
  private readonly deadLetterQueue: DeadLetterQueue;
  private readonly limits: { maxBytes: number; maxDocs: number };
  private readonly log: SinkLogger;
  private readonly clock: Clock;
  private readonly acks: AckQueue<T>;
  private readonly batcher: Batcher<T>;
  private readonly sender: BulkSender;
  private readonly presence: PresenceCheck | undefined;
  private readonly backoff: Backoff;
  private readonly concurrency: AdaptiveConcurrency;

  /** Requests made by the batcher, in order. */
  private readonly ready: Batch<T>[] = [];
  /** Whole requests to send again (no answer, or halves of a refused one): first when the gate opens. */
  private readonly again: Batch<T>[] = [];
  /** Documents to send again, each part when due. */
  private resends: Resend<T>[] = [];
  private active = 0;
  /** Nothing is sent before this instant: a backoff after a failure, or a pause. */
  private gate = 0;
  private wakeTimer: unknown;
  private wakeAt = Number.POSITIVE_INFINITY;
  /** Failures in a row (requests without answer, mostly failed answers): the backoff's exponent. */
  private failures = 0;
  /** Set while the cluster refuses the credentials or the data stream. */
  private pause: { since: number; level: number } | undefined;
  /** Dead letters are written one batch after another, each settled only once stored. */
  private deadLetters: Promise<void> = Promise.resolve();
  private readonly sleepers = new Set<{ handle: unknown; resolve: () => void }>();
  private closing = false;
  private aborted = false;
  private readonly counters: Counters = {
    pushed: 0, indexed: 0, failureStore: 0, duplicates: 0, presenceFound: 0, presenceFailures: 0, deadLettered: 0, requests: 0, failedRequests: 0, retriedItems: 0, pauses: 0,
  };

  constructor(options: SinkOptions<T>) {
    this.deadLetterQueue = options.deadLetter;
    this.log = options.logger ?? noopLogger;
    this.clock = options.clock ?? systemClock;
    const maxBatchBytes = positive(options.maxBatchBytes, 5_000_000);
    const maxConcurrency = positive(options.concurrency, 3);
    this.limits = { maxBytes: maxBatchBytes, maxDocs: positive(options.maxBatchDocs, 10_000) };
    const onAck = options.onAck;
    this.acks = new AckQueue<T>(positive(options.maxBufferedBytes, (maxConcurrency + 2) * maxBatchBytes), (token) => {
      try {
        onAck?.(token);
      } catch (err) {
        this.log.error({}, `acknowledgement callback failed: ${describeError(err)}`);
      }
    });
    this.batcher = new Batcher<T>({ ...this.limits, maxAgeMs: positive(options.flushIntervalMs, 1000) }, this.clock, (batch) => {
      this.ready.push(batch);
      this.pump();
    });
    const requestTimeoutMs = positive(options.requestTimeoutMs, 60_000);
    this.sender = new BulkSender(options.client, requestTimeoutMs);
    this.presence = options.presenceCheck === true ? new PresenceCheck({ client: options.client, log: this.log, clock: this.clock, requestTimeoutMs }) : undefined;
    const initialMs = positive(options.backoffInitialMs, 500);
    this.backoff = new Backoff({
      initialMs, maxMs: Math.max(initialMs, positive(options.backoffMaxMs, 60_000)), itemRetryMs: positive(options.itemRetryMs, 100), random: options.random ?? Math.random,
    });
    this.concurrency = new AdaptiveConcurrency(maxConcurrency, positive(options.initialConcurrency, 1));
  }

  /**
   * `docs` documents in `_bulk` form (an action line with index and `_id`, then the source line,
   * per document), e.g. a whole batch built by a parser thread. The sink looks inside only when
   * Elasticsearch refuses some of them. `release` is called once the body is not read again.
   * Returns false once the memory budget is used up: wait for `whenWritable()` before pushing more.
   */
  pushBatch(body: Buffer, docs: number, token: T, release?: () => void): boolean {
    // After abort() nothing is sent or acknowledged: the source reads it again next time.
    if (this.aborted) return true;
    if (this.closing) throw new Error('elasticsearch sink: push after close');
    const chunk = this.acks.accept(docs > 0 ? body.length : 0, docs, token, release);
    this.counters.pushed += docs;
    if (docs > 0) this.batcher.add({ chunk, body, docs });
    else this.acks.advance();
    return !this.acks.overBudget;
  }

  /** Resolves when the memory budget has room again (at once if it has). */
  whenWritable(): Promise<void> {
    return this.acks.writable();
  }

  /** Send what is collected now and resolve once every document pushed so far is settled. */
  flush(): Promise<void> {
    this.batcher.seal();
    return this.acks.drained();
  }

  /** Graceful shutdown: no more pushes; resolves when everything is settled and acknowledged. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
    this.clearWake();
  }

  /**
   * Stop now: what is unsettled is never acknowledged, so a source replays it after a restart
   * (deterministic ids make that safe). For a shutdown that cannot wait any longer.
   */
  abort(): void {
    this.closing = true;
    this.aborted = true;
    this.batcher.stop();
    this.clearWake();
    for (const sleeper of this.sleepers) {
      this.clock.clearTimeout(sleeper.handle);
      sleeper.resolve();
    }
    this.sleepers.clear();
    this.acks.stop();
  }

  stats(): SinkStats {
    return {
      ...this.counters,
      presenceSearches: this.presence?.searches ?? 0,
      paused: this.pause !== undefined,
      bufferedBytes: this.acks.bufferedBytes,
      bufferedDocs: this.acks.bufferedDocs,
      inFlightRequests: this.active,
      concurrencyLimit: this.limit(),
    };
  }

  /** One request at a time while the cluster is failing or refusing: a probe, not a storm. */
  private limit(): number {
    return this.pause !== undefined || this.failures > 0 ? 1 : this.concurrency.limit;
  }

  /** Starts requests while slots are free and something may be sent. */
  private pump(): void {
    while (!this.aborted && this.active < this.limit()) {
      const now = this.clock.now();
      if (now < this.gate) {
        this.wakeUpAt(this.gate);
        return;
      }
      const batch = this.again.shift() ?? this.withResends(now);
      if (batch === undefined) return;
      this.start(batch);
    }
  }

  /**
   * The next request: due documents to send again first (acknowledgements wait for them), with
   * the next new request added when it fits, so a few retried items do not cost a request of
   * their own.
   */
  private withResends(now: number): Batch<T> | undefined {
    const resends = this.dueResends(now);
    if (resends === undefined) return this.ready.shift();
    const next = this.ready[0];
    if (next !== undefined && resends.bytes + next.bytes <= this.limits.maxBytes && resends.docs + next.docs <= this.limits.maxDocs) {
      this.ready.shift();
      for (const part of next.parts) addToBatch(resends, part);
    }
    return resends;
  }

  /** Due parts to send again, as much as one request takes. */
  private dueResends(now: number): Batch<T> | undefined {
    if (this.resends.length === 0) return undefined;
    const batch = emptyBatch<T>();
    const later: Resend<T>[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const resend of this.resends) {
      if (resend.due <= now && fits(batch, resend.part, this.limits)) addToBatch(batch, resend.part);
      else {
        later.push(resend);
        if (resend.due > now) next = Math.min(next, resend.due);
      }
    }
    this.resends = later;
    if (next < Number.POSITIVE_INFINITY) this.wakeUpAt(next);
    return batch.docs > 0 ? batch : undefined;
  }

  private start(batch: Batch<T>): void {
    this.active++;
    // Only answers to requests sent with the whole limit in use may raise it.
    const saturated = this.active >= this.limit();
    void this.deliver(batch, saturated)
      .catch((err: unknown) => this.log.error({}, `elasticsearch sink: ${describeError(err)}`))
      .finally(() => {
        this.active--;
        this.pump();
      });
  }

  /** One request slot's work: the presence check (import), then `_bulk` with what is left. */
  private async deliver(batch: Batch<T>, saturated: boolean): Promise<void> {
    if (this.presence !== undefined && !this.presence.disabled && batch.parts.some((part) => part.checked !== true)) {
      const checked = await this.presence.check(batch);
      if (this.aborted) return;
      if (!checked.ok) {
        // Never sent unchecked: asked again after a backoff, as a `_bulk` request without answer is sent again.
        this.counters.presenceFailures++;
        this.requestFailed(batch, checked, 'presence check');
        this.acks.advance();
        return;
      }
      if (checked.presentDocs > 0) {
        for (const { chunk, docs } of checked.present) this.acks.settle(chunk, docs);
        this.counters.duplicates += checked.presentDocs;
        this.counters.presenceFound += checked.presentDocs;
        this.acks.advance();
      }
      batch = checked.rest;
      if (batch.docs === 0) {
        // Nothing left to send: the answer to the search is the cluster's answer to this slot.
        this.concurrency.succeeded(saturated);
        this.failures = 0;
        return;
      }
    }
    this.counters.requests++;
    const result = await this.sender.send(batch);
    if (!this.aborted) this.answered(batch, result, saturated);
  }

  private answered(batch: Batch<T>, result: SendResult, saturated: boolean): void {
    if (result.ok) this.settleItems(batch, result.items, saturated);
    else {
      this.counters.failedRequests++;
      this.requestFailed(batch, result, 'bulk request');
    }
    this.acks.advance();
  }

  private requestFailed(batch: Batch<T>, result: RequestFailure, what: 'bulk request' | 'presence check'): void {
    const outcome = classifyRequest(result.status);
    if (outcome.kind === 'split') {
      if (batch.docs > 1) {
        this.log.warn({ status: result.status, docs: batch.docs }, `bulk request refused (${result.reason}); sending it in halves`);
        this.again.push(...halve(batch));
        return;
      }
      // The document at fault, alone: no request can carry it.
      const part = batch.parts[0]!;
      const doc = decodeDocument(part.body, { start: 0, end: part.body.length });
      this.writeDeadLetters([{ chunk: part.chunk, record: { reason: result.reason, status: result.status ?? 0, index: doc.index, id: doc.id, document: doc.source } }]);
      return;
    }
    this.again.push(batch);
    if (outcome.kind === 'pause') {
      this.enterPause(result.status, result.errorType, result.reason, batch.docs);
      return;
    }
    this.concurrency.pushedBack();
    this.failed();
    this.log.warn(
      { attempt: this.failures, docs: batch.docs, status: result.status, retryInMs: Math.max(0, Math.round(this.gate - this.clock.now())) },
      `${what} failed, retrying with backoff: ${result.reason}`,
    );
  }

  /** Settles what is done with, dead-letters the hopeless, and schedules the rest to be sent again. */
  private settleItems(batch: Batch<T>, items: BulkItemResult[], saturated: boolean): void {
    const resend: Part<T>[] = [];
    const dead: DeadItem<T>[] = [];
    const retryReasons = new Map<string, number>();
    let retried = 0;
    let paused: BulkItemResult | undefined;
    let pausedCount = 0;
    let delivered = 0;
    let failureStore = 0;
    let offset = 0;
    for (const part of batch.parts) {
      let settled = 0;
      let failed = false;
      for (let i = 0; i < part.docs; i++) {
        switch (classifyItem(items[offset + i]!)) {
          case 'indexed':
            this.counters.indexed++;
            settled++;
            break;
          case 'failure_store':
            failureStore++;
            settled++;
            break;
          case 'duplicate':
            this.counters.duplicates++;
            settled++;
            break;
          default:
            failed = true;
        }
      }
      delivered += settled;
      if (failed) {
        // The rare path: find the failed documents in the part. Runs of documents to send again
        // stay slices of the body (valid until the chunk is settled, which they prevent).
        const spans = bulkSpans(part.body);
        let run = -1;
        for (let i = 0; i <= part.docs; i++) {
          const item = i < part.docs ? items[offset + i]! : undefined;
          const outcome = item === undefined ? 'end' : classifyItem(item);
          const again = outcome === 'retry' || outcome === 'pause';
          if (again && run < 0) run = i;
          if (!again && run >= 0) {
            resend.push(slicePart(part, spans[run]!.start, spans[i - 1]!.end, i - run));
            run = -1;
          }
          if (outcome === 'retry') {
            retried++;
            const key = item!.status === 0 ? 'missing item in response' : `${item!.status} ${item!.errorType ?? ''}`.trim();
            retryReasons.set(key, (retryReasons.get(key) ?? 0) + 1);
          } else if (outcome === 'pause') {
            pausedCount++;
            paused ??= item;
          } else if (outcome === 'dead_letter') {
            const doc = decodeDocument(part.body, spans[i]!);
            dead.push({ chunk: part.chunk, record: { reason: itemReason(item!), status: item!.status, index: doc.index, id: doc.id, document: doc.source } });
          }
        }
      }
      this.acks.settle(part.chunk, settled);
      offset += part.docs;
    }
    this.counters.failureStore += failureStore;
    if (failureStore > 0) {
      this.log.warn({ docs: failureStore }, 'Elasticsearch stored documents in the failure store of their data stream (not indexed; see docs/operations.md)');
    }
    if (dead.length > 0) this.writeDeadLetters(dead);

    // Pacing: most of the request failed → the cluster is in trouble, back off exponentially;
    // most of it succeeded → the cluster takes documents, the rest go again after a short delay.
    const mostlyFailed = (retried + pausedCount) * 2 > batch.docs;
    if (retried > 0) this.concurrency.pushedBack();
    else this.concurrency.succeeded(saturated);
    if (pausedCount > 0) this.enterPause(paused!.status, paused!.errorType, itemReason(paused!), pausedCount);
    else if (this.pause !== undefined && delivered > 0) this.leavePause();
    if (retried > 0 && mostlyFailed) this.failed();
    else if (!mostlyFailed) this.failures = 0;
    if (resend.length === 0) return;
    const now = this.clock.now();
    const due = mostlyFailed || pausedCount > 0 ? this.gate : now + this.backoff.itemRetry();
    for (const part of resend) this.resends.push({ due, part });
    if (retried > 0) {
      this.counters.retriedItems += retried;
      this.log.warn({ retrying: retried, of: batch.docs, reasons: Object.fromEntries(retryReasons), retryInMs: Math.round(due - now) }, 'retrying failed bulk items');
    }
  }

  /** One more failure in a row: the gate closes for the next backoff step (once for requests failing together). */
  private failed(): void {
    const now = this.clock.now();
    if (now < this.gate) return;
    this.failures++;
    this.gate = now + this.backoff.after(this.failures);
  }

  /** The cluster refuses the credentials or the data stream: one loud error per pause, then quiet probes with backoff. */
  private enterPause(status: number | undefined, errorType: string | undefined, reason: string, docs: number): void {
    const now = this.clock.now();
    if (this.pause === undefined) {
      this.pause = { since: now, level: 0 };
      this.counters.pauses++;
      this.log.error(
        { status, errorType, docs },
        `delivery PAUSED: ${pauseAdvice(status, errorType)} (Elasticsearch said: ${reason}). ` +
          'Nothing is dead-lettered: the documents are held and sent again with backoff until Elasticsearch takes them.',
      );
    }
    if (now < this.gate) return;
    this.pause.level++;
    this.gate = now + this.backoff.after(this.pause.level);
  }

  private leavePause(): void {
    const seconds = Math.round((this.clock.now() - this.pause!.since) / 1000);
    this.pause = undefined;
    this.log.warn({ pausedSeconds: seconds }, 'delivery resumed: Elasticsearch takes documents again');
  }

  /** Dead letters are settled (and so acknowledged) only once stored; a failing store is retried, never skipped. */
  private writeDeadLetters(dead: DeadItem<T>[]): void {
    this.deadLetters = this.deadLetters.then(async () => {
      const records = dead.map((d) => d.record);
      for (let attempt = 1; !this.aborted; attempt++) {
        try {
          await this.deadLetterQueue.write(records);
          break;
        } catch (err) {
          this.log.error({ attempt, docs: records.length }, `cannot write the dead-letter file: ${describeError(err)}`);
          await this.sleep(this.backoff.after(attempt));
        }
      }
      if (this.aborted) return;
      const reasons = new Set<string>();
      for (const { chunk, record } of dead) {
        this.counters.deadLettered++;
        this.acks.settle(chunk, 1);
        reasons.add(record.reason);
      }
      const [firstReason] = reasons;
      this.log.warn({ docs: dead.length, distinctReasons: reasons.size }, `documents dead-lettered, e.g. ${firstReason}`);
      this.acks.advance();
    });
  }

  private wakeUpAt(at: number): void {
    if (at >= this.wakeAt) return;
    this.clearWake();
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, Math.max(0, at - this.clock.now()));
  }

  private clearWake(): void {
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        handle: this.clock.setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function itemReason(item: BulkItemResult): string {
  return item.errorType === undefined && item.reason === undefined ? `HTTP ${item.status}` : `${item.errorType ?? 'error'}: ${item.reason ?? ''}`;
}
