import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { escapeMessage, Spool, spoolFileName } from '../../src/sources/live/spool.js';
import { parseListenAddress, SyslogListener } from '../../src/sources/live/syslog-listener.js';
import { tmp } from '../helpers/tmp-dir.js';

const run = promisify(execFile);

async function listen(opts: Partial<ConstructorParameters<typeof SyslogListener>[0]> = {}) {
  const got: { sender: string; message: string }[] = [];
  const l = new SyslogListener({
    udp: { host: '127.0.0.1', port: 0 },
    tcp: { host: '127.0.0.1', port: 0 },
    onMessage: (sender, message) => got.push({ sender, message }),
    ...opts,
  });
  const bound = await l.start();
  return { l, got, udp: bound.udp?.port ?? 0, tcp: bound.tcp?.port ?? 0 };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await delay(10);
  assert.ok(cond(), 'condition not met in time');
}

describe('syslog listener', () => {
  test('real logger(1) messages over UDP and TCP, RFC 3164 and RFC 5424', async () => {
    const { l, got, udp, tcp } = await listen();
    const line = 'DROP IN=ppp0 OUT= MAC= SRC=203.0.113.1 DST=198.51.100.1 LEN=40 PROTO=TCP SPT=1 DPT=23';
    await run('logger', ['-n', '127.0.0.1', '-P', String(udp), '-d', '--rfc3164', '-t', 'kernel', line]);
    await run('logger', ['-n', '127.0.0.1', '-P', String(udp), '-d', '--rfc5424', '-t', 'kernel', line]);
    await run('logger', ['-n', '127.0.0.1', '-P', String(tcp), '-T', '--rfc3164', '-t', 'kernel', line]);
    await run('logger', ['-n', '127.0.0.1', '-P', String(tcp), '-T', '--octet-count', '--rfc5424', '-t', 'kernel', line]);
    await until(() => got.length >= 4);
    await l.stop();
    assert.equal(got.length, 4);
    for (const m of got) {
      assert.equal(m.sender, '127.0.0.1');
      assert.ok(m.message.endsWith(line), m.message);
    }
    assert.match(got[0]!.message, /^<\d+>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: /);
    assert.match(got[1]!.message, /^<\d+>1 \d{4}-\d\d-\d\dT/);
    assert.match(got[3]!.message, /^<\d+>1 /);
  });

  test('TCP framing: LF, NUL and octet counting mixed on one connection', async () => {
    const { l, got, tcp } = await listen();
    const s = connect(tcp, '127.0.0.1');
    await new Promise((ok) => s.once('connect', ok));
    s.write('<4>one\n<4>tw');
    await delay(30);
    s.write('o\0' + '9 <4>three\n' + '<4>four\r\n');
    s.end('<4>five');
    await until(() => got.length >= 5);
    await l.stop();
    assert.deepEqual(got.map((m) => m.message), ['<4>one', '<4>two', '<4>three\n', '<4>four', '<4>five']);
  });

  test('senders outside --syslog-allow are dropped and counted', async () => {
    const { l, got, udp, tcp } = await listen({ allow: ['192.0.2.0/24'] });
    await run('logger', ['-n', '127.0.0.1', '-P', String(udp), '-d', 'denied']);
    const s = connect(tcp, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((ok) => s.once('close', ok));
    await until(() => l.counters.denied >= 2);
    await l.stop();
    assert.equal(got.length, 0);
    assert.equal(l.counters.denied, 2);
  });

  test('oversized messages are bounded', async () => {
    const { l, got, udp, tcp } = await listen({ maxMessageBytes: 100 });
    await run('logger', ['-n', '127.0.0.1', '-P', String(udp), '-d', '--size', '4000', 'x'.repeat(500)]);
    const s = connect(tcp, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((ok) => s.once('connect', ok));
    s.write('y'.repeat(1000));
    await until(() => l.counters.oversize >= 2);
    await l.stop();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.message.length, 100);
    assert.equal(l.counters.oversize, 2);
  });

  test('an idle TCP connection is closed after the idle timeout; one that talks stays open', async () => {
    const { l, got, tcp } = await listen({ idleTimeoutMs: 300 });
    const idle = connect(tcp, '127.0.0.1');
    const talker = connect(tcp, '127.0.0.1');
    for (const s of [idle, talker]) s.on('error', () => undefined);
    let talkerClosed = false;
    talker.on('close', () => (talkerClosed = true));
    let n = 0;
    const chatter = setInterval(() => talker.write(`<4>still here ${n++}\n`), 50);
    const idleClosedAt = new Promise<number>((ok) => idle.once('close', () => ok(Date.now())));
    const openedAt = Date.now();
    const closedAfter = (await idleClosedAt) - openedAt;
    clearInterval(chatter);
    assert.ok(closedAfter >= 250, `closed after ${closedAfter} ms, before the timeout`);
    assert.equal(talkerClosed, false, 'a connection that sends is not idle');
    assert.equal(l.counters.tcpIdleClosed, 1);
    await until(() => got.length >= n);
    talker.destroy();
    await l.stop();
  });

  test('at the connection cap, a new connection replaces the one idle longest: idle connections cannot lock a sender out', async () => {
    const { l, got, tcp } = await listen({ maxConnections: 3 });
    const idle: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const s = connect(tcp, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((ok) => s.once('connect', ok));
      idle.push(s);
      await until(() => l.counters.tcpOpen === i + 1);
    }
    const firstClosed = new Promise((ok) => idle[0]!.once('close', ok));
    const good = connect(tcp, '127.0.0.1');
    good.on('error', () => undefined);
    good.end('<4>a real message\n');
    await until(() => got.length === 1);
    await firstClosed; // the oldest idle one made room
    assert.equal(got[0]!.message, '<4>a real message');
    assert.equal(l.counters.tcpEvicted, 1);
    for (const s of idle) s.destroy();
    await l.stop();
  });

  test('a TCP flood faster than the spool is slowed down (sockets not read while it is full), not dropped', async () => {
    const dir = tmp('spool');
    try {
      const spool = new Spool({ dir, maxPendingBytes: 4096 });
      await spool.start();
      const { l, tcp } = await listen({ onMessage: (sender, message, canWait) => spool.append(sender, message, canWait), backpressure: spool });
      const N = 30_000;
      const s = connect(tcp, '127.0.0.1');
      s.on('error', () => undefined);
      // Writes of ~300 KiB each: one read of 64 KiB is already more than the spool may hold.
      for (let i = 0; i < N; i += 5000) s.write(Array.from({ length: 5000 }, (_, k) => `<4>flood ${i + k}\n`).join(''));
      s.end();
      await until(() => l.counters.received >= N, 30_000);
      await spool.sync();
      await l.stop();
      await spool.close();
      const lines = readFileSync(join(dir, '127.0.0.1.log'), 'utf8').split('\n').filter((x) => x !== '');
      assert.equal(spool.counters.dropped, 0);
      assert.ok(l.counters.tcpPaused > 0, 'the spool filled up, so reading paused');
      assert.deepEqual(lines, Array.from({ length: N }, (_, k) => `<4>flood ${k}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('listen addresses default to loopback', () => {
    assert.deepEqual(parseListenAddress('5514'), { host: '127.0.0.1', port: 5514 });
    assert.deepEqual(parseListenAddress('0.0.0.0:514'), { host: '0.0.0.0', port: 514 });
    assert.deepEqual(parseListenAddress('[::1]:5514'), { host: '::1', port: 5514 });
    assert.equal(parseListenAddress('70000'), undefined);
    assert.equal(parseListenAddress('host:port'), undefined);
  });
});

describe('spool', () => {
  test('one file per sender, one line per message, rotation keeps the raw archive', async () => {
    const dir = tmp('spool');
    const spool = new Spool({ dir, maxFileBytes: 200, keepFiles: 2 });
    await spool.start();
    for (let i = 0; i < 60; i++) spool.append('192.0.2.1', `<4>message ${i}\n`);
    spool.append('2001:db8::1', 'multi\nline');
    await spool.close();
    const files = readdirSync(dir).sort();
    assert.ok(files.includes('192.0.2.1.log') && files.includes('192.0.2.1.log.1') && files.includes('192.0.2.1.log.2'), files.join());
    assert.ok(!files.includes('192.0.2.1.log.3'));
    const kept = ['192.0.2.1.log.2', '192.0.2.1.log.1', '192.0.2.1.log'].flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
    assert.ok(kept.length < 60, 'the oldest file was removed');
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, k) => `<4>message ${60 - kept.length + k}`));
    assert.equal(readFileSync(join(dir, spoolFileName('2001:db8::1')), 'utf8'), 'multi#012line\n');
    // Every file knows its sender, under any of its names (by inode, not by guessing from a path).
    const senderOf = (name: string): string | undefined => {
      const st = statSync(join(dir, name));
      return spool.senderOf(st.dev, st.ino);
    };
    assert.equal(senderOf(spoolFileName('2001:db8::1')), '2001:db8::1');
    assert.equal(senderOf('192.0.2.1.log.2'), '192.0.2.1');
    assert.equal(senderOf('192.0.2.1.log'), '192.0.2.1');
    // A restarted spool registers the files it finds under its own names.
    const again = new Spool({ dir });
    await again.start();
    const st = statSync(join(dir, '192.0.2.1.log.1'));
    assert.equal(again.senderOf(st.dev, st.ino), '192.0.2.1');
    await again.close();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const other = statSync(join(dir, 'notes.txt'));
    assert.equal(spool.senderOf(other.dev, other.ino), undefined);
    assert.equal(escapeMessage('a\r\nb\n'), 'a#015#012b');
  });

  test('a burst faster than the disk is bounded in memory: the excess is dropped and counted, the rest written in order', async () => {
    const dir = tmp('spool');
    const spool = new Spool({ dir, maxPendingBytes: 1000 });
    await spool.start();
    // All appended before the first write can start: only ~1000 bytes may wait.
    const kept: string[] = [];
    for (let i = 0; i < 200; i++) if (spool.append('192.0.2.9', `<4>burst message ${i}`)) kept.push(`<4>burst message ${i}`);
    assert.ok(spool.counters.dropped > 0 && kept.length > 0);
    assert.equal(kept.length + spool.counters.dropped, 200);
    await spool.sync();
    // Once written, room is back.
    assert.equal(spool.append('192.0.2.9', '<4>after the burst'), true);
    await spool.close();
    assert.deepEqual(readFileSync(join(dir, '192.0.2.9.log'), 'utf8').split('\n').filter((l) => l !== ''), [...kept, '<4>after the burst']);
  });
});
