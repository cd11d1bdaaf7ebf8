/**
 * Bounded cache with least-recently-used eviction by generations.
 *
 * Entries live in a young and an old Map of at most capacity/2 entries each. A hit costs one
 * Map lookup (a strict LRU would delete and re-insert on every hit); an old entry that is hit
 * moves to the young generation, and when the young generation fills it becomes the old one,
 * dropping everything not used since the previous turnover.
 */
export class GenerationalCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

/**
 * Cache keyed by an IPv4 address as a 32-bit number: a direct-mapped table in typed arrays, so a
 * lookup is a multiply, two array reads and no string hashing, and the table stays compact in
 * memory. An entry is replaced by the next address that maps to its slot.
 */
export class Ipv4Cache<V> {
  private readonly keys: Uint32Array;
  private readonly values: (V | undefined)[];
  private readonly shift: number;

  constructor(slotBits: number) {
    this.keys = new Uint32Array(1 << slotBits);
    this.values = new Array<V | undefined>(1 << slotBits).fill(undefined);
    this.shift = 32 - slotBits;
  }

  private slot(address: number): number {
    return Math.imul(address, 0x9e3779b1) >>> this.shift; // Fibonacci hashing
  }

  get(address: number): V | undefined {
    const i = this.slot(address);
    return this.keys[i] === address ? this.values[i] : undefined;
  }

  set(address: number, value: V): void {
    const i = this.slot(address);
    this.keys[i] = address;
    this.values[i] = value;
  }
}
