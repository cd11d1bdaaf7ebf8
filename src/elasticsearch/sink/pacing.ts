/**
 * How fast the sink talks to Elasticsearch: a clock (injected in tests), the delays before
 * sending documents again, and how many requests may be in flight.
 */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface BackoffOptions {
  /** First delay of an exponential backoff, and its cap. */
  initialMs: number;
  maxMs: number;
  /** The delay of items retried out of a response that mostly succeeded. */
  itemRetryMs: number;
  random: () => number;
}

/**
 * Delays, with "equal jitter" (never less than half the nominal delay, so a crowd of shippers
 * does not retry in step, and retries never collapse to no delay at all).
 *
 * - `after(level)`: the exponential backoff of the level-th failure in a row, for requests that
 *   failed as a whole and for responses that mostly failed: the cluster is in trouble.
 * - `itemRetry()`: a short fixed delay for the few items of a response that mostly succeeded: the
 *   cluster is taking documents, a full queue turned some away for a moment, and the rest of the
 *   traffic goes on meanwhile. It does not grow: a document retried many times in such responses
 *   is as welcome the tenth time as the first. (Should those retries end up alone in a request
 *   that fails, that response mostly failed, and the exponential backoff takes over.)
 */
export class Backoff {
  constructor(private readonly o: BackoffOptions) {}

  after(level: number): number {
    const ceiling = Math.min(this.o.maxMs, this.o.initialMs * 2 ** Math.min(Math.max(0, level - 1), 30));
    return this.jitter(ceiling);
  }

  itemRetry(): number {
    return this.jitter(this.o.itemRetryMs);
  }

  private jitter(ceiling: number): number {
    return ceiling / 2 + (this.o.random() * ceiling) / 2;
  }
}

/**
 * Adaptive concurrency (additive increase, multiplicative decrease), as Vector's adaptive request
 * concurrency does: start with one request in flight; each request answered without pushback
 * while the limit was in use adds 1/limit (one more request per window of `limit` answers); an
 * answer with pushback (429s, 5xx, no answer) takes the limit down by DECREASE, at most once per
 * window, so one burst of rejections lowers it once and not once per request in flight. The
 * limit stays within [1, max]. Unlike Vector it does not watch round-trip times: Elasticsearch
 * says when it is overloaded (429 `es_rejected_execution_exception` from a full write queue).
 */
export class AdaptiveConcurrency {
  private value: number;
  /** Answers since the last decrease: a decrease needs a full window of them. */
  private sinceDecrease = Number.POSITIVE_INFINITY;

  constructor(
    readonly max: number,
    initial = 1,
  ) {
    this.value = Math.min(max, Math.max(1, initial));
  }

  get limit(): number {
    return Math.floor(this.value);
  }

  /** An answer without pushback; `saturated` when the limit was all in use as it was sent. */
  succeeded(saturated: boolean): void {
    this.sinceDecrease++;
    if (saturated) this.value = Math.min(this.max, this.value + 1 / this.limit);
  }

  pushedBack(): void {
    this.sinceDecrease++;
    if (this.sinceDecrease < this.limit) return;
    this.value = Math.max(1, this.value * DECREASE);
    this.sinceDecrease = 0;
  }
}

/**
 * Vector's default ratio is 0.9, for limits in the hundreds; with the few requests a shipper keeps
 * in flight against one cluster (3 by default), 0.9 would take several windows to drop a single
 * request, so each decrease here takes off about a third (3 → 2 → 1).
 */
const DECREASE = 0.7;
