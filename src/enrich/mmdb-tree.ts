/**
 * Search-tree walk of a MaxMind DB over already-parsed address words.
 *
 * The maxmind reader re-parses the address string and decodes a fresh record object on every
 * call. Walking the tree ourselves yields the record's data pointer, which identifies the record:
 * databases hold far fewer records than networks (a country database has about 250), so the
 * decoded-and-converted result can be cached per pointer and decoding happens once per record.
 * Format: https://maxmind.github.io/MaxMind-DB/ ("Search Tree Section").
 */

export interface TreeMetadata {
  readonly nodeCount: number;
  readonly recordSize: number;
  readonly ipVersion: number;
}

export class MmdbTree {
  private readonly nodeCount: number;
  private readonly nodeBytes: number;
  private readonly recordSize: number;
  private readonly ipv6: boolean;
  private readonly ipv4Root: number;

  constructor(
    private readonly db: Buffer,
    meta: TreeMetadata,
  ) {
    if (meta.recordSize !== 24 && meta.recordSize !== 28 && meta.recordSize !== 32) {
      throw new Error(`unsupported record size ${meta.recordSize}`);
    }
    this.nodeCount = meta.nodeCount;
    this.recordSize = meta.recordSize;
    this.nodeBytes = meta.recordSize / 4;
    this.ipv6 = meta.ipVersion === 6;
    // In an IPv6 tree, IPv4 addresses live under ::/96 (96 zero bits from the root).
    let node = 0;
    if (this.ipv6) {
      for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
    }
    this.ipv4Root = node;
  }

  private record(node: number, right: number): number {
    const db = this.db;
    const o = node * this.nodeBytes;
    switch (this.recordSize) {
      case 24:
        return right ? (db[o + 3]! << 16) | (db[o + 4]! << 8) | db[o + 5]! : (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!;
      case 28:
        return right
          ? ((db[o + 3]! & 0x0f) * 0x1000000) + ((db[o + 4]! << 16) | (db[o + 5]! << 8) | db[o + 6]!)
          : ((db[o + 3]! >>> 4) * 0x1000000) + ((db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!);
      default:
        return right ? db.readUInt32BE(o + 4) : db.readUInt32BE(o);
    }
  }

  /** Data pointer of the record covering the address (always > nodeCount), or 0 if none. */
  find(version: 4 | 6, words: Uint32Array): number {
    if (version === 6 && !this.ipv6) return 0;
    let node = version === 4 ? this.ipv4Root : 0;
    const bits = version === 4 ? 32 : 128;
    const count = this.nodeCount;
    for (let bit = 0; bit < bits && node < count; bit++) {
      node = this.record(node, (words[bit >>> 5]! >>> (31 - (bit & 31))) & 1);
    }
    // node === nodeCount means "no data"; smaller means the walk ran out of address bits.
    return node > count ? node : 0;
  }
}
