/**
 * The loopback bulk server in its own process, so the bench measures the sink's CPU and memory
 * and not the server's. Talks to the parent over IPC: sends {port} when listening, answers
 * 'stats' with its counters, exits on 'stop'. `{ type: 'reject', percent }` makes it answer that
 * share of items (at random, on every attempt) 429 es_rejected_execution_exception, as a busy
 * cluster does; percent 0 keeps the same per-item hook without faults, so both cost the same.
 * `{ type: 'rollover' }` rolls every data stream over (a new id space; see the server's doc).
 */
import { BulkServer, itemFaults } from '../test/helpers/bulk-server.js';

const server = await BulkServer.start({ storeSources: false });
let rejected = 0;
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
      searches: server.searchRequests,
      searchedIds: server.searchedIds,
      rejected,
      rss: process.memoryUsage.rss(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      /** The kernel's share of cpuMs (socket reads and writes). */
      systemMs: cpu.system / 1000,
    });
  } else if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'rollover') {
    server.rollover();
    process.send?.({ type: 'rolled-over' });
  } else if (message === 'stop') {
    void server.close().then(() => process.exit(0));
  } else if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'reject') {
    const share = Number((message as { percent: number }).percent) / 100;
    server.onItem = () => {
      if (Math.random() >= share) return undefined;
      rejected++;
      return itemFaults.rejected();
    };
    process.send?.({ type: 'reject-set' });
  }
});
