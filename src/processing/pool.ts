import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ArrayBufferPool, BATCH_BUFFERS_KEPT } from './buffer-pool.js';
import type { LineInput } from '../core/batch.js';
import type { ProcessedBatch, ProcessorConfig } from './process.js';
import type { EncoderSpec } from '../codec/encoder.js';

/**
 * Runs the per-line work on worker threads so parsing uses the cores the main thread (sources,
 * sockets, bulk requests) leaves free. Results come back in submission order whatever worker
 * finished first, because callers await them in order.
 */
export interface ThreadHeap {
  used: number;
  committed: number;
  external: number;
}

export interface ProcessingPool {
  process(input: LineInput): Promise<ProcessedBatch>;
  /** A processed batch's body the output is done with: its memory is reused for later ones. */
  recycle(body: Buffer): void;
  /**
   * Buffers for line bytes (LineInput.data): the threads hand them back after decoding. Use it as
   * the splitter's Allocate.
   */
  readonly lineBuffers: ArrayBufferPool;
  /** Each worker thread's heap (empty without workers), for the periodic summary. */
  heaps(): Promise<ThreadHeap[]>;
  close(): Promise<void>;
  readonly workers: number;
}

interface Job {
  resolve: (b: ProcessedBatch | ThreadHeap) => void;
  reject: (e: Error) => void;
}

/** How many workers suit this machine: one per core, leaving one for the main thread. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** What a parser thread is started with. */
export interface WorkerSetup {
  config: ProcessorConfig;
  encoding: EncoderSpec;
}

/** A parser thread's heap limits (see createPool); bench/parser-thread.ts runs its worker with them too. */
export const PARSER_THREAD_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 6 } as const;

export async function createPool(config: ProcessorConfig, encoding: EncoderSpec, workers: number): Promise<ProcessingPool> {
  const lineBuffers = new ArrayBufferPool(BATCH_BUFFERS_KEPT);
  if (workers <= 0) {
    // Loaded only here: with worker threads, the parsers' modules live in the workers alone.
    const { createProcessor } = await import('./process.js');
    const bodies = new ArrayBufferPool(BATCH_BUFFERS_KEPT);
    const processor = await createProcessor(config, encoding, bodies);
    return {
      workers: 0,
      lineBuffers,
      process: async (input) => {
        const batch = processor(input);
        if (input.data !== undefined) lineBuffers.give(input.data.buffer as ArrayBuffer);
        return batch;
      },
      recycle: (body) => bodies.give(body.buffer as ArrayBuffer),
      heaps: async () => [],
      close: async () => undefined,
    };
  }
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker-tsx.mjs' : './worker.js', import.meta.url);
  const threads: Worker[] = [];
  const jobs = new Map<number, Job>();
  let nextId = 0;
  let turn = 0;
  let closed = false;
  const failAll = (err: Error): void => {
    for (const job of jobs.values()) job.reject(err);
    jobs.clear();
  };
  for (let i = 0; i < workers; i++) {
    // A bounded heap makes the worker collect before garbage piles up (RSS), at little cost:
    // its live data is one batch of lines and their documents. Its young generation matches the
    // main thread's (the bin's --max-semi-space-size=2): with 6 MB here the thread's new space
    // stays at 4 MiB on Node 20 and 24, as the main thread's does. On Node 20 the flag capped the
    // thread whatever this limit said; on Node 24 the limit wins, and at 16 the thread's new
    // space grew to 15.8 MiB late in a 1M-line run (bench/README.md, second memory session).
    // A 4x larger young generation halved the thread's GC time, cost ~17 MiB and gained no
    // throughput.
    const setup: WorkerSetup = { config, encoding };
    const w = new Worker(url, { workerData: setup, resourceLimits: PARSER_THREAD_LIMITS });
    w.on('message', (m: { id: number; batch?: ProcessedBatch; returned?: ArrayBuffer; heap?: ThreadHeap; error?: string; ready?: boolean }) => {
      if (m.ready) return;
      if (m.returned !== undefined) lineBuffers.give(m.returned);
      const job = jobs.get(m.id);
      if (job === undefined) return;
      jobs.delete(m.id);
      if (m.heap !== undefined) return job.resolve(m.heap);
      // A Buffer arrives as a plain Uint8Array over the same memory.
      if (m.batch !== undefined) job.resolve({ ...m.batch, body: Buffer.from(m.batch.body.buffer, m.batch.body.byteOffset, m.batch.body.byteLength) });
      else job.reject(new Error(m.error ?? 'worker failed'));
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (code !== 0) failAll(new Error(`parser worker exited with code ${code}`));
    });
    threads.push(w);
  }
  // Wait until every worker has loaded its databases, so start-up errors surface here.
  await Promise.all(
    threads.map(
      (w) =>
        new Promise<void>((ok, fail) => {
          const onMessage = (m: { ready?: boolean; error?: string }): void => {
            if (m.ready) {
              w.off('message', onMessage);
              ok();
            } else if (m.error !== undefined) fail(new Error(m.error));
          };
          w.on('message', onMessage);
          w.once('error', fail);
        }),
    ),
  );
  // Bodies wait here until the next message to a thread takes them along (any thread will do:
  // they all make batches of the same sizes).
  let recycledBodies: ArrayBuffer[] = [];
  const takeRecycled = (): ArrayBuffer[] | undefined => {
    if (recycledBodies.length === 0) return undefined;
    const out = recycledBodies;
    recycledBodies = [];
    return out;
  };
  return {
    workers,
    lineBuffers,
    recycle(body) {
      const ab = body.buffer as ArrayBuffer;
      if (ab.byteLength > 0 && recycledBodies.length < BATCH_BUFFERS_KEPT && !recycledBodies.includes(ab)) recycledBodies.push(ab);
    },
    process(input) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        jobs.set(id, { resolve: resolve as Job['resolve'], reject });
        // Line bytes are alone in their ArrayBuffer (see Allocate): they move, not copied, and so
        // do bodies coming back for reuse.
        const transfer: ArrayBuffer[] = input.data === undefined ? [] : [input.data.buffer as ArrayBuffer];
        const recycled = takeRecycled();
        if (recycled !== undefined) transfer.push(...recycled);
        threads[turn++ % threads.length]!.postMessage({ id, input, recycled }, transfer);
      });
    },
    heaps() {
      if (closed) return Promise.resolve([]);
      return Promise.all(threads.map((w) => new Promise<ThreadHeap>((resolve, reject) => {
        const id = nextId++;
        jobs.set(id, { resolve: resolve as Job['resolve'], reject });
        w.postMessage({ id });
      })));
    },
    async close() {
      closed = true;
      // Pending probes would never be answered by a terminated thread.
      failAll(new Error('parser threads closed'));
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
