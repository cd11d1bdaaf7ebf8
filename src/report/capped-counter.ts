/**
 * A counting table with a cap on its keys, so a report's memory follows the number of distinct
 * keys it may keep, not the number of lines (a scan from a /16 brings 65,536 source addresses).
 *
 * When the table is full, the less frequent half is dropped (lossy counting, after Manku and
 * Motwani): the counts dropped go to the "other" bucket, and the table remembers a floor, the
 * largest `count + error` it ever dropped. A key seen again later starts over with `error =
 * floor`. That keeps two promises, which the property tests check against exact counting:
 *  - a tracked key's true count is between `count` and `count + error`;
 *  - a key not tracked has a true count of at most `floor`.
 * So every key with more than `floor` events is in the table, and the top rows are the true top
 * rows whenever their counts stand more than `floor` apart.
 */

export interface Counted {
  count: number;
  /** How much this key may have been counted short (events dropped before it was last tracked). */
  error: number;
}

export class CappedCounter<K, V extends Counted> {
  private readonly map = new Map<K, V>();
  /** Events dropped from the table (counted in "other"). */
  dropped = 0;
  /** No key outside the table has more events than this. */
  floor = 0;
  /** Times the table was full and pruned. */
  prunes = 0;

  constructor(readonly cap: number) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError(`cap must be a positive integer, got ${cap}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** The entry of `key`; `create` makes a new one (with count 0) when the key is not tracked. */
  entry(key: K, create: (key: K) => V): V {
    let e = this.map.get(key);
    if (e === undefined) {
      if (this.map.size >= this.cap) this.prune();
      e = create(key);
      e.error = this.floor;
      this.map.set(key, e);
    }
    return e;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  /** Whether every key ever counted is still in the table with its exact count. */
  get exact(): boolean {
    return this.prunes === 0;
  }

  /** Drops every entry whose upper bound is at or below the median upper bound (at least half). */
  private prune(): void {
    const bounds = new Float64Array(this.map.size);
    let i = 0;
    for (const v of this.map.values()) bounds[i++] = v.count + v.error;
    bounds.sort();
    const threshold = Math.max(this.floor, bounds[(bounds.length - 1) >> 1]!);
    for (const [k, v] of this.map) {
      if (v.count + v.error <= threshold) {
        this.dropped += v.count;
        this.map.delete(k);
      }
    }
    this.floor = threshold;
    this.prunes++;
  }
}

/**
 * The `n` largest entries, largest first; ties in key order, so the same input always gives the
 * same rows. A partial selection would be faster, but this runs once per report.
 */
export function topEntries<K extends string | number, V extends Counted>(entries: Iterable<[K, V]>, n: number): [K, V][] {
  return [...entries].sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0)).slice(0, n);
}
