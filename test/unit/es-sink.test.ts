import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { hash } from 'node:crypto';
import { describe, it, test } from 'node:test';
import fc from 'fast-check';
import { canonicalTimestamp, documentId } from '../../src/model/doc-id.js';
import { stringifyDocument } from '../../src/model/serialize.js';
import type { SinkLogger } from '../../src/elasticsearch/sink/index.js';
import { bulkBody, harness, ManualClock, until } from '../helpers/sink-harness.js';
import { itemFaults } from '../helpers/bulk-server.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';

/**
 * The Elasticsearch sink against the loopback `_bulk` stand-in, fed as in production: batches
 * encoded by the processing step's encoder, pushed with pushBatch.
 */

const idOf = (n: number) => {
  const doc = netfilterDoc(n);
  return documentId(doc['@timestamp'], doc.event.original);
};

const docs = (from: number, n: number) => Array.from({ length: n }, (_, i) => netfilterDoc(from + i));

function assertContiguousAcks(acks: number[], last: number): void {
  for (let i = 1; i < acks.length; i++) assert.ok(acks[i]! > acks[i - 1]!, `acks must increase: ${acks[i - 1]} then ${acks[i]}`);
  assert.equal(acks.at(-1), last);
}

/** A logger that keeps what was logged, for tests of what an operator sees. */
function recordingLogger(): SinkLogger & { lines: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('elasticsearch sink', () => {
  it('indexes into the dataset data streams with create and deterministic ids', async () => {
    const h = await harness();
    try {
      for (let b = 0; b < 10; b++) h.push(Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? authDoc(b * 50 + i) : netfilterDoc(b * 50 + i))), b, 'home');
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, 500);
      assert.equal(stats.indexed, 500);
      assert.equal(stats.bufferedBytes, 0);
      assert.equal(stats.bufferedDocs, 0);
      const indices = new Set([...h.server.docs.values()].map((d) => d.index));
      assert.deepEqual([...indices].sort(), ['logs-dropship.auth-home', 'logs-dropship.firewall-home']);
      assert.ok(h.server.docs.has(idOf(1)), 'the _id is the hash of timestamp and original line');
      assertContiguousAcks(h.acks, 9);
    } finally {
      await h.dispose();
    }
  });

  it('counts 409 conflicts as duplicates, not failures', async () => {
    const h = await harness();
    try {
      h.push(docs(0, 100), 0);
      await h.sink.flush();
      h.push(docs(0, 100), 1);
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(stats.indexed, 100);
      assert.equal(stats.duplicates, 100);
      assert.equal(stats.deadLettered, 0);
      assert.equal(stats.retriedItems, 0);
      assert.equal(h.server.storedCount, 100);
      assert.deepEqual(await h.deadLetters(), []);
    } finally {
      await h.dispose();
    }
  });

  it('retries only the items that failed with 429 or 5xx', async () => {
    const h = await harness({ maxBatchDocs: 50 });
    const failing = new Set<string>();
    h.server.onItem = ({ id, attempt }) => {
      if (attempt > 2 || !failing.has(id)) return undefined;
      return attempt === 1 ? itemFaults.rejected() : { status: 503, type: 'unavailable_shards_exception' };
    };
    try {
      for (let n = 0; n < 300; n++) if (n % 7 === 0) failing.add(idOf(n));
      for (let b = 0; b < 6; b++) h.push(docs(b * 50, 50), b);
      await h.sink.close();
      for (let n = 0; n < 300; n++) {
        const expected = n % 7 === 0 ? 3 : 1;
        assert.equal(h.server.attemptsFor(idOf(n)), expected, `doc ${n} was sent ${h.server.attemptsFor(idOf(n))} times`);
      }
      const stats = h.sink.stats();
      assert.equal(stats.indexed, 300);
      assert.equal(stats.duplicates, 0);
      assert.equal(stats.retriedItems, failing.size * 2);
      assert.equal(stats.failedRequests, 0);
      assert.equal(h.server.storedCount, 300);
      assertContiguousAcks(h.acks, 5);
    } finally {
      await h.dispose();
    }
  });

  it('sends 400 items to the dead-letter file (0600) with their reason, never retrying them', async () => {
    const h = await harness();
    const bad = new Set([idOf(3), idOf(42)]);
    h.server.onItem = ({ id }) => (bad.has(id) ? itemFaults.mappingError() : undefined);
    try {
      h.push(docs(0, 100), 0);
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(stats.indexed, 98);
      assert.equal(stats.deadLettered, 2);
      assert.equal(stats.indexed + stats.duplicates + stats.deadLettered, stats.pushed);
      const letters = await h.deadLetters();
      assert.equal(letters.length, 2);
      for (const letter of letters) {
        assert.equal(letter.status, 400);
        assert.equal(letter.index, 'logs-dropship.firewall-default');
        assert.match(String(letter.reason), /^document_parsing_exception: .*destination\.port/);
        assert.ok(!Number.isNaN(Date.parse(String(letter['@timestamp']))));
        const document = letter.document as { event: { original: string } };
        assert.equal(documentId((letter.document as Record<string, string>)['@timestamp'], document.event.original), letter.id);
        assert.equal(h.server.attemptsFor(String(letter.id)), 1);
      }
      assert.equal((await stat(h.deadLetterPath)).mode & 0o777, 0o600, 'dead letters are whole documents: owner only');
      assertContiguousAcks(h.acks, 0);
    } finally {
      await h.dispose();
    }
  });

  it('acknowledges in input order even when requests complete out of order', async () => {
    const storedAtAck: number[] = [];
    const h = await harness({ maxBatchDocs: 10, concurrency: 4, onAck: (token) => storedAtAck.push(token) });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first request is held, so later ones finish first; no ack may pass it.
    h.server.onBulkRequest = (request) => (request === 1 ? { kind: 'hold', until: held } : undefined);
    try {
      for (let b = 0; b < 4; b++) h.push(docs(b * 10, 10), b);
      await until(() => h.server.storedCount === 30, 'the three later requests to be stored');
      assert.deepEqual(storedAtAck, [], 'nothing is acknowledged while the first request is outstanding');
      release();
      await h.sink.close();
      assert.deepEqual(storedAtAck, [3], 'one ack covers the held request and the later ones at once');
      assert.equal(h.server.storedCount, 40);
    } finally {
      release();
      await h.dispose();
    }
  });

  it('a retry waits without holding a request slot: later requests go out and are stored meanwhile', async () => {
    const clock = new ManualClock();
    // One request at a time, and an item retry delay that only passes when the test moves the clock.
    const h = await harness({ maxBatchDocs: 10, concurrency: 1, itemRetryMs: 60_000, clock, random: () => 1 });
    const flaky = idOf(3);
    h.server.onItem = ({ id, attempt }) => (id === flaky && attempt === 1 ? itemFaults.rejected() : undefined);
    try {
      for (let b = 0; b < 3; b++) h.push(docs(b * 10, 10), b);
      await until(() => h.server.storedCount === 29, 'the other 29 documents to be stored');
      assert.deepEqual(h.acks, [], 'the first batch is not settled while its retry waits');
      assert.equal(h.server.attemptsFor(flaky), 1);
      assert.ok(clock.pending().includes(60_000), `the retry waits for its delay: ${clock.pending()}`);
      clock.advance(60_000);
      await h.sink.close();
      assert.equal(h.server.storedCount, 30);
      assert.equal(h.server.attemptsFor(flaky), 2);
      assert.deepEqual(h.acks, [2]);
    } finally {
      await h.dispose();
    }
  });

  it('5 % of items answered 429 on every attempt: every document stored once, retries without growing delays, no request failed', async () => {
    const log = recordingLogger();
    const h = await harness({ maxBatchBytes: 64 * 1024, itemRetryMs: 5, logger: log });
    // A stable pseudo-random 5 % per attempt, as a busy cluster rejects now this item, now that.
    h.server.onItem = ({ id, attempt }) => (hash('sha1', `${id}/${attempt}`, 'buffer')[0]! < 13 ? itemFaults.rejected() : undefined);
    try {
      const total = 4000;
      for (let b = 0; b < total / 100; b++) await h.write(docs(b * 100, 100), b);
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, total);
      assert.equal(stats.indexed, total);
      assert.equal(stats.failedRequests, 0);
      assert.ok(stats.retriedItems > 100, `retried ${stats.retriedItems}`);
      const delays = log.lines.filter((l) => l.msg === 'retrying failed bulk items').map((l) => l.obj.retryInMs as number);
      assert.ok(delays.length > 0);
      assert.ok(delays.every((d) => d <= 5), `item retries out of mostly good answers keep the short delay: ${Math.max(...delays)} ms`);
      assertContiguousAcks(h.acks, total / 100 - 1);
    } finally {
      await h.dispose();
    }
  });

  it('403 security_exception and 404 index_not_found inside a 200: pauses with one loud error, retries, never dead-letters', async () => {
    for (const fault of [itemFaults.forbidden, itemFaults.indexNotFound]) {
      const log = recordingLogger();
      const h = await harness({ logger: log, backoffInitialMs: 2, backoffMaxMs: 8 });
      let refusing = true;
      h.server.onItem = ({ index }) => (refusing ? fault(index) : undefined);
      try {
        for (let b = 0; b < 5; b++) h.push(docs(b * 20, 20), b);
        await until(() => h.server.bulkRequests >= 6, 'several refused probes');
        assert.equal(h.sink.stats().paused, true);
        assert.equal(h.server.maxBulkInFlight, 1, 'while paused, one probe at a time');
        refusing = false;
        await h.sink.close();
        const stats = h.sink.stats();
        assert.equal(h.server.storedCount, 100);
        assert.equal(stats.indexed, 100);
        assert.equal(stats.deadLettered, 0);
        assert.deepEqual(await h.deadLetters(), []);
        assert.equal(stats.pauses, 1);
        assert.equal(stats.paused, false);
        const errors = log.lines.filter((l) => l.level === 'error');
        assert.equal(errors.length, 1, `one error per pause: ${errors.map((e) => e.msg).join(' | ')}`);
        assert.match(errors[0]!.msg, /PAUSED: .*auto_configure on logs-dropship\.\*-\*/);
        assert.ok(log.lines.some((l) => /delivery resumed/.test(l.msg)));
        assertContiguousAcks(h.acks, 4);
      } finally {
        await h.dispose();
      }
    }
  });

  it('a 401 for the whole request pauses too, and a second outage is a second pause', async () => {
    const log = recordingLogger();
    const h = await harness({ logger: log, backoffInitialMs: 2, backoffMaxMs: 8 });
    let refusing = true;
    h.server.onBulkRequest = () => (refusing ? { kind: 'status', status: 401, type: 'security_exception', reason: 'unable to authenticate' } : undefined);
    try {
      h.push(docs(0, 10), 0);
      await until(() => h.server.bulkRequests >= 3, 'refused requests');
      refusing = false;
      await h.sink.flush();
      refusing = true;
      h.push(docs(10, 10), 1);
      await until(() => h.sink.stats().pauses === 2 && h.server.bulkRequests >= 6, 'the second pause');
      refusing = false;
      await h.sink.close();
      assert.equal(h.server.storedCount, 20);
      assert.equal(log.lines.filter((l) => l.level === 'error').length, 2);
      assert.match(log.lines.find((l) => l.level === 'error')!.msg, /does not accept the credentials/);
    } finally {
      await h.dispose();
    }
  });

  it('documents stored in the failure store are counted apart, not as indexed', async () => {
    const log = recordingLogger();
    const h = await harness({ logger: log });
    const failing = new Set([idOf(4), idOf(7), idOf(9)]);
    h.server.onItem = ({ id }) => (failing.has(id) ? itemFaults.failureStore() : undefined);
    try {
      h.push(docs(0, 10), 0);
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(stats.indexed, 7);
      assert.equal(stats.failureStore, 3);
      assert.equal(stats.deadLettered, 0);
      assert.equal(h.server.failureStoreDocs.length, 3);
      assert.ok(h.server.failureStoreDocs.every((d) => d.index.startsWith('.fs-logs-dropship.firewall-default')));
      assert.deepEqual(h.acks, [0]);
      assert.ok(log.lines.some((l) => l.level === 'warn' && /failure store/.test(l.msg) && l.obj.docs === 3));
    } finally {
      await h.dispose();
    }
  });

  it('survives a 429/503 storm and dropped connections with no loss and bounded memory', async () => {
    const budget = 256 * 1024;
    const h = await harness({ maxBatchBytes: 32 * 1024, maxBufferedBytes: budget, concurrency: 3 });
    h.server.onBulkRequest = (request) => {
      if (request <= 30) return { kind: 'status', status: request % 2 ? 429 : 503 };
      if (request <= 40) return { kind: 'destroy' };
      return undefined;
    };
    const total = 5000;
    let peakBuffered = 0;
    let maxBatch = 0;
    try {
      for (let b = 0; b < total / 10; b++) {
        const batch = docs(b * 10, 10);
        maxBatch = Math.max(maxBatch, batch.reduce((n, d) => n + JSON.stringify(d).length + 200, 0));
        await h.write(batch, b);
        peakBuffered = Math.max(peakBuffered, h.sink.stats().bufferedBytes);
      }
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, total);
      assert.equal(stats.indexed + stats.duplicates, total);
      assert.equal(stats.deadLettered, 0);
      assert.ok(stats.failedRequests >= 40, `failed requests: ${stats.failedRequests}`);
      assert.ok(peakBuffered <= budget + maxBatch, `buffered peaked at ${peakBuffered} bytes, budget ${budget}`);
      assertContiguousAcks(h.acks, total / 10 - 1);
    } finally {
      await h.dispose();
    }
  });

  it('waits out a refused connection and resumes without loss', async () => {
    const h = await harness({ maxBatchDocs: 100, maxBufferedBytes: 200 * 1024 });
    try {
      await h.server.refuseConnections();
      let pushed = 0;
      const writer = (async () => {
        for (let b = 0; b < 200; b++) {
          await h.write(docs(b * 10, 10), b);
          pushed = b + 1;
        }
      })();
      await until(() => h.sink.stats().failedRequests >= 2, 'requests attempted while refused');
      assert.equal(h.server.storedCount, 0);
      assert.ok(pushed < 200, 'the writer is held back by the budget');
      await h.server.acceptConnections();
      await writer;
      await h.sink.close();
      assert.equal(h.server.storedCount, 2000);
      assert.equal(h.sink.stats().indexed + h.sink.stats().duplicates, 2000);
      assertContiguousAcks(h.acks, 199);
    } finally {
      await h.dispose();
    }
  });

  it('retries a timed-out request; what the server did meanwhile comes back as duplicates', async () => {
    const h = await harness({ requestTimeoutMs: 100 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    h.server.onBulkRequest = (request) => (request === 1 ? { kind: 'hold', until: held } : undefined);
    try {
      h.push(docs(0, 20), 0);
      await until(() => h.sink.stats().failedRequests >= 1, 'the request to time out');
      release();
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, 20);
      assert.equal(stats.indexed + stats.duplicates, 20);
    } finally {
      release();
      await h.dispose();
    }
  });

  it('splits a request refused as too large (413) and dead-letters a lone document refused with a request-level 400', async () => {
    const h = await harness();
    h.server.onBulkRequest = (request) => (request === 1 ? { kind: 'status', status: 413, type: 'request_entity_too_large' } : undefined);
    try {
      h.push(docs(0, 8), 0);
      await h.sink.flush();
      assert.equal(h.server.storedCount, 8);
      assert.equal(h.server.bulkRequests, 3, 'the refused request, then its two halves');
      h.server.onBulkRequest = () => ({ kind: 'status', status: 400, type: 'illegal_argument_exception', reason: 'bad request' });
      h.push(docs(100, 1), 1);
      await h.sink.close();
      const letters = await h.deadLetters();
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.status, 400);
      assert.equal(letters[0]!.id, idOf(100));
      assert.equal(h.sink.stats().deadLettered, 1);
      assert.deepEqual(h.acks.at(-1), 1);
    } finally {
      await h.dispose();
    }
  });

  it('close() settles everything and then refuses new documents', async () => {
    const h = await harness({ flushIntervalMs: 60_000 });
    h.server.onBulkRequest = (request) => (request <= 3 ? { kind: 'status', status: 503 } : undefined);
    try {
      h.push(docs(0, 50), 0);
      await h.sink.close();
      assert.equal(h.server.storedCount, 50);
      assert.equal(h.sink.stats().bufferedDocs, 0);
      assert.equal(h.acks.at(-1), 0);
      assert.throws(() => h.push(docs(99, 1), 1), /after close/);
    } finally {
      await h.dispose();
    }
  });

  it('abort() gives up on what is unsettled: it is never acknowledged', async () => {
    const h = await harness();
    h.server.onBulkRequest = () => ({ kind: 'status', status: 503 });
    try {
      h.push(docs(0, 10), 0);
      await until(() => h.sink.stats().failedRequests >= 2, 'failed requests');
      h.sink.abort();
      await h.sink.close();
      assert.deepEqual(h.acks, []);
      assert.equal(h.push(docs(10, 1), 1), true, 'pushes after abort are ignored');
    } finally {
      await h.dispose();
    }
  });

  it('sends request bodies byte-exactly for multi-byte text, across requests of any size', async () => {
    const h = await harness({ maxBatchBytes: 4096 });
    try {
      const all = Array.from({ length: 60 }, (_, n) => {
        const doc = netfilterDoc(n);
        // Mostly multi-byte (3–4 bytes per character in UTF-8), and one document far above the request size.
        doc.event.original = `${doc.event.original} ü€😀 ${'€'.repeat(n === 30 ? 20_000 : n * 10)}`;
        return doc;
      });
      for (let b = 0; b < 6; b++) h.push(all.slice(b * 10, b * 10 + 10), b);
      await h.sink.close();
      assert.equal(h.server.storedCount, 60);
      for (const doc of all) {
        const stored = h.server.docs.get(documentId(doc['@timestamp'], doc.event.original));
        assert.equal(stored?.source, JSON.stringify(doc));
      }
    } finally {
      await h.dispose();
    }
  });

  it('takes whole _bulk batches: retries and dead-letters single documents inside them, acks batches in order, releases each body once settled', { timeout: 60_000 }, async () => {
    // Requests smaller than one batch, so batches are also split across requests.
    const h = await harness({ maxBatchBytes: 20_000 });
    const flaky = new Set([idOf(5), idOf(77), idOf(150), idOf(299)]);
    const broken = idOf(123);
    const released: number[] = [];
    h.server.onItem = ({ id, attempt }) => {
      if (id === broken) return itemFaults.mappingError();
      return flaky.has(id) && attempt === 1 ? itemFaults.rejected() : undefined;
    };
    try {
      for (let b = 0; b < 10; b++) {
        const bytes = bulkBody(docs(b * 30, 30));
        // Once released, a body's memory is reused for another batch: scribble over it, so any
        // later read (a retry, a dead letter) would send or record garbage.
        h.sink.pushBatch(bytes, 30, b, () => {
          released.push(b);
          bytes.fill(0x7e);
        });
      }
      // An empty batch (all blank lines) is acknowledged in its turn and holds no memory.
      h.sink.pushBatch(Buffer.alloc(0), 0, 10, () => released.push(10));
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(stats.pushed, 300);
      assert.equal(stats.indexed, 299);
      assert.equal(stats.deadLettered, 1);
      assert.equal(stats.retriedItems, flaky.size);
      assert.equal(h.server.storedCount, 299);
      for (let n = 0; n < 300; n++) assert.equal(h.server.attemptsFor(idOf(n)), flaky.has(idOf(n)) ? 2 : 1, `doc ${n}`);
      const [letter, ...more] = await h.deadLetters();
      assert.equal(more.length, 0);
      assert.equal(letter!.id, broken);
      assert.equal(letter!.index, 'logs-dropship.firewall-default');
      assert.deepEqual(letter!.document, JSON.parse(stringifyDocument(netfilterDoc(123))));
      assertContiguousAcks(h.acks, 10);
      assert.deepEqual([...released].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each body released once');
      assert.equal(stats.bufferedBytes, 0);
      assert.equal(h.sink.stats().bufferedDocs, 0);
    } finally {
      await h.dispose();
    }
  });
});

test('ids are base64url of the first 20 bytes of sha256(epoch ms, newline, original line)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4102444800000 }), fc.string({ unit: 'binary' }), (ms, original) => {
      const expected = hash('sha256', `${ms}\n${original}`, 'buffer').subarray(0, 20).toString('base64url');
      assert.equal(documentId(new Date(ms).toISOString(), original), expected);
    }),
    { numRuns: 2000 },
  );
});

test('canonical timestamps agree with Date.parse for any text, in any order', () => {
  const iso = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }).map((ms) => new Date(ms).toISOString());
  // Texts of one hour (the shortcut's case), some with an odd character where a digit or a
  // separator goes (minute 60, "1a", ...), among texts of other hours and random strings.
  const item = fc.oneof(
    fc.record({ kind: fc.constant('hour' as const), off: fc.integer({ min: 0, max: 3_599_999 }) }),
    fc.record({ kind: fc.constant('odd' as const), off: fc.integer({ min: 0, max: 3_599_999 }), at: fc.integer({ min: 11, max: 23 }), c: fc.constantFrom('6', '7', '9', 'a', ':', '.', 'Z', ' ', '０') }),
    fc.record({ kind: fc.constant('other' as const), text: fc.oneof(iso, fc.string({ maxLength: 30 })) }),
  );
  fc.assert(
    fc.property(iso, fc.array(item, { maxLength: 40 }), (base, items) => {
      const hour = Date.parse(base.slice(0, 14) + '00:00.000Z');
      for (const it of items) {
        let t = it.kind === 'other' ? it.text : new Date(hour + it.off).toISOString();
        if (it.kind === 'odd') t = t.slice(0, it.at) + it.c + t.slice(it.at + 1);
        const ms = Date.parse(t);
        assert.equal(canonicalTimestamp(t), Number.isFinite(ms) ? String(ms) : t, t);
      }
    }),
    { numRuns: 3000 },
  );
});
