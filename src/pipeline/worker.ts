import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { createProcessor, type LineInput, type ProcessorConfig } from './process.js';

// Worker-thread side of the processing pool (see pool.ts).
const port = parentPort!;
try {
  const processor = await createProcessor(workerData as ProcessorConfig);
  port.on('message', (m: { id: number; input?: LineInput }) => {
    if (m.input === undefined) {
      // A memory probe for the summary: this thread's heap, not the process's.
      const h = getHeapStatistics();
      port.postMessage({ id: m.id, heap: { used: h.used_heap_size, committed: h.total_physical_size, external: h.external_memory } });
      return;
    }
    try {
      const batch = processor(m.input);
      const { body } = batch;
      // Hand the bytes over instead of copying them, when the buffer owns its whole ArrayBuffer
      // (a small Buffer.from() result lives in a shared pool and must be copied).
      const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      port.postMessage({ id: m.id, batch }, own ? [body.buffer as ArrayBuffer] : []);
    } catch (err) {
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ id: -1, error: err instanceof Error ? err.message : String(err) });
}
