import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hasTool } from '../helpers/tools.js';

/**
 * dropship's own logs as a person and as a machine see them (issue 18 §2): `tail` with
 * Elasticsearch down, on a real terminal (a pty made by util-linux `script`) and through a pipe.
 * On a terminal the retries are readable lines; piped they are ECS JSON; --log-format overrides.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const skip = hasTool('script', ['--version']) ? false : 'needs util-linux `script` (Debian: bsdutils) to run the CLI on a pty';
if (skip && process.env.CI) throw new Error(`CI is set but the pty test ${skip}`);

let dir: string;
let port: number;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dropship-logfmt-'));
  writeFileSync(join(dir, 'router.log'), '<4>Nov 16 00:12:34 router kernel: DROP IN=ppp0 OUT= SRC=203.0.113.45 DST=198.51.100.20 LEN=44 PROTO=TCP SPT=51234 DPT=23\n');
  // A port nothing listens on: Elasticsearch is down, every request is refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `dropship tail` until its first retry is logged, then stops it with SIGTERM. With `pty`,
 * inside `script`, so its stderr is a terminal; the shell writes its pid first so the signal
 * reaches dropship itself. Returns what dropship wrote to stderr (on a pty: the terminal's output).
 */
async function tailUntilRetry(name: string, pty: boolean, extra: string[] = []): Promise<string> {
  const args = [
    '--import', 'tsx', MAIN, 'tail', join(dir, 'router.log'), '--state-dir', join(dir, `state-${name}`),
    '--shutdown-timeout', '0', '--summary-interval', '0', '--no-geoip', '--timezone', 'UTC', ...extra,
  ];
  const env = { ...process.env, ELASTICSEARCH_HOSTS: `http://127.0.0.1:${port}`, DROPSHIP_LOG_LEVEL: 'info', NO_COLOR: '1' };
  const pidFile = join(dir, `${name}.pid`);
  const child = pty
    ? spawn('script', ['-qfec', `echo $$ > ${quote(pidFile)}; exec ${[process.execPath, ...args].map(quote).join(' ')}`, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // dropship itself: on a pty, the shell's pid (it exec'ed node), once it has written it.
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (!pty) child.kill(sig);
      else if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  let retried = false;
  try {
    const deadline = Date.now() + 60_000;
    while (!(retried = /retrying with backoff/.test(out)) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  } finally {
    // Stopped in every case: with Elasticsearch down, tail would retry for ever.
    signal(retried ? 'SIGTERM' : 'SIGKILL');
    await exited;
  }
  assert.ok(retried, `no retry logged by ${name}:\n${out}`);
  return out.replace(/\r\n/g, '\n');
}

const READABLE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARN  bulk request failed, retrying with backoff: ConnectionError: .*ECONNREFUSED.* attempt=1 /m;

function assertEcsJson(out: string): void {
  const lines = out.trim().split('\n');
  assert.ok(lines.length >= 3, out);
  for (const l of lines) {
    const record = JSON.parse(l) as Record<string, unknown>;
    assert.equal(typeof record['@timestamp'], 'string');
    assert.equal(typeof record['log.level'], 'string');
    assert.equal(record['service.name'], 'dropship');
    assert.ok('ecs.version' in record);
  }
  assert.ok(lines.some((l) => (JSON.parse(l) as { message: string }).message.startsWith('bulk request failed, retrying with backoff')));
}

test('tail with Elasticsearch down: readable lines on a terminal, ECS JSON through a pipe, --log-format overrides both', { skip }, async () => {
  const [tty, piped, ttyJson, pipedText] = await Promise.all([
    tailUntilRetry('tty', true),
    tailUntilRetry('piped', false),
    tailUntilRetry('tty-json', true, ['--log-format', 'json']),
    tailUntilRetry('piped-text', false, ['--log-format', 'text']),
  ]);

  assert.match(tty, READABLE, tty);
  assert.doesNotMatch(tty, /^\{/m, 'no JSON on the terminal');
  assert.match(tty, /INFO  file opened {2}path=\S+router\.log offset=0 resumed=false/);
  assertEcsJson(piped);
  assertEcsJson(ttyJson);
  assert.match(pipedText, READABLE, pipedText);
});
