/**
 * `dropship tail` as a child process, for the e2e tests that run it as a user does
 * (test/e2e/tail-e2e.test.ts, test/e2e/tail-bad-days.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const ROOT = join(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'src', 'cli', 'main.ts');

export interface Tail {
  child: ChildProcess;
  stderr: () => string;
}

/** The node flags of the bin's `#!/usr/bin/env -S node …` line: the heap limits users run with. */
export function binNodeFlags(): string[] {
  return readFileSync(CLI, 'utf8').split('\n', 1)[0]!.split(/\s+/).filter((w) => w.startsWith('--'));
}

/** `dropship tail …`, optionally wrapped (a descriptor limit, a mount namespace, another user). */
export function startTail(args: string[], wrap: string[] = [], nodeFlags: string[] = []): Tail {
  const argv = [...wrap, process.execPath, ...nodeFlags, '--import', 'tsx', CLI, 'tail', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TZ: 'UTC', HOME: tmpdir() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return { child, stderr: () => err };
}

/** Whether `cond` held within `ms` (the caller asserts it, with its own message). */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await delay(25);
  return cond();
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((ok) => child.once('exit', (code) => ok(code)));
}
