import { parentPort, workerData } from 'node:worker_threads';
import { createProcessor, type LineInput, type ProcessorConfig } from './process.js';

// Worker-thread side of the processing pool (see pool.ts).
const port = parentPort!;
try {
  const processor = await createProcessor(workerData as ProcessorConfig);
  port.on('message', (m: { id: number; input: LineInput }) => {
    try {
      port.postMessage({ id: m.id, batch: processor(m.input) });
    } catch (err) {
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ id: -1, error: err instanceof Error ? err.message : String(err) });
}
