/**
 * A model-based test of the file follower, as Vector tests its file watcher: random sequences of
 * appends (some ending in half a line), rotations (rename + create, rename with the writer
 * creating the file, copytruncate), compressions (with and without the original's mtime),
 * deletions, truncations, output stalls, restarts and crashes, on real files. Whatever happens,
 * every line written is delivered, and none twice except what a crash may repeat (lines settled
 * after the last checkpoint write, which the sink's ids make harmless).
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FileFollower, type FileBatch } from '../../src/sources/live/file-follow.js';
import { decodeLines } from '../../src/sources/framing/line-bytes.js';
import { CheckpointStore } from '../../src/state/checkpoints.js';

type Op =
  | { op: 'append'; n: number; partial: boolean }
  | { op: 'rotate'; mode: 'create' | 'rename' | 'copytruncate' }
  | { op: 'compress'; keepMtime: boolean }
  | { op: 'deleteOldest' }
  | { op: 'truncate' }
  | { op: 'stall' }
  | { op: 'unstall' }
  | { op: 'settle' }
  | { op: 'flush' }
  | { op: 'restart' }
  | { op: 'crash' }
  | { op: 'pause'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 40 }), partial: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rotate' as const), mode: fc.constantFrom('create' as const, 'rename' as const, 'copytruncate' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('compress' as const), keepMtime: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'deleteOldest' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'truncate' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'stall' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'unstall' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'settle' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'crash' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 40 }) }) },
);

class World {
  readonly live: string;
  readonly state: string;
  /** Complete lines written, in order. */
  readonly written: string[] = [];
  /** The head of a line written without its end yet. */
  partial: string | undefined;
  private n = 0;
  readonly settled = new Map<string, number>();
  private settledSinceFlush = new Set<string>();
  /** Lines a crash may deliver again: settled after the last checkpoint write. */
  readonly mayRepeat = new Set<string>();
  private inflight: FileBatch[] = [];
  private follower: FileFollower | undefined;
  private store: CheckpointStore | undefined;
  private ac: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stalled = false;
  private unstalled: (() => void) | undefined;
  readonly events: string[] = [];

  constructor(readonly dir: string) {
    this.live = join(dir, 'app.log');
    this.state = join(dir, 'state');
  }

  async start(): Promise<void> {
    this.store = await CheckpointStore.open(this.state);
    const follower = (this.follower = new FileFollower({
      patterns: [this.live], store: this.store, startAt: 'beginning', pollIntervalMs: 10, drainGraceMs: 30,
      onEvent: (e) => this.events.push(JSON.stringify(e)),
    }));
    // Files already there at the very first start are history (--start-at decides for the
    // followed ones); from here on, everything written counts.
    await follower.start();
    await this.store.flush(); // as tail's checkpoint timer does within a second
    const ac = (this.ac = new AbortController());
    this.loop = (async () => {
      for await (const b of follower.batches(ac.signal)) {
        if (ac.signal.aborted) break; // stopped: this batch was never handed over
        this.inflight.push(b);
        while (this.stalled && !ac.signal.aborted) await new Promise<void>((ok) => (this.unstalled = ok));
        if (ac.signal.aborted) break;
        this.settle(); // a sink that keeps up settles at once; `stall` holds them
      }
    })();
  }

  settle(): void {
    for (const b of this.inflight) {
      for (const l of decodeLines(b.data)) {
        this.settled.set(l, (this.settled.get(l) ?? 0) + 1);
        this.settledSinceFlush.add(l);
      }
      this.follower!.commit(b);
    }
    this.inflight = [];
  }

  async stop(how: 'graceful' | 'crash'): Promise<void> {
    if (this.follower === undefined) return;
    if (how === 'graceful' && !this.stalled) this.settle();
    this.inflight = []; // not settled: read again after the restart
    this.ac!.abort();
    this.unstalled?.();
    await this.loop;
    if (how === 'graceful') await this.flush();
    else for (const l of this.settledSinceFlush) this.mayRepeat.add(l);
    this.settledSinceFlush = new Set();
    this.follower = undefined;
  }

  async flush(): Promise<void> {
    await this.store!.flush();
    this.settledSinceFlush = new Set();
  }

  stall(): void {
    this.stalled = true;
  }

  unstall(): void {
    this.stalled = false;
    this.unstalled?.();
    this.unstalled = undefined;
  }

  /** Appends by path (opening it each time, as a syslog daemon after a rotation). */
  append(count: number, partial: boolean): void {
    let text = '';
    if (this.partial !== undefined) {
      text += `${this.partial.slice(this.partial.length >> 1)}\n`;
      this.written.push(this.partial);
      this.partial = undefined;
    }
    for (let i = 0; i < count; i++) {
      const line = `L${this.n++} ${'x'.repeat(this.n % 37)}`;
      if (partial && i === count - 1) {
        this.partial = line;
        text += line.slice(0, line.length >> 1);
      } else {
        text += `${line}\n`;
        this.written.push(line);
      }
    }
    appendFileSync(this.live, text);
  }

  finishPartial(): void {
    if (this.partial !== undefined) this.append(0, false);
  }

  /** Numbered generations (1 = newest), plain or compressed. */
  generations(): { k: number; name: string; gz: boolean }[] {
    return readdirSync(this.dir)
      .map((name) => /^app\.log\.(\d+)(\.gz)?$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ k: Number(m[1]), name: m[0], gz: m[2] !== undefined }))
      .sort((a, b) => a.k - b.k);
  }

  rotate(mode: 'create' | 'rename' | 'copytruncate'): void {
    if (!existsSync(this.live)) return;
    for (const g of this.generations().reverse()) renameSync(join(this.dir, g.name), join(this.dir, `app.log.${g.k + 1}${g.gz ? '.gz' : ''}`));
    if (mode === 'copytruncate') {
      copyFileSync(this.live, `${this.live}.1`);
      truncateSync(this.live, 0);
      // The half line goes with the copy; its rest would start the new file with junk.
      if (this.partial !== undefined) this.dropPartial();
      return;
    }
    renameSync(this.live, `${this.live}.1`);
    if (this.partial !== undefined) this.dropPartial();
    if (mode === 'create') writeFileSync(this.live, '');
  }

  /** A half line left at the end of a rotated file is delivered as it is (a line cut short). */
  private dropPartial(): void {
    this.written.push(this.partial!.slice(0, this.partial!.length >> 1));
    this.partial = undefined;
  }

  compress(keepMtime: boolean): void {
    const plain = this.generations().filter((g) => !g.gz);
    const g = plain[plain.length - 1];
    if (g === undefined) return;
    const from = join(this.dir, g.name);
    const st = statSync(from);
    writeFileSync(`${from}.gz`, gzipSync(readFileSync(from)));
    if (keepMtime) utimesSync(`${from}.gz`, st.atime, st.mtime);
    unlinkSync(from);
  }

  async drained(): Promise<boolean> {
    if (this.follower === undefined || this.stalled) return false;
    this.finishPartial();
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      if (this.written.every((l) => this.settled.has(l))) return true;
      await delay(5);
    }
    return false;
  }

  async deleteOldest(): Promise<void> {
    if (!(await this.drained())) return;
    const g = this.generations().pop();
    if (g !== undefined) rmSync(join(this.dir, g.name));
  }

  async truncate(): Promise<void> {
    if (!existsSync(this.live) || !(await this.drained())) return;
    truncateSync(this.live, 0);
  }

  async run(op: Op): Promise<void> {
    switch (op.op) {
      case 'append': return this.append(op.n, op.partial);
      case 'rotate': return this.rotate(op.mode);
      case 'compress': return this.compress(op.keepMtime);
      case 'deleteOldest': return this.deleteOldest();
      case 'truncate': return this.truncate();
      case 'stall': return this.stall();
      case 'unstall': return this.unstall();
      case 'settle': return this.settle();
      case 'flush': return this.flush();
      case 'restart': await this.stop('graceful'); return this.start();
      case 'crash': await this.stop('crash'); return this.start();
      case 'pause': await delay(op.ms); return;
    }
  }
}

test('file follower model: any sequence of appends, rotations, compressions, stalls, restarts and crashes delivers every line, once', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dropship-follow-model-'));
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const w = new World(mkdtempSync(join(root, `run${run++}-`)));
        try {
          await w.start();
          for (const op of ops) await w.run(op);
          w.unstall();
          w.finishPartial();
          const until = Date.now() + 3000;
          while (!w.written.every((l) => w.settled.has(l)) && Date.now() < until) await delay(10);
          await w.stop('graceful');
          const missing = w.written.filter((l) => !w.settled.has(l));
          const twice = [...w.settled].filter(([l, c]) => c > 1 && !w.mayRepeat.has(l)).map(([l]) => l);
          const extra = [...w.settled.keys()].filter((l) => !w.written.includes(l));
          const context = `ops: ${JSON.stringify(ops)}\nfiles: ${readdirSync(w.dir).join(', ')}\nevents:\n${w.events.slice(-40).join('\n')}`;
          assert.deepEqual(missing, [], `${missing.length} of ${w.written.length} lines never delivered\n${context}`);
          assert.deepEqual(twice, [], `delivered twice\n${context}`);
          assert.deepEqual(extra, [], `delivered but never written\n${context}`);
        } finally {
          await w.stop('crash');
          rmSync(w.dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.DROPSHIP_MODEL_RUNS ?? 40), interruptAfterTimeLimit: 60_000 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
