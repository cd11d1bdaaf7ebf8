import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bulkSpans } from '../../src/codec/bulk.js';
import { AckQueue, type Chunk } from '../../src/elasticsearch/sink/acks.js';
import { Batcher, emptyBatch, halve, takeFitting, type Batch, type Cut, type Part } from '../../src/elasticsearch/sink/batcher.js';
import { AdaptiveConcurrency, Backoff } from '../../src/elasticsearch/sink/pacing.js';
import { netfilterDoc } from '../helpers/netfilter-docs.js';
import { bulkBody, ManualClock } from '../helpers/sink-harness.js';

/** The sink's parts alone: the batcher on a clock the test moves, the ack queue, the pacing rules. */

const chunkOf = (docs: number, seq = 0): Chunk<number> => ({ seq, token: seq, docs, unsettled: docs, bytes: 0, release: undefined });
const body = (from: number, n: number): Buffer => bulkBody(Array.from({ length: n }, (_, i) => netfilterDoc(from + i)));

test('batcher: a trickle is sent by the age of its first document, and the age is not restarted by later ones', () => {
  const clock = new ManualClock();
  const sent: { at: number; docs: number }[] = [];
  const batcher = new Batcher<number>({ maxBytes: 1e6, maxDocs: 1000, maxAgeMs: 1000 }, clock, (b) => sent.push({ at: clock.now(), docs: b.docs }));
  for (let n = 0; n < 7; n++) {
    batcher.add({ chunk: chunkOf(1, n), body: body(n, 1), docs: 1 });
    clock.advance(200);
  }
  // Documents at 0, 200, …, 1200 ms: the first request leaves at 1000 ms with the five that came
  // by then; the next one's age starts with the sixth document (1000 ms), so it leaves at 2000 ms.
  assert.deepEqual(sent, [{ at: 1000, docs: 5 }]);
  clock.advance(1000);
  assert.deepEqual(sent, [{ at: 1000, docs: 5 }, { at: 2000, docs: 2 }]);
  assert.deepEqual(clock.pending(), [], 'no timer is left behind');
});

test('batcher: requests stay within the byte and document limits, splitting a large batch between documents', () => {
  const clock = new ManualClock();
  const requests: Batch<number>[] = [];
  const maxBytes = 20_000;
  const batcher = new Batcher<number>({ maxBytes, maxDocs: 25, maxAgeMs: 1000 }, clock, (b) => requests.push(b));
  let docs = 0;
  for (let b = 0; b < 6; b++) {
    const n = 1 + b * 9;
    batcher.add({ chunk: chunkOf(n, b), body: body(docs, n), docs: n });
    docs += n;
  }
  batcher.seal();
  assert.equal(requests.reduce((sum, r) => sum + r.docs, 0), docs);
  for (const r of requests) {
    assert.ok(r.docs <= 25 && r.bytes <= maxBytes, `${r.docs} docs, ${r.bytes} bytes`);
    for (const part of r.parts) assert.equal(bulkSpans(part.body).length, part.docs, 'every part is whole documents');
  }
});

test('batcher: parts a little over the limit make full requests, not a full one and a sliver each', () => {
  // The shape that doubled the requests: every parser batch's documents come to ~5 % over the
  // request limit.
  const clock = new ManualClock();
  const requests: Batch<number>[] = [];
  const one = body(0, 1).length;
  const perPart = 20;
  const maxBytes = Math.floor(perPart * one / 1.05);
  const batcher = new Batcher<number>({ maxBytes, maxDocs: 10_000, maxAgeMs: 1000 }, clock, (b) => requests.push(b));
  const parts = 30;
  for (let p = 0; p < parts; p++) batcher.add({ chunk: chunkOf(perPart, p), body: body(p * perPart, perPart), docs: perPart });
  batcher.seal();
  const largest = Math.max(...requests.flatMap((r) => r.parts.flatMap((p) => bulkSpans(p.body).map((s) => s.end - s.start))));
  for (const r of requests.slice(0, -1)) assert.ok(r.bytes > maxBytes - largest && r.bytes <= maxBytes, `a request of ${r.bytes} bytes is not full (limit ${maxBytes})`);
  // 30 parts of 1.05 requests' worth: 32 full requests (before: 60, a full one and a sliver per part).
  const bytes = requests.reduce((sum, r) => sum + r.bytes, 0);
  assert.ok(requests.length <= Math.ceil(bytes / (maxBytes - largest)) && requests.length < parts * 1.2, `${requests.length} requests for ${parts} parts`);
});

test('batcher (property): requests keep every document in order, stay within the limits, and are full unless flushed', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1000, max: 40_000 }),
      fc.integer({ min: 1, max: 60 }),
      (sizes, maxBytes, maxDocs) => {
        const clock = new ManualClock();
        const requests: Batch<number>[] = [];
        const batcher = new Batcher<number>({ maxBytes, maxDocs, maxAgeMs: 1000 }, clock, (b) => requests.push(b));
        const bodies: Buffer[] = [];
        let from = 0;
        sizes.forEach((n, i) => {
          const b = body(from, n);
          from += n;
          bodies.push(b);
          if (n > 0) batcher.add({ chunk: chunkOf(n, i), body: b, docs: n });
        });
        batcher.seal();
        const sent = Buffer.concat(requests.flatMap((r) => r.parts.map((p) => p.body)));
        assert.equal(sent.toString(), Buffer.concat(bodies).toString(), 'every document once, in order');
        requests.forEach((r, i) => {
          const spans = r.parts.flatMap((p) => bulkSpans(p.body));
          for (const p of r.parts) assert.equal(bulkSpans(p.body).length, p.docs, 'parts are whole documents');
          assert.equal(spans.length, r.docs);
          assert.equal(r.parts.reduce((sum, p) => sum + p.body.length, 0), r.bytes);
          assert.ok(r.docs <= maxDocs && (r.bytes <= maxBytes || r.docs === 1), `${r.docs} docs, ${r.bytes} bytes`);
          const next = requests[i + 1];
          if (next === undefined) return;
          const nextDoc = bulkSpans(next.parts[0]!.body)[0]!;
          assert.ok(r.docs === maxDocs || r.bytes + nextDoc.end - nextDoc.start > maxBytes, `request ${i} (${r.docs} docs, ${r.bytes} bytes) had room for the next document`);
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('takeFitting and halve cut only between documents, and lose none', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1500, max: 30_000 }), fc.integer({ min: 1, max: 50 }), (n, maxBytes, maxDocs) => {
      const whole = body(0, n);
      const pieces: Part<number>[] = [];
      for (let rest: Part<number> | undefined = { chunk: chunkOf(n), body: whole, docs: n }; rest !== undefined; ) {
        const cut: Cut<number> = takeFitting(emptyBatch<number>(), rest, { maxBytes, maxDocs });
        pieces.push(cut.taken!);
        rest = cut.rest;
      }
      assert.equal(Buffer.concat(pieces.map((p) => p.body)).toString(), whole.toString());
      for (const p of pieces) assert.equal(bulkSpans(p.body).length, p.docs);
      const batch: Batch<number> = { parts: pieces, bytes: whole.length, docs: n };
      const [a, b] = halve(batch);
      assert.equal(a.docs, Math.ceil(n / 2));
      assert.equal(a.docs + b.docs, n);
      assert.equal(Buffer.concat([...a.parts, ...b.parts].map((p) => p.body)).toString(), whole.toString());
      for (const p of [...a.parts, ...b.parts]) assert.equal(bulkSpans(p.body).length, p.docs);
    }),
    { numRuns: 200 },
  );
});

test('ack queue: acknowledges in push order whatever order chunks settle in, and frees each body once', async () => {
  const acked: number[] = [];
  const released: number[] = [];
  const acks = new AckQueue<number>(1000, (t) => acked.push(t));
  const chunks = [3, 0, 2, 1].map((docs, i) => acks.accept(100, docs, i, () => released.push(i)));
  assert.deepEqual(released, [1], 'an empty chunk holds nothing');
  acks.settle(chunks[2]!, 2);
  acks.advance();
  assert.deepEqual(acked, [], 'chunk 0 is not settled yet');
  acks.settle(chunks[0]!, 1);
  acks.settle(chunks[0]!, 2);
  acks.advance();
  assert.deepEqual(acked, [2], 'one ack for the run 0..2');
  const drained = acks.drained();
  acks.settle(chunks[3]!, 1);
  acks.advance();
  await drained;
  assert.deepEqual(acked, [2, 3]);
  assert.deepEqual(released.sort(), [0, 1, 2, 3]);
  assert.equal(acks.bufferedBytes, 0);
  assert.equal(acks.bufferedDocs, 0);
});

test('ack queue: over budget until settled chunks free their bytes', async () => {
  const acks = new AckQueue<number>(500, () => undefined);
  const a = acks.accept(450, 1, 0);
  assert.equal(acks.overBudget, true);
  let writable = false;
  const w = acks.writable().then(() => (writable = true));
  await Promise.resolve();
  assert.equal(writable, false);
  acks.settle(a, 1);
  acks.advance();
  await w;
  assert.equal(acks.overBudget, false);
});

test('backoff: exponential per failure in a row, capped; item retries out of a mostly good answer do not grow', () => {
  const backoff = new Backoff({ initialMs: 500, maxMs: 60_000, itemRetryMs: 100, random: () => 1 });
  assert.deepEqual([1, 2, 3, 4, 8, 9, 50].map((l) => backoff.after(l)), [500, 1000, 2000, 4000, 60_000, 60_000, 60_000]);
  assert.deepEqual(Array.from({ length: 5 }, () => backoff.itemRetry()), [100, 100, 100, 100, 100]);
  const low = new Backoff({ initialMs: 500, maxMs: 60_000, itemRetryMs: 100, random: () => 0 });
  assert.equal(low.after(2), 500, 'equal jitter: never below half');
  assert.equal(low.itemRetry(), 50);
});

test('adaptive concurrency: grows one request per window of good answers, drops by a third on pushback, once per window', () => {
  const c = new AdaptiveConcurrency(3);
  assert.equal(c.limit, 1);
  c.succeeded(false);
  assert.equal(c.limit, 1, 'a limit not in use is not raised');
  c.succeeded(true);
  assert.equal(c.limit, 2);
  c.succeeded(true);
  c.succeeded(true);
  assert.equal(c.limit, 3);
  for (let i = 0; i < 10; i++) c.succeeded(true);
  assert.equal(c.limit, 3, 'never above the maximum');
  c.pushedBack();
  assert.equal(c.limit, 2);
  c.pushedBack();
  assert.equal(c.limit, 2, 'the rest of a burst of pushback in the same window does not count again');
  c.pushedBack();
  assert.equal(c.limit, 1);
  for (let i = 0; i < 10; i++) c.pushedBack();
  assert.equal(c.limit, 1, 'never below one');
});
