/**
 * A free list of ArrayBuffers that move between threads and come back.
 *
 * Every batch crosses the thread boundary twice as bytes (its lines one way, its `_bulk` body the
 * other). Allocating fresh ones each time costs more than the allocation: V8 counts each new
 * ArrayBuffer as external memory, and at tens of MB/s that pressure starts a full mark-compact of
 * the receiving thread's heap every few hundred milliseconds. Handing the same buffers back and
 * forth keeps both heaps quiet, and bounds how much buffer memory exists at all.
 */
const PAGE = 4096;

/** Per pool: more than the batches the pipeline and the sink's budget hold at once. */
export const BATCH_BUFFERS_KEPT = 16;

export class ArrayBufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    /** Buffers kept for reuse; more are left to the garbage collector. */
    private readonly maxKept: number,
  ) {}

  /**
   * A Buffer of exactly `size` bytes at offset 0 of an ArrayBuffer nobody else uses (so it can be
   * transferred), reused when a free one fits. A reused one is at most about twice the size asked
   * for: a one-line batch must not pin a megabyte, since budgets downstream count batch bytes.
   */
  take(size: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const ab = this.free[i]!;
      if (ab.byteLength >= size && ab.byteLength <= 2 * size + PAGE) {
        this.free[i] = this.free[this.free.length - 1]!;
        this.free.pop();
        return Buffer.from(ab, 0, size);
      }
    }
    // A quarter more than asked: batch sizes wander, and a buffer that fits only this one batch
    // would be passed over next time.
    return Buffer.from(new ArrayBuffer(Math.ceil((size * 1.25) / PAGE) * PAGE), 0, size);
  }

  /** Returns a buffer for reuse. Its old contents are garbage from now on. */
  give(ab: ArrayBuffer): void {
    // A detached buffer (already transferred elsewhere) has byteLength 0.
    if (ab.byteLength === 0 || this.maxKept === 0) return;
    // When full, the longest-kept goes: after a change of pace (a trickle, then a burst) the
    // buffers of the old pace must not crowd out those of the new one.
    if (this.free.length >= this.maxKept) this.free.shift();
    this.free.push(ab);
  }

  get size(): number {
    return this.free.length;
  }
}
