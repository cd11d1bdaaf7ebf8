import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GenerationalCache, Ipv4Cache } from '../../src/enrich/cache.js';

describe('generational cache', () => {
  it('never holds more than its capacity', () => {
    const cache = new GenerationalCache<number>(10);
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, i);
      assert.ok(cache.size <= 10, `size ${cache.size}`);
    }
  });

  it('keeps recently used entries and evicts ones unused for a full turnover', () => {
    const cache = new GenerationalCache<number>(4); // two generations of two
    cache.set('hot', 1);
    for (let i = 0; i < 20; i++) {
      cache.set(`cold${i}`, i);
      assert.equal(cache.get('hot'), 1, `hot survives round ${i}`);
    }
    assert.equal(cache.get('cold0'), undefined);
  });

  it('returns only values that were set for that key', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 })), { maxLength: 300 }), fc.integer({ min: 1, max: 16 }), (ops, capacity) => {
        const cache = new GenerationalCache<number>(capacity);
        const last = new Map<string, number>();
        ops.forEach(([isSet, k], i) => {
          const key = `k${k}`;
          if (isSet) {
            cache.set(key, i);
            last.set(key, i);
          } else {
            const got = cache.get(key);
            if (got !== undefined) assert.equal(got, last.get(key));
          }
          assert.ok(cache.size <= Math.max(2, capacity));
        });
      }),
    );
  });
});

describe('IPv4 cache', () => {
  it('returns only values that were set for that address (or nothing once replaced)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.nat(40), fc.constant(0), fc.constant(0xffffffff))), { maxLength: 300 }), fc.integer({ min: 1, max: 6 }), (ops, bits) => {
        const cache = new Ipv4Cache<string>(bits);
        const last = new Map<number, string>();
        ops.forEach(([isSet, address], i) => {
          if (isSet) {
            cache.set(address, `v${i}`);
            last.set(address, `v${i}`);
          } else {
            const got = cache.get(address);
            if (got !== undefined) assert.equal(got, last.get(address));
          }
        });
      }),
    );
    const cache = new Ipv4Cache<string>(4);
    assert.equal(cache.get(0), undefined, 'an empty slot is not an entry for address 0');
    cache.set(0xc0000201, 'x');
    assert.equal(cache.get(0xc0000201), 'x');
  });
});
