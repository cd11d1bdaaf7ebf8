import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { canonicalTimestamp } from '../../src/model/doc-id.js';
import { documentId, ElasticsearchSink, FileDeadLetterQueue, onShutdownSignals, serializeDocument } from '../../src/elasticsearch/sink/index.js';
import { hash } from 'node:crypto';
import fc from 'fast-check';
import { harness } from '../helpers/sink-harness.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';

const idOf = (n: number) => {
  const doc = netfilterDoc(n);
  return documentId(doc['@timestamp'], doc.event.original);
};

function assertContiguousAcks(acks: number[], last: number): void {
  for (let i = 1; i < acks.length; i++) assert.ok(acks[i]! > acks[i - 1]!, `acks must increase: ${acks[i - 1]} then ${acks[i]}`);
  assert.equal(acks.at(-1), last);
}

describe('elasticsearch sink', () => {
  it('indexes into the dataset data streams with create and deterministic ids', async () => {
    const h = await harness({ namespace: 'home' });
    try {
      for (let n = 0; n < 500; n++) h.sink.push(n % 5 === 0 ? authDoc(n) : netfilterDoc(n), n);
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, 500);
      assert.equal(stats.indexed, 500);
      assert.equal(stats.bufferedBytes, 0);
      assert.equal(stats.bufferedDocs, 0);
      const indices = new Set([...h.server.docs.values()].map((d) => d.index));
      assert.deepEqual([...indices].sort(), ['logs-dropship.auth-home', 'logs-dropship.firewall-home']);
      assert.ok(h.server.docs.has(idOf(1)), 'the _id is the hash of timestamp and original line');
      assertContiguousAcks(h.acks, 499);
    } finally {
      await h.dispose();
    }
  });

  it('counts 409 conflicts as duplicates, not failures', async () => {
    const h = await harness();
    try {
      for (let n = 0; n < 100; n++) h.sink.push(netfilterDoc(n), n);
      await h.sink.flush();
      for (let n = 0; n < 100; n++) h.sink.push(netfilterDoc(n), 100 + n);
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
      return attempt === 1 ? { status: 429 } : { status: 503, type: 'unavailable_shards_exception' };
    };
    try {
      for (let n = 0; n < 300; n++) if (n % 7 === 0) failing.add(idOf(n));
      for (let n = 0; n < 300; n++) h.sink.push(netfilterDoc(n), n);
      await h.sink.close();
      for (let n = 0; n < 300; n++) {
        const expected = n % 7 === 0 ? 3 : 1;
        assert.equal(h.server.attemptsFor(idOf(n)), expected, `doc ${n} was sent ${h.server.attemptsFor(idOf(n))} times`);
      }
      const stats = h.sink.stats();
      assert.equal(stats.indexed, 300);
      assert.equal(stats.duplicates, 0);
      assert.equal(stats.retriedItems, failing.size * 2);
      assert.equal(h.server.storedCount, 300);
      assertContiguousAcks(h.acks, 299);
    } finally {
      await h.dispose();
    }
  });

  it('sends 400 items to the dead-letter file with their reason, never retrying them', async () => {
    const h = await harness();
    const bad = new Set([idOf(3), idOf(42)]);
    h.server.onItem = ({ id }) =>
      bad.has(id)
        ? { status: 400, type: 'document_parsing_exception', reason: "[1:200] failed to parse field [destination.port] of type [long]" }
        : undefined;
    try {
      for (let n = 0; n < 100; n++) h.sink.push(netfilterDoc(n), n);
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
      assertContiguousAcks(h.acks, 99);
    } finally {
      await h.dispose();
    }
  });

  it('acknowledges in input order even when batches complete out of order', async () => {
    const acks: number[] = [];
    const storedAtAck: number[] = [];
    const h = await harness({
      maxBatchDocs: 10,
      concurrency: 4,
      onAck: (token) => {
        acks.push(token);
        storedAtAck.push(h.server.storedCount);
      },
    });
    // The first request is slow, so later batches finish first; no ack may pass the slow batch.
    h.server.onBulkRequest = (request) => (request === 1 ? { kind: 'delay', ms: 150 } : undefined);
    const sink = h.sink;
    try {
      for (let n = 0; n < 40; n++) sink.push(netfilterDoc(n), n);
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(acks, [], 'nothing is acknowledged while the first batch is outstanding');
      assert.equal(h.server.storedCount, 30, 'the three later batches are already stored');
      await sink.close();
      assertContiguousAcks(acks, 39);
      assert.deepEqual(acks, [39], 'one ack covers the slow batch and the later ones at once');
      acks.forEach((token, i) => assert.ok(storedAtAck[i]! >= token + 1, 'an ack never runs ahead of what is stored'));
    } finally {
      await h.dispose();
    }
  });

  it('flushes by age under a trickle: the timer is not restarted by new documents', async () => {
    const h = await harness({ flushIntervalMs: 1000 });
    try {
      const start = Date.now();
      let firstStoredAt = 0;
      const firstId = idOf(0);
      for (let n = 0; n < 7; n++) {
        h.sink.push(netfilterDoc(n), n);
        await new Promise((r) => setTimeout(r, 200));
        if (!firstStoredAt && h.server.docs.has(firstId)) firstStoredAt = Date.now();
      }
      assert.ok(firstStoredAt > 0, 'the first document was indexed while documents kept arriving');
      const waited = firstStoredAt - start;
      assert.ok(waited >= 900 && waited <= 1400, `first document waited ${waited} ms`);
      await h.sink.close();
      assert.equal(h.server.storedCount, 7);
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
    let maxDoc = 0;
    try {
      for (let n = 0; n < total; n++) {
        const doc = netfilterDoc(n);
        maxDoc = Math.max(maxDoc, JSON.stringify(doc).length + 200);
        await h.sink.write(doc, n);
        peakBuffered = Math.max(peakBuffered, h.sink.stats().bufferedBytes);
      }
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, total);
      assert.equal(stats.indexed + stats.duplicates, total);
      assert.equal(stats.deadLettered, 0);
      assert.ok(stats.failedRequests >= 40, `failed requests: ${stats.failedRequests}`);
      assert.ok(peakBuffered <= budget + maxDoc, `buffered peaked at ${peakBuffered} bytes, budget ${budget}`);
      assertContiguousAcks(h.acks, total - 1);
    } finally {
      await h.dispose();
    }
  });

  it('waits out a refused connection and resumes without loss', async () => {
    const h = await harness({ maxBatchDocs: 100, maxBufferedBytes: 200 * 1024 });
    try {
      await h.server.refuseConnections();
      const writer = (async () => {
        for (let n = 0; n < 2000; n++) await h.sink.write(netfilterDoc(n), n);
      })();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(h.server.storedCount, 0);
      assert.ok(h.sink.stats().failedRequests > 0, 'requests were attempted while refused');
      assert.ok(h.sink.stats().pushed < 2000, 'the writer is paused by backpressure');
      await h.server.acceptConnections();
      await writer;
      await h.sink.close();
      assert.equal(h.server.storedCount, 2000);
      assert.equal(h.sink.stats().indexed + h.sink.stats().duplicates, 2000);
      assertContiguousAcks(h.acks, 1999);
    } finally {
      await h.dispose();
    }
  });

  it('retries a timed-out request; what the server did meanwhile comes back as duplicates', async () => {
    const h = await harness({ requestTimeoutMs: 100 });
    h.server.onBulkRequest = (request) => (request === 1 ? { kind: 'delay', ms: 300 } : undefined);
    try {
      for (let n = 0; n < 20; n++) h.sink.push(netfilterDoc(n), n);
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(h.server.storedCount, 20);
      assert.equal(stats.indexed + stats.duplicates, 20);
      assert.ok(stats.failedRequests >= 1);
    } finally {
      await h.dispose();
    }
  });

  it('splits a batch rejected as too large (413) and dead-letters a lone request-level 400', async () => {
    const h = await harness();
    h.server.onBulkRequest = (request) => (request === 1 ? { kind: 'status', status: 413, type: 'request_entity_too_large' } : undefined);
    try {
      for (let n = 0; n < 8; n++) h.sink.push(netfilterDoc(n), n);
      await h.sink.flush();
      assert.equal(h.server.storedCount, 8);
      h.server.onBulkRequest = () => ({ kind: 'status', status: 400, type: 'illegal_argument_exception', reason: 'bad request' });
      h.sink.push(netfilterDoc(100), 100);
      await h.sink.close();
      const letters = await h.deadLetters();
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.status, 400);
      assert.equal(h.sink.stats().deadLettered, 1);
      assert.deepEqual(h.acks.at(-1), 100);
    } finally {
      await h.dispose();
    }
  });

  it('never throws on bad documents: they are dead-lettered and acknowledged in order', async () => {
    const h = await harness<string>();
    const circular: Record<string, unknown> = { '@timestamp': 'x' };
    circular.self = circular;
    try {
      assert.equal(h.sink.push(null, 'a'), true);
      h.sink.push(circular, 'b');
      h.sink.push({ big: 1n }, 'c');
      h.sink.push(undefined, 'd');
      h.sink.push('a string', 'e');
      h.sink.push(netfilterDoc(1), 'f');
      await h.sink.close();
      const stats = h.sink.stats();
      assert.equal(stats.deadLettered, 5);
      assert.equal(stats.indexed, 1);
      assert.equal(h.acks.at(-1), 'f');
      const letters = await h.deadLetters();
      assert.equal(letters.length, 5);
      assert.ok(letters.every((l) => l.status === 0 && typeof l.reason === 'string' && l.document === null));
    } finally {
      await h.dispose();
    }
  });

  it('close() settles everything and then refuses new documents', async () => {
    const h = await harness({ flushIntervalMs: 60_000 });
    h.server.onBulkRequest = (request) => (request <= 3 ? { kind: 'status', status: 503 } : undefined);
    try {
      for (let n = 0; n < 50; n++) h.sink.push(netfilterDoc(n), n);
      await h.sink.close();
      assert.equal(h.server.storedCount, 50);
      assert.equal(h.sink.stats().bufferedDocs, 0);
      assert.equal(h.acks.at(-1), 49);
      assert.throws(() => h.sink.push(netfilterDoc(99), 99), /after close/);
    } finally {
      await h.dispose();
    }
  });

  it('builds request bodies byte-exactly for multi-byte text, across batches of any size', async () => {
    const h = await harness({ maxBatchBytes: 4096 });
    try {
      const docs = Array.from({ length: 60 }, (_, n) => {
        const doc = netfilterDoc(n);
        // Mostly multi-byte (3–4 bytes per character in UTF-8), and one document far above the batch size.
        doc.event.original = `${doc.event.original} ü€😀 ${'€'.repeat(n === 30 ? 20_000 : n * 10)}`;
        return doc;
      });
      docs.forEach((doc, n) => h.sink.push(doc, n));
      await h.sink.close();
      assert.equal(h.server.storedCount, 60);
      for (const doc of docs) {
        const stored = h.server.docs.get(documentId(doc['@timestamp'], doc.event.original));
        assert.equal(stored?.source, JSON.stringify(doc));
      }
    } finally {
      await h.dispose();
    }
  });

  it('drains on the first shutdown signal and gives up on the second', async () => {
    const calls: string[] = [];
    const sink = { close: async () => void calls.push('close'), abort: () => void calls.push('abort') };
    const messages: string[] = [];
    const off = onShutdownSignals(sink, (m) => messages.push(m), ['SIGUSR2']);
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2');
      assert.deepEqual(calls, ['close', 'abort']);
      assert.equal(messages.length, 2);
    } finally {
      off();
    }
  });

  it('accepts documents serialized elsewhere (e.g. in a worker thread) and vets them', async () => {
    const h = await harness();
    try {
      const good = serializeDocument(authDoc(3));
      assert.equal(good.dataset, 'dropship.auth');
      h.sink.pushSerialized(structuredClone(good), 0);
      h.sink.pushSerialized({ ...good, id: 'has "quotes"' }, 1);
      h.sink.pushSerialized({ ...good, json: 'not json' }, 2);
      h.sink.pushSerialized(serializeDocument({ n: 1n }), 3);
      await h.sink.close();
      assert.equal(h.server.docs.get(good.id)?.index, 'logs-dropship.auth-default');
      assert.equal(h.sink.stats().indexed, 1);
      assert.equal(h.sink.stats().deadLettered, 3);
      assert.equal(h.acks.at(-1), 3);
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
      if (id === broken) return { status: 400, type: 'document_parsing_exception', reason: 'bad field' };
      return flaky.has(id) && attempt === 1 ? { status: 429 } : undefined;
    };
    try {
      for (let b = 0; b < 10; b++) {
        let body = '';
        for (let n = b * 30; n < (b + 1) * 30; n++) {
          const s = serializeDocument(netfilterDoc(n));
          body += `{"create":{"_index":"logs-dropship.firewall-default","_id":"${s.id}"}}\n${s.json}\n`;
        }
        // Once released, a body's memory is reused for another batch: scribble over it, so any
        // later read (a retry, a dead letter) would send or record garbage.
        const bytes = Buffer.from(body);
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
      assert.deepEqual(letter!.document, JSON.parse(serializeDocument(netfilterDoc(123)).json));
      assertContiguousAcks(h.acks, 10);
      assert.deepEqual([...released].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each body released once');
      assert.equal(stats.bufferedBytes, 0);
      assert.equal(h.sink.stats().bufferedDocs, 0);
    } finally {
      await h.dispose();
    }
  });

  it('derives ids as base64url of the first 20 bytes of sha256(epoch ms, newline, original line)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800000 }), fc.string({ unit: 'binary' }), (ms, original) => {
        const expected = hash('sha256', `${ms}\n${original}`, 'buffer').subarray(0, 20).toString('base64url');
        assert.equal(documentId(new Date(ms).toISOString(), original), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('canonical timestamps agree with Date.parse for any text, in any order', () => {
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

  it('rejects an invalid namespace up front', () => {
    const client = new Client({ node: 'http://127.0.0.1:9' });
    const deadLetter = new FileDeadLetterQueue('/nonexistent/never-written.ndjson');
    for (const namespace of ['My-Home', 'a-b', '', 'x'.repeat(101), 'a b'])
      assert.throws(() => new ElasticsearchSink({ client, deadLetter, namespace }), /namespace/);
    void client.close();
  });
});
