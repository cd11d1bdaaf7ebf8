import type { Client } from '@elastic/elasticsearch';
import { Option, type Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { addConnectionOptions, connectionWarnings, createClient, describeConnection, resolveConnection, type ConnectionFlags } from '../elasticsearch/connection.js';
import { createLogger, type Logger } from '../core/log.js';
import { createPool, type ProcessingPool } from '../processing/pool.js';
import type { SourceBatch } from '../core/batch.js';
import { Committer, Pipeline } from '../processing/run.js';
import { namespaceProblem } from '../elasticsearch/sink/index.js';
import { FileFollower, followEventLog } from '../sources/live/file-follow.js';
import { MAX_LINE_BYTES, readLineBytes, type Allocate } from '../sources/framing/line-bytes.js';
import { Spool } from '../sources/live/spool.js';
import { DEFAULT_IDLE_TIMEOUT_MS, parseListenAddress, SyslogListener } from '../sources/live/syslog-listener.js';
import { CheckpointStore, flushEvery } from '../state/checkpoints.js';
import { lockStateDir } from '../state/lock.js';
import { UsageError } from './errors.js';
import { stopOnSignals } from './signals.js';
import { addProcessingOptions, wholeNumber, processorConfig, type ProcessingOptions } from './options.js';
import { addBulkOptions, bulkSettings, openOutput, type BulkFlags } from './output.js';

interface TailOptions extends ProcessingOptions, ConnectionFlags, Partial<BulkFlags> {
  syslogUdp?: string;
  syslogTcp?: string;
  syslogAllow?: string;
  syslogMaxBytes: string;
  syslogIdleTimeout: string;
  syslogMaxConnections?: string;
  stateDir: string;
  startAt: 'beginning' | 'end';
  output: string;
  namespace: string;
  workers?: string;
  summaryInterval: string;
  pollInterval: string;
  shutdownTimeout: string;
}

export function defaultStateDir(): string {
  return process.env.DROPSHIP_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'dropship');
}

/** Stdin has no position to resume from: its batches commit nothing. */
async function* stdinBatches(allocate: Allocate): AsyncGenerator<SourceBatch> {
  for await (const b of readLineBytes(process.stdin, MAX_LINE_BYTES, allocate)) yield { data: b.data, truncated: b.truncated };
}

/**
 * One parser thread whatever the core count: a shipper that runs for months beside a router must
 * stay within its memory bound (~125 MiB peak measured) on any machine, and one thread already
 * ships ~50k lines/s, far beyond what a router logs. Each further thread measured ~60 MiB more
 * peak RSS for ~+20 % throughput on 2 cores; `--workers` is there for catching up a backlog.
 */
const TAIL_WORKERS = 1;

/** File batches carry their commit, and spool files their sender (as the spool registered it). */
async function* fileBatches(follower: FileFollower, spool: Spool | undefined, signal: AbortSignal): AsyncGenerator<SourceBatch> {
  for await (const b of follower.batches(signal)) {
    yield {
      data: b.data,
      truncated: b.truncated,
      senderIp: spool?.senderOf(b.dev, b.ino),
      commit: () => follower.commit(b),
    };
  }
}

/**
 * MiB figures an operator can watch for growth: the process's RSS, and the heap in use and
 * committed of the main thread and of each parser thread.
 */
async function memorySummary(pool: ProcessingPool): Promise<Record<string, number | number[]>> {
  const m = process.memoryUsage();
  const mib = (n: number): number => Math.round(n / 2 ** 20);
  const workers = await pool.heaps().catch(() => []);
  return {
    rss_mib: mib(m.rss), heap_mib: mib(m.heapUsed), heap_committed_mib: mib(m.heapTotal), external_mib: mib(m.external),
    worker_heap_mib: workers.map((h) => mib(h.used)), worker_heap_committed_mib: workers.map((h) => mib(h.committed)),
  };
}

export async function runTail(paths: string[], o: TailOptions, log: Logger = createLogger()): Promise<void> {
  const config = processorConfig(o);
  const useStdin = paths.includes('-');
  const patterns = paths.filter((p) => p !== '-');
  const udp = o.syslogUdp === undefined ? undefined : parseListenAddress(o.syslogUdp);
  const tcp = o.syslogTcp === undefined ? undefined : parseListenAddress(o.syslogTcp);
  if (o.syslogUdp !== undefined && udp === undefined) throw new UsageError(`--syslog-udp: expected [host:]port, got "${o.syslogUdp}"`);
  if (o.syslogTcp !== undefined && tcp === undefined) throw new UsageError(`--syslog-tcp: expected [host:]port, got "${o.syslogTcp}"`);
  if (patterns.length === 0 && !useStdin && udp === undefined && tcp === undefined) {
    throw new UsageError('nothing to follow: give files/globs, "-" for stdin, or --syslog-udp/--syslog-tcp');
  }
  const problem = namespaceProblem(o.namespace);
  if (problem !== undefined) throw new UsageError(`--namespace: ${problem}`);
  // Every option is checked before anything is opened: a usage error must end the process at
  // once, not leave threads and sockets holding it open.
  const workers = o.workers === undefined ? TAIL_WORKERS : wholeNumber('--workers', o.workers);
  const maxMessageBytes = wholeNumber('--syslog-max-bytes', o.syslogMaxBytes, 1);
  const idleTimeoutMs = wholeNumber('--syslog-idle-timeout', o.syslogIdleTimeout, 1) * 1000;
  const maxConnections = o.syslogMaxConnections === undefined ? undefined : wholeNumber('--syslog-max-connections', o.syslogMaxConnections, 1);
  const pollIntervalMs = wholeNumber('--poll-interval', o.pollInterval, 1);
  const summaryMs = wholeNumber('--summary-interval', o.summaryInterval) * 1000;
  const shutdownMs = wholeNumber('--shutdown-timeout', o.shutdownTimeout) * 1000;
  const bulk = bulkSettings(o);

  // The state directory is checked (and locked) before anything that keeps the process alive
  // starts: an unwritable one, or one in use by another dropship, ends tail at once.
  const store = await CheckpointStore.open(o.stateDir);
  const lock = patterns.length > 0 || udp !== undefined || tcp !== undefined ? await lockStateDir(o.stateDir, 'tail') : undefined;
  let spool: Spool | undefined;
  if (udp !== undefined || tcp !== undefined) {
    spool = new Spool({
      dir: join(o.stateDir, 'spool'),
      onDiskEvent: (e) => (e.type === 'failing'
        ? log.error({ path: e.path, code: e.code }, `cannot write the syslog spool (${e.code}): messages wait in memory, TCP senders are slowed down, UDP messages beyond 8 MiB are dropped and counted; retrying`)
        : log.info({ failures: e.failures }, 'syslog spool writable again')),
    });
    await spool.start();
  }
  const committer = new Committer();
  const onAck = (seq: number): void => committer.ack(seq);

  let client: Client | undefined;
  const output = await openOutput({
    output: o.output, namespace: o.namespace, stateDir: o.stateDir, onAck, log, bulk,
    client: () => {
      const settings = resolveConnection(o);
      for (const w of connectionWarnings(settings)) log.warn(w);
      client = createClient(settings);
      log.info({ elasticsearch: describeConnection(settings) }, 'shipping to Elasticsearch');
      return client;
    },
  });

  const pool = await createPool({ ...config, format: output.kind === 'elasticsearch' ? 'bulk' : 'ndjson', namespace: o.namespace }, workers);
  const pipeline = new Pipeline(pool, output, committer);
  const allocate = (size: number): Buffer => pool.lineBuffers.take(size);
  const abort = new AbortController();
  const sources: Promise<void>[] = [];

  let listener: SyslogListener | undefined;
  if (spool !== undefined) {
    const s = spool;
    listener = new SyslogListener({
      udp, tcp,
      allow: o.syslogAllow?.split(',').filter((c) => c.trim() !== '') ?? [],
      maxMessageBytes, idleTimeoutMs, maxConnections,
      onMessage: (sender, message, canWait) => s.append(sender, message, canWait),
      backpressure: s,
    });
    const bound = await listener.start();
    log.info({ udp: bound.udp, tcp: bound.tcp, max_connections: bound.maxConnections }, 'listening for syslog');
    if (maxConnections !== undefined && bound.maxConnections !== undefined && bound.maxConnections < maxConnections) {
      log.warn(`--syslog-max-connections ${maxConnections} is more than half the open-files limit (${bound.descriptorLimit}): keeping at most ${bound.maxConnections}`);
    }
  }

  const follower = patterns.length === 0 && spool === undefined ? undefined : new FileFollower({
    patterns, quietPatterns: spool === undefined ? [] : [spool.pattern()], store, startAt: o.startAt, pollIntervalMs, allocate,
    onEvent: (e) => {
      const { level, message } = followEventLog(e);
      log[level](e, message);
    },
  });
  if (follower !== undefined) sources.push(pipeline.run(fileBatches(follower, spool, abort.signal)));
  if (useStdin) sources.push(pipeline.run(stdinBatches(allocate)));

  const checkpointTimer = flushEvery(store, 1000, {
    failed: (err) => log.error(`${err.message}; checkpoints are kept in memory and written once the disk takes them (a restart meanwhile re-reads, never skips)`),
    recovered: (failures) => log.info({ failures }, 'checkpoints written again'),
  });
  const summary = async (final: boolean): Promise<void> => {
    await listener?.refreshKernelDrops();
    log.info({
      lines: pipeline.counters.lines, documents: pipeline.counters.documents, unparsed: pipeline.counters.unparsed,
      output: output.stats(), lag_bytes: (await follower?.pendingBytes()) ?? 0, open_files: follower?.openFiles ?? 0, checkpoint_write_failures: store.failedWrites,
      syslog: listener === undefined ? undefined : { ...listener.counters, spool: spool?.counters },
      memory: await memorySummary(pool),
    }, final ? 'final summary' : 'summary');
  };
  // A summary that fails (out of descriptors, say) is reported, never an unhandled rejection.
  const summaryTimer = summaryMs > 0 ? setInterval(() => void summary(false).catch((err: Error) => log.warn(`summary failed: ${err.message}`)), summaryMs) : undefined;

  const removeSignalHandlers = stopOnSignals(abort, log, 'unacknowledged lines are re-read at the next start', { ms: shutdownMs, expire: () => output.abort() });
  if (useStdin && follower === undefined && listener === undefined) process.stdin.once('end', () => abort.abort());

  let failure: unknown;
  try {
    await Promise.all(sources.length > 0 ? sources : [new Promise<void>((ok) => abort.signal.addEventListener('abort', () => ok()))]);
  } catch (err) {
    // One source failing (say, the output cannot be written) stops the others too.
    failure = err;
    abort.abort();
  }
  // Every step runs even when one before it fails: a worker thread or listener left open would
  // keep the process alive after the error is reported.
  const steps: (() => unknown)[] = [
    () => listener?.stop(), () => spool?.close(), () => output.close(), () => pool.close(), () => client?.close(),
    () => checkpointTimer.stop(), () => clearInterval(summaryTimer), () => store.flush(), () => summary(true),
    () => removeSignalHandlers(), () => lock?.release(),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}

export function registerTail(program: Command): void {
  const cmd = program
    .command('tail')
    .description('follow files through rotation and/or receive syslog, and ship to Elasticsearch (or NDJSON)')
    .argument('[paths...]', 'files or globs to follow; "-" reads stdin')
    .option('--syslog-udp <[host:]port>', 'receive syslog over UDP (host defaults to 127.0.0.1)')
    .option('--syslog-tcp <[host:]port>', 'receive syslog over TCP (LF/NUL-terminated or octet-counted)')
    .option('--syslog-allow <cidr,...>', 'accept syslog only from these networks')
    .option('--syslog-max-bytes <n>', 'longest syslog message accepted', String(64 * 1024))
    .option('--syslog-idle-timeout <seconds>', 'close a TCP connection silent this long', String(DEFAULT_IDLE_TIMEOUT_MS / 1000))
    .option('--syslog-max-connections <n>', 'TCP connections kept at once; a new one replaces the one idle longest (default: 100, at most half the open-files limit)')
    .option('--state-dir <dir>', 'checkpoints, syslog spool and dead-letter file', defaultStateDir())
    .addOption(new Option('--start-at <where>', 'where to start in files seen for the first time at start-up').choices(['beginning', 'end']).default('beginning'))
    .option('--output <where>', 'elasticsearch, stdout, or ndjson:<file>', 'elasticsearch')
    .option('--namespace <name>', 'data stream namespace', 'default')
    .option('--workers <n>', `parser threads (default: ${TAIL_WORKERS}; each more adds ~60 MiB; 0 parses on the main thread)`)
    .option('--summary-interval <seconds>', 'how often a one-line summary is logged (0: never)', '60')
    .option('--poll-interval <ms>', 'how often followed files are checked', '250')
    .option('--shutdown-timeout <seconds>', 'on SIGINT/SIGTERM, how long to wait for Elasticsearch to take what was read', '10');
  addConnectionOptions(addBulkOptions(addProcessingOptions(cmd))).action(async (paths: string[], o: TailOptions) => runTail(paths, o));
}
