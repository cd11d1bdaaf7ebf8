import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { bulkEncoder, idOfDocument } from '../../src/codec/bulk.js';
import { ElasticsearchSink, FileDeadLetterQueue, type SinkOptions } from '../../src/elasticsearch/sink/index.js';
import type { EcsDocument } from '../../src/model/document.js';
import { stringifyDocument } from '../../src/model/serialize.js';
import { BulkServer, type BulkServerOptions } from './bulk-server.js';

/**
 * Documents as the sink receives them in production: one `_bulk` body, each document encoded as
 * the processing step does it (serializer + the bulk encoder).
 */
export function bulkBody(docs: readonly EcsDocument[], namespace = 'default'): Buffer {
  const encoder = bulkEncoder({ namespace });
  return Buffer.from(docs.map((doc) => encoder.encode(doc, stringifyDocument(doc), idOfDocument(doc))).join(''), 'utf8');
}

/** A bulk server, a client on it, a sink and a dead-letter file, torn down together. */
export interface Harness<T> {
  server: BulkServer;
  client: Client;
  sink: ElasticsearchSink<T>;
  acks: T[];
  deadLetterPath: string;
  /** pushBatch of these documents as one body; returns what pushBatch returned. */
  push(docs: readonly EcsDocument[], token: T, namespace?: string): boolean;
  /** push(), waiting for room in the sink's budget first. */
  write(docs: readonly EcsDocument[], token: T): Promise<void>;
  deadLetters(): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export async function harness<T = number>(
  options: Partial<Omit<SinkOptions<T>, 'client' | 'deadLetter'>> = {},
  serverOptions: BulkServerOptions = {},
): Promise<Harness<T>> {
  const server = await BulkServer.start(serverOptions);
  const dir = await mkdtemp(join(tmpdir(), 'dropship-sink-'));
  const deadLetterPath = join(dir, 'state', 'dead-letter.ndjson');
  // Fast client-side resurrection so tests of outages do not wait on pool timers.
  const client = new Client({ node: server.url, resurrectStrategy: 'none' });
  const acks: T[] = [];
  const sink = new ElasticsearchSink<T>({
    client,
    deadLetter: new FileDeadLetterQueue(deadLetterPath),
    backoffInitialMs: 5,
    backoffMaxMs: 50,
    itemRetryMs: 5,
    // Requests leave as soon as a test has pushed (production waits up to a second).
    flushIntervalMs: 10,
    initialConcurrency: options.concurrency ?? 3,
    onAck: (token) => acks.push(token),
    ...options,
  });
  const push = (docs: readonly EcsDocument[], token: T, namespace?: string): boolean => sink.pushBatch(bulkBody(docs, namespace), docs.length, token);
  return {
    server,
    client,
    sink,
    acks,
    deadLetterPath,
    push,
    async write(docs, token) {
      await sink.whenWritable();
      push(docs, token);
    },
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

/** Polls until `condition` holds (tests wait for what they check, never for a fixed time). */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A clock the test moves: timers fire only when it is advanced past them. */
export class ManualClock {
  private at = 0;
  private timers: { due: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ due: this.at + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Pending timers' delays from now. */
  pending(): number[] {
    return this.timers.map((t) => t.due - this.at);
  }

  advance(ms: number): void {
    const target = this.at + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.at = next.due;
      next.fn();
    }
    this.at = target;
  }
}
