/**
 * End-to-end shipping bench (issue 5): one generated router log file, shipped in the same run by
 * `dropship tail` (the compiled CLI, as users run it) and by syslog-ng doing the comparable job
 * (file source → kv-parser → geoip2 → HTTP `_bulk`), both to one loopback `_bulk` server running
 * in its own process. Prints both throughputs and their ratio, dropship's peak RSS and its
 * append-to-indexed latency, and whether the targets of PRODUCT.md hold.
 *
 * `--command import` runs `dropship import <file>` instead of `tail` (until it exits; no latency
 * samples); `--command both` runs tail, import and syslog-ng in each round.
 *
 *   npm run bench:ship -- [--lines 1000000] [--command tail|import|both] [--timeout 600] [--keep]
 *                         [--cpu-prof <dir>] [--dropship-args "--workers 2"]
 *
 * Exits non-zero when a shipper does not deliver every line (or delivers more), stalls, or fails
 * to start; missing a performance target is printed, not fatal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { appendFile, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLineGenerator } from './generate.js';
import { fail, loadAverage, lowerMedian, mib, positiveInteger, procCpuSeconds, runBench, ServerHandle, shebangNodeFlags, sleep, startWatched, waitForStored, writeLogFile } from './shipping.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BUILT_CLI = join(ROOT, 'dist/cli/main.js');
const SYSLOG_NG = '/usr/sbin/syslog-ng';
const SYSLOG_NG_PACKAGES = ['syslog-ng-core', 'syslog-ng-mod-http', 'syslog-ng-mod-geoip2'];
const COUNTRY_MMDB = join(ROOT, 'node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    /** Per shipper, seconds. */
    timeout: { type: 'string', default: '600' },
    /** Seconds without a single new document before a shipper counts as stalled. */
    stall: { type: 'string', default: '60' },
    'latency-samples': { type: 'string', default: '5' },
    /** Keep the temp dir (log file, configs, shipper logs) for inspection. */
    keep: { type: 'boolean', default: false },
    /** Write V8 CPU profiles of dropship (main thread and each worker) to this directory. */
    'cpu-prof': { type: 'string' },
    /** Extra `dropship tail` arguments for experiments (e.g. "--workers 2"); figures to report use none. */
    'dropship-args': { type: 'string', default: '' },
    /** Extra node flags for dropship's process, for experiments (e.g. "--max-semi-space-size=8"). */
    'dropship-node-args': { type: 'string', default: '' },
    /** Run dropship alone (no syslog-ng, so no ratio): for profiling iterations, not for reporting. */
    'skip-peer': { type: 'boolean', default: false },
    /**
     * Rounds of dropship then syslog-ng, each on fresh copies of the file and a fresh server. On a
     * shared or virtual machine one round can be off by ±25 %; the median of several is steadier.
     */
    rounds: { type: 'string', default: '1' },
    /** Which dropship command ships the file: tail (follows it), import (reads it once and exits), or both. */
    command: { type: 'string', default: 'tail' },
    /** Another build's dist/cli/main.js (e.g. of an older commit), measured the same way; for before/after comparisons. */
    cli: { type: 'string' },
  },
});
const CLI = args.cli === undefined ? BUILT_CLI : resolve(args.cli);
const COMMANDS = args.command === 'both' ? (['tail', 'import'] as const) : args.command === 'import' ? (['import'] as const) : (['tail'] as const);
if (!['tail', 'import', 'both'].includes(args.command)) fail(`--command must be tail, import or both, got ${args.command}`);
const LINES = positiveInteger(args.lines, '--lines');
const TIMEOUT_MS = Number(args.timeout) * 1000;
const STALL_MS = Number(args.stall) * 1000;
const LIMITS = { timeoutMs: TIMEOUT_MS, stallMs: STALL_MS };
const LATENCY_SAMPLES = Number(args['latency-samples']);
const ROUNDS = positiveInteger(args.rounds, '--rounds');

// Targets from PRODUCT.md "Quality bars → Performance".
const TARGET_RATIO = 2;
// "150 MB" read strictly, in SI megabytes (143 MiB).
const TARGET_RSS_BYTES = 150e6;
const TARGET_LATENCY_MS = 2000;

// ---------------------------------------------------------------------------------------------
// Preconditions: checked before anything slow happens, each with the way to fix it.

function checkPrerequisites(): void {
  const missing = SYSLOG_NG_PACKAGES.filter((pkg) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length > 0 || !existsSync(SYSLOG_NG)) {
    fail(
      `syslog-ng is needed for the comparison but ${missing.length > 0 ? `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed` : `${SYSLOG_NG} is missing`}.\n` +
        `Install it (Debian/Ubuntu) with:\n  sudo apt-get install ${SYSLOG_NG_PACKAGES.join(' ')}\n` +
        'The system syslog-ng service is not used: the bench runs its own instance in the foreground.',
    );
  }
  if (!existsSync(COUNTRY_MMDB)) fail(`the bundled country database is missing (${COUNTRY_MMDB}); run npm install`);
  if (!existsSync(CLI)) fail(`${CLI} is missing; run npm run build (or npm run bench:ship, which builds first)`);
  if (CLI !== BUILT_CLI) return;
  // A stale build would measure code that is no longer the source.
  const built = statSync(CLI).mtimeMs;
  const newest = newestMtime(join(ROOT, 'src'));
  if (newest.mtime > built) fail(`dist/ is older than ${newest.path}; run npm run build first`);
}

function newestMtime(dir: string): { path: string; mtime: number } {
  let best = { path: dir, mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const mtime = statSync(path).mtimeMs;
    if (mtime > best.mtime) best = { path, mtime };
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The two runs.

interface ShipResult {
  seconds: number;
  cpuSeconds: number | undefined;
  peakRss: number;
  ndjsonBytes: number;
  requests: number;
  resent: number;
  /** CPU the bulk server spent on this shipper's requests. */
  serverCpuSeconds: number;
}

async function runDropship(server: ServerHandle, dir: string, file: string, command: 'tail' | 'import'): Promise<ShipResult & { latenciesMs: number[] }> {
  const before = await server.stats();
  const started = performance.now();
  const commandArgs = command === 'tail'
    ? ['tail', file, '--start-at', 'beginning', '--summary-interval', '0']
    : ['import', file, '--progress-interval', '0'];
  const watched = startWatched(
    `dropship ${command}`,
    process.execPath,
    [...shebangNodeFlags(CLI), ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(args['cpu-prof'])] : []),
      ...args['dropship-node-args'].split(' ').filter((a) => a !== ''), CLI, ...commandArgs, '--output', 'elasticsearch', '--es-hosts', `http://127.0.0.1:${server.port}`,
      '--state-dir', join(dir, `dropship-${command}-state`), ...args['dropship-args'].split(' ').filter((a) => a !== '')],
    join(dir, `dropship-${command}.log`),
  );
  try {
    const done = await waitForStored(server, before.stored + LINES, watched, started, LIMITS);
    const seconds = (done - started) / 1000;
    const cpuSeconds = procCpuSeconds(watched.child.pid!);
    const after = await server.stats();
    if (command === 'import') {
      // An import ends by itself, exit 0, with nothing more stored.
      await Promise.race([watched.exit, sleep(15_000)]);
      if (watched.exited?.code !== 0) fail(`dropship import did not exit 0 after storing every line (code ${watched.exited?.code}):\n${watched.logTail()}`);
      const final = await server.stats();
      if (final.stored !== before.stored + LINES) fail(`dropship import: the server holds ${final.stored - before.stored} documents, expected ${LINES}`);
      watched.sample();
      return {
        seconds, cpuSeconds, peakRss: watched.peak, latenciesMs: [],
        ndjsonBytes: after.bytes - before.bytes, requests: after.requests - before.requests,
        resent: after.items - before.items - (after.stored - before.stored),
        serverCpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
      };
    }

    // Latency is what a user sees on a quiet router: dropship idle, one new line. Let the bulk
    // load settle first so the sample is not a leftover of the last batch.
    await sleep(2000);
    const extra = createLineGenerator(Number(args.seed) + 1);
    const latenciesMs: number[] = [];
    let expected = after.stored;
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      expected += 1;
      const t0 = performance.now();
      await appendFile(file, extra() + '\n');
      const t1 = await waitForStored(server, expected, watched, t0, LIMITS, 5);
      latenciesMs.push(t1 - t0);
      // Spread the samples over the poll cycle rather than locking onto one phase of it.
      await sleep(700 + Math.random() * 600);
    }
    const final = await server.stats();
    if (final.stored !== expected) fail(`dropship: the server holds ${final.stored - before.stored} documents, expected ${expected - before.stored}`);

    const clean = await watched.terminate();
    if (!clean) fail(`dropship did not exit within 15 s of SIGTERM:\n${watched.logTail()}`);
    if (watched.exited?.code !== 0) fail(`dropship exited with code ${watched.exited?.code} (signal ${watched.exited?.signal}) after SIGTERM:\n${watched.logTail()}`);
    return {
      seconds, cpuSeconds, peakRss: watched.peak, latenciesMs,
      ndjsonBytes: after.bytes - before.bytes, requests: after.requests - before.requests,
      resent: after.items - before.items - (after.stored - before.stored),
      serverCpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
    };
  } finally {
    await watched.terminate(2000);
  }
}

/**
 * A fair syslog-ng: what elasticsearch-http() expands to (http() with a `_bulk` body), tuned for
 * throughput rather than left at its defaults, and with flow control so it cannot win by
 * dropping messages. See bench/README.md for the reasoning behind each setting.
 */
function syslogNgConfig(file: string, port: number): string {
  const q = (s: string): string => JSON.stringify(s);
  // `create` with an _id, as dropship sends, so the server handles both shippers' actions alike.
  const action = '{"create":{"_index":"syslog-ng-bench","_id":"sng-${UNIQID}"}}';
  const doc = '$(format-json --scope rfc5424 --scope nv-pairs --exclude DATE --key ISODATE @timestamp=${ISODATE})';
  return `@version: 3.38
options {
  use-uniqid(yes);
  stats-freq(0);
  use-dns(no);
  use-fqdn(no);
  keep-hostname(yes);
  log-fifo-size(200000);
};

source s_file {
  file(${q(file)}
    follow-freq(1)
    log-iw-size(100000)
    log-fetch-limit(10000)
    log-msg-size(65536)
  );
};

parser p_kv { kv-parser(prefix("nf.")); };

parser p_geo {
  geoip2("\${nf.SRC}" prefix("geo.") database(${q(COUNTRY_MMDB)}));
};

destination d_bulk {
  http(
    url("http://127.0.0.1:${port}/_bulk")
    method("POST")
    headers("Content-Type: application/x-ndjson")
    body(${q(`${action}\n${doc}`)})
    delimiter("\\n")
    body-suffix("\\n")
    workers(4)
    batch-lines(5000)
    batch-bytes(5000000)
    batch-timeout(500)
    timeout(60)
  );
};

log {
  source(s_file);
  parser(p_kv);
  parser(p_geo);
  destination(d_bulk);
  flags(flow-control);
};
`;
}

async function runSyslogNg(server: ServerHandle, dir: string, file: string): Promise<ShipResult> {
  const confPath = join(dir, 'syslog-ng.conf');
  await writeFile(confPath, syslogNgConfig(file, server.port));
  try {
    execFileSync(SYSLOG_NG, ['--syntax-only', '-f', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer };
    fail(`syslog-ng rejects the bench configuration (${confPath}):\n${e.stderr?.toString() ?? String(err)}`);
  }
  const before = await server.stats();
  const started = performance.now();
  const watched = startWatched(
    'syslog-ng',
    SYSLOG_NG,
    ['-F', '--no-caps', '-f', confPath, '--persist-file', join(dir, 'syslog-ng.persist'),
      '--pidfile', join(dir, 'syslog-ng.pid'), '--control', join(dir, 'syslog-ng.ctl')],
    join(dir, 'syslog-ng.log'),
  );
  try {
    const done = await waitForStored(server, before.stored + LINES, watched, started, LIMITS);
    const seconds = (done - started) / 1000;
    const cpuSeconds = procCpuSeconds(watched.child.pid!);
    // Anything beyond the file's lines would be a duplicate or an internal message.
    await sleep(1000);
    const after = await server.stats();
    if (after.stored !== before.stored + LINES) fail(`syslog-ng: the server holds ${after.stored - before.stored} documents, expected ${LINES}`);
    await watched.terminate();
    return {
      seconds, cpuSeconds, peakRss: watched.peak,
      ndjsonBytes: after.bytes - before.bytes, requests: after.requests - before.requests,
      resent: after.items - before.items - (after.stored - before.stored),
      serverCpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
    };
  } finally {
    await watched.terminate(2000);
  }
}

// ---------------------------------------------------------------------------------------------

const perSec = (n: number, s: number): string => Math.round(n / s).toLocaleString('en');
const holds = (ok: boolean): string => (ok ? 'holds' : 'MISSED');

async function main(): Promise<void> {
  if (!args['skip-peer']) checkPrerequisites();
  // Other processes on these cores skew both shippers; the load average makes that visible.
  const loadBefore = loadAverage();
  const dir = await mkdtemp(join(tmpdir(), 'dropship-bench-'));
  let server: ServerHandle | undefined;
  try {
    const file = join(dir, 'router.log');
    const t = performance.now();
    const bytes = await writeLogFile(file, LINES, Number(args.seed));
    console.log(`input           ${LINES.toLocaleString('en')} lines, ${(bytes / 1e6).toFixed(1)} MB (${(bytes / LINES).toFixed(0)} B/line) in ${dir}, written in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // CPU per line is the figure least skewed by other load on the machine.
    const cpu = (r: ShipResult): string =>
      r.cpuSeconds === undefined ? '' : `, ${r.cpuSeconds.toFixed(1)} CPU-s = ${((r.cpuSeconds * 1e6) / LINES).toFixed(0)} µs/line on ${(r.cpuSeconds / r.seconds).toFixed(2)} cores`;
    const row = (name: string, r: ShipResult): string =>
      `${name.padEnd(16)}${perSec(LINES, r.seconds).padStart(9)} lines/s ${(bytes / 1e6 / r.seconds).toFixed(1).padStart(6)} MB/s  ` +
      `(${r.seconds.toFixed(2)} s${cpu(r)}; peak RSS ${mib(r.peakRss)}; ${r.requests} bulk requests, ${(r.ndjsonBytes / LINES).toFixed(0)} B/doc NDJSON; ${r.resent} resent; server ${r.serverCpuSeconds.toFixed(1)} CPU-s)`;

    type Round = { d: Partial<Record<'tail' | 'import', ShipResult & { latenciesMs: number[] }>>; s: ShipResult | undefined };
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round on fresh copies: dropship appends its latency samples to the file it tails,
      // and its deterministic ids would make a second pass over the same lines all duplicates
      // (so each shipper also gets a fresh server).
      const roundDir = ROUNDS === 1 ? dir : join(dir, `round-${round}`);
      await mkdir(roundDir, { recursive: true });
      const d: Round['d'] = {};
      const serverCpu: string[] = [];
      for (const command of COMMANDS) {
        const dropshipFile = join(roundDir, `router-${command}.log`);
        await copyFile(file, dropshipFile);
        server = await ServerHandle.start();
        d[command] = await runDropship(server, roundDir, dropshipFile, command);
        console.log(`dropship ${command.padEnd(7)}${d[command]!.seconds.toFixed(2)} s`);
        serverCpu.push(`${mib((await server.stats()).rss)} RSS for ${command}`);
        await server.stop();
        server = undefined;
      }
      let s: ShipResult | undefined;
      if (!args['skip-peer']) {
        const syslogNgFile = join(roundDir, 'router-syslog-ng.log');
        await copyFile(file, syslogNgFile);
        server = await ServerHandle.start();
        s = await runSyslogNg(server, roundDir, syslogNgFile);
        console.log(`syslog-ng       ${s.seconds.toFixed(2)} s`);
        await server.stop();
        server = undefined;
      }
      rounds.push({ d, s });

      console.log('');
      if (ROUNDS > 1) console.log(`round ${round} of ${ROUNDS}`);
      console.log(`machine         ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), node ${process.version}, ${new Date().toISOString()}`);
      console.log(`input           ${LINES.toLocaleString('en')} lines, ${(bytes / 1e6).toFixed(1)} MB`);
      console.log(`load average    ${loadBefore} before, ${loadAverage()} after (1/5/15 min; the bench itself adds ~2)`);
      for (const command of COMMANDS) console.log(row(`dropship ${command}`, d[command]!));
      if (s !== undefined) console.log(row('syslog-ng', s));
      console.log(`bulk servers    ${serverCpu.join(', ')} (separate processes, same cores)`);
      if (s !== undefined) for (const command of COMMANDS) console.log(`ratio ${command.padEnd(10)}${(s.seconds / d[command]!.seconds).toFixed(2)}× (dropship ${command} / syslog-ng throughput)`);
      console.log('');
    }

    // Targets: the median ratio (the lower of the middle two for an even count: never flattering),
    // the worst RSS and latency.
    const skipped = args['skip-peer'];
    for (const command of COMMANDS) {
      const runs = rounds.map((r) => ({ d: r.d[command]!, ratio: r.s === undefined ? Number.NaN : r.s.seconds / r.d[command]!.seconds }));
      const ratio = lowerMedian(runs.map((r) => r.ratio));
      const peakRss = Math.max(...runs.map((r) => r.d.peakRss));
      console.log(`dropship ${command}`);
      if (!skipped) {
        const spread = ROUNDS > 1 ? ` (median of ${ROUNDS} rounds: ${runs.map((r) => r.ratio.toFixed(2)).join(', ')})` : '';
        // tail's target is PRODUCT.md's 2x; import's (issue 16) is at least syslog-ng's throughput.
        const target = command === 'tail' ? TARGET_RATIO : 1;
        console.log(`  ratio         ${ratio.toFixed(2)}× dropship / syslog-ng throughput${spread}   target ≥ ${target}: ${holds(ratio >= target)}`);
      }
      console.log(`  peak RSS      ${(peakRss / 1e6).toFixed(0)} MB = ${mib(peakRss)} (VmHWM incl. worker threads${ROUNDS > 1 ? ', highest round' : ''})   target ≤ ${TARGET_RSS_BYTES / 1e6} MB: ${holds(peakRss <= TARGET_RSS_BYTES)}`);
      if (command === 'tail') {
        const latencies = runs.flatMap((r) => r.d.latenciesMs);
        const sorted = [...latencies].sort((a, b) => a - b);
        const maxLatency = sorted[sorted.length - 1] ?? Number.POSITIVE_INFINITY;
        const medianLatency = sorted[Math.floor(sorted.length / 2)] ?? Number.POSITIVE_INFINITY;
        console.log(`  latency       ${latencies.map((l) => `${l.toFixed(0)}`).join(', ')} ms append→indexed (median ${medianLatency.toFixed(0)}, max ${maxLatency.toFixed(0)})  target ≤ ${TARGET_LATENCY_MS} ms: ${holds(maxLatency <= TARGET_LATENCY_MS)}`);
      }
    }
    console.log(skipped ? 'every line delivered exactly once (syslog-ng skipped: --skip-peer)' : 'every line delivered exactly once by every shipper');
  } finally {
    await server?.stop();
    if (args.keep) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await runBench(main);
