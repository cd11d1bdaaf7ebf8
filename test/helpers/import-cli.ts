import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Runs the dropship CLI from sources (as test/e2e/cli-parse.test.ts does), asynchronously so an in-process server keeps answering. */
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, TZ: 'UTC', DROPSHIP_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<CliResult> {
  return startCli(args, env, nodeArgs).done;
}

/** The numbers of the summary line `dropship import: …` (undefined where absent). */
export interface SummaryNumbers {
  files: number; skipped: number; lines: number; indexed: number; written: number; present: number;
  unparsed: number; dead: number; without: number; peakMb: number; failureStore: number;
}

export function summaryOf(stderr: string): SummaryNumbers {
  const line = stderr.split('\n').find((l) => l.startsWith('dropship import'));
  if (line === undefined) throw new Error(`no summary in:\n${stderr}`);
  const num = (re: RegExp): number => {
    const m = re.exec(line);
    return m === null ? Number.NaN : Number(m[1]!.replace(/,/g, ''));
  };
  return {
    files: num(/([\d,]+) files/),
    skipped: num(/([\d,]+) already imported/),
    lines: num(/([\d,]+) lines read/),
    indexed: num(/([\d,]+) indexed/),
    written: num(/([\d,]+) written/),
    present: num(/([\d,]+) already present/),
    unparsed: num(/([\d,]+) unparsed/),
    dead: num(/([\d,]+) dead-lettered/),
    without: num(/([\d,]+) documents without an original line/),
    peakMb: num(/peak memory ([\d,]+) MB/),
    failureStore: num(/([\d,]+) in the failure store/),
  };
}
