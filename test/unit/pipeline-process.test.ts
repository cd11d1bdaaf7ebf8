import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrayBufferPool } from '../../src/processing/buffer-pool.js';
import { createPool } from '../../src/processing/pool.js';
import { createProcessor } from '../../src/processing/process.js';
import { ByteLineSplitter } from '../../src/sources/framing/line-bytes.js';
import { documentId } from '../../src/model/doc-id.js';

const line = (n: number): string =>
  `<4>Nov 16 10:42:${String(n % 60).padStart(2, '0')} rt-ü€😀-${n} kernel: DROP IN=eth0 OUT= SRC=203.0.113.${n % 250} DST=198.51.100.20 ` +
  `LEN=40 TOS=0x00 PREC=0x00 TTL=${n % 255} ID=${n} PROTO=TCP SPT=${1024 + n} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 ${'€'.repeat(n % 97)}`;

test('a batch becomes one _bulk body: an action with the deterministic id before each document, multi-byte text intact', async () => {
  const process_ = await createProcessor({ timezone: 'UTC', year: 2026, geoip: false }, { format: 'bulk', namespace: 'home' });
  // Several MB: more than the processor's first buffer, so it has to grow mid-batch.
  const lines = Array.from({ length: 3000 }, (_, n) => line(n));
  lines.splice(10, 0, '   ');
  const batch = process_({ lines, truncated: [] });
  assert.equal(batch.docs, 3000);
  assert.equal(batch.lines, 3001);
  assert.ok(batch.body.length > 2 * 2 ** 20);
  const text = batch.body.toString('utf8');
  assert.ok(text.endsWith('\n'));
  const rows = text.slice(0, -1).split('\n');
  assert.equal(rows.length, 6000);
  for (let d = 0; d < 3000; d++) {
    const action = JSON.parse(rows[2 * d]!) as { create: { _index: string; _id: string } };
    const doc = JSON.parse(rows[2 * d + 1]!) as { '@timestamp': string; event: { original: string } };
    assert.equal(doc.event.original, line(d));
    assert.equal(action.create._index, 'logs-dropship.firewall-home');
    assert.equal(action.create._id, documentId(doc['@timestamp'], doc.event.original));
  }
  // The buffer is reused between batches: a second, smaller batch must not carry the first's bytes.
  const again = process_({ lines: [line(1)], truncated: [] });
  assert.equal(again.docs, 1);
  assert.equal(again.body.toString('utf8').split('\n').length, 3);
});

test('the ndjson format is one document per line', async () => {
  const process_ = await createProcessor({ timezone: 'UTC', year: 2026, geoip: false }, { format: 'ndjson' });
  const batch = process_({ lines: [line(1), line(2)], truncated: [] });
  const rows = batch.body.toString('utf8').split('\n');
  assert.deepEqual(rows.slice(0, 2).map((r) => (JSON.parse(r) as { event: { original: string } }).event.original), [line(1), line(2)]);
  assert.equal(rows[2], '');
});

test('buffer pool: reuse within about twice the size, a fresh buffer otherwise, longest-kept evicted first', () => {
  const pool = new ArrayBufferPool(2);
  const a = pool.take(100_000);
  assert.equal(a.length, 100_000);
  assert.equal(a.byteOffset, 0);
  pool.give(a.buffer as ArrayBuffer);
  assert.equal(pool.take(90_000).buffer, a.buffer, 'reused for a similar size');
  pool.give(a.buffer as ArrayBuffer);
  assert.notEqual(pool.take(1_000).buffer, a.buffer, 'a one-line batch does not pin a big buffer');
  assert.notEqual(pool.take(200_000).buffer, a.buffer, 'too small for this one');
  const b = pool.take(10).buffer as ArrayBuffer;
  const c = pool.take(10).buffer as ArrayBuffer;
  pool.give(b);
  pool.give(c); // full now: a goes
  assert.equal(pool.size, 2);
  assert.notEqual(pool.take(100_000).buffer, a.buffer);
  pool.give(new ArrayBuffer(0)); // detached ones are ignored
  assert.equal(pool.size, 2);
});

test('worker pool: line bytes and bodies recycled between threads never mix batches', async () => {
  const config = { timezone: 'UTC', year: 2026, geoip: false as const };
  const encoding = { format: 'bulk' as const, namespace: 'home' };
  const reference = await createProcessor(config, encoding);
  const pool = await createPool(config, encoding, 1);
  try {
    const splitter = new ByteLineSplitter(64 * 1024, 0, (size) => pool.lineBuffers.take(size));
    const held: Buffer[] = [];
    for (let round = 0; round < 40; round++) {
      // Batch sizes wander, so reused buffers are sometimes larger than the batch.
      const lines = Array.from({ length: 50 + ((round * 37) % 300) }, (_, n) => line(round * 1000 + n));
      const bytes = splitter.push(Buffer.from(lines.join('\n') + '\n'));
      const got = await pool.process({ data: bytes.data, truncated: bytes.truncated });
      const want = reference({ lines, truncated: [] });
      assert.equal(got.body.toString('utf8').replace(/"created":"[^"]+"/g, ''), want.body.toString('utf8').replace(/"created":"[^"]+"/g, ''), `round ${round}`);
      // Release bodies late and out of step, as the sink does when requests overlap.
      held.push(got.body);
      if (held.length > 3) pool.recycle(held.shift()!);
    }
    assert.ok(pool.lineBuffers.size > 0, 'line buffers came back from the thread');
  } finally {
    await pool.close();
  }
});
