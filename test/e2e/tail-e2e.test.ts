/**
 * `dropship tail` end to end, as a user runs it: the real CLI in a child process, real files,
 * the real logrotate, real syslog sent by logger(1) over loopback, and the loopback `_bulk`
 * server of test/helpers/bulk-server.ts standing in for Elasticsearch.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hasTool } from '../helpers/tools.js';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { documentId } from '../../src/model/doc-id.js';
import { BulkServer } from '../helpers/bulk-server.js';
import { firewallLineId } from '../helpers/firewall-line.js';
import { startWriter } from '../helpers/log-writer.js';
import { binNodeFlags, CLI, exited, startTail, until } from '../helpers/tail-cli.js';
import { tmp } from '../helpers/tmp-dir.js';

const run = promisify(execFile);

/** A netfilter line with its own ISO timestamp, so its document id is known in advance. */
function line(n: number, tag = 'e2e'): { text: string; id: string } {
  const ts = new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
  const text = `${ts} gw kernel: DROP IN=ppp0 OUT= MAC= SRC=203.0.113.${n % 250 + 1} DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=${n % 65536} PROTO=TCP SPT=${1024 + (n % 60000)} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 ${tag}=${n}`;
  return { text, id: documentId(ts, text) };
}

describe('dropship tail → Elasticsearch', () => {
  test('crash test: kill -9 at random moments, restart, every line indexed exactly once, identical lines of a second included', async () => {
    const dir = tmp('crash');
    const log = join(dir, 'router.log');
    const ids: string[] = [];
    const out = createWriteStream(log);
    // Every third second logs one packet 2–5 times, so checkpoints fall among them. (The killed
    // run has usually stored some lines past its last checkpoint; that a restart numbers the
    // lines after a checkpoint right is shown where nothing past it was stored, in the test below
    // and in the follower's model test.)
    for (let n = 0; ids.length < 200_000; n++) {
      const l = line(n);
      for (let k = 0; k < (n % 3 === 0 ? 2 + (n % 4) : 1); k++) {
        ids.push(documentId(l.text.slice(0, 24), l.text, k));
        if (!out.write(l.text + '\n')) await new Promise<void>((ok) => out.once('drain', () => ok()));
      }
    }
    const N = ids.length;
    await new Promise((ok) => out.end(ok));
    const server = await BulkServer.start({ storeSources: false });
    const args = [log, '--es-hosts', server.url, '--state-dir', join(dir, 'state'), '--summary-interval', '0', '--no-geoip'];
    try {
      let kills = 0;
      for (let round = 0; round < 4 && server.storedCount < N; round++) {
        const t = startTail(args);
        // Kill somewhere between "just started" and "well into the file".
        const before = server.storedCount;
        await until(() => server.storedCount > before + 1000 + Math.random() * 30_000, 60_000);
        t.child.kill('SIGKILL');
        await exited(t.child);
        kills++;
      }
      const last = startTail(args);
      const complete = await until(() => server.storedCount >= N, 180_000);
      last.child.kill('SIGTERM');
      assert.equal(await exited(last.child), 0, last.stderr());
      assert.ok(kills >= 1);
      assert.ok(complete, `only ${server.storedCount} of ${N} lines indexed`);
      assert.equal(server.storedCount, N, 'no line indexed twice');
      const missing = ids.filter((id) => !server.hasId(id));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} lines never reached Elasticsearch`);
    } finally {
      await server.close();
    }
  });

  test('killed between two identical lines of one second and restarted: both are indexed, once each; a replay adds none', async () => {
    const dir = tmp('same-second');
    const log = join(dir, 'router.log');
    const before = line(6, 'same').text;
    // A retransmitted SYN: the same packet logged twice in one second.
    const same = line(7, 'same');
    const ts = same.text.slice(0, 24);
    writeFileSync(log, `${before}\n${same.text}\n`);
    const server = await BulkServer.start({ storeSources: false });
    const checkpoint = (state: string): { offset: number; context?: number } | undefined => {
      try {
        return (JSON.parse(readFileSync(join(state, 'files.json'), 'utf8')) as { files: { offset: number; context?: number }[] }).files[0];
      } catch {
        return undefined;
      }
    };
    const ship = async (state: string, stop: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
      const size = statSync(log).size;
      const t = startTail([log, '--es-hosts', server.url, '--state-dir', state, '--summary-interval', '0', '--no-geoip']);
      assert.ok(await until(() => checkpoint(state)?.offset === size, 30_000), `checkpoint ${JSON.stringify(checkpoint(state))} of ${size}\n${t.stderr()}`);
      t.child.kill(stop);
      await exited(t.child);
    };
    try {
      const state = join(dir, 'state');
      await ship(state, 'SIGKILL');
      assert.equal(server.storedCount, 2);
      // The checkpoint says where the last second's lines began: a restart counts them again.
      assert.deepEqual(checkpoint(state), { ...checkpoint(state), offset: before.length + 1 + same.text.length + 1, context: before.length + 1 });
      appendFileSync(log, `${same.text}\n`);
      await ship(state, 'SIGTERM');
      assert.equal(server.storedCount, 3, 'the second of the identical lines is a document of its own');
      assert.ok(server.hasId(documentId(ts, same.text, 0)), 'the first keeps the id it had');
      assert.ok(server.hasId(documentId(ts, same.text, 1)));
      // Everything read again from the start (a new state directory): nothing new.
      await ship(join(dir, 'state-again'), 'SIGTERM');
      assert.equal(server.storedCount, 3);
    } finally {
      await server.close();
    }
  });

  const hasLogrotate = hasTool('logrotate');

  test('logrotate (create + compress) while a writer appends: every line exactly once', { skip: !hasLogrotate && !process.env.CI ? 'logrotate not installed' : false }, async () => {
    const dir = tmp('rotate-e2e');
    const log = join(dir, 'router.log');
    writeFileSync(log, '');
    const conf = join(dir, 'logrotate.conf');
    writeFileSync(conf, `${log} {\n  create\n  compress\n  delaycompress\n  rotate 10\n}\n`);
    const server = await BulkServer.start({ storeSources: false });
    const t = startTail([log, '--es-hosts', server.url, '--state-dir', join(dir, 'state'), '--summary-interval', '0', '--no-geoip', '--poll-interval', '50']);
    // Files rotated away before dropship first looks are not its business: start writing once it follows.
    assert.ok(await until(() => t.stderr().includes('file opened'), 30_000), t.stderr());
    // The writer runs in its own process, so this one (which hosts the _bulk server) stays
    // responsive; it never creates router.log itself (see test/helpers/log-writer.ts: a writer
    // that did could race logrotate between its rename and its create).
    const writer = startWriter(log, 4000, 'rot');
    const ids: string[] = [];
    try {
      for (let r = 0; r < 3; r++) {
        await delay(700);
        await run('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf]);
      }
      await delay(300);
      const n = await writer.stop();
      assert.ok(n > 1000, `writer wrote ${n} lines`);
      for (let k = 0; k < n; k++) ids.push(firewallLineId(k, 'rot'));
      const complete = await until(() => server.storedCount >= ids.length, 60_000);
      const lost = ids.map((id, k) => [id, k] as const).filter(([id]) => !server.hasId(id)).map(([, k]) => k);
      assert.ok(complete, `only ${server.storedCount} of ${ids.length} indexed; missing lines ${lost[0]}…${lost[lost.length - 1]} (${lost.length})\n${t.stderr().slice(-3000)}`);
      t.child.kill('SIGTERM'); // it finishes what it read: anything extra would be indexed by now
      assert.equal(await exited(t.child), 0, t.stderr().slice(-3000));
      assert.equal(server.storedCount, ids.length);
      const missing = ids.map((id, n) => [id, n] as const).filter(([id]) => !server.hasId(id)).map(([, n]) => n);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} lines missing`);
    } finally {
      await writer.stop();
      t.child.kill('SIGTERM');
      await exited(t.child);
      await server.close();
    }
  });

  test('syslog from logger(1) over UDP and TCP, RFC 3164 and 5424, through an Elasticsearch outage', async () => {
    const dir = tmp('syslog-e2e');
    const server = await BulkServer.start();
    // Free ports: bind, note, release (a small race, acceptable in a test).
    const free = (): number => {
      const out = execFileSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"]);
      return Number(out.toString().trim());
    };
    const udp = free();
    const tcp = free();
    const t = startTail(['--syslog-udp', `127.0.0.1:${udp}`, '--syslog-tcp', `127.0.0.1:${tcp}`, '--es-hosts', server.url,
      '--state-dir', join(dir, 'state'), '--summary-interval', '0', '--no-geoip', '--poll-interval', '50']);
    try {
      assert.ok(await until(() => t.stderr().includes('listening for syslog'), 20_000), t.stderr());
      const send = (i: number, transport: string[], format: string): void => {
        execFileSync('logger', ['-n', '127.0.0.1', ...transport, format, '-t', 'kernel',
          `DROP IN=ppp0 OUT= MAC= SRC=203.0.113.7 DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=${10000 + i} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0`]);
      };
      const variants: [string[], string][] = [
        [['-P', String(udp), '-d'], '--rfc3164'], [['-P', String(udp), '-d'], '--rfc5424'],
        [['-P', String(tcp), '-T'], '--rfc3164'], [['-P', String(tcp), '-T', '--octet-count'], '--rfc5424'],
      ];
      let i = 0;
      for (; i < 40; i++) send(i, ...variants[i % 4]!);
      await server.refuseConnections(); // Elasticsearch goes away...
      for (; i < 80; i++) send(i, ...variants[i % 4]!);
      // The outage lasts until the shipper has met it (a failed request, backing off), not a guessed time.
      assert.ok(await until(() => t.stderr().includes('failed, retrying with backoff'), 30_000), t.stderr().slice(-2000));
      await server.acceptConnections(); // ...and comes back
      for (; i < 120; i++) send(i, ...variants[i % 4]!);
      const all = await until(() => server.storedCount >= 120, 60_000);
      assert.ok(all, `only ${server.storedCount} of 120 messages indexed\n${t.stderr().slice(-2000)}`);
      const ports = new Set(server.documents().map((d) => (d as { source: { port: number } }).source.port));
      assert.equal(ports.size, 120);
      const observers = new Set(server.documents().map((d) => JSON.stringify((d as { observer: { ip: string[] } }).observer.ip)));
      assert.deepEqual([...observers], ['["127.0.0.1"]']);
    } finally {
      t.child.kill('SIGTERM');
      await exited(t.child);
      await server.close();
    }
  });

  test('Elasticsearch unreachable: the heap stays bounded, SIGTERM exits within --shutdown-timeout, nothing is lost', async () => {
    const dir = tmp('unreachable');
    const log = join(dir, 'router.log');
    const N = 20_000;
    writeFileSync(log, Array.from({ length: N }, (_, n) => line(n, 'down').text).join('\n') + '\n');
    const state = join(dir, 'state');
    // A port nobody listens on: every request fails with ECONNREFUSED, full 2 MB bodies included.
    const closed = await BulkServer.start({ storeSources: false });
    const deadUrl = closed.url;
    await closed.close();
    const common = ['--state-dir', state, '--summary-interval', '0', '--no-geoip', '--shutdown-timeout', '2'];
    const t = startTail([log, '--es-hosts', deadUrl, ...common], [], binNodeFlags());
    const failures = (): number => t.stderr().split('bulk request failed').length - 1;
    assert.ok(await until(() => failures() >= 6 || t.child.exitCode !== null, 60_000), t.stderr().slice(-3000));
    assert.equal(t.child.exitCode, null, `dropship died while Elasticsearch was unreachable:\n${t.stderr().slice(-3000)}`);
    const stopAt = Date.now();
    t.child.kill('SIGTERM');
    assert.equal(await exited(t.child), 0, t.stderr().slice(-3000));
    const took = Date.now() - stopAt;
    assert.ok(took < 8000, `exit took ${took} ms with --shutdown-timeout 2`);
    assert.match(t.stderr(), /output not settled 2 s after SIGTERM/);
    // Nothing was acknowledged, so the next start ships everything.
    const server = await BulkServer.start({ storeSources: false });
    try {
      const again = startTail([log, '--es-hosts', server.url, ...common]);
      assert.ok(await until(() => server.storedCount >= N, 120_000), `stored ${server.storedCount}/${N}\n${again.stderr().slice(-2000)}`);
      again.child.kill('SIGTERM');
      assert.equal(await exited(again.child), 0, again.stderr().slice(-2000));
      assert.equal(server.storedCount, N);
    } finally {
      await server.close();
    }
  });

  test('--bulk-max-bytes bounds every request; summaries report each thread\'s memory (one thread by default)', async () => {
    const dir = tmp('bulkbytes');
    const log = join(dir, 'router.log');
    writeFileSync(log, Array.from({ length: 3000 }, (_, n) => line(n, 'bulk').text).join('\n') + '\n');
    const server = await BulkServer.start({ storeSources: false });
    try {
      const tail = startTail([log, '--es-hosts', server.url, '--state-dir', join(dir, 'state'), '--no-geoip', '--bulk-max-bytes', '50000', '--summary-interval', '1']);
      assert.ok(await until(() => server.storedCount === 3000, 60_000), `stored ${server.storedCount}/3000\n${tail.stderr()}`);
      // No request above the limit: the bytes received need at least this many requests.
      assert.ok(server.bulkRequests >= Math.ceil(server.bytesReceived / 50_000), `${server.bulkRequests} requests for ${server.bytesReceived} bytes`);
      type Summary = { message: string; memory: { worker_heap_mib: number[] } };
      const summaries = (): Summary[] => tail.stderr().split('\n').filter((l) => l.includes('"summary"')).map((l) => JSON.parse(l) as Summary);
      assert.ok(await until(() => summaries().length > 0, 10_000), tail.stderr());
      assert.equal(summaries()[0]!.memory.worker_heap_mib.length, 1, 'tail parses on one thread unless --workers says otherwise');
      tail.child.kill('SIGTERM');
      assert.equal(await exited(tail.child), 0, tail.stderr());
      const final = tail.stderr().split('\n').filter((l) => l.includes('final summary')).map((l) => JSON.parse(l) as { memory: { rss_mib: number; heap_mib: number; worker_heap_mib: number[] } })[0];
      assert.ok(final !== undefined, tail.stderr());
      assert.ok(final.memory.rss_mib > 0 && final.memory.heap_mib > 0);
      assert.equal(final.memory.worker_heap_mib.length, 0, 'parser threads are closed before the final summary');
    } finally {
      await server.close();
    }
  });

  test('--output ndjson:<file> gets every line once and checkpoints; an unwritable output ends tail with an error', async () => {
    const N = 30_000;
    const dir = tmp('ndjson');
    const log = join(dir, 'router.log');
    const texts = Array.from({ length: N }, (_, n) => line(n, 'nd').text);
    writeFileSync(log, texts.join('\n') + '\n');
    const size = readFileSync(log).length;
    const offset = (state: string): number => {
      try {
        return (JSON.parse(readFileSync(join(state, 'files.json'), 'utf8')) as { files: { offset: number }[] }).files[0]?.offset ?? -1;
      } catch {
        return -1;
      }
    };

    // A file, and /dev/null (a device: fsync there fails with EINVAL, which once stalled tail).
    for (const target of [join(dir, 'out.ndjson'), '/dev/null']) {
      const state = join(dir, `state-${target === '/dev/null' ? 'null' : 'file'}`);
      const tail = startTail([log, '--output', `ndjson:${target}`, '--no-geoip', '--state-dir', state, '--summary-interval', '0'], [], binNodeFlags());
      assert.ok(await until(() => offset(state) === size, 60_000), `${target}: checkpoint ${offset(state)} of ${size}\n${tail.stderr()}`);
      tail.child.kill('SIGTERM');
      assert.equal(await exited(tail.child), 0, tail.stderr());
      if (target !== '/dev/null') {
        const originals = readFileSync(target, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { event: { original: string } }).event.original);
        assert.deepEqual(originals, texts);
      }
    }

    // /dev/full: every write fails with ENOSPC. tail must say so and exit, not wait for room.
    const state = join(dir, 'state-full');
    const started = Date.now();
    const full = startTail([log, '--output', 'ndjson:/dev/full', '--no-geoip', '--state-dir', state, '--summary-interval', '0']);
    const ended = await until(() => full.child.exitCode !== null, 30_000);
    if (!ended) full.child.kill('SIGKILL');
    assert.equal(await exited(full.child), 1, full.stderr());
    assert.match(full.stderr(), /dropship: cannot write output: ENOSPC/);
    assert.ok(Date.now() - started < 30_000);
    assert.ok(offset(state) <= 0, 'nothing was written, so nothing is checkpointed');
  });

  test('--output stdout into a pipe that closes (`| head`): one error line and exit 1, not a crash', async () => {
    const dir = tmp('epipe');
    const log = join(dir, 'router.log');
    writeFileSync(log, Array.from({ length: 20_000 }, (_, n) => line(n, 'pipe').text).join('\n') + '\n');
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'tail', log, '--output', 'stdout', '--no-geoip', '--state-dir', join(dir, 'state'), '--summary-interval', '0'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    // Read one chunk, then go away as `head` does.
    await new Promise<void>((ok) => child.stdout!.once('data', () => ok()));
    child.stdout!.destroy();
    const ended = await until(() => child.exitCode !== null, 30_000);
    if (!ended) child.kill('SIGKILL');
    assert.equal(await exited(child), 1, err);
    assert.match(err, /dropship: cannot write output: .*EPIPE/);
    assert.doesNotMatch(err, /Unhandled 'error' event/);
  });

  test('stdin to --output stdout; usage errors exit 2', async () => {
    const input = [line(1).text, line(2).text].join('\n') + '\n';
    const r = execFileSync(process.execPath, ['--import', 'tsx', CLI, 'tail', '-', '--output', 'stdout', '--no-geoip', '--state-dir', tmp('stdin'), '--summary-interval', '0'], { input, env: { PATH: process.env.PATH ?? '' } });
    const docs = r.toString().trim().split('\n').map((l) => JSON.parse(l) as { destination: { port: number } });
    assert.equal(docs.length, 2);
    for (const bad of [['--output', 'kafka'], ['--syslog-udp', 'nope'], ['--bulk-max-bytes', '0'], ['--poll-interval', '0'], ['--summary-interval', 'x']]) {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', CLI, 'tail', '/nonexistent', ...bad], { stdio: 'pipe', timeout: 30_000 });
        assert.fail('should exit non-zero');
      } catch (e) {
        assert.equal((e as { status: number }).status, 2, String((e as { stderr: Buffer }).stderr));
      }
    }
  });
});
