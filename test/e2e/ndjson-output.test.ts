/**
 * `--output ndjson:<file>` / `--output stdout` (src/sinks/ndjson.ts) on real targets: a regular
 * file, /dev/null (a character device, where fsync fails with EINVAL) and /dev/full (every write
 * fails with ENOSPC).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { NdjsonOutput } from '../../src/sinks/ndjson.js';

function body(from: number, count: number): Buffer {
  let s = '';
  for (let i = from; i < from + count; i++) s += JSON.stringify({ n: i }) + '\n';
  return Buffer.from(s);
}

test('a regular file gets every document once, in order; acks and releases follow the writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-ndjson-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'out.ndjson');
  const acks: number[] = [];
  const out = await NdjsonOutput.open<number>({ target: path, onAck: (t) => acks.push(t), maxBufferBytes: 4096 });
  const released: number[] = [];
  let docs = 0;
  for (let batch = 0; batch < 50; batch++) {
    const writable = out.pushBatch(body(docs, 40), 40, batch, () => released.push(batch));
    docs += 40;
    if (!writable) await out.whenWritable();
  }
  await out.close();
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
  assert.deepEqual(lines, Array.from({ length: docs }, (_, i) => i));
  assert.equal(out.written, docs);
  assert.deepEqual([...released].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i), 'each body released once');
  assert.equal(acks.at(-1), 49);
  assert.deepEqual(acks, [...acks].sort((a, b) => a - b), 'acks never go back');
});

test('/dev/null is written without fsync (which fails there) and acknowledged', async () => {
  const acks: number[] = [];
  const out = await NdjsonOutput.open<number>({ target: '/dev/null', onAck: (t) => acks.push(t) });
  out.pushBatch(body(0, 10), 10, 7);
  await out.flush();
  await out.close();
  assert.equal(out.written, 10);
  assert.deepEqual(acks, [7]);
});

test('a FIFO (no fsync there either) gets every byte of batches far larger than the pipe buffer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-fifo-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'out.fifo');
  execFileSync('mkfifo', [fifo]);
  // The reader first: opening a FIFO for writing waits for one.
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  reader.stdout.on('data', (d: Buffer) => chunks.push(d));
  const acks: number[] = [];
  const out = await NdjsonOutput.open<number>({ target: fifo, onAck: (t) => acks.push(t) });
  let docs = 0;
  for (let batch = 0; batch < 10; batch++) {
    if (!out.pushBatch(body(docs, 30_000), 30_000, batch)) await out.whenWritable();
    docs += 30_000;
  }
  await out.close();
  await once(reader, 'exit');
  const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
  assert.equal(lines.length, docs);
  assert.ok(lines.every((n, i) => n === i), 'in order, none missing or repeated');
  assert.equal(acks.at(-1), 9);
});

test('a failing target (/dev/full) rejects flush and whenWritable, refuses later pushes, acks nothing', async () => {
  const acks: number[] = [];
  const out = await NdjsonOutput.open<number>({ target: '/dev/full', onAck: (t) => acks.push(t), maxBufferBytes: 1024 });
  // A pipeline waiting for room must hear about the failure, not wait forever.
  const full = !out.pushBatch(body(0, 1000), 1000, 1);
  assert.ok(full, 'over four times maxBufferBytes: the caller is told to wait');
  await assert.rejects(out.whenWritable(), /cannot write output: ENOSPC/);
  await assert.rejects(out.flush(), /ENOSPC/);
  await assert.rejects(out.whenWritable(), /ENOSPC/);
  assert.throws(() => out.pushBatch(body(1000, 1), 1, 2), /ENOSPC/);
  await assert.rejects(out.close(), /ENOSPC/);
  assert.equal(out.written, 0);
  assert.deepEqual(acks, []);
});
