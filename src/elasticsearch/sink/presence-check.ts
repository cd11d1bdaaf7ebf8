import type { Client } from '@elastic/elasticsearch';
import type { Batch } from './batcher.js';
import { classifyRequest } from './classify.js';
import type { Clock } from './pacing.js';
import {
  backingIndicesOf, MAX_IDS_PER_SEARCH, mayBeInOlderIndex, planCheck, presenceAnswer, presenceSearch, withoutPresent,
  type BackingIndices, type Filtered, type StreamDocs,
} from './presence.js';
import { requestFailure, type RequestFailure } from './sender.js';
import type { SinkLogger } from './sink.js';

/**
 * The presence check's conversation with Elasticsearch (the rules are in presence.ts): per data
 * stream, its backing indices (cached for a few seconds), and per request and data stream that
 * may hold some of the request's documents in an older backing index, one `_search` for their ids.
 *
 * What the credentials lack changes what it does, never whether documents are delivered:
 * - no `view_index_metadata` (403 on the settings): every request is checked (said once, info);
 * - no `read` (403 on the search): the check is off for the rest of the run, said once, as a
 *   warning naming the privilege and the consequence.
 * Everything else that keeps a question from being answered — no answer, 408, 429, 5xx, an
 * answer missing shards, 401 — is returned as a failure, which the sink treats like a failed
 * `_bulk` request (backoff, or a pause for 401): the documents are never sent unchecked.
 */

export type PresenceOutcome<T> = ({ ok: true } & Filtered<T>) | RequestFailure;

/** How long what was read of a data stream's backing indices is used: a rollover is seen at most this late. */
export const BACKING_INDICES_TTL_MS = 10_000;

export interface PresenceCheckOptions {
  client: Client;
  log: SinkLogger;
  clock: Clock;
  requestTimeoutMs: number;
}

export class PresenceCheck {
  private readonly known = new Map<string, { until: number; value: Promise<BackingIndices | RequestFailure> }>();
  private off = false;
  private metadataDenied = false;
  /** Searches sent (answered or not), for the counters. */
  searches = 0;

  constructor(private readonly o: PresenceCheckOptions) {}

  /** Whether the check was turned off (the credentials may not search). */
  get disabled(): boolean {
    return this.off;
  }

  async check<T>(batch: Batch<T>): Promise<PresenceOutcome<T>> {
    const plan = planCheck(batch);
    const present = new Map<string, Set<string>>();
    for (const [dataStream, docs] of plan.streams) {
      if (this.off) break;
      const indices = await this.backingIndices(dataStream);
      if ('ok' in indices) return indices;
      if (!mayBeInOlderIndex(indices, docs, this.o.clock.now())) continue;
      const found = await this.search(dataStream, docs);
      if (found === 'off') break;
      if (!(found instanceof Set)) return found;
      present.set(dataStream, found);
    }
    return { ok: true, ...withoutPresent(plan, present) };
  }

  /** The data stream's backing indices, read at most every BACKING_INDICES_TTL_MS (one request for concurrent askers). */
  private backingIndices(dataStream: string): Promise<BackingIndices | RequestFailure> {
    const now = this.o.clock.now();
    const cached = this.known.get(dataStream);
    if (cached !== undefined && cached.until > now) return cached.value;
    const value = this.readBackingIndices(dataStream);
    const entry = { until: now + BACKING_INDICES_TTL_MS, value };
    this.known.set(dataStream, entry);
    // A failure is not remembered: the next request asks again.
    void value.then((v) => {
      if ('ok' in v && this.known.get(dataStream) === entry) this.known.delete(dataStream);
    });
    return value;
  }

  private async readBackingIndices(dataStream: string): Promise<BackingIndices | RequestFailure> {
    try {
      const response = await this.o.client.indices.getSettings(
        { index: dataStream, name: 'index.creation_date', flat_settings: true },
        { requestTimeout: this.o.requestTimeoutMs, maxRetries: 0 },
      );
      return backingIndicesOf(response);
    } catch (err) {
      const failure = requestFailure(err);
      if (failure.status === 404) return { kind: 'none' };
      if (isSinkFailure(failure.status)) return failure;
      // 403 (no view_index_metadata) and anything else: not known, so every request is checked.
      if (!this.metadataDenied) {
        this.metadataDenied = true;
        this.o.log.info(
          { status: failure.status, dataStream },
          `presence check: cannot read the backing indices of ${dataStream} (${failure.reason}); every request is checked. ` +
            'The index privilege view_index_metadata on logs-dropship.*-* lets import skip the check where a rollover cannot matter.',
        );
      }
      return { kind: 'unknown' };
    }
  }

  /**
   * The ids of `docs` the data stream holds. A page full of hits may be short of some (an id
   * already stored twice, in two backing indices, is two hits): the ids not seen yet are asked again.
   */
  private async search(dataStream: string, docs: StreamDocs): Promise<Set<string> | RequestFailure | 'off'> {
    const found = new Set<string>();
    for (let from = 0; from < docs.ids.length; from += MAX_IDS_PER_SEARCH) {
      let ids = docs.ids.slice(from, from + MAX_IDS_PER_SEARCH);
      while (ids.length > 0) {
        let answer: { ids: string[]; complete: boolean };
        this.searches++;
        try {
          answer = presenceAnswer(await this.o.client.search(presenceSearch(dataStream, ids, docs), { requestTimeout: this.o.requestTimeoutMs, maxRetries: 0 }));
        } catch (err) {
          const failure = requestFailure(err);
          if (failure.status === 404 && failure.errorType === 'index_not_found_exception') return found;
          if (isSinkFailure(failure.status)) return failure;
          this.turnOff(failure);
          return 'off';
        }
        if (!answer.complete) {
          return { ok: false, status: undefined, errorType: undefined, reason: `the search on ${dataStream} did not hear from every shard (timed out or shards failed)` };
        }
        for (const id of answer.ids) found.add(id);
        if (answer.ids.length < ids.length) break;
        ids = ids.filter((id) => !found.has(id));
      }
    }
    return found;
  }

  private turnOff(failure: RequestFailure): void {
    this.off = true;
    const advice = failure.status === 403
      ? 'the credentials lack the index privilege read on logs-dropship.*-*'
      : `Elasticsearch refused the search (${failure.reason})`;
    this.o.log.warn(
      { status: failure.status, errorType: failure.errorType },
      `presence check OFF: ${advice}; documents already in a backing index older than the write index (before a rollover) will be indexed again (duplicates)`,
    );
  }
}

/**
 * What the sink must handle as it handles a `_bulk` request without answer: no answer, 408, 429
 * and 5xx (retried with backoff), and 401 (the credentials: a pause, as for `_bulk`).
 */
function isSinkFailure(status: number | undefined): boolean {
  return status === 401 || classifyRequest(status).kind === 'retry';
}
