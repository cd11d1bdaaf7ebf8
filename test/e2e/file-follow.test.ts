import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hasTool } from '../helpers/tools.js';
import { setTimeout as delay } from 'node:timers/promises';
import { FileFollower, type FollowOptions } from '../../src/sources/live/file-follow.js';
import { decodeLines } from '../../src/sources/framing/line-bytes.js';
import { CheckpointStore, StateError } from '../../src/state/checkpoints.js';

/** Runs a follower that settles every batch at once (as a sink would), collecting its lines. */
async function follow(patterns: string[], stateDir: string, extra: Partial<FollowOptions> = {}) {
  const store = await CheckpointStore.open(stateDir);
  const follower = new FileFollower({ patterns, store, startAt: 'beginning', pollIntervalMs: 30, drainGraceMs: 250, ...extra });
  const lines: string[] = [];
  const ac = new AbortController();
  const done = (async () => {
    for await (const batch of follower.batches(ac.signal)) {
      lines.push(...decodeLines(batch.data));
      follower.commit(batch);
    }
  })();
  return {
    lines,
    store,
    async waitFor(n: number, ms = 10_000): Promise<void> {
      const until = Date.now() + ms;
      while (lines.length < n && Date.now() < until) await delay(20);
    },
    async stop(): Promise<void> {
      ac.abort();
      await done;
      await store.flush();
    },
  };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'dropship-follow-'));
}

const seqLines = (from: number, to: number, prefix = 'line'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);

describe('file follower', () => {
  test('partial last line is held until its newline arrives', async () => {
    const dir = tmp();
    const log = join(dir, 'router.log');
    writeFileSync(log, 'first\nsec');
    const f = await follow([log], join(dir, 'state'));
    await f.waitFor(1);
    await delay(150);
    assert.deepEqual(f.lines, ['first']);
    appendFileSync(log, 'ond\nthird\n');
    await f.waitFor(3);
    await f.stop();
    assert.deepEqual(f.lines, ['first', 'second', 'third']);
  });

  test('a restart resumes exactly after the last settled line', async () => {
    const dir = tmp();
    const log = join(dir, 'router.log');
    writeFileSync(log, seqLines(0, 100).join('\n') + '\n');
    const a = await follow([join(dir, '*.log')], join(dir, 'state'));
    await a.waitFor(100);
    await a.stop();
    appendFileSync(log, seqLines(100, 150).join('\n') + '\n');
    const b = await follow([join(dir, '*.log')], join(dir, 'state'));
    await b.waitFor(50);
    await delay(100);
    await b.stop();
    assert.deepEqual(a.lines, seqLines(0, 100));
    assert.deepEqual(b.lines, seqLines(100, 150));
  });

  test('--start-at end skips what was there at start, not what comes later or in new files', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.log'), 'old\n');
    const f = await follow([join(dir, '*.log')], join(dir, 'state'), { startAt: 'end' });
    await delay(150);
    appendFileSync(join(dir, 'a.log'), 'new\n');
    writeFileSync(join(dir, 'b.log'), 'other\n');
    await f.waitFor(2);
    await f.stop();
    assert.deepEqual(f.lines.sort(), ['new', 'other']);
  });

  test('while running: truncation starts a file over, a deleted file is read to its end, a new match is picked up', async () => {
    const dir = tmp();
    const a = join(dir, 'a.log');
    writeFileSync(a, seqLines(0, 50, 'a').join('\n') + '\n');
    const f = await follow([join(dir, '*.log')], join(dir, 'state'));
    await f.waitFor(50);
    // Truncated in place (same inode) and rewritten shorter, as `> file` or copytruncate do.
    writeFileSync(a, seqLines(0, 3, 'after-truncate').join('\n') + '\n');
    await f.waitFor(53);
    // Lines appended just before the file is deleted are still read from the open descriptor.
    appendFileSync(a, seqLines(0, 20, 'last-words').join('\n') + '\n');
    rmSync(a);
    await f.waitFor(73);
    writeFileSync(join(dir, 'c.log'), seqLines(0, 5, 'c').join('\n') + '\n');
    await f.waitFor(78);
    await delay(200);
    await f.stop();
    assert.deepEqual(f.lines, [
      ...seqLines(0, 50, 'a'), ...seqLines(0, 3, 'after-truncate'), ...seqLines(0, 20, 'last-words'), ...seqLines(0, 5, 'c'),
    ]);
  });

  test('a file rotated away while dropship was stopped is finished on restart', async () => {
    const dir = tmp();
    const log = join(dir, 'router.log');
    writeFileSync(log, seqLines(0, 10).join('\n') + '\n');
    const a = await follow([log], join(dir, 'state'));
    await a.waitFor(10);
    await a.stop();
    appendFileSync(log, seqLines(10, 20).join('\n') + '\n'); // written, then rotated, while down
    renameSync(log, `${log}.1`);
    writeFileSync(log, seqLines(20, 25).join('\n') + '\n');
    const b = await follow([log], join(dir, 'state'));
    await b.waitFor(15);
    await delay(400);
    await b.stop();
    assert.deepEqual([...b.lines].sort(), seqLines(10, 25).sort());
  });

  test('a reused inode with other content does not inherit the old position', async () => {
    const dir = tmp();
    const log = join(dir, 'router.log');
    writeFileSync(log, 'aaaa\nbbbb\n');
    const a = await follow([log], join(dir, 'state'));
    await a.waitFor(2);
    await a.stop();
    writeFileSync(log, 'cccc\ndddd\neeee\n'); // same inode, new content (truncated and rewritten while down)
    const b = await follow([log], join(dir, 'state'));
    await b.waitFor(3);
    await b.stop();
    assert.deepEqual(b.lines, ['cccc', 'dddd', 'eeee']);
  });

  test('corrupt or foreign state is a clear error, not a silent re-read', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'files.json'), '{"format": "something-else"}');
    await assert.rejects(CheckpointStore.open(dir), (e: Error) => e instanceof StateError && /not a dropship checkpoint file/.test(e.message));
    writeFileSync(join(dir, 'files.json'), '{not json');
    await assert.rejects(CheckpointStore.open(dir), (e: Error) => e instanceof StateError && /corrupt/.test(e.message));
  });
});

const hasLogrotate = hasTool('logrotate');

describe('rotation by the real logrotate while a writer appends', { skip: !hasLogrotate && !process.env.CI ? 'logrotate not installed (apt-get install logrotate)' : false }, () => {
  for (const mode of ['create', 'copytruncate', 'compress\n  delaycompress'] as const) {
    test(`logrotate ${mode.split('\n')[0]}: every line arrives exactly once`, async () => {
      const dir = tmp();
      const log = join(dir, 'router.log');
      writeFileSync(log, '');
      const conf = join(dir, 'logrotate.conf');
      writeFileSync(conf, `${log} {\n  ${mode}\n  rotate 10\n  missingok\n  notifempty\n}\n`);
      const f = await follow([log], join(dir, 'state'));
      let n = 0;
      const writer = setInterval(() => {
        // appendFileSync opens the path each time, like a syslog daemon re-opened after rotation.
        appendFileSync(log, seqLines(n, n + 20, mode.split('\n')[0]).join('\n') + '\n');
        n += 20;
      }, 3);
      for (let r = 0; r < 4; r++) {
        await delay(500);
        execFileSync('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf]);
      }
      await delay(200);
      clearInterval(writer);
      await f.waitFor(n, 15_000);
      await delay(500);
      await f.stop();
      // copytruncate has a window between copy and truncate in which appended lines end up in
      // no file at all (logrotate's manual says so); what exists on disk must all arrive.
      const onDisk = new Set(
        readdirSync(dir)
          .filter((f) => f.startsWith('router.log'))
          .flatMap((f) => {
            const raw = readFileSync(join(dir, f));
            return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter((l) => l !== '');
          }),
      );
      const written = seqLines(0, n, mode.split('\n')[0]);
      const expected = mode === 'copytruncate' ? written.filter((l) => onDisk.has(l)) : written;
      if (mode !== 'copytruncate') assert.equal(onDisk.size, n, 'every written line is in some file');
      const got = new Map<string, number>();
      for (const l of f.lines) got.set(l, (got.get(l) ?? 0) + 1);
      const missing = expected.filter((l) => !got.has(l));
      const twice = [...got].filter(([, c]) => c > 1).map(([l]) => l);
      assert.ok(n > 1000, `writer wrote ${n} lines`);
      assert.ok(expected.length > n * 0.9, `${n - expected.length} lines lost by logrotate itself`);
      assert.deepEqual(missing, [], `${missing.length} of ${expected.length} lines lost; files: ${readdirSync(dir).join(', ')}`);
      assert.deepEqual(twice, [], `${twice.length} lines delivered twice`);
      assert.equal(f.lines.length, expected.length);
      if (mode.startsWith('compress')) assert.ok(existsSync(`${log}.2.gz`), 'logrotate compressed a rotated file');
    });
  }
});
