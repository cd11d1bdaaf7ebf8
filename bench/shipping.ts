/**
 * What the benches that run the CLI share (ship.ts, memory.ts, dedup.ts, retries.ts, report.ts):
 * failing, the generated input file, the `_bulk` server in its own process, running the CLI as
 * the bin does (under GNU time), and watching a shipper's process through /proc.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLineGenerator } from './generate.js';

export class BenchFailure extends Error {}

export function fail(message: string): never {
  throw new BenchFailure(message);
}

/**
 * Runs a bench: a failed check (or any error) is printed, reason first, and the process exits 1.
 * Exits rather than setting exitCode: a bench that failed half-way may still hold a `_bulk` server
 * child, a shipper or a timer, which would keep it alive after the failure was printed.
 */
export async function runBench(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(`\nBENCH FAILED: ${err instanceof BenchFailure ? err.message : (err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
}

/** A flag's value as a positive integer, or a failure naming the flag. */
export function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) fail(`${flag} must be a positive integer, got ${value}`);
  return n;
}

/** The median, the lower of the middle two for an even count (never flattering a ratio). */
export const lowerMedian = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

export const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

// ---------------------------------------------------------------------------------------------
// The input file, written once, streaming: a million lines as strings would cost ~300 MB here.

export async function writeLogFile(path: string, lines: number, seed: number): Promise<number> {
  const next = createLineGenerator(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  const CHUNK = 10_000;
  for (let written = 0; written < lines; ) {
    const n = Math.min(CHUNK, lines - written);
    let chunk = '';
    for (let i = 0; i < n; i++) chunk += next() + '\n';
    bytes += Buffer.byteLength(chunk);
    written += n;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The `_bulk` server, in its own process so its CPU and memory are not charged to a shipper.

/** The counters bench/bulk-server-child.ts answers 'stats' with. */
export interface ServerStats {
  items: number;
  stored: number;
  bytes: number;
  requests: number;
  searches: number;
  searchedIds: number;
  rejected: number;
  rss: number;
  cpuMs: number;
}

export class ServerHandle {
  private queue: Promise<unknown> = Promise.resolve();
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<ServerHandle> {
    const child = fork(fileURLToPath(new URL('./bulk-server-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
    const exited = once(child, 'exit').then(() => fail('the bulk server exited before it was ready'));
    const ready = once(child, 'message') as Promise<[{ type: string; port: number }]>;
    const [message] = await Promise.race([ready, exited]);
    return new ServerHandle(child, message.port);
  }

  /** One request at a time: replies carry no id, so they are matched by order. */
  ask<T>(message: string | object): Promise<T> {
    const next = this.queue.then(async () => {
      this.child.send(message);
      const [m] = (await once(this.child, 'message')) as [T];
      return m;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  stats(): Promise<ServerStats> {
    return this.ask<ServerStats>('stats');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.send('stop');
    await Promise.race([once(this.child, 'exit'), sleep(5000).then(() => this.child.kill('SIGKILL'))]);
  }
}

// ---------------------------------------------------------------------------------------------
// Process observation through /proc: dropship's parser workers are threads, so the process's
// VmHWM (the kernel's own high-water mark of resident memory) covers all of them.

/**
 * Reads `/proc/<pid>/<file>` (status, smaps_rollup) and gives its `Key: N kB` fields in bytes (0
 * when absent); undefined once the process is gone.
 */
export function procKiBFields(pid: number, file: string): ((key: string) => number) | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
  return (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
}

export function procStatus(pid: number): { hwm: number; rss: number } | undefined {
  const kb = procKiBFields(pid, 'status');
  return kb && { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

/** User + system CPU seconds of a live process (all its threads). */
export function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return ticks / hz;
  } catch {
    return undefined;
  }
}

export class Watched {
  peakHwm = 0;
  peakRss = 0;
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly timer: NodeJS.Timeout;
  readonly exit: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    this.exit = once(child, 'exit').then(([code, signal]) => {
      this.exited = { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    this.timer = setInterval(() => this.sample(), 50);
  }

  sample(): void {
    const s = this.child.pid === undefined ? undefined : procStatus(this.child.pid);
    if (s === undefined) return;
    this.peakHwm = Math.max(this.peakHwm, s.hwm);
    this.peakRss = Math.max(this.peakRss, s.rss);
  }

  /** The peak resident memory seen, by the kernel's count if it was readable. */
  get peak(): number {
    return Math.max(this.peakHwm, this.peakRss);
  }

  async terminate(graceMs = 15_000): Promise<boolean> {
    this.sample();
    clearInterval(this.timer);
    if (this.exited !== undefined) return false;
    this.child.kill('SIGTERM');
    const clean = await Promise.race([this.exit.then(() => true), sleep(graceMs).then(() => false)]);
    if (!clean) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
    return clean;
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export function startWatched(name: string, command: string, argv: string[], logPath: string, extraEnv: Record<string, string> = {}): Watched {
  const log = createWriteStream(logPath);
  const env = { ...process.env, ...extraEnv };
  // The bench decides where the shipper sends documents, not the caller's environment.
  for (const key of Object.keys(env)) if (key.startsWith('ELASTICSEARCH_')) delete env[key];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.on('error', (err) => log.write(`spawn failed: ${err.message}\n`));
  return new Watched(name, child, logPath);
}

/** How long a shipper may take in all, and without a single new document. */
export interface WaitLimits {
  timeoutMs: number;
  stallMs: number;
}

/**
 * Polls the server until it has stored `target` documents. Fails on a timeout, on a stall (no
 * new document for a while), or when the shipper exits first.
 */
export async function waitForStored(server: ServerHandle, target: number, watched: Watched, started: number, limits: WaitLimits, intervalMs = 20): Promise<number> {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const { stored } = await server.stats();
    const now = performance.now();
    if (stored >= target) return now;
    if (stored !== last) {
      last = stored;
      lastChange = now;
    }
    if (watched.exited !== undefined) {
      fail(`${watched.name} exited (code ${watched.exited.code}, signal ${watched.exited.signal}) with ${stored}/${target} documents at the server:\n${watched.logTail()}`);
    }
    if (now - started > limits.timeoutMs) fail(`${watched.name}: timed out after ${limits.timeoutMs / 1000} s with ${stored}/${target} documents at the server:\n${watched.logTail()}`);
    if (now - lastChange > limits.stallMs) fail(`${watched.name}: no new document for ${limits.stallMs / 1000} s, stuck at ${stored}/${target}:\n${watched.logTail()}`);
    await sleep(intervalMs);
  }
}

/**
 * The node flags of the CLI's `#!/usr/bin/env -S node …` line: users run the `dropship` bin, so its
 * flags apply to them, and the bench runs node with them explicitly to be able to add its own.
 */
export function shebangNodeFlags(cli: string): string[] {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env(?: -S)? node(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter((a) => a !== '') : [];
}

/** How the bin runs the CLI at `cli`: this node with the flags of its `#!` line. */
export function cliCommand(cli: string): string[] {
  if (!existsSync(cli)) fail(`${cli} is missing: run "npm run build" first`);
  return [process.execPath, ...shebangNodeFlags(cli), cli];
}

const GNU_TIME = '/usr/bin/time';

export function checkGnuTime(): void {
  try {
    execFileSync(GNU_TIME, ['-f', '%e', 'true'], { stdio: 'ignore' });
  } catch {
    fail(`${GNU_TIME} does not run (Debian package "time")`);
  }
}

export interface Timed {
  wallS: number;
  cpuS: number;
  /** The kernel's maxrss of the process. */
  rssBytes: number;
  stderr: string;
}

/** Runs a command under GNU time, stdout to /dev/null; fails unless it exits 0. */
export async function timed(label: string, argv: string[]): Promise<Timed> {
  const child = spawn(GNU_TIME, ['-f', 'BENCH %e %U %S %M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code] = (await once(child, 'close')) as [number | null];
  const m = /^BENCH ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/m.exec(stderr);
  if (code !== 0 || m === null) fail(`${label} failed (exit ${code}):\n${stderr.slice(-3000)}`);
  return { wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]), rssBytes: Number(m[4]) * 1024, stderr };
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
