import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { ArrayBufferPool, BATCH_BUFFERS_KEPT } from './buffer-pool.js';
import type { LineInput } from '../core/batch.js';
import { createProcessor } from './process.js';
import type { WorkerSetup } from './pool.js';

// Worker-thread side of the processing pool (see pool.ts).
const port = parentPort!;

interface Request {
  id: number;
  input?: LineInput;
  /** Bodies of earlier batches the output is done with: reused for the next ones. */
  recycled?: ArrayBuffer[];
}

try {
  const bodies = new ArrayBufferPool(BATCH_BUFFERS_KEPT);
  const { config, encoding } = workerData as WorkerSetup;
  const processor = await createProcessor(config, encoding, bodies);
  port.on('message', (m: Request) => {
    if (m.recycled !== undefined) for (const ab of m.recycled) bodies.give(ab);
    if (m.input === undefined) {
      // A memory probe for the summary: this thread's heap, not the process's.
      const h = getHeapStatistics();
      port.postMessage({ id: m.id, heap: { used: h.used_heap_size, committed: h.total_physical_size, external: h.external_memory } });
      return;
    }
    try {
      const batch = processor(m.input);
      // The body is alone in its ArrayBuffer (see createProcessor): it moves without a copy. The
      // line bytes go back the same way, for the main thread's next batches.
      const lines = m.input.data?.buffer as ArrayBuffer | undefined;
      const transfer = lines === undefined ? [batch.body.buffer as ArrayBuffer] : [batch.body.buffer as ArrayBuffer, lines];
      port.postMessage({ id: m.id, batch, returned: lines }, transfer);
    } catch (err) {
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ id: -1, error: err instanceof Error ? err.message : String(err) });
}
