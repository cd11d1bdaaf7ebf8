import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CappedCounter, topEntries, type Counted } from '../../src/report/capped-counter.js';

/**
 * The report's bounded tables against exact counting: whatever the stream, the bounds the report
 * prints hold (CappedCounter's doc comment states them).
 */

function feed(keys: number[], cap: number): { table: CappedCounter<number, Counted>; exact: Map<number, number> } {
  const table = new CappedCounter<number, Counted>(cap);
  const exact = new Map<number, number>();
  for (const k of keys) {
    table.entry(k, () => ({ count: 0, error: 0 })).count++;
    exact.set(k, (exact.get(k) ?? 0) + 1);
  }
  return { table, exact };
}

/** Skewed keys, as scanners are: a few heavy, many seen once. */
const skewedKeys = fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
), { maxLength: 3000 });

test('capped table: bounds hold against exact counts, memory stays under the cap, nothing is lost', () => {
  fc.assert(fc.property(skewedKeys, fc.integer({ min: 1, max: 64 }), (keys, cap) => {
    const { table, exact } = feed(keys, cap);
    assert.ok(table.size <= cap);
    let kept = 0;
    for (const [k, v] of table.entries()) {
      const truth = exact.get(k)!;
      assert.ok(v.count <= truth && truth <= v.count + v.error, `key ${k}: ${v.count}+${v.error} vs ${truth}`);
      assert.ok(v.error <= table.floor);
      kept += v.count;
    }
    for (const [k, truth] of exact) if (table.get(k) === undefined) assert.ok(truth <= table.floor, `untracked ${k}: ${truth} > floor ${table.floor}`);
    assert.equal(kept + table.dropped, keys.length);
    assert.equal(table.exact, exact.size <= cap);
    if (table.exact) assert.equal(table.size, exact.size);
  }), { numRuns: 300 });
});

test('capped table: a key with more events than the floor is always kept, so the true top key is found', () => {
  // 40 scans of 1,000 one-off addresses each, one address in every scan: a table of 256 holds it.
  const keys: number[] = [];
  for (let scan = 0; scan < 40; scan++) {
    for (let i = 0; i < 1000; i++) keys.push(1_000_000 + scan * 1000 + i);
    keys.push(7);
  }
  const { table } = feed(keys, 256);
  assert.ok(table.prunes > 0);
  const [top] = topEntries(table.entries(), 1);
  assert.equal(top![0], 7);
  assert.ok(top![1].count <= 40 && 40 <= top![1].count + top![1].error);
});

test('topEntries: largest first, ties by key, stable for the same input', () => {
  const e: [string, Counted][] = [['b', { count: 2, error: 0 }], ['a', { count: 2, error: 0 }], ['c', { count: 5, error: 0 }], ['d', { count: 1, error: 0 }]];
  assert.deepEqual(topEntries(e, 3).map(([k]) => k), ['c', 'a', 'b']);
});

test('capped table: a cap below 1 is refused', () => {
  assert.throws(() => new CappedCounter(0), RangeError);
});
