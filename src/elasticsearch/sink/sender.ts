import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { BULK_FILTER_PATH, bulkItemResults, type BulkItemResult } from '../../codec/bulk.js';
import { describeError } from '../../core/redact.js';
import type { Batch } from './batcher.js';

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
  /**
   * One reusable body buffer per request slot. Building each body as a fresh 5 MB Buffer made
   * glibc's heap fragment (RSS over 300 MB for a 24 MB budget); a slot's buffer is rewritten only
   * after its previous request has finished.
   */
  private readonly slotBuffers: Buffer[] = [];

  constructor(
    private readonly client: Client,
    private readonly requestTimeoutMs: number,
    private readonly maxBatchBytes: number,
  ) {}

  async send(batch: Batch<unknown>, slot: number): Promise<SendResult> {
    let response: estypes.BulkResponse;
    try {
      response = await this.client.bulk(
        // A pre-serialized NDJSON Buffer passes through the transport untouched (it only
        // serializes arrays); the request type does not model that, hence the cast.
        { operations: this.body(batch, slot) as unknown as estypes.BulkRequest['operations'], filter_path: BULK_FILTER_PATH },
        { requestTimeout: this.requestTimeoutMs, maxRetries: 0 },
      );
    } catch (err) {
      return requestFailure(err);
    }
    return { ok: true, items: bulkItemResults(response, batch.docs) };
  }

  /**
   * The request body: a lone part as it is (under load, each request is one parser batch, so no
   * copy at all); several are copied into the slot's buffer, grown when needed.
   */
  private body(batch: Batch<unknown>, slot: number): Buffer {
    if (batch.parts.length === 1) return batch.parts[0]!.body;
    let buffer = this.slotBuffers[slot];
    if (buffer === undefined || buffer.length < batch.bytes) {
      buffer = Buffer.allocUnsafeSlow(Math.max(batch.bytes, Math.ceil(this.maxBatchBytes * 1.1)));
      this.slotBuffers[slot] = buffer;
    }
    let offset = 0;
    for (const part of batch.parts) offset += part.body.copy(buffer, offset);
    return buffer.subarray(0, offset);
  }
}
