import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { addConnectionOptions, type ConnectionFlags } from '../elasticsearch/connection.js';
import { createLogger, type Logger } from '../core/log.js';
import type { SourceBatch } from '../core/batch.js';
import { namespaceProblem } from '../model/data-stream.js';
import { FileFollower, followedBatches, followEventLog } from '../sources/live/file-follow.js';
import { MAX_LINE_BYTES, readLineBytes, type Allocate } from '../sources/framing/line-bytes.js';
import { Spool } from '../sources/live/spool.js';
import { DEFAULT_IDLE_TIMEOUT_MS, parseListenAddress, SyslogListener, type ListenAddress } from '../sources/live/syslog-listener.js';
import { CheckpointStore } from '../state/checkpoints.js';
import { lockStateDir } from '../state/lock.js';
import { openShipper, type Shipper } from '../shipper/shipper.js';
import { UsageError } from './errors.js';
import { addLogOptions, addProcessingOptions, checkScannerList, DROPSHIP_ENV_HELP, numericOption, processorConfig, wholeNumber, type LogOptions, type ProcessingOptions } from './options.js';
import { addBulkOptions, addShutdownOption, bulkSettings, checkOutputOption, stateDirOption, type BulkFlags } from './output.js';

interface TailOptions extends ProcessingOptions, ConnectionFlags, Partial<BulkFlags>, LogOptions {
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

interface SourceSettings {
  patterns: string[];
  useStdin: boolean;
  udp: ListenAddress | undefined;
  tcp: ListenAddress | undefined;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  maxConnections: number | undefined;
  pollIntervalMs: number;
}

/**
 * The spool is opened before the shipper (and its threads): a spool directory that cannot be
 * written ends tail at start, in one line.
 */
async function openSpool(o: TailOptions, s: SourceSettings, log: Logger): Promise<Spool | undefined> {
  if (s.udp === undefined && s.tcp === undefined) return undefined;
  const spool = new Spool({
    dir: join(o.stateDir, 'spool'),
    onDiskEvent: (e) => (e.type === 'failing'
      ? log.error({ path: e.path, code: e.code }, `cannot write the syslog spool (${e.code}): messages wait in memory, TCP senders are slowed down, UDP messages beyond 8 MiB are dropped and counted; retrying`)
      : log.info({ failures: e.failures }, 'syslog spool writable again')),
  });
  await spool.start();
  return spool;
}

/**
 * Tail's sources, all in this one place: the syslog listener and its spool (whose files are
 * followed like any other), the followed files, stdin. Returns the batches to ship, what to close
 * before the shipper, and what the summary reports.
 */
async function openSources(o: TailOptions, s: SourceSettings, store: CheckpointStore, spool: Spool | undefined, shipper: Shipper, log: Logger) {
  const patterns = [...s.patterns];
  let listener: SyslogListener | undefined;
  if (spool !== undefined) {
    const sp = spool;
    listener = new SyslogListener({
      udp: s.udp, tcp: s.tcp,
      allow: o.syslogAllow?.split(',').filter((c) => c.trim() !== '') ?? [],
      maxMessageBytes: s.maxMessageBytes, idleTimeoutMs: s.idleTimeoutMs, maxConnections: s.maxConnections,
      onMessage: (sender, message, canWait) => sp.append(sender, message, canWait),
      backpressure: sp,
    });
    const bound = await listener.start();
    log.info({ udp: bound.udp, tcp: bound.tcp, max_connections: bound.maxConnections }, 'listening for syslog');
    if (s.maxConnections !== undefined && bound.maxConnections !== undefined && bound.maxConnections < s.maxConnections) {
      log.warn(`--syslog-max-connections ${s.maxConnections} is more than half the open-files limit (${bound.descriptorLimit}): keeping at most ${bound.maxConnections}`);
    }
  }
  const follower = patterns.length === 0 && spool === undefined ? undefined : new FileFollower({
    patterns, quietPatterns: spool === undefined ? [] : [spool.pattern()], store, startAt: o.startAt, pollIntervalMs: s.pollIntervalMs, allocate: shipper.allocate,
    onEvent: (e) => {
      const { level, message } = followEventLog(e);
      log[level](e, message);
    },
  });
  const batches: AsyncIterable<SourceBatch>[] = [];
  // Spool files carry their sender, as the spool registered it.
  if (follower !== undefined) batches.push(followedBatches(follower, shipper.signal, spool === undefined ? undefined : (dev, ino) => spool.senderOf(dev, ino)));
  if (s.useStdin) batches.push(stdinBatches(shipper.allocate));
  // Stdin alone: its end is the end of the run.
  if (s.useStdin && follower === undefined && listener === undefined) process.stdin.once('end', () => shipper.stop());
  return {
    batches,
    close: [() => listener?.stop(), () => spool?.close()],
    async report() {
      await listener?.refreshKernelDrops();
      return {
        lag_bytes: (await follower?.pendingBytes()) ?? 0, open_files: follower?.openFiles ?? 0, checkpoint_write_failures: store.failedWrites,
        syslog: listener === undefined ? undefined : { ...listener.counters, spool: spool?.counters },
      };
    },
  };
}

export async function runTail(paths: string[], o: TailOptions, log: Logger = createLogger({ format: o.logFormat })): Promise<void> {
  const processing = processorConfig(o);
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
  checkOutputOption(o.output);
  // Every option is checked before anything is opened: a usage error must end the process at
  // once, not leave threads and sockets holding it open.
  const workers = o.workers === undefined ? TAIL_WORKERS : wholeNumber('--workers', o.workers);
  const sourceSettings: SourceSettings = {
    patterns, useStdin, udp, tcp,
    maxMessageBytes: wholeNumber('--syslog-max-bytes', o.syslogMaxBytes, 1),
    idleTimeoutMs: wholeNumber('--syslog-idle-timeout', o.syslogIdleTimeout, 1) * 1000,
    maxConnections: o.syslogMaxConnections === undefined ? undefined : wholeNumber('--syslog-max-connections', o.syslogMaxConnections, 1),
    pollIntervalMs: wholeNumber('--poll-interval', o.pollInterval, 1),
  };
  const summaryMs = wholeNumber('--summary-interval', o.summaryInterval) * 1000;
  const shutdownMs = wholeNumber('--shutdown-timeout', o.shutdownTimeout) * 1000;
  const bulk = bulkSettings(o);
  await checkScannerList(processing.scannerList);

  // The state directory is checked (and locked) before anything that keeps the process alive
  // starts: an unwritable one, or one in use by another dropship, ends tail at once. Stdin alone
  // checkpoints nothing and takes no lock.
  const store = await CheckpointStore.open(o.stateDir);
  const lock = patterns.length > 0 || udp !== undefined || tcp !== undefined ? await lockStateDir(o.stateDir, 'tail') : undefined;
  const spool = await openSpool(o, sourceSettings, log);
  const shipper = await openShipper({
    processing, workers, output: o.output, namespace: o.namespace, stateDir: o.stateDir, bulk, connection: o, store, shutdownMs, log,
    onForcedStop: 'unacknowledged lines are re-read at the next start',
  });
  let sources: Awaited<ReturnType<typeof openSources>> | undefined;
  let failure: unknown;
  try {
    sources = await openSources(o, sourceSettings, store, spool, shipper, log);
  } catch (err) {
    failure = err;
  }
  const summary = async (final: boolean): Promise<void> => {
    const c = shipper.counters;
    log.info({
      lines: c.lines, documents: c.documents, unparsed: c.unparsed, output: shipper.outputStats(),
      ...(await sources?.report()), memory: await shipper.memory(),
    }, final ? 'final summary' : 'summary');
  };
  const summaryTimer = summaryMs > 0 ? setInterval(() => void summary(false).catch(() => undefined), summaryMs) : undefined;
  if (sources !== undefined) {
    try {
      await shipper.run(sources.batches);
    } catch (err) {
      failure = err;
    }
  }
  clearInterval(summaryTimer);
  try {
    await shipper.close(sources?.close ?? [() => spool?.close()]);
  } catch (err) {
    failure ??= err;
  }
  try {
    await summary(true);
  } catch (err) {
    failure ??= err;
  }
  await lock?.release();
  if (failure !== undefined) throw failure;
}

export function registerTail(program: Command): void {
  const cmd = program
    .command('tail')
    .description('follow files through rotation and/or receive syslog, and ship to Elasticsearch (or NDJSON)')
    .argument('[paths...]', 'files or globs to follow; "-" reads stdin')
    .option('--syslog-udp <[host:]port>', 'receive syslog over UDP; binds 127.0.0.1 unless a host is given (0.0.0.0: every interface)')
    .option('--syslog-tcp <[host:]port>', 'receive syslog over TCP (LF/NUL-terminated or octet-counted); binds 127.0.0.1 unless a host is given')
    .option('--syslog-allow <cidr,...>', 'accept syslog only from these networks')
    .addOption(numericOption('--syslog-max-bytes <n>', 'longest syslog message accepted', 64 * 1024))
    .addOption(numericOption('--syslog-idle-timeout <seconds>', 'close a TCP connection silent this long', DEFAULT_IDLE_TIMEOUT_MS / 1000))
    .option('--syslog-max-connections <n>', 'TCP connections kept at once; a new one replaces the one idle longest (default: 100, at most half the open-files limit)')
    .addOption(stateDirOption('checkpoints, syslog spool and dead-letter file'))
    .addOption(new Option('--start-at <where>', 'where to start in files seen for the first time at start-up').choices(['beginning', 'end']).default('beginning'))
    .option('--output <where>', 'elasticsearch, stdout, or ndjson:<file>', 'elasticsearch')
    .option('--namespace <name>', 'data stream namespace', 'default')
    .option('--workers <n>', `parser threads (default: ${TAIL_WORKERS}; each more adds ~60 MiB; 0 parses on the main thread)`)
    .addOption(numericOption('--summary-interval <seconds>', 'how often a one-line summary is logged (0: never)', 60))
    .addOption(numericOption('--poll-interval <ms>', 'how often followed files are checked', 250));
  addConnectionOptions(addLogOptions(addShutdownOption(addBulkOptions(addProcessingOptions(cmd))))).addHelpText('after', DROPSHIP_ENV_HELP).action(async (paths: string[], o: TailOptions) => runTail(paths, o));
}
