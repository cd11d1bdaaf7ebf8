import type { Client, estypes } from '@elastic/elasticsearch';
import type { SourceBatch } from '../core/batch.js';
import { describeError } from '../core/redact.js';
import { ORIGINAL_FIELDS, recordOf } from '../sources/archive/json-records.js';

/**
 * `import --from-index`: every document of an existing index (Filebeat's, an older dropship's) as
 * pipeline batches of its original lines, read with a point-in-time and `search_after` — the way
 * Elasticsearch recommends for reading a whole index: a consistent view that writes (including
 * our own into the data stream) do not shift, and no deep-paging limit.
 *
 * Not checkpointed: `_shard_doc` sort values only mean something inside their point in time, which
 * expires. An interrupted --from-index import is run again; deterministic ids turn what was
 * already written into 409s.
 */

export interface IndexReadCounters {
  /** Hits in the point in time (known after the first page). */
  total: number;
  read: number;
  withoutOriginal: number;
}

export interface IndexReadOptions {
  client: Client;
  pattern: string;
  counters: IndexReadCounters;
  signal: AbortSignal;
  pageSize?: number;
  keepAlive?: string;
  onCloseError?: (err: unknown) => void;
}

export async function* indexBatches(o: IndexReadOptions): AsyncGenerator<SourceBatch> {
  const keepAlive = o.keepAlive ?? '5m';
  const size = o.pageSize ?? 1000;
  let id: string;
  try {
    id = (await o.client.openPointInTime({ index: o.pattern, keep_alive: keepAlive })).id;
  } catch (err) {
    throw new Error(`cannot open a point in time on ${o.pattern}: ${describeError(err)}`);
  }
  let after: estypes.SortResults | undefined;
  try {
    for (let page = 0; !o.signal.aborted; page++) {
      let response: estypes.SearchResponse;
      try {
        response = await o.client.search({
          pit: { id, keep_alive: keepAlive },
          sort: [{ _shard_doc: 'asc' }],
          size,
          _source: [...ORIGINAL_FIELDS, '@timestamp'],
          track_total_hits: page === 0,
          ...(after === undefined ? {} : { search_after: after }),
        });
      } catch (err) {
        throw new Error(`reading ${o.pattern} failed after ${o.counters.read} documents: ${describeError(err)}`);
      }
      // Elasticsearch may hand out a new id for the same point in time: always use the latest.
      id = response.pit_id ?? id;
      if (page === 0) {
        const total = response.hits.total;
        o.counters.total = typeof total === 'number' ? total : total?.value ?? 0;
      }
      const hits = response.hits.hits;
      if (hits.length === 0) break;
      const lines: string[] = [];
      const times: number[] = [];
      for (const hit of hits) {
        const r = recordOf(hit);
        if (r.line === undefined) o.counters.withoutOriginal++;
        else {
          lines.push(r.line);
          times.push(r.timeMs);
        }
      }
      o.counters.read += hits.length;
      yield { lines, truncated: [], lineReceivedMs: times };
      after = hits[hits.length - 1]!.sort;
      if (after === undefined || hits.length < size) break;
    }
  } finally {
    try {
      await o.client.closePointInTime({ id });
    } catch (err) {
      // The point in time expires on its own after keep_alive; not worth failing the import.
      o.onCloseError?.(err);
    }
  }
}
