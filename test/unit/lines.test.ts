import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteLineSplitter, decodeLines, lineStart, type LineBytes } from '../../src/sources/framing/line-bytes.js';
import { readLineBatches } from '../../src/sources/framing/lines.js';

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

/** The splitter's contract over a whole input at once: what any chunking must produce. */
function reference(input: Buffer, max: number): { lines: Buffer[]; truncated: number[]; end: number } {
  const lines: Buffer[] = [];
  const truncated: number[] = [];
  let start = 0;
  while (start < input.length) {
    let nl = input.indexOf(10, start);
    if (nl < 0) nl = input.length;
    if (nl - start > max) truncated.push(lines.length);
    lines.push(input.subarray(start, Math.min(nl, start + max)));
    start = nl + 1;
  }
  return { lines, truncated, end: input.length };
}

test('byte splitter: any chunking of any input gives the whole-input lines, cuts and offsets (chunk buffers reused)', () => {
  const max = 8;
  const bytes = fc.array(fc.oneof(fc.constant(10), fc.constant(0x41), fc.integer({ min: 0, max: 255 })), { maxLength: 120 });
  fc.assert(
    fc.property(bytes, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (arr, sizes) => {
      const input = Buffer.from(arr);
      const splitter = new ByteLineSplitter(max);
      const got: Buffer[] = [];
      const cut: number[] = [];
      const scratch = Buffer.alloc(64);
      let lastEnd = 0;
      const take = (b: LineBytes): void => {
        for (const t of b.truncated) cut.push(got.length + t);
        let s = 0;
        while (s < b.data.length) {
          const nl = b.data.indexOf(10, s);
          assert.ok(nl >= 0, 'every line in data ends with a newline');
          got.push(Buffer.from(b.data.subarray(s, nl)));
          s = nl + 1;
        }
        if (b.data.length > 0) {
          // Where the batch's first line starts: where the last one emitted ended; without cut
          // lines the data is the input's bytes from there (plus the newline a flush adds).
          assert.equal(b.startOffset, lastEnd);
          if (b.truncated.length === 0) assert.equal(b.startOffset + b.data.length - (input[b.endOffset - 1] === 10 ? 0 : 1), b.endOffset);
        }
        if (b.endOffset >= 0) {
          assert.ok(b.endOffset > lastEnd);
          assert.equal(input[b.endOffset - 1] === 10 || b.endOffset === input.length, true);
          lastEnd = b.endOffset;
        }
      };
      for (let at = 0, k = 0; at < input.length; k++) {
        const n = Math.min(sizes[k % sizes.length]!, input.length - at);
        input.copy(scratch, 0, at, at + n);
        take(splitter.push(scratch.subarray(0, n)));
        scratch.fill(0x7e); // the follower reuses its read buffer: nothing may point into it
        at += n;
      }
      take(splitter.flush());
      const want = reference(input, max);
      assert.deepEqual(got.map((b) => b.toString('hex')), want.lines.map((b) => b.toString('hex')));
      assert.deepEqual(cut, want.truncated);
      assert.equal(lastEnd, want.lines.length === 0 ? 0 : want.end);
    }),
    { numRuns: 2000 },
  );
});

test('byte splitter: a long chunk with overlong lines among short ones is cut line by line', () => {
  const s = new ByteLineSplitter(10);
  const b = s.push(Buffer.from(`short\n${'x'.repeat(25)}\nok\n${'y'.repeat(11)}\nlast\n`));
  assert.deepEqual(decodeLines(b.data), ['short', 'x'.repeat(10), 'ok', 'y'.repeat(10), 'last']);
  assert.deepEqual(b.truncated, [1, 3]);
  assert.equal(b.endOffset, 6 + 26 + 3 + 12 + 5);
  assert.equal(b.data.byteOffset, 0, 'the batch owns its memory (so it can be transferred)');
  assert.equal(b.data.buffer.byteLength, b.data.length);
});

test('lineStart: where each line of a batch starts, with or without a last newline, empty lines included', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z]{0,4}$/), { minLength: 1, maxLength: 12 }), fc.boolean(), (lines, lastNewline) => {
      const text = lines.join('\n') + (lastNewline ? '\n' : '');
      const data = Buffer.from(text);
      const count = decodeLines(data).length;
      let at = 0;
      for (let n = 0; n < count; n++) {
        assert.equal(lineStart(data, n, count), at, `line ${n} of ${JSON.stringify(text)}`);
        at += Buffer.byteLength(lines[n]!) + 1;
      }
      assert.equal(lineStart(data, count, count), data.length);
    }),
    { numRuns: 500 },
  );
});
