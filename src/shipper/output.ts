import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { EncoderSpec } from '../codec/encoder.js';
import type { Logger } from '../core/log.js';
import type { Output } from '../processing/run.js';
import { ElasticsearchSink, FileDeadLetterQueue, type SinkStats } from '../elasticsearch/sink/index.js';
import { NdjsonOutput } from '../sinks/ndjson.js';

/** `--output elasticsearch|stdout|ndjson:<file>` as the pipeline's output (tail and import). */
export interface OpenedOutput extends Output {
  kind: 'elasticsearch' | 'ndjson';
  /** How processing must encode documents for this output. */
  encoding: EncoderSpec;
  /** Sink counters (Elasticsearch), or documents written (NDJSON). */
  stats(): SinkStats | { written: number };
  /** Stop waiting for what is unsettled (Elasticsearch): it is never acknowledged. */
  abort(): void;
}

export interface BulkSettings {
  maxBatchBytes: number;
  concurrency: number;
}

export interface OutputOptions {
  /** `elasticsearch`, `stdout` or `ndjson:<file>`, already checked. */
  output: string;
  namespace: string;
  stateDir: string;
  onAck: (seq: number) => void;
  log: Logger;
  /** Needed for --output elasticsearch. */
  client: () => Client;
  bulk: BulkSettings;
  /** Elasticsearch: ask which documents are already stored before sending (import; see the sink's presence check). */
  presenceCheck?: boolean;
}

export async function openOutput(o: OutputOptions): Promise<OpenedOutput> {
  if (o.output === 'elasticsearch') {
    const sink = new ElasticsearchSink<number>({
      client: o.client(), onAck: o.onAck, logger: o.log, maxBatchBytes: o.bulk.maxBatchBytes, concurrency: o.bulk.concurrency,
      presenceCheck: o.presenceCheck === true,
      deadLetter: new FileDeadLetterQueue(join(o.stateDir, 'dead-letter.ndjson')),
    });
    return Object.assign(sink, { kind: 'elasticsearch' as const, encoding: { format: 'bulk' as const, namespace: o.namespace } });
  }
  const out = await NdjsonOutput.open<number>({ target: o.output === 'stdout' ? process.stdout : o.output.slice('ndjson:'.length), onAck: o.onAck });
  // Local writes either finish or fail; there is nothing to give up on.
  return Object.assign(out, { kind: 'ndjson' as const, encoding: { format: 'ndjson' as const }, stats: () => ({ written: out.written }), abort: () => undefined });
}
