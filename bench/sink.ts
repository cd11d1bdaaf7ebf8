/**
 * Bench: the Elasticsearch sink alone, shipping realistic netfilter documents to a loopback
 * `_bulk` server running in a child process.
 *
 *   node --import tsx bench/sink.ts [docs=1000000] [concurrency=3] [batchBytes=5000000]
 *
 * Prints docs/s, MB/s of NDJSON, peak RSS of the shipping process and the server's RSS, and the
 * cost of just building the documents (the part that is the parser's job in real use).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { Client } from '@elastic/elasticsearch';
import { Worker } from 'node:worker_threads';
import { ElasticsearchSink } from '../src/elasticsearch/sink/index.js';
import { bulkEncoder, idOfDocument } from '../src/codec/bulk.js';
import { stringifyDocument } from '../src/model/serialize.js';
import { netfilterDoc } from '../test/helpers/netfilter-docs.js';

const total = Number(process.argv[2] ?? 1_000_000);
const concurrency = Number(process.argv[3] ?? 3);
const maxBatchBytes = Number(process.argv[4] ?? 5_000_000);
const maxBufferedBytes = process.argv[5] ? Number(process.argv[5]) : undefined;
/**
 * 0: documents are built and encoded on the main thread, one `_bulk` body per chunk of 2,000;
 * >0: in this many worker threads, as in `dropship tail`.
 */
const serializeWorkers = Number(process.env.SERIALIZE_WORKERS ?? 0);

interface ServerStats { items: number; stored: number; bytes: number; requests: number; rss: number; cpuMs: number }

const child = fork(fileURLToPath(new URL('./bulk-server-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
const [ready] = (await once(child, 'message')) as [{ port: number }];
const serverStats = async (): Promise<ServerStats> => {
  child.send('stats');
  const [stats] = (await once(child, 'message')) as [ServerStats];
  return stats;
};

// Baseline: building the documents only.
let t = performance.now();
let sink_ = 0;
for (let n = 0; n < 200_000; n++) sink_ += netfilterDoc(n).event.original.length;
const buildNsPerDoc = ((performance.now() - t) * 1e6) / 200_000;

const client = new Client({ node: `http://127.0.0.1:${ready.port}`, compression: false });
let acked = -1;
const sink = new ElasticsearchSink<number>({
  client,
  deadLetter: { write: async () => { throw new Error('no dead letters expected in the bench'); } },
  concurrency,
  initialConcurrency: concurrency,
  maxBatchBytes,
  ...(maxBufferedBytes ? { maxBufferedBytes } : {}),
  onAck: (token) => { acked = token; },
});

let peakRss = process.memoryUsage.rss();
let peakHeap = 0;
let peakExternal = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakExternal = Math.max(peakExternal, m.external);
}, 20);

t = performance.now();
const cpuBefore = process.cpuUsage();
let waitedMs = 0;
if (serializeWorkers > 0) {
  waitedMs = await shipFromWorkers(serializeWorkers);
} else {
  const encoder = bulkEncoder({ namespace: 'default' });
  for (let from = 0; from < total; from += 2000) {
    let body = '';
    const to = Math.min(total, from + 2000);
    for (let n = from; n < to; n++) {
      const doc = netfilterDoc(n);
      body += encoder.encode(doc, stringifyDocument(doc), idOfDocument(doc));
    }
    if (!sink.pushBatch(Buffer.from(body), to - from, to - 1)) {
      const w = performance.now();
      await sink.whenWritable();
      waitedMs += performance.now() - w;
    }
  }
}
await sink.close();
const seconds = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpuBefore);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());

const server = await serverStats();
const stats = sink.stats();
child.send('stop');
await client.close();

const mb = server.bytes / 1e6;
console.log(`docs            ${total.toLocaleString('en')} (indexed ${stats.indexed}, duplicates ${stats.duplicates}, dead-lettered ${stats.deadLettered}, last ack ${acked})`);
console.log(`time            ${seconds.toFixed(2)} s`);
console.log(`throughput      ${Math.round(total / seconds).toLocaleString('en')} docs/s, ${(mb / seconds).toFixed(1)} MB/s NDJSON (${(server.bytes / total).toFixed(0)} B/doc)`);
console.log(`requests        ${stats.requests} (${server.requests} at the server), concurrency ${concurrency}, batch ≤ ${(maxBatchBytes / 1e6).toFixed(1)} MB`);
console.log(`peak RSS        ${(peakRss / 2 ** 20).toFixed(0)} MiB shipper, ${(server.rss / 2 ** 20).toFixed(0)} MiB server (separate process)`);
console.log(`peak heap       ${(peakHeap / 2 ** 20).toFixed(0)} MiB used, ${(peakExternal / 2 ** 20).toFixed(0)} MiB external; sink budget ${(sink.stats().bufferedBytes, ((maxBufferedBytes ?? (concurrency + 2) * maxBatchBytes) / 2 ** 20).toFixed(0))} MiB`);
console.log(`CPU             ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s shipper, ${(server.cpuMs / 1e3).toFixed(2)} s server, over ${seconds.toFixed(2)} s`);
console.log(`backpressure    ${(waitedMs / 1000).toFixed(2)} s waiting for the memory budget`);
console.log(`doc building    ${buildNsPerDoc.toFixed(0)} ns/doc of the loop (the parser's share in real use)`);
if (server.stored !== total || stats.indexed !== total) { console.error('MISMATCH: not every document was stored exactly once'); process.exitCode = 1; }
void sink_;

/** Workers serialize chunks ahead (two each in flight); the main thread pushes them in order. */
async function shipFromWorkers(count: number): Promise<number> {
  const CHUNK = 2000;
  const workers = Array.from({ length: count }, () =>
    new Worker(new URL('./tsx-worker.mjs', import.meta.url), { workerData: { module: new URL('./serialize-worker.ts', import.meta.url).href } }).on('error', (err) => {
      console.error(`serialize worker failed: ${err.message}`);
      process.exit(1);
    }),
  );
  const pending = new Map<number, Promise<{ body: Buffer; docs: number }>>();
  let next = 0;
  let w = 0;
  const request = () => {
    if (next >= total) return;
    const from = next;
    const worker = workers[w++ % count]!;
    next = Math.min(total, from + CHUNK);
    pending.set(from, new Promise((resolve) => {
      const onMessage = (m: { from: number; body: Uint8Array; docs: number }) => {
        if (m.from !== from) return;
        worker.off('message', onMessage);
        resolve({ body: Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), docs: m.docs });
      };
      worker.on('message', onMessage);
      worker.postMessage({ from, to: next });
    }));
  };
  for (let i = 0; i < count * 2; i++) request();
  let waited = 0;
  for (let from = 0; from < total; from += CHUNK) {
    const chunk = await pending.get(from)!;
    pending.delete(from);
    request();
    if (!sink.pushBatch(chunk.body, chunk.docs, from + chunk.docs - 1)) {
      const t0 = performance.now();
      await sink.whenWritable();
      waited += performance.now() - t0;
    }
  }
  await Promise.all(workers.map((worker) => worker.terminate()));
  return waited;
}
