import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../core/log.js';
import type { Output } from '../processing/run.js';
import { ElasticsearchSink, FileDeadLetterQueue, type SinkStats } from '../elasticsearch/sink/index.js';
import { NdjsonOutput } from '../sinks/ndjson.js';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { wholeNumber } from './options.js';

/** Bulk request tuning, for tail and import. */
export interface BulkFlags {
  bulkMaxBytes: string;
  bulkConcurrency: string;
}

export const DEFAULT_BULK_MAX_BYTES = 2_000_000;
export const DEFAULT_BULK_CONCURRENCY = 3;

export function addBulkOptions(command: Command): Command {
  return command
    .option('--bulk-max-bytes <bytes>', 'largest _bulk request body', String(DEFAULT_BULK_MAX_BYTES))
    .option('--bulk-concurrency <n>', '_bulk requests in flight at once', String(DEFAULT_BULK_CONCURRENCY));
}

/** `--output elasticsearch|stdout|ndjson:<file>` as the pipeline's output (tail and import). */
export interface OpenedOutput extends Output {
  kind: 'elasticsearch' | 'ndjson';
  /** Sink counters (Elasticsearch), or documents written (NDJSON). */
  stats(): SinkStats | { written: number };
  /** Stop waiting for what is unsettled (Elasticsearch): it is never acknowledged. */
  abort(): void;
}

export interface OutputOptions {
  output: string;
  namespace: string;
  stateDir: string;
  onAck: (seq: number) => void;
  log: Logger;
  /** Needed for --output elasticsearch. */
  client: () => Client;
  bulk?: BulkSettings;
}

export interface BulkSettings {
  maxBatchBytes: number;
  concurrency: number;
}

/** The bulk flags, checked (a usage error otherwise) before anything is opened. */
export function bulkSettings(flags: Partial<BulkFlags>): BulkSettings {
  return {
    maxBatchBytes: wholeNumber('--bulk-max-bytes', flags.bulkMaxBytes ?? String(DEFAULT_BULK_MAX_BYTES), 1),
    concurrency: wholeNumber('--bulk-concurrency', flags.bulkConcurrency ?? String(DEFAULT_BULK_CONCURRENCY), 1),
  };
}

/** Checks the --output value before anything is opened. */
export function checkOutputOption(output: string): void {
  if (output === 'elasticsearch' || output === 'stdout' || (output.startsWith('ndjson:') && output.length > 7)) return;
  throw new UsageError(`--output must be elasticsearch, stdout or ndjson:<file>, got "${output}"`);
}

export async function openOutput(o: OutputOptions): Promise<OpenedOutput> {
  checkOutputOption(o.output);
  if (o.output === 'elasticsearch') {
    const { maxBatchBytes, concurrency } = o.bulk ?? bulkSettings({});
    const sink = new ElasticsearchSink<number>({
      client: o.client(), namespace: o.namespace, onAck: o.onAck, logger: o.log, maxBatchBytes, concurrency,
      deadLetter: new FileDeadLetterQueue(join(o.stateDir, 'dead-letter.ndjson')),
    });
    return Object.assign(sink, { kind: 'elasticsearch' as const });
  }
  const out = await NdjsonOutput.open<number>({ target: o.output === 'stdout' ? process.stdout : o.output.slice(7), onAck: o.onAck });
  // Local writes either finish or fail; there is nothing to give up on.
  return Object.assign(out, { kind: 'ndjson' as const, stats: () => ({ written: out.written }), abort: () => undefined });
}
