import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { BULK_FILTER_PATH, bulkItemResults, type BulkItemResult } from '../../codec/bulk.js';
import { describeError } from '../../core/redact.js';
import type { Batch } from './batcher.js';
import { Readable } from 'node:stream';

/**
 * Sends one `_bulk` request and says what came back: an answer per document, or why there was
 * no answer. Knows nothing of retries.
 */
export type SendResult = { ok: true; items: BulkItemResult[] } | RequestFailure;

/** A request that got no answer to read: `status` is the HTTP status of an error answer, undefined when there was none. */
export interface RequestFailure {
  ok: false;
  status: number | undefined;
  errorType: string | undefined;
  reason: string;
}

/** What the client threw, as a failure the classifier reads. */
export function requestFailure(err: unknown): RequestFailure {
  if (err instanceof errors.ResponseError) {
    const body = err.body as { error?: { type?: unknown } } | undefined;
    const type = body?.error?.type;
    return { ok: false, status: err.statusCode, errorType: typeof type === 'string' ? type : undefined, reason: `HTTP ${err.statusCode ?? '?'} ${describeError(err)}` };
  }
  return { ok: false, status: undefined, errorType: undefined, reason: describeError(err) };
}

export class BulkSender {
  constructor(
    private readonly client: Client,
    private readonly requestTimeoutMs: number,
  ) {}

  async send(batch: Batch<unknown>): Promise<SendResult> {
    let response: estypes.BulkResponse;
    try {
      response = await this.client.bulk(
        // A pre-serialized NDJSON Buffer passes through the transport untouched (it only
        // serializes arrays); the request type does not model that, hence the cast.
        { operations: bodyOf(batch) as unknown as estypes.BulkRequest['operations'], filter_path: BULK_FILTER_PATH },
        { requestTimeout: this.requestTimeoutMs, maxRetries: 0 },
      );
    } catch (err) {
      return requestFailure(err);
    }
    return { ok: true, items: bulkItemResults(response, batch.docs) };
  }
}

/**
 * The request body: a lone part as it is; several parts (a request that the batcher filled from
 * two parser batches, the usual case) one after the other as a stream, so none is copied. Copying
 * them into one buffer per request slot kept ~2 MB per slot resident (measured +5 MiB peak RSS
 * on Node 20, +9 on Node 24, bench/README.md 2026-12-06 memory), and a fresh buffer per request
 * fragmented glibc's heap (RSS over 300 MB for a 24 MB budget). A stream goes out with HTTP/1.1
 * chunked transfer coding, which every HTTP/1.1 recipient must parse (RFC 9112 §7.1).
 */
function bodyOf(batch: Batch<unknown>): Buffer | Readable {
  if (batch.parts.length === 1) return batch.parts[0]!.body;
  return Readable.from(batch.parts.map((part) => part.body), { objectMode: false });
}
