/**
 * The parser thread's work alone: parse → enrich → encode (`_bulk`, with ids) of a generated file
 * in 256 KiB batches (what `import` reads at a time), in a worker thread with the pool's limits
 * and node run with the bin's flags, as `dropship` runs it. No file reading, no HTTP, no server.
 *
 *   npm run build && node --import tsx bench/parser-thread.ts [--lines 100000] [--rounds 12]
 *     [--build dist --build .bench-copies/other] [--timezone UTC]
 *
 * With several `--build`s (each a compiled `dist/`; a copy must sit inside the repository so its
 * packages resolve), one worker loads them all and runs them round after round, in alternating
 * order, over the same batches. The figure to read is the paired ratio: each build's CPU time in
 * a round over the first build's in the same round. On a shared VM, work that allocates as much
 * as this varies by ±10–20 % from round to round while a pure arithmetic loop stays within 1 %,
 * so two builds measured in separate runs are not comparable to a few percent; paired rounds are.
 *
 * CPU time is the worker's own (`process.threadCpuUsage`) where Node has it (≥ 23.9), else the
 * process's, which here is the worker plus an idle main thread and V8's helper thread. GC is what
 * the worker's `gc` performance entries add up to in the round.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ArrayBufferPool } from '../src/processing/buffer-pool.js';
import type { Processor } from '../src/processing/process.js';
import { FILE_READ_BYTES as BATCH_BYTES } from '../src/sources/framing/lines.js';
import { fail, lowerMedian, positiveInteger, runBench, shebangNodeFlags, writeLogFile } from './shipping.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CHILD = 'DROPSHIP_PARSER_THREAD_BENCH';

interface Setup {
  builds: string[];
  file: string;
  lines: number;
  rounds: number;
  timezone: string;
}

interface Round {
  build: number;
  usPerLine: number;
  gcCount: number;
  gcMs: number;
}

type ThreadCpu = () => { user: number; system: number };

if (isMainThread) await runBench(main);
else await work((workerData as { setup: Setup }).setup);

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      lines: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '42' },
      rounds: { type: 'string', default: '12' },
      build: { type: 'string', multiple: true },
      timezone: { type: 'string', default: 'UTC' },
    },
  });
  const builds = (args.build ?? ['dist']).map((b) => resolve(ROOT, b));
  const cli = join(builds[0]!, 'cli/main.js');
  const flags = shebangNodeFlags(cli);
  if (flags.length === 0) fail(`${cli}: no #! line with node flags; run "npm run build" first`);
  if (process.env[CHILD] === undefined) {
    // The bin's flags are process-wide V8 flags: they must be on this process's command line.
    const run = spawnSync(process.execPath, [...flags, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, [CHILD]: '1' },
    });
    process.exitCode = run.status ?? 1;
    return;
  }
  const { PARSER_THREAD_LIMITS } = (await import(pathToFileURL(join(builds[0]!, 'processing/pool.js')).href)) as typeof import('../src/processing/pool.js');
  const dir = await mkdtemp(join(tmpdir(), 'dropship-parser-thread-'));
  try {
    const file = join(dir, 'input.log');
    const lines = positiveInteger(args.lines, '--lines');
    const bytes = await writeLogFile(file, lines, positiveInteger(args.seed, '--seed'));
    const rounds = positiveInteger(args.rounds, '--rounds');
    console.log(`node ${process.version} ${flags.join(' ')}; ${lines.toLocaleString('en')} generated lines (${(bytes / 1e6).toFixed(1)} MB) in ${BATCH_BYTES / 1024} KiB batches, ${rounds} rounds after one to warm up; zone ${args.timezone}`);
    console.log(`CPU time: ${typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === 'function' ? "the parser thread's own" : "the process's (no process.threadCpuUsage in this Node)"}`);
    const setup: Setup = { builds, file, lines, rounds, timezone: args.timezone };
    const worker = new Worker(new URL('./tsx-worker.mjs', import.meta.url), { workerData: { module: import.meta.url, setup }, resourceLimits: PARSER_THREAD_LIMITS });
    const results = await new Promise<Round[]>((done, failed) => {
      worker.once('message', done);
      worker.once('error', failed);
    });
    report(builds, results);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(builds: string[], results: Round[]): void {
  const of = (b: number): Round[] => results.filter((r) => r.build === b);
  const first = of(0);
  builds.forEach((build, b) => {
    const rs = of(b);
    const us = rs.map((r) => r.usPerLine);
    const ratios = rs.map((r, i) => r.usPerLine / first[i]!.usPerLine);
    const line = [
      `${relative(ROOT, build)}:`,
      `${lowerMedian(us).toFixed(2)} µs/line (median; lowest ${Math.min(...us).toFixed(2)}),`,
      `GC ${lowerMedian(rs.map((r) => r.gcCount))} collections ${lowerMedian(rs.map((r) => r.gcMs)).toFixed(0)} ms a round`,
    ];
    if (b > 0) line.push(`; against the first: ${lowerMedian(ratios).toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
    console.log(line.join(' '));
  });
}

async function work(setup: Setup): Promise<void> {
  const cpu: ThreadCpu = (process as { threadCpuUsage?: ThreadCpu }).threadCpuUsage?.bind(process) ?? (() => process.cpuUsage());
  const processors: { run: Processor; bodies: ArrayBufferPool }[] = [];
  for (const build of setup.builds) {
    const url = (path: string): string => pathToFileURL(join(build, path)).href;
    const { createProcessor } = (await import(url('processing/process.js'))) as typeof import('../src/processing/process.js');
    const { ArrayBufferPool: Pool } = (await import(url('processing/buffer-pool.js'))) as typeof import('../src/processing/buffer-pool.js');
    const bodies = new Pool(4);
    const run = await createProcessor({ timezone: setup.timezone, geoip: undefined }, { format: 'bulk', namespace: 'default' }, bodies);
    processors.push({ run, bodies });
  }
  const { ByteLineSplitter } = (await import(pathToFileURL(join(setup.builds[0]!, 'sources/framing/line-bytes.js')).href)) as typeof import('../src/sources/framing/line-bytes.js');
  const input = await readFile(setup.file);
  const splitter = new ByteLineSplitter();
  const batches: { data: Buffer; truncated: number[] }[] = [];
  for (let at = 0; at < input.length; at += BATCH_BYTES) {
    const b = splitter.push(input.subarray(at, at + BATCH_BYTES));
    if (b.data.length > 0) batches.push({ data: b.data, truncated: b.truncated });
  }

  let gcCount = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Entries arrive asynchronously: a round's are all in once the event loop has turned.
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

  const pass = (p: (typeof processors)[number]): number => {
    const before = cpu();
    let lines = 0;
    for (const b of batches) {
      const out = p.run({ data: b.data, truncated: b.truncated });
      lines += out.lines;
      p.bodies.give(out.body.buffer as ArrayBuffer);
    }
    const used = cpu();
    // A build that loses or invents lines is not measured.
    if (lines !== setup.lines) throw new Error(`a pass read ${lines} lines of ${setup.lines}`);
    return (used.user - before.user + used.system - before.system) / lines;
  };
  for (const p of processors) pass(p);
  const results: Round[] = [];
  for (let round = 0; round < setup.rounds; round++) {
    const order = processors.map((_, b) => b);
    if (round % 2 === 1) order.reverse();
    for (const b of order) {
      await settle();
      gcCount = 0;
      gcMs = 0;
      const usPerLine = pass(processors[b]!);
      await settle();
      results.push({ build: b, usPerLine, gcCount, gcMs });
    }
  }
  observer.disconnect();
  results.sort((x, y) => x.build - y.build);
  parentPort!.postMessage(results);
}
