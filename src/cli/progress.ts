import cliProgress from 'cli-progress';

/**
 * Import progress: a bar on a terminal, a plain line every so often otherwise (logs, CI, pipes),
 * both fed by polling a snapshot so the hot path only bumps counters.
 */

export interface ProgressSnapshot {
  /** Work done and to do: bytes read from disk, or documents for --from-index. */
  done: number;
  total: number;
  unit: 'bytes' | 'docs';
  lines: number;
}

export interface Progress {
  stop(): void;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function amount(n: number, unit: ProgressSnapshot['unit']): string {
  return unit === 'bytes' ? formatBytes(n) : `${Math.round(n).toLocaleString('en-US')} docs`;
}

/**
 * The non-terminal progress line. ETA extrapolates `recentPerMs` (work per ms lately) when given,
 * else the average so far: the dating pass reads faster than the import, so the average misleads.
 */
export function progressLine(s: ProgressSnapshot, elapsedMs: number, recentPerMs?: number): string {
  const pct = s.total > 0 ? Math.min(100, (100 * s.done) / s.total) : 100;
  const secs = elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.lines / secs) : 0;
  const perMs = recentPerMs !== undefined && recentPerMs > 0 ? recentPerMs : elapsedMs > 0 ? s.done / elapsedMs : 0;
  const eta = s.total > 0 && s.done >= s.total ? '0s' : perMs > 0 && s.total > s.done ? formatDuration((s.total - s.done) / perMs) : '?';
  return `import: ${pct.toFixed(1)}% ${amount(s.done, s.unit)} of ${amount(s.total, s.unit)}, ${s.lines.toLocaleString('en-US')} lines, ${rate.toLocaleString('en-US')} lines/s, ETA ${eta}`;
}

export interface ProgressOptions {
  snapshot: () => ProgressSnapshot;
  stream: NodeJS.WriteStream;
  /** Seconds between plain lines when not on a terminal; 0 turns them off. */
  intervalSeconds: number;
}

export function startProgress(o: ProgressOptions): Progress {
  const started = Date.now();
  if (o.stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: o.stream,
      format: 'importing {bar} {percentage}% | {doneText} of {totalText} | {lines} lines | {rate} lines/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
    const payload = (s: ProgressSnapshot) => {
      const secs = (Date.now() - started) / 1000;
      return { doneText: amount(s.done, s.unit), totalText: amount(s.total, s.unit), lines: s.lines.toLocaleString('en-US'), rate: secs > 0 ? Math.round(s.lines / secs).toLocaleString('en-US') : '0' };
    };
    const first = o.snapshot();
    bar.start(Math.max(1, first.total), first.done, payload(first));
    const timer = setInterval(() => {
      const s = o.snapshot();
      bar.setTotal(Math.max(1, s.total));
      bar.update(s.done, payload(s));
    }, 200);
    timer.unref();
    return {
      stop() {
        clearInterval(timer);
        const s = o.snapshot();
        bar.update(s.done, payload(s));
        bar.stop();
      },
    };
  }
  if (o.intervalSeconds <= 0) return { stop: () => undefined };
  let last = { at: started, done: 0 };
  const timer = setInterval(() => {
    const now = Date.now();
    const snap = o.snapshot();
    const recent = now > last.at ? (snap.done - last.done) / (now - last.at) : undefined;
    last = { at: now, done: snap.done };
    o.stream.write(`${progressLine(snap, now - started, recent)}\n`);
  }, o.intervalSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
