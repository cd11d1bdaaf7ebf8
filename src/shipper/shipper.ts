import type { Client } from '@elastic/elasticsearch';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SourceBatch } from '../core/batch.js';
import type { Logger } from '../core/log.js';
import { connectionWarnings, createClient, describeConnection, resolveConnection, type ConnectionFlags } from '../elasticsearch/connection.js';
import type { SinkStats } from '../elasticsearch/sink/index.js';
import { createPool, type ProcessingPool } from '../processing/pool.js';
import type { ProcessorConfig } from '../processing/process.js';
import { Committer, Pipeline, type PipelineCounters } from '../processing/run.js';
import type { Allocate } from '../sources/framing/line-bytes.js';
import { flushEvery, type CheckpointStore } from '../state/checkpoints.js';
import { openOutput, type BulkSettings, type OpenedOutput } from './output.js';
import { stopOnSignals } from './signals.js';

/**
 * One shipper for `tail` and `import`: from a config it opens the Elasticsearch client (only
 * when needed), the output, the parser threads and the pipeline between them, a timer that
 * writes checkpoints, and the handling of SIGINT/SIGTERM; and it closes them in one order. The
 * commands only bring their sources (and their reports).
 *
 * Shutdown: the first signal stops the sources (`signal`), the output settles what was read
 * within `shutdownMs` (then gives up on it: never acknowledged, so read again next time),
 * checkpoints are written, the threads end. A second signal exits at once.
 */

export interface ShipperConfig {
  processing: ProcessorConfig;
  /** Parser threads (0: parse on the main thread). */
  workers: number;
  /** `elasticsearch`, `stdout` or `ndjson:<file>`, already checked. */
  output: string;
  namespace: string;
  /** Holds the dead-letter file. */
  stateDir: string;
  bulk: BulkSettings;
  /**
   * Before sending, ask Elasticsearch which documents its data streams hold in any backing index
   * (import: re-imported lines may predate a rollover). Off for tail, whose replays are recent.
   */
  presenceCheck?: boolean;
  /** Resolved, and the client created, only when Elasticsearch is needed. */
  connection: ConnectionFlags;
  /** The sources' checkpoints: written every second and once more at the end. */
  store?: CheckpointStore | undefined;
  /** After the first SIGINT/SIGTERM, how long the output may take to settle what was read. */
  shutdownMs: number;
  /** What a forced stop means for the user, e.g. "the import resumes from its last checkpoint". */
  onForcedStop: string;
  log: Logger;
}

export interface Shipper {
  /** Aborted on the first signal (or by stop()): sources stop reading. */
  readonly signal: AbortSignal;
  /** Buffers for line bytes read by sources: they travel to the parser threads and come back. */
  readonly allocate: Allocate;
  readonly counters: PipelineCounters;
  readonly outputKind: OpenedOutput['kind'];
  /** The Elasticsearch client (created on first use), e.g. for `import --from-index`. */
  client(): Client;
  outputStats(): SinkStats | { written: number };
  /** MiB figures an operator can watch: the process's RSS, the main thread's heap and each parser thread's. */
  memory(): Promise<Record<string, number | number[]>>;
  /**
   * Runs sources to their end (or until the signal), each keeping its order. If one fails, the
   * others are stopped and the failure is thrown. Without sources, waits for the signal.
   */
  run(sources: AsyncIterable<SourceBatch>[]): Promise<void>;
  stop(): void;
  /**
   * Closes everything in order, after `first` (the sources' own resources): output (settles
   * what was read), threads, client, checkpoints, signal handlers. Every step runs even when one
   * fails; the first failure is thrown.
   */
  close(first?: readonly (() => unknown)[]): Promise<void>;
}

export function defaultStateDir(): string {
  return process.env.DROPSHIP_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'dropship');
}

export async function openShipper(config: ShipperConfig): Promise<Shipper> {
  const { log } = config;
  let client: Client | undefined;
  const getClient = (): Client => {
    if (client === undefined) {
      const settings = resolveConnection(config.connection);
      for (const w of connectionWarnings(settings)) log.warn(w);
      client = createClient(settings);
      log.info({ elasticsearch: describeConnection(settings) }, 'shipping to Elasticsearch');
    }
    return client;
  };

  const committer = new Committer();
  const output = await openOutput({
    output: config.output, namespace: config.namespace, stateDir: config.stateDir, bulk: config.bulk, log, client: getClient,
    presenceCheck: config.presenceCheck === true,
    onAck: (seq) => committer.ack(seq),
  });
  let pool: ProcessingPool;
  try {
    pool = await createPool({ ...config.processing, namespace: config.namespace }, output.encoding, config.workers);
  } catch (err) {
    output.abort();
    await Promise.allSettled([output.close(), client?.close()]);
    throw err;
  }
  const pipeline = new Pipeline(pool, output, committer);
  const abort = new AbortController();
  const removeSignalHandlers = stopOnSignals(abort, log, config.onForcedStop, { ms: config.shutdownMs, expire: () => output.abort() });
  const store = config.store;
  // A failing disk is said once when it starts and once when it is over, not every second.
  const checkpointTimer = store === undefined ? undefined : flushEvery(store, 1000, {
    failed: (err) => log.error(`${err.message}; checkpoints are kept in memory and written once the disk takes them (a restart meanwhile re-reads, never skips)`),
    recovered: (failures) => log.info({ failures }, 'checkpoints written again'),
  });

  return {
    signal: abort.signal,
    allocate: (size) => pool.lineBuffers.take(size),
    counters: pipeline.counters,
    outputKind: output.kind,
    client: getClient,
    outputStats: () => output.stats(),
    async memory() {
      const m = process.memoryUsage();
      const mib = (n: number): number => Math.round(n / 2 ** 20);
      const workers = await pool.heaps().catch(() => []);
      return {
        rss_mib: mib(m.rss), heap_mib: mib(m.heapUsed), heap_committed_mib: mib(m.heapTotal), external_mib: mib(m.external),
        worker_heap_mib: workers.map((h) => mib(h.used)), worker_heap_committed_mib: workers.map((h) => mib(h.committed)),
      };
    },
    async run(sources) {
      const runs = sources.length > 0
        ? sources.map((s) => pipeline.run(s))
        : [new Promise<void>((resolve) => (abort.signal.aborted ? resolve() : abort.signal.addEventListener('abort', () => resolve())))];
      try {
        await Promise.all(runs);
      } catch (err) {
        // One source failing (say, the output cannot be written) stops the others too.
        abort.abort();
        throw err;
      }
    },
    stop: () => abort.abort(),
    async close(first = []) {
      let failure: unknown;
      // A worker thread or a timer left open would keep the process alive after an error.
      const steps: (() => unknown)[] = [
        ...first, () => output.close(), () => pool.close(), () => client?.close(), () => checkpointTimer?.stop(), () => store?.flush(),
        () => removeSignalHandlers(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}
