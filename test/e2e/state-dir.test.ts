/**
 * The state directory on bad days: a second shipper, a full disk, permissions.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { CheckpointStore, flushEvery, StateError, type FileCheckpoint } from '../../src/state/checkpoints.js';
import { lockStateDir } from '../../src/state/lock.js';
import { Spool, type SpoolDiskEvent } from '../../src/sources/live/spool.js';
import { fill, mountSmallDisk, unfill } from '../helpers/small-disk.js';
import { runCli } from '../helpers/import-cli.js';
import { tmp } from '../helpers/tmp-dir.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await delay(10);
  assert.ok(cond(), 'condition not met in time');
}

const checkpoint = (offset: number): FileCheckpoint => ({
  dev: 1, ino: 2, path: '/var/log/router.log', offset, generation: 1, fingerprint: 'f', fingerprintLength: 1, updated: new Date().toISOString(),
});

describe('state directory lock', () => {
  test('a second shipper on the same state directory is refused, naming the holder; released, it can be taken', async () => {
    const dir = tmp('state');
    const lock = await lockStateDir(dir, 'tail');
    await assert.rejects(lockStateDir(dir, 'tail'), (e: Error) => e instanceof StateError && e.message.includes(`in use by another dropship (pid ${process.pid})`));
    // Another name (import's records) is another lock.
    const other = await lockStateDir(dir, 'import');
    await other.release();
    await lock.release();
    const again = await lockStateDir(dir, 'tail');
    await again.release();
    assert.deepEqual(readdirSync(dir), [], 'nothing left behind');
  });

  test('a lock left by a process killed with -9 is taken over at once', async () => {
    const dir = tmp('state');
    const script = `import { lockStateDir } from ${JSON.stringify(join(import.meta.dirname, '../../src/state/lock.ts'))};
      await lockStateDir(${JSON.stringify(dir)}, 'tail'); console.log('locked'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && ok()));
    await assert.rejects(lockStateDir(dir, 'tail'), /in use by another dropship/);
    child.kill('SIGKILL');
    await new Promise((ok) => child.once('exit', ok));
    assert.ok(existsSync(join(dir, 'tail.lock')), 'the dead holder left its socket');
    const lock = await lockStateDir(dir, 'tail');
    await lock.release();
  });

  test('a state directory path longer than a socket address can hold still locks', async () => {
    const dir = join(tmp('state'), 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(dir, { recursive: true });
    const lock = await lockStateDir(dir, 'tail');
    await assert.rejects(lockStateDir(dir, 'tail'), /in use by another dropship/);
    await lock.release();
  });

  test('dropship import takes the import lock: refused with one line while another holds it, not while a tail runs, released when done', async () => {
    const dir = tmp('state');
    const state = join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    const log = join(dir, 'router.log');
    writeFileSync(log, '<4>Nov 16 00:00:01 router kernel: DROP IN=ppp0 OUT= SRC=203.0.113.5 DST=198.51.100.20 LEN=44 PROTO=TCP SPT=1024 DPT=23\n');
    const out = join(dir, 'out.ndjson');
    const args = ['import', log, '--output', `ndjson:${out}`, '--state-dir', state, '--timezone', 'UTC', '--workers', '0', '--no-geoip'];
    // This test process stands for the other import (the lock itself is tested across processes above).
    const held = await lockStateDir(state, 'import');
    const refused = await runCli(args);
    assert.equal(refused.status, 1, refused.stderr);
    assert.equal(refused.stderr.trim(), `dropship: state directory ${state} is in use by another dropship (pid ${process.pid}); stop it, or give this one its own --state-dir`);
    assert.ok(!existsSync(out), 'nothing was read or written');
    await held.release();
    // A tail on the same directory holds another lock: an import of archives may run beside it.
    const tail = await lockStateDir(state, 'tail');
    try {
      const ok = await runCli(args);
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 1);
    } finally {
      await tail.release();
    }
    assert.ok(!existsSync(join(state, 'import.lock')), 'released at the end of the run');
  });
});

describe('state directory permissions', () => {
  test('the directory is 0700 (an existing one of ours is tightened), checkpoint and spool files are 0600', async () => {
    const root = tmp('state');
    const fresh = join(root, 'fresh');
    const store = await CheckpointStore.open(fresh);
    store.set(checkpoint(10));
    await store.flush();
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    assert.equal(statSync(join(fresh, 'files.json')).mode & 0o777, 0o600);
    const old = join(root, 'old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    await CheckpointStore.open(old);
    assert.equal(statSync(old).mode & 0o777, 0o700);
    const spool = new Spool({ dir: join(fresh, 'spool') });
    await spool.start();
    spool.append('192.0.2.1', '<4>hello');
    await spool.close();
    assert.equal(statSync(join(fresh, 'spool')).mode & 0o777, 0o700);
    assert.equal(statSync(join(fresh, 'spool', '192.0.2.1.log')).mode & 0o777, 0o600);
  });
});

describe('checkpoints on a failing disk', () => {
  test('a failed write (ENOSPC injected at the temp file: a symlink to /dev/full) keeps the old file, leaves no temp file, is reported once and retried', async () => {
    const dir = tmp('state');
    const store = await CheckpointStore.open(dir);
    store.set(checkpoint(10));
    await store.flush();
    const before = readFileSync(join(dir, 'files.json'), 'utf8');
    symlinkSync('/dev/full', join(dir, `files.json.${process.pid}.tmp`));
    store.advance(1, 2, 1, 20);
    const events: string[] = [];
    let leftAfterFailure: string[] = [];
    let contentAfterFailure = '';
    const timer = flushEvery(store, 20, {
      failed: (e) => {
        events.push(`failed: ${e.message}`);
        leftAfterFailure = readdirSync(dir);
        contentAfterFailure = readFileSync(join(dir, 'files.json'), 'utf8');
      },
      recovered: (n) => events.push(`recovered after ${n}`),
    });
    try {
      await until(() => events.length >= 2);
    } finally {
      timer.stop();
    }
    assert.equal(contentAfterFailure, before, 'the old file is intact');
    assert.deepEqual(leftAfterFailure, ['files.json'], 'the temp file is removed after the failure');
    // The next write made a real temp file, and went through.
    assert.equal((JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as { files: FileCheckpoint[] }).files[0]!.offset, 20);
    assert.equal(events.length, 2, events.join('\n'));
    assert.match(events[0]!, /^failed: cannot write state file .*files\.json: ENOSPC \(no space left on device\)$/);
    assert.match(events[1]!, /^recovered after \d+$/);
  });
});

const tmpfsDir = join(tmp('fulldisk'), 'disk');
const disk = mountSmallDisk(tmpfsDir, 256 * 1024);

describe('a real full disk (tmpfs)', { skip: typeof disk === 'string' ? disk : false }, () => {
  after(() => {
    if (typeof disk !== 'string') disk.unmount();
  });

  test('checkpoints and the spool: ENOSPC counted, nothing crashes, what is on disk stays, everything is written once space returns', async () => {
    const filler = join(tmpfsDir, 'filler');
    const store = await CheckpointStore.open(tmpfsDir);
    store.set(checkpoint(10));
    await store.flush();
    const diskEvents: SpoolDiskEvent[] = [];
    const spool = new Spool({ dir: join(tmpfsDir, 'spool'), retryMs: 20, onDiskEvent: (e) => diskEvents.push(e) });
    await spool.start();
    spool.append('192.0.2.1', '<4>before the disk filled up');
    await spool.sync();
    fill(filler);
    const during = Array.from({ length: 500 }, (_, i) => `<4>while full ${i} ${'x'.repeat(100)}`);
    for (const m of during) assert.ok(spool.append('192.0.2.1', m), 'kept in memory (under the bound)');
    store.advance(1, 2, 1, 99);
    await assert.rejects(store.flush(), /ENOSPC/);
    await until(() => spool.counters.writeErrors >= 3);
    assert.equal(diskEvents.length, 1, 'reported once');
    assert.equal(diskEvents[0]!.type, 'failing');
    assert.deepEqual(readdirSync(tmpfsDir).filter((n) => n.includes('.tmp')), []);
    assert.match(readFileSync(join(tmpfsDir, 'spool', '192.0.2.1.log'), 'utf8'), /^<4>before the disk filled up\n/);
    unfill(filler);
    await spool.sync();
    await store.flush();
    await spool.close();
    assert.deepEqual(diskEvents.map((e) => e.type), ['failing', 'recovered']);
    assert.equal(spool.counters.dropped, 0);
    const lines = readFileSync(join(tmpfsDir, 'spool', '192.0.2.1.log'), 'utf8').split('\n').filter((l) => l !== '');
    assert.deepEqual(lines, ['<4>before the disk filled up', ...during], 'in order, each once, none cut');
    assert.equal((JSON.parse(readFileSync(join(tmpfsDir, 'files.json'), 'utf8')) as { files: FileCheckpoint[] }).files[0]!.offset, 99);
  });
});
