/**
 * Identical lines in one second are distinct events (issue 19 §6): the counter on the parser
 * thread, the carry across batches in the pipeline, the resume point a restart counts from, and
 * the bounds. The reference is the plain definition: in a stream's order, the k-th document of a
 * run (consecutive documents of one second) with the same timestamp and line is occurrence k.
 */
import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { bulkEntries } from '../../src/codec/bulk.js';
import type { ResumePoint, SourceBatch } from '../../src/core/batch.js';
import { canonicalSecond, canonicalTimestamp, documentId, occurrenceId } from '../../src/model/doc-id.js';
import { OccurrenceCarry, RunCounter, type CarryLimits } from '../../src/processing/occurrence.js';
import { createPool } from '../../src/processing/pool.js';
import { createProcessor, type Processor } from '../../src/processing/process.js';
import { Committer, Pipeline, type Output } from '../../src/processing/run.js';
import { archiveBatches, planFile } from '../../src/sources/archive/archive.js';
import { CheckpointStore } from '../../src/state/checkpoints.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const RECEIVED = Date.UTC(2024, 4, 2);

/** A netfilter line at second `s` (from T0); `v` picks one of a few packets, so lines repeat. */
function line(s: number, v: number): string {
  if (v < 0) return v === -1 ? '' : 'no timestamp, not a known format';
  const ts = new Date(T0 + s * 1000).toISOString();
  return `${ts} gw kernel: DROP IN=ppp0 OUT= SRC=203.0.113.${v + 1} DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=61000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0`;
}

/** What each line's document should be called: the definition, counted over the whole stream. */
function referenceIds(docs: { timestamp: string; original: string }[]): string[] {
  let second: number | string | undefined;
  let counts = new Map<string, number>();
  return docs.map(({ timestamp, original }) => {
    const s = canonicalSecond(canonicalTimestamp(timestamp));
    if (s !== second) {
      second = s;
      counts = new Map();
    }
    const key = `${timestamp}\n${original}`;
    const k = counts.get(key) ?? 0;
    counts.set(key, k + 1);
    return documentId(timestamp, original, k);
  });
}

interface Doc {
  id: string;
  timestamp: string;
  original: string;
}

function docsOf(body: Buffer): Doc[] {
  return bulkEntries(body).map((e) => {
    const source = JSON.parse(body.toString('utf8', e.start, e.end).split('\n')[1]!) as { '@timestamp': string; event: { original: string } };
    return { id: e.id, timestamp: source['@timestamp'], original: source.event.original };
  });
}

let processor: Processor | undefined;
async function bulkProcessor(): Promise<Processor> {
  processor ??= await createProcessor({ timezone: 'UTC', geoip: false }, { format: 'bulk', namespace: 'default' });
  return processor;
}

/** Lines of a stream: seconds that mostly go on, sometimes stay, now and then go back; few distinct packets. */
const streamArb = fc.array(
  fc.record({ step: fc.constantFrom(0, 0, 0, 1, 1, 2, -1), v: fc.constantFrom(0, 0, 1, 1, 2, -1, -2) }),
  { minLength: 1, maxLength: 120 },
).map((steps) => {
  let s = 5;
  return steps.map(({ step, v }) => line((s = Math.max(0, s + step)), v));
});

/** Cut points of `n` lines into batches (some empty: a batch of only blank lines is like one). */
const cutsArb = (n: number): fc.Arbitrary<number[]> => fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 12 }).map((c) => [...c].sort((a, b) => a - b));

function split<T>(items: T[], cuts: number[]): T[][] {
  const out: T[][] = [];
  let from = 0;
  for (const c of [...cuts.filter((c) => c < items.length), items.length]) {
    out.push(items.slice(from, c));
    from = c;
  }
  return out;
}

/** Processes a stream's lines batch by batch through the processor and the carry; `first` is the stream line number of lines[0]. */
function ship(p: Processor, carry: OccurrenceCarry, lines: string[], cuts: number[], first = 0, context = 0, stream = 's'): { docs: Doc[]; starts: (ResumePoint | undefined)[] } {
  const docs: Doc[] = [];
  const starts: (ResumePoint | undefined)[] = [];
  let at = first;
  let contextLeft = context;
  for (const batch of split(lines, cuts)) {
    const start = at;
    const out = p({ lines: batch, truncated: [], receivedMs: RECEIVED, contextLines: contextLeft });
    contextLeft = Math.max(0, contextLeft - batch.length);
    starts.push(carry.apply(stream, out.runs, out.body, (l) => ({ line: start + l })));
    docs.push(...docsOf(out.body));
    at += batch.length;
  }
  return { docs, starts };
}

test('occurrence 0 keeps the id of before: sha256 of the epoch ms, a newline and the line, 20 bytes in base64url', () => {
  const l = line(3, 0);
  const ms = T0 + 3000;
  const expected = hash('sha256', `${ms}\n${l}`, 'buffer').subarray(0, 20).toString('base64url');
  assert.equal(documentId(new Date(ms).toISOString(), l), expected);
  assert.equal(documentId(new Date(ms).toISOString(), l, 0), expected);
  const second = documentId(new Date(ms).toISOString(), l, 1);
  assert.equal(second, hash('sha256', `${expected}/1`, 'buffer').subarray(0, 20).toString('base64url'));
  assert.equal(second, occurrenceId(expected, 1));
  assert.equal(second.length, expected.length, 'every id has the same length (renumbering rewrites it in place)');
  assert.notEqual(documentId(new Date(ms).toISOString(), l, 2), second);
});

test('two identical lines in one second are two documents; in two seconds, each is the first of its second', async () => {
  const p = await bulkProcessor();
  const twice = docsOf(p({ lines: [line(1, 0), line(1, 0)], truncated: [] }).body);
  assert.equal(twice.length, 2);
  assert.notEqual(twice[0]!.id, twice[1]!.id);
  assert.equal(twice[0]!.id, documentId(twice[0]!.timestamp, line(1, 0)), 'the first keeps the id it always had');
  const apart = docsOf(p({ lines: [line(1, 0), line(2, 0)], truncated: [] }).body);
  assert.deepEqual(apart.map((d) => d.id), [documentId(apart[0]!.timestamp, line(1, 0)), documentId(apart[1]!.timestamp, line(2, 0))]);
});

test('the NDJSON output has no ids: nothing is counted', async () => {
  const p = await createProcessor({ timezone: 'UTC', geoip: false }, { format: 'ndjson' });
  const out = p({ lines: [line(1, 0), line(1, 0)], truncated: [] });
  assert.equal(out.runs, undefined);
  assert.equal(out.body.toString().trimEnd().split('\n').length, 2);
});

test('batches counted on their own and carried in order number every line as the whole stream counted in one go', async () => {
  const p = await bulkProcessor();
  await fc.assert(
    fc.asyncProperty(streamArb.chain((lines) => fc.tuple(fc.constant(lines), cutsArb(lines.length))), async ([lines, cuts]) => {
      const { docs } = ship(p, new OccurrenceCarry(), lines, cuts);
      assert.deepEqual(docs.map((d) => d.id), referenceIds(docs));
      assert.equal(new Set(docs.map((d) => d.id)).size, docs.length - duplicatesByDefinition(docs), 'ids are distinct except where the definition merges');
    }),
    { numRuns: 300 },
  );
});

/** Identical lines that the definition itself does not tell apart (same second, in two runs). */
function duplicatesByDefinition(docs: Doc[]): number {
  const ids = referenceIds(docs);
  return ids.length - new Set(ids).size;
}

test('a restart from any checkpoint, reading from the run start it recorded as context, numbers the rest as the first run did', async () => {
  const p = await bulkProcessor();
  await fc.assert(
    fc.asyncProperty(
      streamArb.chain((lines) => fc.tuple(fc.constant(lines), cutsArb(lines.length), fc.nat())),
      async ([lines, cuts, pick]) => {
        const first = ship(p, new OccurrenceCarry(), lines, cuts);
        // Checkpoint after batch j: its end, and where the run of its last document began.
        const batches = split(lines, cuts);
        const j = pick % batches.length;
        const end = batches.slice(0, j + 1).reduce((n, b) => n + b.length, 0);
        const from = first.starts[j]?.line ?? end;
        assert.ok(from <= end);
        const rest = lines.slice(from);
        const again = ship(p, new OccurrenceCarry(), rest, [], from, end - from);
        const settled = lines.slice(0, end).filter((l) => l !== '').length;
        assert.deepEqual(again.docs.map((d) => d.id), first.docs.slice(settled).map((d) => d.id));
      },
    ),
    { numRuns: 300 },
  );
});

test('streams are counted apart, however their batches interleave', async () => {
  const p = await bulkProcessor();
  const a = [line(1, 0), line(1, 0), line(1, 1), line(1, 0)];
  const carry = new OccurrenceCarry();
  const ids: Record<string, Doc[]> = { a: [], b: [] };
  for (const [stream, lines] of [['a', a.slice(0, 2)], ['b', a.slice(0, 1)], ['a', a.slice(2)], ['b', a.slice(1)]] as const) {
    const out = p({ lines: [...lines], truncated: [] });
    carry.apply(stream, out.runs, out.body);
    ids[stream]!.push(...docsOf(out.body));
  }
  assert.deepEqual(ids.a!.map((d) => d.id), referenceIds(ids.a!));
  assert.deepEqual(ids.b!.map((d) => d.id), ids.a!.map((d) => d.id), 'the same lines in another stream get the same ids');
});

test('the carry stays within its limits: streams, remembered lines, context', async () => {
  const p = await bulkProcessor();
  const limits: CarryLimits = { maxStreams: 3, maxKeys: 50, maxContextLines: 64 };
  const carry = new OccurrenceCarry(limits);
  // 200 distinct lines in one second, in batches of 10, in each of 5 streams.
  for (let s = 0; s < 5; s++) {
    for (let b = 0; b < 20; b++) {
      const lines = Array.from({ length: 10 }, (_, i) => line(7, 0).replace('SPT=61000', `SPT=${b * 10 + i}`));
      const out = p({ lines, truncated: [] });
      const start = carry.apply(`s${s}`, out.runs, out.body, (l) => ({ line: b * 10 + l }));
      assert.ok(carry.size <= limits.maxKeys, `${carry.size} lines remembered`);
      // The context a restart reads is bounded (to a mark's granularity: 64 / 16 lines).
      assert.ok((b + 1) * 10 - start!.line! <= limits.maxContextLines + 10, `context from line ${start!.line} at ${(b + 1) * 10}`);
    }
  }
  assert.ok(carry.size <= limits.maxKeys);
});

test('RunCounter: runs, positions and the first run\'s places in the body', () => {
  const c = new RunCounter();
  c.reset();
  assert.equal(c.next('a', 1, 0), 0);
  c.locate(10);
  assert.equal(c.next('a', 1, 1), 1);
  c.locate(20);
  assert.equal(c.next('a', 2, 3), 0);
  assert.equal(c.inFirstRun, false);
  assert.equal(c.next('a', 2, 4), 1);
  assert.deepEqual(c.result((l) => l * 100), {
    firstSecond: 1, lastSecond: 2, oneRun: false, headIds: ['a', 'a'], headAt: [10, 20], tailIds: ['a', 'a'], tailLine: 3, tailByte: 300,
  });
  c.reset();
  assert.equal(c.result(() => 0), undefined);
});

test('RunCounter numbers any sequence as the definition does (seconds coming back, runs of one), and hands out the last run', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 40 }), (docs) => {
      const c = new RunCounter();
      c.reset();
      const got = docs.map(([id, second], i) => c.next(id, second, i));
      let counts = new Map<string, number>();
      let last: number | undefined;
      let tail: string[] = [];
      const want = docs.map(([id, second]) => {
        if (second !== last) {
          counts = new Map();
          tail = [];
          last = second;
        }
        tail.push(id);
        const k = counts.get(id) ?? 0;
        counts.set(id, k + 1);
        return k;
      });
      assert.deepEqual(got, want);
      const r = c.result(() => 0)!;
      assert.deepEqual(r.oneRun ? r.headIds : r.tailIds, tail);
    }),
    { numRuns: 500 },
  );
});

/** An output that keeps bodies and acknowledges them at once, or only the first `acks` (then it hangs, as a cluster that went away). */
class MemoryOutput implements Output {
  readonly bodies: Buffer[] = [];
  constructor(private readonly committer: Committer, private acks = Infinity) {}
  pushBatch(body: Buffer, _docs: number, token: number): boolean {
    if (this.acks-- <= 0) return true;
    this.bodies.push(Buffer.from(body));
    this.committer.ack(token);
    return true;
  }
  whenWritable(): Promise<void> {
    return Promise.resolve();
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

test('the pipeline with two parser threads: batches processed in parallel are numbered in order, and commits get their run start', async () => {
  const pool = await createPool({ timezone: 'UTC', geoip: false }, { format: 'bulk', namespace: 'default' }, 2);
  try {
    const committer = new Committer();
    const output = new MemoryOutput(committer);
    const pipeline = new Pipeline(pool, output, committer);
    // Bursts of one packet repeated across many small batches, then a new second.
    const lines = [...Array.from({ length: 300 }, (_, i) => line(9, i % 3)), ...Array.from({ length: 7 }, () => line(10, 0))];
    const commits: (ResumePoint | undefined)[] = [];
    async function* source(): AsyncGenerator<SourceBatch> {
      for (let from = 0; from < lines.length; from += 7) {
        const start = from;
        yield { lines: lines.slice(from, from + 7), truncated: [], receivedMs: RECEIVED, pointAt: (l) => ({ line: start + l }), commit: (r) => commits.push(r) };
      }
    }
    await pipeline.run(source());
    const docs = output.bodies.flatMap(docsOf);
    assert.equal(docs.length, lines.length);
    assert.deepEqual(docs.map((d) => d.id), referenceIds(docs));
    assert.equal(new Set(docs.map((d) => d.id)).size, lines.length, 'every line a document of its own');
    assert.deepEqual(commits.slice(0, 42).map((r) => r?.line), Array(42).fill(0), 'the first second\'s run began at line 0');
    assert.equal(commits.at(-1)?.line, 300, 'the last run began at line 300');
  } finally {
    await pool.close();
  }
});

test('import of a JSON export stopped inside a run of identical records resumes with them as context: each record once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-occurrence-json-'));
  const pool = await createPool({ timezone: 'UTC', geoip: false }, { format: 'bulk', namespace: 'default' }, 0);
  try {
    // 2,500 records; records 996–1005 are one packet logged ten times in one second, across
    // the import's batch boundary (1,000 records).
    const originals = Array.from({ length: 2500 }, (_, i) => (i >= 996 && i < 1006 ? line(996, 0) : line(i, 1)));
    const path = join(dir, 'export.ndjson');
    writeFileSync(path, originals.map((o) => JSON.stringify({ '@timestamp': o.slice(0, 24), event: { original: o } })).join('\n') + '\n');
    const state = join(dir, 'state');
    const stored = new Set<string>();
    const importOnce = async (acks: number): Promise<void> => {
      const store = await CheckpointStore.open(state, 'import.json');
      const f = await planFile(path, store, false);
      const committer = new Committer();
      const output = new MemoryOutput(committer, acks);
      const counters = { rawBytes: 0, withoutOriginal: 0 };
      await new Pipeline(pool, output, committer).run(archiveBatches(f, { store, counters, signal: new AbortController().signal }));
      await store.flush();
      for (const body of output.bodies) for (const d of docsOf(body)) stored.add(d.id);
    };
    await importOnce(1); // the first batch settled, then the cluster went away
    assert.equal(stored.size, 1000);
    await importOnce(Infinity);
    const expected = referenceIds(originals.map((o) => ({ timestamp: new Date(o.slice(0, 24)).toISOString(), original: o })));
    assert.equal(new Set(expected).size, 2500);
    assert.deepEqual([...expected].filter((id) => !stored.has(id)), [], 'every record stored under its own id');
    assert.equal(stored.size, 2500);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
