/**
 * Bench: the loopback `_bulk` server alone (`test/helpers/bulk-server.ts`, in the child process
 * `ship.ts` uses, `storeSources: false`). A client POSTs ~5 MB NDJSON bodies over keep-alive
 * connections and the child reports its CPU time over IPC, so the figure is the server's CPU per
 * document, which on a 2-core machine is taken from the shipper in `ship.ts`.
 *
 *   node --import tsx bench/bulk-server.ts [--docs N] [--reps R] [--concurrency C] [--request-bytes B]
 *     [--server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *
 * Two shapes, like the two shippers of `ship.ts`:
 * - dropship: ~1.6 KB per document (ECS firewall source), 27-char base64url ids, index
 *   `logs-dropship.firewall-default`, `filter_path` as the sink asks;
 * - syslog-ng: ~0.9 KB per document (format-json of kv pairs), ids `sng-<n>`, index
 *   `syslog-ng-bench`, full responses.
 * The request bodies are built before each timed run; only the server's CPU is reported.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLineGenerator } from './generate.js';
import { netfilterDoc } from '../test/helpers/netfilter-docs.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '300000' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '3' },
    'request-bytes': { type: 'string', default: '5000000' },
    /** Extra node flags for the server process, e.g. --server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'server-node-args': { type: 'string', default: '' },
  },
});
const DOCS = Number(args.docs);
const REPS = Number(args.reps);
const CONCURRENCY = Number(args.concurrency);
const REQUEST_BYTES = Number(args['request-bytes']);

interface ServerStats { items: number; stored: number; bytes: number; requests: number; rss: number; cpuMs: number; systemMs: number }

const child = fork(fileURLToPath(new URL('./bulk-server-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx', ...args['server-node-args'].split(' ').filter((a) => a !== '')],
});
const [ready] = (await once(child, 'message')) as [{ port: number }];
const stats = async (): Promise<ServerStats> => {
  child.send('stats');
  const [m] = (await once(child, 'message')) as [ServerStats];
  return m;
};

interface Shape {
  name: string;
  path: string;
  /** Pre-encoded source lines, cycled through. */
  sources: Buffer[];
  action: (n: number) => string;
}

const SOURCE_POOL = 2000;
let idSeq = 0;

function dropshipShape(): Shape {
  const sources = Array.from({ length: SOURCE_POOL }, (_, n) => {
    const doc = netfilterDoc(n) as unknown as Record<string, Record<string, unknown>>;
    // What the enrichment adds in real runs (country, AS), to reach the ~1.5 KB of ship.ts.
    doc.source = { ...doc.source, geo: { country_iso_code: 'US', country_name: 'United States', continent_code: 'NA' }, as: { number: 15169, organization: { name: 'Example Transit Networks Inc.' } } };
    doc.dropship = { ...doc.dropship, scanner: { known: n % 3 === 0, name: n % 3 === 0 ? 'shodan' : 'unknown' } };
    return Buffer.from(JSON.stringify(doc) + '\n');
  });
  return {
    name: 'dropship',
    path: '/_bulk?filter_path=errors%2Citems.*.status%2Citems.*.error%2Citems.*.failure_store',
    sources,
    action: (n) => `{"create":{"_index":"logs-dropship.firewall-default","_id":"${createHash('sha1').update(`bench-${n}`).digest('base64url').slice(0, 27)}"}}\n`,
  };
}

function syslogNgShape(): Shape {
  const next = createLineGenerator(7);
  const sources = Array.from({ length: SOURCE_POOL }, (_, n) => {
    const line = next();
    const nf: Record<string, string> = {};
    for (const m of line.matchAll(/([A-Z]+)=(\S*)/g)) nf[m[1]!] = m[2]!;
    const doc = {
      nf,
      geo: { country_iso_code: 'US' },
      SOURCE: 's_file', PROGRAM: 'kernel', PRIORITY: 'warning', MESSAGE: line, HOST_FROM: 'bench', HOST: 'router', LEGACY_MSGHDR: 'kernel: ', SEQNUM: String(n + 1),
      FILE_NAME: '/tmp/dropship-bench-xxxxxx/router-syslog-ng.log', FACILITY: 'kern',
      '@timestamp': new Date(Date.UTC(2026, 4, 16, 10, 0, n % 60)).toISOString(),
    };
    return Buffer.from(JSON.stringify(doc) + '\n');
  });
  return { name: 'syslog-ng', path: '/_bulk', sources, action: (n) => `{"create":{"_index":"syslog-ng-bench","_id":"sng-${n}"}}\n` };
}

/** Bodies for `docs` documents with fresh ids, each at most ~REQUEST_BYTES. */
function buildBodies(shape: Shape, docs: number): { bodies: Buffer[]; bytes: number } {
  const bodies: Buffer[] = [];
  let bytes = 0;
  let parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; i < docs; i++) {
    const action = Buffer.from(shape.action(++idSeq), 'latin1');
    const source = shape.sources[i % shape.sources.length]!;
    if (size + action.length + source.length > REQUEST_BYTES && parts.length > 0) {
      bodies.push(Buffer.concat(parts, size));
      parts = [];
      size = 0;
    }
    parts.push(action, source);
    size += action.length + source.length;
    bytes += action.length + source.length;
  }
  if (parts.length > 0) bodies.push(Buffer.concat(parts, size));
  return { bodies, bytes };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ready.port, method: 'POST', path, agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(shape: Shape): Promise<{ usPerDoc: number; systemUsPerDoc: number; bytesPerDoc: number; requests: number; seconds: number }> {
  const { bodies, bytes } = buildBodies(shape, DOCS);
  const before = await stats();
  const started = performance.now();
  let next = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const response = await post(shape.path, body);
      if (!response.startsWith('{"errors":false') && !response.includes('"errors":false')) throw new Error(`${shape.name}: the server reported errors`);
    }
  });
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  const after = await stats();
  if (after.stored - before.stored !== DOCS) throw new Error(`${shape.name}: the server stored ${after.stored - before.stored} documents, expected ${DOCS}`);
  if (after.bytes - before.bytes !== bytes) console.warn(`${shape.name}: the server counted ${after.bytes - before.bytes} bytes, the client sent ${bytes}`);
  return { usPerDoc: ((after.cpuMs - before.cpuMs) * 1000) / DOCS, systemUsPerDoc: ((after.systemMs - before.systemMs) * 1000) / DOCS, bytesPerDoc: bytes / DOCS, requests: bodies.length, seconds };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const shapes = [dropshipShape(), syslogNgShape()];
  // Warm-up: JIT and the id set's first growth, not counted.
  for (const shape of shapes) {
    const { bodies } = buildBodies(shape, 50_000);
    for (const body of bodies) await post(shape.path, body);
  }
  console.log(`bulk server bench: ${DOCS.toLocaleString('en')} docs per shape and run, ${REPS} runs, concurrency ${CONCURRENCY}, ≤ ${(REQUEST_BYTES / 1e6).toFixed(1)} MB per request, node ${process.version}`);
  const results = new Map<string, number[]>(shapes.map((s) => [s.name, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const shape of shapes) {
      const r = await run(shape);
      results.get(shape.name)!.push(r.usPerDoc);
      console.log(`  run ${rep + 1} ${shape.name.padEnd(10)} ${r.usPerDoc.toFixed(2).padStart(7)} CPU-µs/doc (${r.systemUsPerDoc.toFixed(2)} of it in the kernel; ${r.bytesPerDoc.toFixed(0)} B/doc, ${r.requests} requests, ${((DOCS * r.bytesPerDoc) / 1e6 / r.seconds).toFixed(0)} MB/s wall)`);
    }
  }
  const final = await stats();
  console.log('');
  for (const [name, xs] of results) console.log(`${name.padEnd(10)} median ${median(xs).toFixed(2)} CPU-µs/doc of the server (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`);
  console.log(`server RSS ${(final.rss / 2 ** 20).toFixed(0)} MiB holding ${final.stored.toLocaleString('en')} ids`);
} finally {
  agent.destroy();
  child.send('stop');
  await once(child, 'exit');
}
