/**
 * Memory matrix: `dropship tail` and `dropship import` of one generated file to the loopback
 * `_bulk` server, run under several Node binaries and several sets of Node flags, alternating,
 * round after round. For each combination it prints the median and highest peak RSS, the median
 * CPU per line and lines/s, and what the resident memory was made of at its peak (anonymous
 * memory against file pages such as the node binary's code).
 *
 *   node --import tsx bench/memory.ts [--lines 300000] [--rounds 3] [--command tail|import|both]
 *     [--node 20=/usr/bin/node --node 24=/path/to/node24]
 *     [--config 'bin=$BIN' --config 'no-maglev=$BIN --no-maglev'] [--dropship-args '--workers 0']
 *
 * `$BIN` in a config stands for the flags of the built CLI's `#!` line (what the `dropship` bin
 * passes); a config without it replaces them. A word `@<path>` runs another build's
 * `dist/cli/main.js` (e.g. a copy with other thread limits) instead of this one's, and a word
 * `NAME=value` (upper case) is set in the environment (e.g. `MALLOC_ARENA_MAX=2`). `--node`
 * defaults to the node running the bench.
 * A combination a Node rejects (an unknown flag) is reported and skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fail, loadAverage, mib, positiveInteger, procCpuSeconds, procKiBFields, runBench, ServerHandle, shebangNodeFlags, sleep, startWatched, waitForStored, type Watched, writeLogFile } from './shipping.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist/cli/main.js');

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '42' },
    rounds: { type: 'string', default: '3' },
    command: { type: 'string', default: 'both' },
    node: { type: 'string', multiple: true },
    config: { type: 'string', multiple: true },
    'dropship-args': { type: 'string', default: '' },
    timeout: { type: 'string', default: '600' },
    /** Print the largest mappings at each run's peak. */
    smaps: { type: 'boolean', default: false },
  },
});

const LINES = positiveInteger(args.lines, '--lines');
const ROUNDS = positiveInteger(args.rounds, '--rounds');
if (!['tail', 'import', 'both'].includes(args.command)) fail(`--command must be tail, import or both, got ${args.command}`);
const COMMANDS = args.command === 'both' ? (['tail', 'import'] as const) : [args.command as 'tail' | 'import'];
const LIMITS = { timeoutMs: Number(args.timeout) * 1000, stallMs: 60_000 };

const labelled = (spec: string, what: string): [string, string] => {
  const at = spec.indexOf('=');
  if (at <= 0) fail(`${what} must be label=value, got ${spec}`);
  return [spec.slice(0, at), spec.slice(at + 1)];
};
const NODES = (args.node ?? [`${process.versions.node.split('.')[0]}=${process.execPath}`]).map((s) => labelled(s, '--node'));
const CONFIGS = (args.config ?? ['bin=$BIN']).map((s) => labelled(s, '--config'));
if (!existsSync(CLI)) fail(`${CLI} is missing; run npm run build`);
const BIN_FLAGS = shebangNodeFlags(CLI);
const words = (s: string): string[] => s.split(' ').filter((w) => w !== '');
const isEnv = (w: string): boolean => /^[A-Z_][A-Z0-9_]*=/.test(w);
const flagsOf = (config: string): string[] => words(config).flatMap((w) => (w === '$BIN' ? BIN_FLAGS : w.startsWith('@') || isEnv(w) ? [] : [w]));
const envOf = (config: string): Record<string, string> => Object.fromEntries(words(config).filter(isEnv).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
const cliOf = (config: string): string => resolve(words(config).find((w) => w.startsWith('@'))?.slice(1) ?? CLI);

// ---------------------------------------------------------------------------------------------
// What resident memory is made of, from /proc/<pid>/smaps_rollup (cheap enough to read every
// 50 ms) and, at the peak, /proc/<pid>/smaps.

interface Rollup {
  rss: number;
  anonymous: number;
}

function rollup(pid: number): Rollup | undefined {
  const kb = procKiBFields(pid, 'smaps_rollup');
  return kb && { rss: kb('Rss'), anonymous: kb('Anonymous') };
}

/**
 * What a mapping is, for the peak's breakdown. File mappings are split by permission (a
 * binary's code against its read-only data: Node's ICU data and its own JS sources are the
 * latter). Anonymous ones by size: V8 allocates its heaps in 256 KiB pages, each a mapping of
 * its own; glibc's per-thread malloc arenas (ArrayBuffer contents among them) are reserved 64 MiB
 * at a time and grow inside that.
 */
function mappingKind(start: number, end: number, perms: string, name: string): string {
  if (name === '') {
    const kib = (end - start) / 1024;
    return kib <= 256 ? 'anonymous, 256 KiB or less (V8 heap pages)' : kib <= 65536 ? 'anonymous, 256 KiB to 64 MiB (malloc arenas, large buffers)' : `anonymous, over 64 MiB (${perms})`;
  }
  if (name.startsWith('/')) return `${name} ${perms.startsWith('r-x') ? 'code' : perms.startsWith('r--') ? 'read-only data' : perms}`;
  return name;
}

/** Resident bytes by kind of mapping (see mappingKind), largest first. */
function mappings(pid: number): [string, number][] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  const by = new Map<string, number>();
  let name = '';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head !== null) {
      name = mappingKind(parseInt(head[1]!, 16), parseInt(head[2]!, 16), head[3]!, head[4]!);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) by.set(name, (by.get(name) ?? 0) + Number(rss[1]) * 1024);
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

/** CPU seconds per thread name (main thread, parser threads, V8's helpers, libuv's pool). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(comm, (out.get(comm) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    }
  } catch {
    // the process is gone
  }
  return out;
}

class PeakSampler {
  peak: Rollup = { rss: 0, anonymous: 0 };
  atPeak: [string, number][] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly watched: Watched,
    private readonly detail: boolean,
  ) {
    this.timer = setInterval(() => this.sample(), 50);
  }

  sample(): void {
    const pid = this.watched.child.pid;
    if (pid === undefined || this.watched.exited !== undefined) return;
    const r = rollup(pid);
    if (r === undefined || r.rss <= this.peak.rss) return;
    this.peak = r;
    if (this.detail) this.atPeak = mappings(pid);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------

interface Run {
  node: string;
  config: string;
  command: 'tail' | 'import';
  seconds: number;
  cpuSeconds: number;
  /** The kernel's high-water mark (VmHWM): the figure the targets use. */
  peakRss: number;
  /** From the 50 ms samples: the anonymous share of the highest RSS seen. */
  anonymousAtPeak: number;
  requests: number;
  threads: Map<string, number>;
  atPeak: [string, number][];
}

function accepts(node: string, flags: string[]): string | undefined {
  const r = spawnSync(node, [...flags, '-e', ''], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`);
}

async function runOnce(dir: string, file: string, node: [string, string], config: [string, string], command: 'tail' | 'import'): Promise<Run> {
  const server = await ServerHandle.start();
  try {
    const commandArgs = command === 'tail' ? ['tail', file, '--start-at', 'beginning', '--summary-interval', '0'] : ['import', file, '--progress-interval', '0'];
    const started = performance.now();
    const watched = startWatched(`dropship ${command}`, node[1], [
      ...flagsOf(config[1]), cliOf(config[1]), ...commandArgs, '--output', 'elasticsearch', '--es-hosts', `http://127.0.0.1:${server.port}`,
      '--state-dir', join(dir, `state-${command}`), ...words(args['dropship-args']),
    ], join(dir, `dropship-${command}.log`), envOf(config[1]));
    const sampler = new PeakSampler(watched, args.smaps);
    try {
      const done = await waitForStored(server, LINES, watched, started, LIMITS);
      sampler.sample();
      const pid = watched.child.pid!;
      const cpuSeconds = procCpuSeconds(pid) ?? Number.NaN;
      const threads = threadCpu(pid);
      const stats = await server.stats();
      if (command === 'import') await Promise.race([watched.exit, sleep(15_000)]);
      const clean = await watched.terminate();
      if (command === 'tail' && !clean) fail(`dropship tail did not exit within 15 s of SIGTERM:\n${watched.logTail()}`);
      if (watched.exited?.code !== 0) fail(`dropship ${command} exited with ${watched.exited?.code ?? watched.exited?.signal}:\n${watched.logTail()}`);
      const { stored } = await server.stats();
      if (stored !== LINES) fail(`dropship ${command}: the server holds ${stored} documents, expected ${LINES}`);
      return {
        node: node[0], config: config[0], command, seconds: (done - started) / 1000, cpuSeconds, peakRss: watched.peak, anonymousAtPeak: sampler.peak.anonymous,
        requests: stats.requests, threads, atPeak: sampler.atPeak,
      };
    } finally {
      sampler.stop();
      await watched.terminate(2000);
    }
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const µs = (r: Run): number => (r.cpuSeconds * 1e6) / LINES;

async function main(): Promise<void> {
  const combos: { node: [string, string]; config: [string, string] }[] = [];
  for (const node of NODES) {
    for (const config of CONFIGS) {
      const rejected = accepts(node[1], flagsOf(config[1]));
      if (rejected !== undefined) console.log(`skipped  node ${node[0]}, ${config[0]}: ${rejected}`);
      else combos.push({ node, config });
    }
  }
  console.log(`machine  ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), load average ${loadAverage()}, ${new Date().toISOString()}`);
  for (const [label, path] of NODES) console.log(`node ${label.padEnd(4)}${spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.trim()} (${path})`);
  for (const [label, config] of CONFIGS) console.log(`config   ${label}: ${flagsOf(config).join(' ') || '(no flags)'}${cliOf(config) === CLI ? '' : `, ${cliOf(config)}`}${Object.keys(envOf(config)).length === 0 ? '' : `, env ${JSON.stringify(envOf(config))}`}`);
  const dir = await mkdtemp(join(tmpdir(), 'dropship-memory-'));
  const runs: Run[] = [];
  try {
    const file = join(dir, 'router.log');
    const bytes = await writeLogFile(file, LINES, Number(args.seed));
    console.log(`input    ${LINES.toLocaleString('en')} lines, ${(bytes / 1e6).toFixed(1)} MB; dropship args: ${args['dropship-args'] || '(none)'}`);
    for (let round = 1; round <= ROUNDS; round++) {
      // A different order each round, so a change in the machine's load does not always hit the same combination.
      const order = combos.flatMap((c) => COMMANDS.map((command) => ({ ...c, command })));
      const shift = (round - 1) % order.length;
      for (const job of [...order.slice(shift), ...order.slice(0, shift)]) {
        const runDir = join(dir, `run-${runs.length}`);
        await mkdir(runDir);
        const input = join(runDir, 'router.log');
        await copyFile(file, input);
        const r = await runOnce(runDir, input, job.node, job.config, job.command);
        runs.push(r);
        const threads = [...r.threads].filter(([, s]) => s >= 0.05).map(([n, s]) => `${n} ${s.toFixed(1)}`).join(', ');
        console.log(`round ${round}  node ${r.node} ${r.config.padEnd(14)} ${r.command.padEnd(6)} peak ${mib(r.peakRss).padStart(8)} (anonymous ${mib(r.anonymousAtPeak)})  ${µs(r).toFixed(1).padStart(5)} µs/line  ${Math.round(LINES / r.seconds).toLocaleString('en').padStart(7)} lines/s  ${r.requests} requests  load ${loadAverage().split(' ')[0]}  [CPU-s: ${threads}]`);
        if (args.smaps) for (const [name, b] of r.atPeak.slice(0, 10)) console.log(`           ${mib(b).padStart(8)}  ${name}`);
        await rm(runDir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log('');
  console.log(`medians of ${ROUNDS} round(s), ${LINES.toLocaleString('en')} lines; load average now ${loadAverage()}`);
  console.log('| node | config | command | peak RSS median (highest) | anonymous at peak | CPU per line | lines/s | requests |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { node, config } of combos) {
    for (const command of COMMANDS) {
      const rs = runs.filter((r) => r.node === node[0] && r.config === config[0] && r.command === command);
      console.log(`| ${node[0]} | ${config[0]} | ${command} | ${mib(median(rs.map((r) => r.peakRss)))} (${mib(Math.max(...rs.map((r) => r.peakRss)))}) | ${mib(median(rs.map((r) => r.anonymousAtPeak)))} | ${median(rs.map(µs)).toFixed(1)} µs | ${Math.round(median(rs.map((r) => LINES / r.seconds))).toLocaleString('en')} | ${median(rs.map((r) => r.requests))} |`);
    }
  }
}

await runBench(main);
