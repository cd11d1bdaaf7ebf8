/**
 * Bench (issue 13 §8): what import's presence check costs. `dropship import` (the compiled CLI,
 * with the bin's node flags, under GNU time) of a generated file to the loopback `_bulk` server
 * (bench/bulk-server-child.ts) after its data streams rolled over, so every request is checked:
 *
 * - `off`: `--no-presence-check` (the peer), a fresh server rolled over once;
 * - `on`: the check, a fresh server rolled over once: one search per request, nothing found,
 *   everything sent;
 * - `again`: the same file with a fresh state directory after a second rollover, check on: every
 *   document found, nothing sent;
 * - `again-off`: the same with `--no-presence-check`: what a re-import did before (every line
 *   stored a second time).
 *
 * Rounds alternate `off` and `on` (each followed by its re-import on the same server). Every run
 * must account for every line: `off`/`on` store all of them once and the check searched (on) or
 * not (off); `again` stores nothing and finds everything; `again-off` stores all of them again.
 * Figures per run: wall time, lines/s, dropship's CPU µs per line and peak RSS (GNU time), and
 * the server's CPU and requests.
 *
 *   npm run build && node --import tsx bench/dedup.ts [--lines 1000000] [--rounds 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkGnuTime, cliCommand, fail, loadAverage, lowerMedian, runBench, ServerHandle, type ServerStats, timed, writeLogFile } from './shipping.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist/cli/main.js');
const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
  },
});
const LINES = Number(args.lines);
const ROUNDS = Number(args.rounds);

interface Measured { label: string; wall: number; cpu: number; rssKiB: number; present: number; indexed: number; server: ServerStats }

/** One import under GNU time; the server's counters are the difference over the run. */
async function importOnce(label: string, server: ServerHandle, command: string[], file: string, stateDir: string, check: boolean): Promise<Measured> {
  const before = await server.stats();
  const run = await timed(`${label}: dropship import`, [...command, 'import', file, '--es-hosts', `http://127.0.0.1:${server.port}`,
    '--state-dir', stateDir, '--progress-interval', '0', '--timezone', 'UTC', ...(check ? [] : ['--no-presence-check'])]);
  const after = await server.stats();
  const summary = run.stderr.split('\n').find((l) => l.startsWith('dropship import'));
  if (summary === undefined) fail(`${label}: no summary in:\n${run.stderr.slice(-3000)}`);
  const num = (re: RegExp): number => Number(re.exec(summary)?.[1]!.replace(/,/g, '') ?? Number.NaN);
  const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, typeof v === 'number' ? v - ((before as unknown as Record<string, number>)[k] ?? 0) : v])) as unknown as ServerStats;
  return {
    label, wall: run.wallS, cpu: run.cpuS, rssKiB: run.rssBytes / 1024,
    indexed: num(/([\d,]+) indexed/), present: num(/([\d,]+) already present/), server: { ...delta, stored: after.stored },
  };
}

function expect(m: Measured, what: string, ok: boolean): void {
  if (!ok) fail(`${m.label}: expected ${what}; got ${JSON.stringify(m)}`);
}

function row(m: Measured): string {
  const per = (LINES / m.wall).toLocaleString('en', { maximumFractionDigits: 0 });
  return `| ${m.label} | ${m.wall.toFixed(1)} s | ${per} | ${((m.cpu * 1e6) / LINES).toFixed(1)} µs | ${Math.round(m.rssKiB / 1024)} MiB | ` +
    `${m.indexed.toLocaleString('en')} / ${m.present.toLocaleString('en')} | ${m.server.requests} / ${m.server.searches} | ${(m.server.cpuMs / 1000).toFixed(1)} s |`;
}

await runBench(async () => {
  const command = cliCommand(CLI);
  checkGnuTime();
  const dir = await mkdtemp(join(tmpdir(), 'dropship-bench-dedup-'));
  try {
    const file = join(dir, 'router.log');
    await writeLogFile(file, LINES, 42);
    console.log(`dedup bench: ${LINES.toLocaleString('en')} lines, ${ROUNDS} rounds, node ${process.version}, load ${loadAverage()}`);
    console.log('| run | wall | lines/s | CPU/line | peak RSS | indexed / present | server: _bulk / _search requests | server CPU |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    const ratios: { wall: number; cpu: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const runs: Record<string, Measured> = {};
      for (const check of round % 2 === 1 ? [false, true] : [true, false]) {
        const name = check ? 'on' : 'off';
        const server = await ServerHandle.start();
        try {
          await server.ask({ type: 'rollover' });
          const first = await importOnce(`${name} ${round}`, server, command, file, join(dir, `state-${name}-${round}`), check);
          expect(first, `every line stored once, ${check ? 'searched' : 'no search'}`, first.indexed === LINES && first.server.stored === LINES && (check ? first.server.searches > 0 : first.server.searches === 0));
          console.log(row(first));
          runs[name] = first;
          await server.ask({ type: 'rollover' });
          const again = await importOnce(`again${check ? '' : '-off'} ${round}`, server, command, file, join(dir, `state-${name}-${round}-again`), check);
          if (check) expect(again, 'nothing sent, everything found', again.indexed === 0 && again.present === LINES && again.server.items === 0 && again.server.stored === LINES);
          else expect(again, 'every line stored again (no check)', again.indexed === LINES && again.server.stored === 2 * LINES);
          console.log(row(again));
        } finally {
          await server.stop();
        }
      }
      ratios.push({ wall: runs.on!.wall / runs.off!.wall, cpu: runs.on!.cpu / runs.off!.cpu });
    }
    console.log(`check on / off (first import after a rollover, every request checked): wall ${lowerMedian(ratios.map((r) => r.wall)).toFixed(2)}×, ` +
      `dropship CPU ${lowerMedian(ratios.map((r) => r.cpu)).toFixed(2)}× (medians of ${ratios.map((r) => `${r.wall.toFixed(2)}/${r.cpu.toFixed(2)}`).join(', ')})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
