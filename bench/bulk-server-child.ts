/**
 * The loopback bulk server in its own process, so the bench measures the sink's CPU and memory
 * and not the server's. Talks to the parent over IPC: sends {port} when listening, answers
 * 'stats' with its counters, exits on 'stop'.
 */
import { BulkServer } from '../test/helpers/bulk-server.js';

const server = await BulkServer.start({ storeSources: false });
process.send?.({ type: 'ready', port: server.port });
process.on('message', (message: unknown) => {
  if (message === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'stats',
      items: server.itemsReceived,
      stored: server.storedCount,
      bytes: server.bytesReceived,
      requests: server.bulkRequests,
      rss: process.memoryUsage.rss(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      /** The kernel's share of cpuMs (socket reads and writes). */
      systemMs: cpu.system / 1000,
    });
  } else if (message === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
