import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLineBatches } from '../src/sources/lines.js';

async function collect(chunks: (string | Buffer)[], max?: number): Promise<{ lines: string[]; truncated: string[]; ends: number[] }> {
  async function* source(): AsyncGenerator<string | Buffer> {
    yield* chunks;
  }
  const lines: string[] = [];
  const truncated: string[] = [];
  const ends: number[] = [];
  for await (const b of readLineBatches(source(), max)) {
    b.lines.forEach((l, i) => {
      lines.push(l);
      if (b.truncated.includes(i)) truncated.push(l);
    });
    ends.push(b.endOffset);
  }
  return { lines, truncated, ends };
}

test('lines split across chunks are joined; a final line without newline is kept', async () => {
  const r = await collect(['ab', 'c\nde', 'f\n\ng', 'h']);
  assert.deepEqual(r.lines, ['abc', 'def', '', 'gh']);
});

test('byte offsets point just past the last complete line', async () => {
  const r = await collect(['abc\nde', 'f\n']);
  assert.deepEqual(r.ends, [4, 8]);
});

test('an overlong line is cut at the limit, its rest skipped, and the next line intact', async () => {
  const r = await collect(['12345', '67890', 'abc\nok\n', 'x'.repeat(20) + '\nend'], 8);
  assert.deepEqual(r.lines, ['12345678', 'ok', 'xxxxxxxx', 'end']);
  assert.deepEqual(r.truncated, ['12345678', 'xxxxxxxx']);
});

test('a multi-byte character split between chunks is decoded whole; invalid UTF-8 becomes U+FFFD', async () => {
  const yen = Buffer.from('¥\n');
  const r = await collect([yen.subarray(0, 1), yen.subarray(1), Buffer.from([0xff, 0xfe, 0x41, 0x0a])]);
  assert.deepEqual(r.lines, ['¥', '\uFFFD\uFFFDA']);
});
