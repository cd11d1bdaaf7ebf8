/**
 * A log writer in its own process, appending `firewallLine`s at a steady rate the way a syslog
 * daemon does after a rotation: it opens the file by name for each write and never creates it
 * (logrotate's `create` does, or the next tick writes). A writer that created the file itself
 * could race logrotate between its rename and its create, and logrotate would then move that
 * file aside as `.backup`.
 *
 * usage: node --import tsx log-writer.ts <path> <lines-per-second> <tag>
 * On SIGTERM it prints how many lines it wrote (lines 0 … n-1) and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { firewallLine } from './firewall-line.js';

export interface Writer {
  child: ChildProcess;
  /** Stops the writer; resolves with the number of lines written. */
  stop(): Promise<number>;
}

export function startWriter(path: string, linesPerSecond: number, tag: string): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, path, String(linesPerSecond), tag], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const ended = new Promise<number>((ok) => child.once('exit', () => ok(Number(out.trim()))));
  return {
    child,
    stop: () => {
      child.kill('SIGTERM');
      return ended;
    },
  };
}

/** The writer's own loop (when this file is run as a script). */
function run(path: string, rate: number, tag: string): void {
  let n = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    const target = Math.floor(((Date.now() - started) * rate) / 1000);
    if (target <= n) return;
    const upTo = Math.min(target, n + rate); // at most a second's worth at once
    let chunk = '';
    for (let k = n; k < upTo; k++) chunk += firewallLine(k, tag) + '\n';
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
    } catch {
      return; // rotated away and not created yet: these lines are written at the next tick
    }
    try {
      writeSync(fd, chunk);
      n = upTo;
    } finally {
      closeSync(fd);
    }
  }, 5);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    process.stdout.write(`${n}\n`, () => process.exit(0));
  });
}

if (process.argv[1] === import.meta.filename) run(process.argv[2]!, Number(process.argv[3]), process.argv[4]!);
