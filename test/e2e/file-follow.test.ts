import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { hasTool } from '../helpers/tools.js';
import { startWriter } from '../helpers/log-writer.js';
import { firewallLine } from '../helpers/firewall-line.js';
import { tmp } from '../helpers/tmp-dir.js';
import { FileFollower, type FileBatch, type FollowEvent, type FollowOptions } from '../../src/sources/live/file-follow.js';
import { decodeLines } from '../../src/sources/framing/line-bytes.js';
import { CheckpointStore, StateError } from '../../src/state/checkpoints.js';

/**
 * Runs a follower the way tail does, collecting its lines: a sink that settles each batch at
 * once, unless the test stalls it (it stops taking batches, as a pipeline waiting for
 * Elasticsearch does) or holds its acknowledgements.
 */
/** Followers a failed test did not stop: stopped after it, so they cannot keep the file's process alive. */
const open = new Set<{ stop(): Promise<void> }>();
afterEach(async () => {
  for (const f of [...open]) await f.stop();
});

async function follow(patterns: string[], stateDir: string, extra: Partial<FollowOptions> = {}) {
  const store = await CheckpointStore.open(stateDir);
  const events: FollowEvent[] = [];
  const follower = new FileFollower({ patterns, store, startAt: 'beginning', pollIntervalMs: 20, drainGraceMs: 100, onEvent: (e) => events.push(e), ...extra });
  await follower.start();
  const lines: string[] = [];
  const ac = new AbortController();
  let stalled: { promise: Promise<void>; resume: () => void } | undefined;
  let held: FileBatch[] | undefined;
  const done = (async () => {
    for await (const batch of follower.batches(ac.signal)) {
      if (stalled !== undefined) await stalled.promise;
      if (ac.signal.aborted) break;
      lines.push(...decodeLines(batch.data));
      if (held !== undefined) held.push(batch);
      else follower.commit(batch);
    }
  })();
  const f = {
    lines,
    store,
    events,
    follower,
    /** Waits until `n` lines arrived (or `ms` passed). */
    async waitFor(n: number, ms = 20_000): Promise<void> {
      const until = Date.now() + ms;
      while (lines.length < n && Date.now() < until) await delay(10);
      assert.ok(lines.length >= n, `${lines.length} of ${n} lines arrived within ${ms} ms; events: ${JSON.stringify(events.slice(-10))}`);
    },
    async waitForEvent(type: FollowEvent['type'], ms = 10_000): Promise<void> {
      const until = Date.now() + ms;
      while (!events.some((e) => e.type === type) && Date.now() < until) await delay(10);
      assert.ok(events.some((e) => e.type === type), `no ${type} event: ${JSON.stringify(events)}`);
    },
    /** Everything there is to read has been read. */
    caughtUp: (): Promise<void> => follower.whenCaughtUp(),
    stall(): void {
      let resume!: () => void;
      const promise = new Promise<void>((ok) => (resume = ok));
      stalled = { promise, resume };
    },
    unstall(): void {
      stalled?.resume();
      stalled = undefined;
    },
    holdAcks(): void {
      held = [];
    },
    releaseAcks(): void {
      for (const b of held ?? []) follower.commit(b);
      held = undefined;
    },
    async stop(): Promise<void> {
      open.delete(f);
      ac.abort();
      f.unstall();
      await done;
      await store.flush();
    },
  };
  open.add(f);
  return f;
}

const seqLines = (from: number, to: number, prefix = 'line'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);

function counts(lines: string[]): { twice: string[]; set: Set<string> } {
  const seen = new Map<string, number>();
  for (const l of lines) seen.set(l, (seen.get(l) ?? 0) + 1);
  return { twice: [...seen].filter(([, c]) => c > 1).map(([l]) => l), set: new Set(seen.keys()) };
}

/** Every line in the files of `dir` whose name starts with `prefix` (gunzipping .gz ones). */
function linesOnDisk(dir: string, prefix: string): Set<string> {
  return new Set(
    readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .flatMap((f) => {
        const raw = readFileSync(join(dir, f));
        return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter((l) => l !== '');
      }),
  );
}

describe('file follower', () => {
  test('partial last line is held until its newline arrives', async () => {
    const dir = tmp('follow');
    const log = join(dir, 'router.log');
    writeFileSync(log, 'first\nsec');
    const f = await follow([log], join(dir, 'state'));
    await f.waitFor(1);
    await f.caughtUp();
    assert.deepEqual(f.lines, ['first']);
    appendFileSync(log, 'ond\nthird\n');
    await f.waitFor(3);
    await f.stop();
    assert.deepEqual(f.lines, ['first', 'second', 'third']);
  });

  test('a restart resumes exactly after the last settled line', async () => {
    const dir = tmp('follow');
    const log = join(dir, 'router.log');
    writeFileSync(log, seqLines(0, 100).join('\n') + '\n');
    const a = await follow([join(dir, '*.log')], join(dir, 'state'));
    await a.waitFor(100);
    await a.stop();
    appendFileSync(log, seqLines(100, 150).join('\n') + '\n');
    const b = await follow([join(dir, '*.log')], join(dir, 'state'));
    await b.waitFor(50);
    await b.caughtUp();
    await b.stop();
    assert.deepEqual(a.lines, seqLines(0, 100));
    assert.deepEqual(b.lines, seqLines(100, 150));
  });

  // A restart reads the last settled second's lines again as context (FileCheckpoint.context).
  // If the file is copied and truncated meanwhile, the copy reads the rest of that context as
  // context: none of it is delivered again, and what follows the checkpoint is, once.
  test('a copytruncate while a restart reads its context: the copy goes on with the context, nothing is delivered twice', async () => {
    const dir = tmp('follow');
    const log = join(dir, 'router.log');
    const state = join(dir, 'state');
    writeFileSync(log, seqLines(0, 10).join('\n') + '\n'); // 7 bytes a line
    const a = await follow([log], state);
    await a.waitFor(10);
    await a.stop();
    const store = await CheckpointStore.open(state);
    const cp = store.all()[0]!;
    assert.equal(cp.offset, 70);
    store.set({ ...cp, context: 14 }); // the last second began at line 2
    await store.flush();
    appendFileSync(log, seqLines(10, 15).join('\n') + '\n');

    const events: FollowEvent[] = [];
    const follower = new FileFollower({
      patterns: [log], store, startAt: 'beginning', pollIntervalMs: 20, drainGraceMs: 100, readChunkBytes: 7, onEvent: (e) => events.push(e),
    });
    const ac = new AbortController();
    const batches = follower.batches(ac.signal);
    const context: string[] = [];
    const delivered: string[] = [];
    const take = (b: FileBatch): void => {
      (b.context ? context : delivered).push(...decodeLines(b.data));
      if (!b.context) follower.commit(b);
    };
    try {
      const first = await batches.next();
      assert.ok(!first.done && first.value.context, 'the first batch is context');
      take(first.value);
      // Reading waits for the next pull: the copy and truncation happen inside the context.
      copyFileSync(log, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, 'after 0\n');
      const until = Date.now() + 10_000;
      while (!events.some((e) => e.type === 'truncated') && Date.now() < until) await delay(10);
      assert.ok(events.some((e) => e.type === 'truncated'), `no truncation seen: ${JSON.stringify(events)}`);
      while (delivered.length < 6 && Date.now() < until) {
        const next = await Promise.race([batches.next(), delay(until - Date.now(), undefined, { ref: false }).then(() => undefined)]);
        if (next === undefined || next.done) break;
        take(next.value);
      }
    } finally {
      ac.abort();
      await batches.return(undefined);
    }
    assert.deepEqual(context, seqLines(2, 10));
    assert.deepEqual(delivered.sort(), [...seqLines(10, 15), 'after 0'].sort());
  });

  test('--start-at end skips what was there at start, not what comes later or in new files', async () => {
    const dir = tmp('follow');
    writeFileSync(join(dir, 'a.log'), 'old\n');
    const f = await follow([join(dir, '*.log')], join(dir, 'state'), { startAt: 'end' });
    appendFileSync(join(dir, 'a.log'), 'new\n');
    writeFileSync(join(dir, 'b.log'), 'other\n');
    await f.waitFor(2);
    await f.caughtUp();
    await f.stop();
    assert.deepEqual(f.lines.sort(), ['new', 'other']);
  });

  test('while running: truncation starts a file over, a deleted file is read to its end, a new match is picked up', async () => {
    const dir = tmp('follow');
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
    await f.caughtUp();
    await f.stop();
    assert.deepEqual(f.lines, [
      ...seqLines(0, 50, 'a'), ...seqLines(0, 3, 'after-truncate'), ...seqLines(0, 20, 'last-words'), ...seqLines(0, 5, 'c'),
    ]);
  });

  test('a file rotated away while dropship was stopped is finished on restart', async () => {
    const dir = tmp('follow');
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
    await b.caughtUp();
    await b.stop();
    assert.deepEqual([...b.lines].sort(), seqLines(10, 25).sort());
  });

  // A file is known by its first bytes; a short file's are all of it. Another file that begins
  // with them but is longer is no copy of it (a copy is never longer), e.g. a one-line log rotated
  // away and the same line logged again (a retransmitted packet) in the next file.
  test('a new file that begins with all of a finished short file is read, not taken for its copy', async () => {
    const dir = tmp('follow');
    const log = join(dir, 'router.log');
    writeFileSync(log, 'same\n');
    const f = await follow([log], join(dir, 'state'));
    try {
      await f.waitFor(1);
      renameSync(log, `${log}.1`);
      await f.waitForEvent('closed');
      writeFileSync(log, 'same\nmore\n');
      await f.waitFor(3, 5000);
    } finally {
      await f.stop();
    }
    assert.deepEqual(f.lines, ['same', 'same', 'more']);
  });

  test('a rotated generation that begins with all of a short file still being drained is read, not taken for its copy', async () => {
    const dir = tmp('follow');
    const log = join(dir, 'router.log');
    writeFileSync(log, 'same\n');
    // The renamed file stays open (drained) for 20 s: the new generation must not wait for it.
    const f = await follow([log], join(dir, 'state'), { drainGraceMs: 20_000 });
    try {
      await f.waitFor(1);
      renameSync(log, `${log}.2`);
      await f.waitForEvent('rotated');
      writeFileSync(`${log}.1`, 'same\nmore\n');
      await f.waitFor(3, 5000);
      assert.ok(!f.events.some((e) => e.type === 'closed'), 'read while the other was still open');
    } finally {
      await f.stop();
    }
    assert.deepEqual(f.lines, ['same', 'same', 'more']);
  });

  test('a reused inode with other content does not inherit the old position', async () => {
    const dir = tmp('follow');
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

  for (const settledFirst of [true, false]) {
    test(`a file that reappears right after it was let go keeps its checkpoint (${settledFirst ? 'lines settled before' : 'acks still pending'})`, async () => {
      const dir = tmp('follow');
      const log = join(dir, 'a.log');
      writeFileSync(log, seqLines(0, 10, 'a').join('\n') + '\n');
      const f = await follow([join(dir, '*.log')], join(dir, 'state'));
      if (!settledFirst) f.holdAcks();
      await f.waitFor(10);
      renameSync(log, join(dir, 'a.aside')); // no pattern matches it: read to its end, let go
      await f.waitForEvent('closed');
      renameSync(join(dir, 'a.aside'), log); // and back
      appendFileSync(log, seqLines(10, 15, 'a').join('\n') + '\n');
      await f.waitFor(15);
      f.releaseAcks();
      await f.caughtUp();
      await f.stop();
      assert.deepEqual(f.lines, seqLines(0, 15, 'a'));
      const again = await follow([join(dir, '*.log')], join(dir, 'state'));
      await again.caughtUp();
      await again.stop();
      assert.deepEqual(again.lines, [], 'the restart resumes at the end, not at 0');
    });
  }

  test('a copytruncate whose file grew past the old offset while the output was stalled: the copy gives the rest, the file starts over, no junk', async () => {
    const dir = tmp('follow');
    const log = join(dir, 'router.log');
    writeFileSync(log, seqLines(0, 100, 'old').join('\n') + '\n');
    const f = await follow([log], join(dir, 'state'), { readChunkBytes: 256 });
    await f.waitFor(5);
    f.stall();
    appendFileSync(log, seqLines(100, 200, 'old').join('\n') + '\n');
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, seqLines(0, 500, 'new').join('\n') + '\n'); // far past where the reader was
    await f.waitForEvent('truncated');
    f.unstall();
    await f.waitFor(700);
    await f.caughtUp();
    await f.stop();
    const { twice, set } = counts(f.lines);
    assert.deepEqual(twice, []);
    assert.deepEqual([...set].sort(), [...seqLines(0, 200, 'old'), ...seqLines(0, 500, 'new')].sort());
  });

  test('a crash after a checkpoint write that holds a rotated file\'s line but not the new file\'s identical one: only the new file\'s line comes again', async () => {
    // The model test's shrunk case, pulled by hand: a line and half a line, rotated (create),
    // dropship restarted, the same line again in the new file, a checkpoint written between the
    // two settles, a crash.
    const dir = tmp('follow');
    const log = join(dir, 'app.log');
    const state = join(dir, 'state');
    const line = 'same packet, same second';
    const first = await follow([log], state); // nothing there yet: what comes later is read
    await first.stop();
    writeFileSync(`${log}.1`, `${line}\nhalf a li`);
    writeFileSync(log, '');

    const pull = async (follower: FileFollower, ac: AbortController, n: number): Promise<FileBatch[]> => {
      const batches = follower.batches(ac.signal);
      const got: FileBatch[] = [];
      while (got.length < n) {
        const next = await batches.next();
        assert.ok(!next.done);
        got.push(next.value);
      }
      ac.abort();
      await batches.return(undefined);
      return got;
    };

    let store = await CheckpointStore.open(state);
    let follower = new FileFollower({ patterns: [log], store, startAt: 'beginning', pollIntervalMs: 20, drainGraceMs: 600_000 });
    let ac = new AbortController();
    const batches = follower.batches(ac.signal);
    const rotated = await batches.next();
    assert.ok(!rotated.done);
    assert.deepEqual([rotated.value.path, decodeLines(rotated.value.data)], [`${log}.1`, [line]]);
    follower.commit(rotated.value, 0);
    await store.flush(); // holds the rotated file's line
    appendFileSync(log, `${line}\n`);
    const again = await batches.next();
    assert.ok(!again.done);
    assert.deepEqual([again.value.path, decodeLines(again.value.data)], [log, [line]]);
    follower.commit(again.value, 0); // settled after the write: not in the state file
    ac.abort(); // crash: no further write
    await batches.return(undefined);

    store = await CheckpointStore.open(state);
    follower = new FileFollower({ patterns: [log], store, startAt: 'beginning', pollIntervalMs: 20, drainGraceMs: 0 });
    ac = new AbortController();
    const after = await pull(follower, ac, 3);
    const seen = after.map((b) => `${b.context ? 'context' : 'sent'} ${basename(b.path)}: ${decodeLines(b.data).join('|')}`).sort();
    assert.deepEqual(seen, [`context app.log.1: ${line}`, `sent app.log.1: half a li`, `sent app.log: ${line}`]);
  });

  test('a glob that matches nothing is reported once, and when it matches', async () => {
    const dir = tmp('follow');
    const f = await follow([join(dir, '*.log')], join(dir, 'state'), { quietPatterns: [join(dir, 'spool', '*.log')] });
    await f.caughtUp();
    await f.caughtUp();
    writeFileSync(join(dir, 'x.log'), 'hello\n');
    await f.waitFor(1);
    await f.stop();
    assert.deepEqual(f.events.filter((e) => e.type === 'unmatched' || e.type === 'matched').map((e) => e.type), ['unmatched', 'matched']);
  });

  test('corrupt or foreign state is a clear error, not a silent re-read', async () => {
    const dir = tmp('follow');
    writeFileSync(join(dir, 'files.json'), '{"format": "something-else"}');
    await assert.rejects(CheckpointStore.open(dir), (e: Error) => e instanceof StateError && /not a dropship checkpoint file/.test(e.message));
    writeFileSync(join(dir, 'files.json'), '{not json');
    await assert.rejects(CheckpointStore.open(dir), (e: Error) => e instanceof StateError && /corrupt/.test(e.message));
  });
});

const hasLogrotate = hasTool('logrotate');
const MODES = { create: 'create', delaycompress: 'create\n  compress\n  delaycompress', copytruncate: 'copytruncate' } as const;

function logrotateConf(dir: string, log: string, mode: keyof typeof MODES): string {
  const conf = join(dir, 'logrotate.conf');
  writeFileSync(conf, `${log} {\n  ${MODES[mode]}\n  rotate 10\n  missingok\n}\n`);
  return conf;
}

function rotate(dir: string, conf: string): void {
  execFileSync('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), conf]);
}

/**
 * What must arrive, and what may: every line written, except with copytruncate, which loses the
 * lines appended between its copy and its truncation (logrotate's manual says so). There every
 * line found in some file must arrive, a lost one may (if it was read before the truncation),
 * nothing else may, and nothing twice.
 */
function expectedLines(dir: string, mode: keyof typeof MODES, written: number, tag: string): { required: string[]; allowed: Set<string> } {
  const all = Array.from({ length: written }, (_, n) => firewallLine(n, tag));
  const onDisk = linesOnDisk(dir, 'router.log');
  const kept = all.filter((l) => onDisk.has(l));
  if (mode !== 'copytruncate') assert.equal(kept.length, written, 'every written line is in some file');
  // logrotate's own loss grows with the machine's load (its copy of the file is slower); the test
  // needs only most lines to be left to mean something.
  else assert.ok(kept.length > written / 2, `${written - kept.length} of ${written} lines lost by logrotate itself`);
  return { required: kept, allowed: new Set(all) };
}

function assertExactlyOnce(got: string[], expected: { required: string[]; allowed: Set<string> }, dir: string): void {
  const { twice, set } = counts(got);
  const missing = expected.required.filter((l) => !set.has(l));
  const junk = [...set].filter((l) => !expected.allowed.has(l));
  assert.deepEqual(missing.slice(0, 3), [], `${missing.length} of ${expected.required.length} lines lost; files: ${readdirSync(dir).join(', ')}`);
  assert.deepEqual(twice.slice(0, 3), [], `${twice.length} lines delivered twice`);
  assert.deepEqual(junk.slice(0, 3), [], `${junk.length} lines never written`);
}

describe('rotation by the real logrotate while a writer appends', { skip: !hasLogrotate && !process.env.CI ? 'logrotate not installed (apt-get install logrotate)' : false }, () => {
  for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
    test(`logrotate ${mode}: every line arrives exactly once, also when the output is stalled across 4 rotations`, async () => {
      const dir = tmp('follow');
      const log = join(dir, 'router.log');
      writeFileSync(log, '');
      const conf = logrotateConf(dir, log, mode);
      const f = await follow([log], join(dir, 'state'));
      const writer = startWriter(log, 4000, mode);
      // Two rotations while the output keeps up, four while it is stalled (an Elasticsearch
      // outage): the reader is not asking for lines then, and nothing may be lost meanwhile.
      for (let r = 0; r < 6; r++) {
        if (r === 2) f.stall();
        await delay(200);
        rotate(dir, conf);
      }
      await delay(200);
      const written = await writer.stop();
      f.unstall();
      const expected = expectedLines(dir, mode, written, mode);
      await f.waitFor(expected.required.length, 30_000);
      await f.caughtUp();
      await f.stop();
      assert.ok(written > 2000, `writer wrote ${written} lines`);
      assertExactlyOnce(f.lines, expected, dir);
      if (mode === 'delaycompress') assert.ok(existsSync(`${log}.2.gz`), 'logrotate compressed a rotated file');
    });

    test(`logrotate ${mode}: stopped across 3 rotations and restarted, every line exactly once`, async () => {
      const dir = tmp('follow');
      const log = join(dir, 'router.log');
      writeFileSync(log, '');
      const conf = logrotateConf(dir, log, mode);
      const writer = startWriter(log, 2000, mode);
      const a = await follow([log], join(dir, 'state'));
      await a.waitFor(500);
      await a.stop();
      for (let r = 0; r < 3; r++) {
        await delay(250);
        rotate(dir, conf);
      }
      await delay(250);
      const b = await follow([log], join(dir, 'state'));
      await delay(250);
      const written = await writer.stop();
      const expected = expectedLines(dir, mode, written, mode);
      await b.waitFor(expected.required.length - a.lines.length, 30_000);
      await b.caughtUp();
      await b.stop();
      assertExactlyOnce([...a.lines, ...b.lines], expected, dir);
    });
  }
});
