/**
 * `dropship report` against `dropship parse > /dev/null` on the same generated file (issue 17):
 * the report parses and enriches every line as parse does, then counts instead of serializing,
 * and must take at most 1.3× parse's time with a peak RSS of at most 150 MB.
 *
 *   npm run build && node --import tsx bench/report.ts [--lines 1000000] [--rounds 3] [--keep]
 *
 * Both run the compiled CLI with the node flags of its `#!` line, as users run the bin, each under
 * GNU time (`/usr/bin/time`, Debian package `time`) for wall time, CPU time and peak RSS (the
 * kernel's maxrss of the process). Every round runs parse, report --format json and report
 * --format html (the one that also loads Vega and renders the charts), in alternating order; the
 * verdict uses the median ratio and the highest peak RSS. A missed target is printed, not fatal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkGnuTime, cliCommand, lowerMedian as median, positiveInteger, runBench, timed, type Timed, writeLogFile } from './shipping.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist/cli/main.js');
const TARGET_RATIO = 1.3;
const TARGET_RSS_BYTES = 150e6;

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'boolean', default: false },
  },
});

const mb = (b: number): string => `${(b / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const LINES = positiveInteger(args.lines, '--lines');
  const ROUNDS = positiveInteger(args.rounds, '--rounds');
  const command = cliCommand(CLI);
  checkGnuTime();
  const dir = await mkdtemp(join(tmpdir(), 'dropship-bench-report-'));
  try {
    const file = join(dir, 'router.log');
    const bytes = await writeLogFile(file, LINES, Number(args.seed));
    console.log(`input: ${LINES.toLocaleString('en-US')} generated lines, ${mb(bytes)}; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
    const common = [file, '--timezone', 'UTC'];
    const runs = {
      parse: ['parse', ...common],
      json: ['report', ...common, '--format', 'json', '--out', join(dir, 'report.json')],
      html: ['report', ...common, '--format', 'html', '--out', join(dir, 'report.html')],
    };
    const results: Record<keyof typeof runs, Timed[]> = { parse: [], json: [], html: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = (round % 2 === 0 ? ['parse', 'json', 'html'] : ['html', 'json', 'parse']) as (keyof typeof runs)[];
      for (const name of order) {
        const r = await timed(`dropship ${runs[name].join(' ')}`, [...command, ...runs[name]]);
        results[name].push(r);
        console.log(`round ${round + 1} ${name.padEnd(5)} wall ${r.wallS.toFixed(2)} s  cpu ${r.cpuS.toFixed(2)} s (${((r.cpuS / LINES) * 1e6).toFixed(2)} µs/line)  peak RSS ${mb(r.rssBytes)}   load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      }
    }
    console.log('');
    for (const name of ['json', 'html'] as const) {
      const wall = median(results[name].map((r, i) => r.wallS / results.parse[i]!.wallS));
      const cpu = median(results[name].map((r, i) => r.cpuS / results.parse[i]!.cpuS));
      const rss = Math.max(...results[name].map((r) => r.rssBytes));
      console.log(`report --format ${name}: wall ${wall.toFixed(2)}× parse (median of ${ROUNDS}), target ≤ ${TARGET_RATIO}×: ${wall <= TARGET_RATIO ? 'holds' : 'MISSED'};` +
        ` CPU ${cpu.toFixed(2)}× parse; peak RSS ${mb(rss)} (highest), target ≤ ${mb(TARGET_RSS_BYTES)}: ${rss <= TARGET_RSS_BYTES ? 'holds' : 'MISSED'}`);
    }
    console.log(`parse: peak RSS ${mb(Math.max(...results.parse.map((r) => r.rssBytes)))}, median wall ${median(results.parse.map((r) => r.wallS)).toFixed(2)} s`);
    if (args.keep) console.log(`kept ${dir}`);
  } finally {
    if (!args.keep) await rm(dir, { recursive: true, force: true });
  }
}

await runBench(main);
