/**
 * Longest-prefix match over address bits (a binary trie in typed arrays).
 *
 * A lookup walks at most 32/128 nodes and stops as soon as the path leaves the stored
 * prefixes, so the cost is independent of how many networks are stored and no objects are
 * allocated per query.
 */
import type { Cidr } from './ip.js';

const NONE = -1;

export class PrefixTrie<T> {
  private left: Int32Array = new Int32Array(64).fill(NONE);
  private right: Int32Array = new Int32Array(64).fill(NONE);
  private slot: Int32Array = new Int32Array(64).fill(NONE);
  private nodes = 2; // node 0 is the IPv4 root, node 1 the IPv6 root
  private readonly values: T[] = [];

  get size(): number {
    return this.values.length;
  }

  /** Stores `value` for the network; a later insert of the same network replaces it. */
  insert(cidr: Cidr, value: T): void {
    let node = cidr.version === 4 ? 0 : 1;
    for (let bit = 0; bit < cidr.prefix; bit++) {
      const one = (cidr.words[bit >>> 5]! >>> (31 - (bit & 31))) & 1;
      const children = one ? this.right : this.left;
      let next = children[node]!;
      if (next === NONE) {
        next = this.allocate();
        (one ? this.right : this.left)[node] = next;
      }
      node = next;
    }
    const existing = this.slot[node]!;
    if (existing !== NONE) {
      this.values[existing] = value;
    } else {
      this.slot[node] = this.values.length;
      this.values.push(value);
    }
  }

  /** The value of the most specific stored network containing the address, if any. */
  lookup(version: 4 | 6, words: Uint32Array): T | undefined {
    let node = version === 4 ? 0 : 1;
    const bits = version === 4 ? 32 : 128;
    const left = this.left;
    const right = this.right;
    const slot = this.slot;
    let found = slot[node]!;
    for (let bit = 0; bit < bits; bit++) {
      const one = (words[bit >>> 5]! >>> (31 - (bit & 31))) & 1;
      node = one ? right[node]! : left[node]!;
      if (node === NONE) break;
      const s = slot[node]!;
      if (s !== NONE) found = s;
    }
    return found === NONE ? undefined : this.values[found];
  }

  private allocate(): number {
    if (this.nodes === this.left.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2).fill(NONE);
        b.set(a);
        return b;
      };
      this.left = grow(this.left);
      this.right = grow(this.right);
      this.slot = grow(this.slot);
    }
    return this.nodes++;
  }
}
