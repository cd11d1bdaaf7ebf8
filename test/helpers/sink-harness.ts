import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchSink, FileDeadLetterQueue, type SinkOptions } from '../../src/elasticsearch/sink/index.js';
import { BulkServer, type BulkServerOptions } from './bulk-server.js';

/** A bulk server, a client on it, a sink and a dead-letter file, torn down together. */
export interface Harness<T> {
  server: BulkServer;
  client: Client;
  sink: ElasticsearchSink<T>;
  acks: T[];
  deadLetterPath: string;
  deadLetters(): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export async function harness<T = number>(
  options: Partial<Omit<SinkOptions<T>, 'client' | 'deadLetter'>> = {},
  serverOptions: BulkServerOptions = {},
): Promise<Harness<T>> {
  const server = await BulkServer.start(serverOptions);
  const dir = await mkdtemp(join(tmpdir(), 'dropship-sink-'));
  const deadLetterPath = join(dir, 'dead-letter.ndjson');
  // Fast client-side resurrection so tests of outages do not wait on pool timers.
  const client = new Client({ node: server.url, resurrectStrategy: 'none' });
  const acks: T[] = [];
  const sink = new ElasticsearchSink<T>({
    client,
    deadLetter: new FileDeadLetterQueue(deadLetterPath),
    backoffInitialMs: 5,
    backoffMaxMs: 50,
    onAck: (token) => acks.push(token),
    ...options,
  });
  return {
    server,
    client,
    sink,
    acks,
    deadLetterPath,
    async deadLetters() {
      let text = '';
      try {
        text = await readFile(deadLetterPath, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async dispose() {
      sink.abort();
      await client.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
