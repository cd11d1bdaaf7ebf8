import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../log.js';
import type { Output } from '../pipeline/run.js';
import { ElasticsearchSink, FileDeadLetterQueue, type SinkStats } from '../sinks/elasticsearch/index.js';
import { NdjsonOutput } from '../sinks/ndjson.js';
import { UsageError } from './errors.js';

/** `--output elasticsearch|stdout|ndjson:<file>` as the pipeline's output (tail and import). */
export interface OpenedOutput extends Output {
  kind: 'elasticsearch' | 'ndjson';
  /** Sink counters (Elasticsearch), or documents written (NDJSON). */
  stats(): SinkStats | { written: number };
}

export interface OutputOptions {
  output: string;
  namespace: string;
  stateDir: string;
  onAck: (seq: number) => void;
  log: Logger;
  /** Needed for --output elasticsearch. */
  client: () => Client;
}

/** Checks the --output value before anything is opened. */
export function checkOutputOption(output: string): void {
  if (output === 'elasticsearch' || output === 'stdout' || (output.startsWith('ndjson:') && output.length > 7)) return;
  throw new UsageError(`--output must be elasticsearch, stdout or ndjson:<file>, got "${output}"`);
}

export async function openOutput(o: OutputOptions): Promise<OpenedOutput> {
  checkOutputOption(o.output);
  if (o.output === 'elasticsearch') {
    const sink = new ElasticsearchSink<number>({
      client: o.client(), namespace: o.namespace, onAck: o.onAck, logger: o.log,
      deadLetter: new FileDeadLetterQueue(join(o.stateDir, 'dead-letter.ndjson')),
    });
    return Object.assign(sink, { kind: 'elasticsearch' as const });
  }
  const out = await NdjsonOutput.open<number>({ target: o.output === 'stdout' ? process.stdout : o.output.slice(7), onAck: o.onAck });
  return Object.assign(out, { kind: 'ndjson' as const, stats: () => ({ written: out.written }) });
}
