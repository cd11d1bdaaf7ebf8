/**
 * Bench (issue 19 §3): does delivery keep pace when Elasticsearch rejects some items? `dropship
 * import` (the compiled CLI, with the bin's node flags) of a generated file, once against the
 * loopback `_bulk` server answering normally and once with `--percent` of items answered 429
 * es_rejected_execution_exception at random on every attempt, each on a fresh server. Rounds
 * alternate the two; the verdict is the median ratio of the times (target ≤ 2×). Every run must
 * store every line exactly once: the server stores each id once, and items it received beyond
 * what it stored must all be the rejected ones (no document sent again after it was stored).
 *
 *   npm run build && node --import tsx bench/retries.ts [--lines 60000] [--percent 5] [--rounds 3]
 *     [--cli <path to another build's dist/cli/main.js>, to measure an older version the same way]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliCommand, fail, loadAverage, lowerMedian, runBench, ServerHandle, type ServerStats, writeLogFile } from './shipping.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '60000' },
    percent: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    cli: { type: 'string', default: join(ROOT, 'dist/cli/main.js') },
  },
});
const CLI = resolve(args.cli);
const LINES = Number(args.lines);
const PERCENT = Number(args.percent);
const ROUNDS = Number(args.rounds);
const TARGET = 2;

async function run(command: string[], dir: string, file: string, percent: number, label: string): Promise<{ seconds: number; stats: ServerStats }> {
  const server = await ServerHandle.start();
  try {
    await server.ask({ type: 'reject', percent });
    const started = performance.now();
    const child = spawn(command[0]!, [...command.slice(1), 'import', file, '--es-hosts', `http://127.0.0.1:${server.port}`,
      '--state-dir', join(dir, `state-${label}`), '--progress-interval', '0', '--timezone', 'UTC'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const [code] = (await once(child, 'exit')) as [number | null];
    const seconds = (performance.now() - started) / 1000;
    const stats = await server.stats();
    if (code !== 0) fail(`${label}: dropship import exited ${code}:\n${stderr}`);
    if (stats.stored !== LINES) fail(`${label}: the server stored ${stats.stored} documents, expected ${LINES}`);
    if (stats.items - stats.stored !== stats.rejected) fail(`${label}: ${stats.items - stats.stored - stats.rejected} documents sent again after they were stored`);
    return { seconds, stats };
  } finally {
    await server.stop();
  }
}

await runBench(async () => {
  const command = cliCommand(CLI);
  const dir = await mkdtemp(join(tmpdir(), 'dropship-bench-retries-'));
  try {
    const file = join(dir, 'router.log');
    await writeLogFile(file, LINES, 42);
    console.log(`retries bench (${CLI}): ${LINES.toLocaleString('en')} lines, ${PERCENT} % of items rejected (429) per attempt, ${ROUNDS} rounds, node ${process.version}, load ${loadAverage()}`);
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const clean = await run(command, dir, file, 0, `clean-${round}`);
      const faulty = await run(command, dir, file, PERCENT, `faulty-${round}`);
      const ratio = faulty.seconds / clean.seconds;
      ratios.push(ratio);
      console.log(`  round ${round}: without faults ${clean.seconds.toFixed(2)} s (${clean.stats.requests} requests), with ${PERCENT} % 429s ${faulty.seconds.toFixed(2)} s ` +
        `(${faulty.stats.requests} requests, ${faulty.stats.rejected} items rejected and sent again), ratio ${ratio.toFixed(2)}×`);
    }
    const median = lowerMedian(ratios);
    console.log(`ratio ${median.toFixed(2)}× (median; lower middle for an even count)   target ≤ ${TARGET}×: ${median <= TARGET ? 'holds' : 'MISSED'}`);
    console.log('every line stored exactly once in every run; nothing sent again after it was stored');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
