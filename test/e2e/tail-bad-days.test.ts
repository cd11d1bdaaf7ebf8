/**
 * `dropship tail` on a user's bad day, end to end: the real CLI in a child process, the real
 * logrotate, logger(1) and sockets, a real full disk, a real descriptor limit, and the loopback
 * `_bulk` server of test/helpers/bulk-server.ts standing in for Elasticsearch (refusing
 * connections to model an outage).
 *
 * Rotation during an outage runs by default with a 3 s outage at 2,000 lines/s, to keep
 * `npm test` short; the full size is
 *   DROPSHIP_OUTAGE_SECONDS=15 DROPSHIP_OUTAGE_RATE=8000 node --import tsx --test test/e2e/tail-bad-days.test.ts
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { BulkServer } from '../helpers/bulk-server.js';
import { firewallLine, firewallLineId } from '../helpers/firewall-line.js';
import { startWriter } from '../helpers/log-writer.js';
import { canMountInUserNamespace, fill, inOwnMountNamespace, unfill } from '../helpers/small-disk.js';
import { binNodeFlags, exited, startTail, until, type Tail } from '../helpers/tail-cli.js';
import { tmp } from '../helpers/tmp-dir.js';
import { hasTool } from '../helpers/tools.js';

const run = promisify(execFile);
const OUTAGE_S = Number(process.env.DROPSHIP_OUTAGE_SECONDS ?? 3);
const RATE = Number(process.env.DROPSHIP_OUTAGE_RATE ?? 2000);

async function stopTail(t: Tail): Promise<void> {
  t.child.kill('SIGTERM');
  assert.equal(await exited(t.child), 0, t.stderr().slice(-3000));
}

/** ECS log lines of the CLI with this message. */
function logLines(t: Tail, message: RegExp): string[] {
  return t.stderr().split('\n').filter((l) => message.test(l));
}

function freePort(): number {
  const out = execFileSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"]);
  return Number(out.toString().trim());
}

const hasLogrotate = hasTool('logrotate');
const MODES = { create: 'create', delaycompress: 'create\n  compress\n  delaycompress', copytruncate: 'copytruncate' } as const;

/**
 * What must be indexed, and what may be: every line written, except with copytruncate, which
 * loses the lines appended between its copy and its truncation (logrotate's manual says so).
 * There every line found in some file must be indexed, and a lost one may be (if it was read
 * before the truncation), but nothing else.
 */
function expectedIds(dir: string, written: number, tag: string, mode: keyof typeof MODES): { required: string[]; allowed: string[] } {
  const onDisk = new Set(readdirSync(dir).filter((f) => f.startsWith('router.log')).flatMap((f) => {
    const raw = readFileSync(join(dir, f));
    return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n');
  }));
  const all = Array.from({ length: written }, (_, n) => n);
  const kept = all.filter((n) => onDisk.has(firewallLine(n, tag)));
  if (mode !== 'copytruncate') assert.equal(kept.length, written, 'every written line is in some file');
  else assert.ok(kept.length > written * 0.9, `${written - kept.length} lines lost by logrotate itself`);
  return { required: kept.map((n) => firewallLineId(n, tag)), allowed: all.map((n) => firewallLineId(n, tag)) };
}

async function assertIndexedOnce(server: BulkServer, ids: { required: string[]; allowed: string[] }, t: Tail): Promise<void> {
  const complete = await until(() => ids.required.every((id) => server.hasId(id)), 180_000);
  const missing = ids.required.filter((id) => !server.hasId(id));
  assert.ok(complete, `only ${server.storedCount} indexed, ${missing.length} of ${ids.required.length} missing\n${t.stderr().slice(-3000)}`);
  await stopTail(t); // it finishes what it read: anything extra would be indexed by now
  // Ids are unique per line, so a second copy of a line cannot be stored: what is stored beyond
  // the written lines would be junk (a regrown file read from an old offset).
  const written = ids.allowed.filter((id) => server.hasId(id)).length;
  assert.equal(server.storedCount, written, `${server.storedCount - written} documents that are no written line`);
}

describe('tail: rotations while Elasticsearch is down or dropship is stopped', { skip: !hasLogrotate && !process.env.CI ? 'logrotate not installed' : false }, () => {
  for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
    test(`4 rotations (${mode}) during a ${OUTAGE_S} s outage at ${RATE} lines/s: every line indexed once`, async () => {
      const dir = tmp('outage');
      const log = join(dir, 'router.log');
      writeFileSync(log, '');
      const conf = join(dir, 'logrotate.conf');
      writeFileSync(conf, `${log} {\n  ${MODES[mode]}\n  rotate 10\n  missingok\n}\n`);
      const server = await BulkServer.start({ storeSources: false });
      const t = startTail([log, '--es-hosts', server.url, '--state-dir', join(dir, 'state'), '--summary-interval', '1', '--no-geoip', '--poll-interval', '100'], [], binNodeFlags());
      try {
        assert.ok(await until(() => t.stderr().includes('file opened'), 30_000), t.stderr());
        const writer = startWriter(log, RATE, mode);
        assert.ok(await until(() => server.storedCount > 0, 30_000), t.stderr().slice(-2000));
        await server.refuseConnections();
        const outageStart = Date.now();
        for (let r = 1; r <= 4; r++) {
          await delay(Math.max(0, outageStart + (r * OUTAGE_S * 1000) / 5 - Date.now()));
          await run('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf]);
        }
        await delay(Math.max(0, outageStart + OUTAGE_S * 1000 - Date.now()));
        const storedDuringOutage = server.storedCount;
        await server.acceptConnections();
        await delay(500);
        const written = await writer.stop();
        assert.ok(written > RATE * OUTAGE_S * 0.8, `writer wrote ${written} lines`);
        const caughtUp = Date.now();
        await assertIndexedOnce(server, expectedIds(dir, written, mode, mode), t);
        assert.ok(storedDuringOutage < written / 2, 'the outage held most lines back');
        // Reading ahead holds descriptors and positions, not lines: memory is measured, not asserted.
        const rss = Math.max(...logLines(t, /"message":"(final )?summary"/).map((l) => (JSON.parse(l) as { memory: { rss_mib: number } }).memory.rss_mib));
        process.stdout.write(`# ${mode}: ${written} lines written, ${storedDuringOutage} indexed before the outage ended, ${server.storedCount} indexed once within ${((Date.now() - caughtUp) / 1000).toFixed(1)} s after the writer stopped; peak RSS in the summaries ${rss} MiB\n`);
      } finally {
        t.child.kill('SIGKILL');
        await server.close();
      }
    });
  }

  test('killed (-9), 3 rotations (compress + delaycompress) while stopped, restarted: every line indexed once', async () => {
    const dir = tmp('stopped');
    const log = join(dir, 'router.log');
    writeFileSync(log, '');
    const conf = join(dir, 'logrotate.conf');
    writeFileSync(conf, `${log} {\n  ${MODES.delaycompress}\n  rotate 10\n  missingok\n}\n`);
    const server = await BulkServer.start({ storeSources: false });
    const args = [log, '--es-hosts', server.url, '--state-dir', join(dir, 'state'), '--summary-interval', '0', '--no-geoip', '--poll-interval', '100'];
    const writer = startWriter(log, 1000, 'stopped');
    let t = startTail(args);
    try {
      assert.ok(await until(() => server.storedCount > 500, 30_000), t.stderr().slice(-2000));
      t.child.kill('SIGKILL');
      await exited(t.child);
      for (let r = 0; r < 3; r++) {
        await delay(400);
        await run('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf]);
      }
      await delay(400);
      t = startTail(args);
      await delay(500);
      const written = await writer.stop();
      await assertIndexedOnce(server, expectedIds(dir, written, 'stopped', 'delaycompress'), t);
      assert.ok(existsSync(`${log}.2.gz`), 'a generation was compressed while dropship was stopped');
    } finally {
      t.child.kill('SIGKILL');
      await writer.stop();
      await server.close();
    }
  });
});

describe('tail: the syslog listener cannot be exhausted', () => {
  for (const cap of ['default', 'above the descriptor limit'] as const) {
    test(`260 idle TCP connections under a 200 descriptor limit (connection cap: ${cap}): tail stays up, a real sender's lines arrive, idle ones are closed after --syslog-idle-timeout`, async () => {
      const dir = tmp('idle');
      const server = await BulkServer.start();
      const port = freePort();
      const t = startTail(
        ['--syslog-tcp', `127.0.0.1:${port}`, '--es-hosts', server.url, '--state-dir', join(dir, 'state'), '--no-geoip', '--poll-interval', '100',
          '--summary-interval', '1', '--syslog-idle-timeout', '3', ...(cap === 'default' ? [] : ['--syslog-max-connections', '1000'])],
        ['sh', '-c', 'ulimit -n 200 && exec "$@"', 'sh'],
      );
      const sockets: Socket[] = [];
      try {
        assert.ok(await until(() => t.stderr().includes('listening for syslog'), 30_000), t.stderr());
        let closed = 0;
        for (let i = 0; i < 260; i++) {
          const s = connect(port, '127.0.0.1');
          s.on('error', () => undefined);
          s.on('close', () => closed++);
          sockets.push(s);
        }
        const openedAt = Date.now();
        // A real sender, as a router's syslog daemon does: it reconnects if it is turned away.
        const sent: number[] = [];
        for (let i = 0; i < 5; i++) {
          for (let attempt = 0; attempt < 20; attempt++) {
            try {
              await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-T', '--rfc3164', '-t', 'kernel',
                `DROP IN=ppp0 OUT= MAC= SRC=203.0.113.9 DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=${20000 + i} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0`]);
              sent.push(i);
              break;
            } catch {
              await delay(200);
            }
          }
        }
        assert.equal(sent.length, 5);
        assert.ok(await until(() => server.storedCount >= 5, 30_000), `${server.storedCount} of 5 arrived\n${t.stderr().slice(-3000)}`);
        assert.ok(await until(() => closed === 260, 30_000), `${closed} of 260 idle connections closed`);
        const allClosedAfter = Date.now() - openedAt;
        assert.ok(allClosedAfter >= 2500, `the last idle connection was closed after ${allClosedAfter} ms, before --syslog-idle-timeout 3`);
        assert.equal(t.child.exitCode, null, `tail died:\n${t.stderr().slice(-3000)}`);
        assert.doesNotMatch(t.stderr(), /Unhandled|uncaught|EMFILE: too many open files, uv_resident/i);
        await stopTail(t);
        const final = JSON.parse(logLines(t, /final summary/)[0]!) as { syslog: { tcpIdleClosed: number; tcpEvicted: number } };
        assert.ok(final.syslog.tcpIdleClosed > 0, JSON.stringify(final.syslog));
        // At most 100 kept (half the limit): the other 160 made room by closing the idlest.
        assert.ok(final.syslog.tcpEvicted >= 160, JSON.stringify(final.syslog));
        if (cap !== 'default') assert.equal(logLines(t, /--syslog-max-connections 1000 is more than half the open-files limit \(200\): keeping at most 100/).length, 1, t.stderr());
      } finally {
        for (const s of sockets) s.destroy();
        t.child.kill('SIGKILL');
        await server.close();
      }
    });
  }
});

const userns = canMountInUserNamespace();

describe('tail: a full disk under the state directory (a tmpfs in a mount namespace)', { skip: userns === true ? false : userns }, () => {
  test('ENOSPC for the spool and the checkpoints: no crash, reported once each, messages wait, everything arrives once space returns', async () => {
    const dir = tmp('enospc');
    const state = join(dir, 'state');
    mkdirSync(state);
    const log = join(dir, 'router.log');
    writeFileSync(log, Array.from({ length: 100 }, (_, n) => firewallLine(n, 'file')).join('\n') + '\n');
    const server = await BulkServer.start({ storeSources: false });
    const port = freePort();
    const t = startTail(
      [log, '--syslog-tcp', `127.0.0.1:${port}`, '--es-hosts', server.url, '--state-dir', state, '--summary-interval', '1', '--no-geoip', '--poll-interval', '100'],
      inOwnMountNamespace(state, 512 * 1024, []),
    );
    const seen = `/proc/${t.child.pid}/root${state}`; // the tmpfs, as the child sees it
    const sender = (from: number, to: number): Promise<void> => new Promise((ok, fail) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end(Array.from({ length: to - from }, (_, k) => `<4>${firewallLine(from + k, 'syslog')}\n`).join(''), () => ok());
      });
      s.on('error', fail);
    });
    try {
      assert.ok(await until(() => t.stderr().includes('listening for syslog'), 30_000), t.stderr());
      await sender(0, 50);
      assert.ok(await until(() => server.storedCount >= 150, 30_000), t.stderr().slice(-2000));
      fill(join(seen, 'filler'));
      await sender(50, 250);
      appendFileSync(log, Array.from({ length: 200 }, (_, n) => firewallLine(100 + n, 'file')).join('\n') + '\n');
      assert.ok(await until(() => logLines(t, /cannot write the syslog spool/).length > 0 && logLines(t, /cannot write state file/).length > 0, 30_000), t.stderr().slice(-3000));
      assert.ok(await until(() => server.storedCount >= 350, 30_000), 'lines of followed files still ship (their checkpoints wait in memory)');
      // Several retries of both while the disk stays full (the summary counts them).
      const retried = (): boolean => logLines(t, /"message":"summary"/).some((l) => {
        const s = JSON.parse(l) as { checkpoint_write_failures: number; syslog: { spool: { writeErrors: number } } };
        return s.checkpoint_write_failures >= 3 && s.syslog.spool.writeErrors >= 3;
      });
      assert.ok(await until(retried, 30_000), t.stderr().slice(-3000));
      assert.equal(t.child.exitCode, null, `tail died on a full disk:\n${t.stderr().slice(-3000)}`);
      assert.equal(logLines(t, /cannot write the syslog spool/).length, 1, 'reported once, not per retry');
      assert.equal(logLines(t, /cannot write state file/).length, 1, 'reported once, not per retry');
      assert.deepEqual(readdirSync(seen).filter((n) => n.endsWith('.tmp')), [], 'no temp files left behind');
      unfill(join(seen, 'filler'));
      assert.ok(await until(() => server.storedCount >= 550, 30_000), `${server.storedCount} of 550 indexed after space returned\n${t.stderr().slice(-3000)}`);
      assert.ok(await until(() => logLines(t, /checkpoints written again/).length === 1 && logLines(t, /syslog spool writable again/).length === 1, 10_000), t.stderr().slice(-3000));
      const ids = [...Array.from({ length: 300 }, (_, n) => firewallLineId(n, 'file'))];
      assert.deepEqual(ids.filter((id) => !server.hasId(id)), []);
      await stopTail(t);
      assert.equal(server.storedCount, 550);
    } finally {
      t.child.kill('SIGKILL');
      await server.close();
    }
  });
});

/** How to run the CLI as a user the file system says no to (root is not told no). */
function asUnprivileged(): { wrap: string[]; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], uid: 65534, gid: 65534 };
}
const nobody = asUnprivileged();

describe('tail: the state directory at start', () => {
  for (const what of ['files', 'syslog'] as const) {
    test(`an unwritable --state-dir ends tail at once with one line and exit 1 (${what})`, async () => {
      const dir = tmp('eacces');
      chmodSync(dir, 0o755);
      const state = join(dir, 'state');
      mkdirSync(state, { mode: 0o755 });
      chmodSync(state, nobody === undefined ? 0o555 : 0o755); // root-owned: not writable for nobody
      const log = join(dir, 'router.log');
      writeFileSync(log, firewallLine(1) + '\n');
      chmodSync(log, 0o644);
      const args = what === 'files' ? [log] : ['--syslog-udp', `127.0.0.1:${freePort()}`];
      const started = Date.now();
      const t = startTail([...args, '--state-dir', state, '--output', 'stdout', '--summary-interval', '0', '--no-geoip'], nobody?.wrap ?? []);
      const code = await Promise.race([exited(t.child), delay(20_000).then(() => 'still running')]);
      const took = Date.now() - started;
      t.child.kill('SIGKILL');
      assert.equal(code, 1, t.stderr());
      const lines = t.stderr().trim().split('\n');
      assert.equal(lines.length, 1, t.stderr());
      assert.match(lines[0]!, /^dropship: cannot use state directory .*state: EACCES \(permission denied\)$/);
      process.stdout.write(`# unwritable state dir (${what}): exit 1 after ${took} ms (including Node and tsx start-up)\n`);
    });
  }

  test('a second tail on the same state directory is refused with one line; the first goes on', async () => {
    const dir = tmp('twice');
    const log = join(dir, 'router.log');
    writeFileSync(log, firewallLine(1) + '\n');
    const out = join(dir, 'out.ndjson');
    const args = [log, '--state-dir', join(dir, 'state'), '--output', `ndjson:${out}`, '--summary-interval', '0', '--no-geoip'];
    const first = startTail(args);
    try {
      assert.ok(await until(() => first.stderr().includes('file opened'), 30_000), first.stderr());
      const second = startTail(args);
      assert.equal(await exited(second.child), 1, second.stderr());
      assert.match(second.stderr().trim(), new RegExp(`^dropship: state directory .* is in use by another dropship \\(pid ${first.child.pid}\\); stop it, or give this one its own --state-dir$`));
      assert.equal(first.child.exitCode, null);
      await stopTail(first);
      // Private: the directory 0700, checkpoints 0600.
      assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
      assert.equal(statSync(join(dir, 'state', 'files.json')).mode & 0o777, 0o600);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  test('an unreadable file and a glob that matches nothing: warned once each, followed once they can be', async () => {
    const dir = tmp('unreadable');
    chmodSync(dir, 0o777);
    const log = join(dir, 'ufw.log');
    writeFileSync(log, firewallLine(1, 'ufw') + '\n');
    chmodSync(log, 0o600); // as root:adm 0640 is for a user outside adm
    const glob = join(dir, 'later', '*.log');
    mkdirSync(join(dir, 'later'), { mode: 0o777 });
    chmodSync(join(dir, 'later'), 0o777);
    const state = join(dir, 'state');
    mkdirSync(state);
    if (nobody !== undefined) chownSync(state, nobody.uid, nobody.gid);
    else chmodSync(log, 0o000);
    const out = join(state, 'out.ndjson');
    const t = startTail([log, glob, '--state-dir', state, '--output', `ndjson:${out}`, '--summary-interval', '0', '--no-geoip', '--poll-interval', '50'], nobody?.wrap ?? []);
    try {
      const warned = (re: RegExp): number => logLines(t, re).filter((l) => l.includes('"log.level":"warn"')).length;
      assert.ok(await until(() => warned(/cannot read .*ufw\.log \(EACCES/) > 0 && warned(/matches no file/) > 0, 30_000), t.stderr());
      writeFileSync(join(dir, 'later', 'a.log'), firewallLine(2, 'glob') + '\n'); // seen many scans later
      assert.ok(await until(() => logLines(t, /matches a file now/).length > 0, 30_000), t.stderr());
      chmodSync(log, 0o644);
      assert.ok(await until(() => logLines(t, /ufw\.log is readable now/).length > 0, 30_000), t.stderr());
      assert.ok(await until(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 2, 30_000), t.stderr());
      await stopTail(t);
      assert.equal(warned(/cannot read .*ufw\.log/), 1, 'once per path, not per scan');
      assert.equal(warned(/matches no file/), 1);
      const originals = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { event: { original: string } }).event.original).sort();
      assert.deepEqual(originals, [firewallLine(1, 'ufw'), firewallLine(2, 'glob')].sort());
    } finally {
      t.child.kill('SIGKILL');
    }
  });
});
