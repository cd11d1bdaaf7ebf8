import type { estypes } from '@elastic/elasticsearch';
import { bulkEntries, type BulkEntry } from '../../codec/bulk.js';
import type { Chunk } from './acks.js';
import { addToBatch, emptyBatch, type Batch, type Part } from './batcher.js';

/**
 * The presence check, as pure functions: which documents of a request must be asked about, the
 * `_search` that asks, what its answer says, and the request without the documents that are
 * there already. presence-check.ts does the asking; the sink runs it before `_bulk` (import
 * only).
 *
 * Why: `_id` is unique per backing index only (elastic/elasticsearch#44794). A `create` whose id
 * is in the data stream's write index answers 409, but one whose id is in an older backing index
 * (written before a rollover) is stored again. So before sending, ask the data stream (all its
 * backing indices) which of the request's ids it holds, and send only the others. Needed only
 * where a document can be in an older backing index: the data stream has more than one, and the
 * document's `@timestamp` is older than the newest backing index plus a margin (a line cannot
 * have been shipped before it was logged, give or take a clock that runs ahead), or lies further
 * in the future than that margin (then its time says nothing about when it was shipped).
 */

/** What is known of a data stream's backing indices. */
export type BackingIndices =
  /** The data stream does not exist (yet): nothing of it is stored. */
  | { kind: 'none' }
  | { kind: 'known'; count: number; newestCreatedMs: number }
  /** Could not be read (no `view_index_metadata`): assume a document can be anywhere. */
  | { kind: 'unknown' };

/**
 * How far ahead of the moment it was shipped a document's `@timestamp` may be: a router clock or
 * time zone that is off by up to a day. A document stamped later than the newest backing index's
 * creation plus this was shipped after that index became the write index, so it can only be there.
 */
export const CLOCK_AHEAD_MARGIN_MS = 86_400_000;

/** `index.max_result_window` (default 10,000): the most hits one search may return. */
export const MAX_IDS_PER_SEARCH = 10_000;

/** Widening of the `@timestamp` range, so no rounding of sub-millisecond times can leave a document out. */
const RANGE_SLACK_MS = 1000;

/** Whether documents of the data stream stamped within `docs`' span may be in a backing index other than the write index. */
export function mayBeInOlderIndex(indices: BackingIndices, docs: Pick<StreamDocs, 'earliestMs' | 'latestMs'>, nowMs: number): boolean {
  if (indices.kind === 'none') return false;
  if (indices.kind === 'unknown') return true;
  // A single backing index is the write index: a create of an id it holds answers 409.
  if (indices.count <= 1) return false;
  if (docs.earliestMs === undefined || docs.latestMs === undefined) return true;
  return docs.earliestMs < indices.newestCreatedMs + CLOCK_AHEAD_MARGIN_MS || docs.latestMs > nowMs + CLOCK_AHEAD_MARGIN_MS;
}

/**
 * `GET <data stream>/_settings/index.creation_date?flat_settings=true`, read: the number of
 * backing indices and the newest creation time. The write index is the newest one; should
 * another be newer (a downsampled index), the check only runs more often.
 */
export function backingIndicesOf(response: unknown): BackingIndices {
  const indices = response !== null && typeof response === 'object' ? Object.values(response as Record<string, unknown>) : [];
  let newest = Number.NEGATIVE_INFINITY;
  for (const index of indices) {
    const created = Number((index as { settings?: Record<string, unknown> } | null)?.settings?.['index.creation_date']);
    // A date that cannot be read: the check cannot be narrowed by time.
    newest = Number.isFinite(created) ? Math.max(newest, created) : Number.POSITIVE_INFINITY;
  }
  if (indices.length === 0) return { kind: 'none' };
  return { kind: 'known', count: indices.length, newestCreatedMs: newest };
}

/** The documents of one data stream in a request. */
export interface StreamDocs {
  ids: string[];
  /** Earliest and latest `@timestamp` (ms); undefined when some document has none that parses. */
  earliestMs: number | undefined;
  latestMs: number | undefined;
}

/** A request read for the check: its parts' documents, and per data stream the ids and time span of those not checked yet. */
export interface Plan<T> {
  parts: { part: Part<T>; entries: BulkEntry[] | undefined }[];
  streams: Map<string, StreamDocs>;
}

export function planCheck<T>(batch: Batch<T>): Plan<T> {
  const streams = new Map<string, StreamDocs & { untimed: boolean }>();
  // Documents of one second follow each other: each run of one `@timestamp` text is parsed once.
  let lastText: string | undefined;
  let lastMs = Number.NaN;
  const parts = batch.parts.map((part) => {
    if (part.checked === true) return { part, entries: undefined };
    const entries = bulkEntries(part.body);
    for (const entry of entries) {
      let stream = streams.get(entry.index);
      if (stream === undefined) {
        stream = { ids: [], earliestMs: Number.POSITIVE_INFINITY, latestMs: Number.NEGATIVE_INFINITY, untimed: false };
        streams.set(entry.index, stream);
      }
      stream.ids.push(entry.id);
      if (entry.timestamp !== lastText) {
        lastText = entry.timestamp;
        lastMs = lastText === undefined ? Number.NaN : Date.parse(lastText);
      }
      const ms = lastMs;
      if (Number.isNaN(ms)) stream.untimed = true;
      else {
        stream.earliestMs = Math.min(stream.earliestMs!, ms);
        stream.latestMs = Math.max(stream.latestMs!, ms);
      }
    }
    return { part, entries };
  });
  const out = new Map<string, StreamDocs>();
  for (const [name, s] of streams) {
    out.set(name, s.untimed ? { ids: s.ids, earliestMs: undefined, latestMs: undefined } : { ids: s.ids, earliestMs: s.earliestMs, latestMs: s.latestMs });
  }
  return { parts, streams: out };
}

/** The fields of a search answer the check reads (`filter_path`). */
export const PRESENCE_FILTER_PATH = ['hits.hits._id', '_shards.failed', 'timed_out'];

/**
 * `POST <data stream>/_search` for which of `ids` (at most MAX_IDS_PER_SEARCH) exist in any
 * backing index: ids only, no source, no scoring or counting, shards whose documents lie outside
 * the documents' time span skipped by the range. `allow_partial_search_results=false`: an answer
 * missing a shard would miss documents, so such a search fails as a whole and is retried.
 */
export function presenceSearch(dataStream: string, ids: readonly string[], docs: Pick<StreamDocs, 'earliestMs' | 'latestMs'>): estypes.SearchRequest {
  const filter: estypes.QueryDslQueryContainer[] = [{ ids: { values: [...ids] } }];
  if (docs.earliestMs !== undefined && docs.latestMs !== undefined) {
    filter.push({ range: { '@timestamp': { gte: docs.earliestMs - RANGE_SLACK_MS, lte: docs.latestMs + RANGE_SLACK_MS, format: 'epoch_millis' } } });
  }
  return {
    index: dataStream,
    size: ids.length,
    _source: false,
    track_total_hits: false,
    sort: ['_doc'],
    query: { bool: { filter } },
    allow_partial_search_results: false,
    filter_path: PRESENCE_FILTER_PATH,
  };
}

/** What a search answered: the ids of its hits, and whether every shard answered in time. */
export function presenceAnswer(response: unknown): { ids: string[]; complete: boolean } {
  const r = response as { hits?: { hits?: { _id?: unknown }[] }; _shards?: { failed?: unknown }; timed_out?: unknown } | null | undefined;
  const ids: string[] = [];
  for (const hit of r?.hits?.hits ?? []) if (typeof hit?._id === 'string') ids.push(hit._id);
  const failed = Number(r?._shards?.failed ?? 0);
  return { ids, complete: r?.timed_out !== true && !(failed > 0) };
}

/** The request without the documents found, and how many of each chunk were found. */
export interface Filtered<T> {
  rest: Batch<T>;
  present: { chunk: Chunk<T>; docs: number }[];
  presentDocs: number;
}

/**
 * Drops the documents whose id is in `present` for their data stream. What remains stays slices
 * of the parts' bodies, marked checked, so a retry does not ask again.
 */
export function withoutPresent<T>(plan: Plan<T>, present: ReadonlyMap<string, ReadonlySet<string>>): Filtered<T> {
  const rest = emptyBatch<T>();
  const found: { chunk: Chunk<T>; docs: number }[] = [];
  let presentDocs = 0;
  for (const { part, entries } of plan.parts) {
    if (entries === undefined) {
      addToBatch(rest, part);
      continue;
    }
    let dropped = 0;
    let run = -1;
    const flush = (end: number) => {
      if (run < 0) return;
      addToBatch(rest, { chunk: part.chunk, body: part.body.subarray(entries[run]!.start, entries[end - 1]!.end), docs: end - run, checked: true });
      run = -1;
    };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (present.get(entry.index)?.has(entry.id) === true) {
        flush(i);
        dropped++;
      } else if (run < 0) run = i;
    }
    flush(entries.length);
    if (dropped > 0) found.push({ chunk: part.chunk, docs: dropped });
    presentDocs += dropped;
  }
  return { rest, present: found, presentDocs };
}
