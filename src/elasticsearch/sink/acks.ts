/**
 * Ordered acknowledgements and the memory budget. What the sink accepts comes in chunks (one
 * processed batch each) that settle in any order, document by document, as answers arrive; a
 * source may only checkpoint past a chunk once it and every chunk before it are settled, so the
 * acknowledgement moves in push order. A chunk's bytes count against the budget until it is
 * settled; then its body is released for reuse.
 */

export interface Chunk<T> {
  readonly seq: number;
  readonly token: T;
  readonly docs: number;
  /** Documents not yet settled. */
  unsettled: number;
  /** What the chunk counts against the memory budget until it is settled. */
  readonly bytes: number;
  /** Told once the chunk is settled: its body is not read again. */
  readonly release: (() => void) | undefined;
}

/** Per-chunk bookkeeping that stays until the acknowledgement passes it. */
const CHUNK_OVERHEAD_BYTES = 96;

const RESOLVED = Promise.resolve();

export class AckQueue<T> {
  private nextSeq = 0;
  /** Chunks in push order, not yet passed by the acknowledgement; `head` is the first live slot. */
  private queue: (Chunk<T> | undefined)[] = [];
  private head = 0;
  private ackedSeq = -1;
  private flushWaiters: { seq: number; resolve: () => void }[] = [];
  private writableWaiters: (() => void)[] = [];
  private stopped = false;
  bufferedBytes = 0;
  bufferedDocs = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly onAck: (token: T) => void,
  ) {}

  get overBudget(): boolean {
    return this.bufferedBytes >= this.budgetBytes;
  }

  accept(bytes: number, docs: number, token: T, release?: () => void): Chunk<T> {
    const chunk: Chunk<T> = { seq: this.nextSeq++, token, docs, unsettled: docs, bytes: bytes + CHUNK_OVERHEAD_BYTES, release };
    this.queue.push(chunk);
    this.bufferedBytes += chunk.bytes;
    this.bufferedDocs += docs;
    // Nothing to send (all blank lines): settled at once, acknowledged in its turn.
    if (docs === 0) this.free(chunk);
    return chunk;
  }

  /** `docs` more documents of the chunk are settled (stored, duplicate, dead-lettered). */
  settle(chunk: Chunk<T>, docs: number): void {
    if (docs <= 0) return;
    chunk.unsettled -= docs;
    this.bufferedDocs -= docs;
    if (chunk.unsettled === 0) this.free(chunk);
  }

  private free(chunk: Chunk<T>): void {
    this.bufferedBytes -= chunk.bytes;
    chunk.release?.();
  }

  /** Acknowledges the longest settled run of chunks, with one callback for its newest. */
  advance(): void {
    let last: Chunk<T> | undefined;
    while (this.head < this.queue.length) {
      const chunk = this.queue[this.head];
      if (chunk === undefined || chunk.unsettled > 0) break;
      this.queue[this.head] = undefined;
      this.head++;
      last = chunk;
    }
    // Compacted now and then, so the queue does not grow with everything ever pushed.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (last !== undefined && !this.stopped) {
      this.ackedSeq = last.seq;
      this.onAck(last.token);
      if (this.flushWaiters.length > 0) {
        const still: { seq: number; resolve: () => void }[] = [];
        for (const waiter of this.flushWaiters) (waiter.seq <= this.ackedSeq ? waiter.resolve() : still.push(waiter));
        this.flushWaiters = still;
      }
    }
    if (!this.overBudget && this.writableWaiters.length > 0) for (const resolve of this.writableWaiters.splice(0)) resolve();
  }

  /** Resolves once every chunk accepted so far is acknowledged. */
  drained(): Promise<void> {
    const seq = this.nextSeq - 1;
    if (seq <= this.ackedSeq || this.stopped) return RESOLVED;
    return new Promise((resolve) => this.flushWaiters.push({ seq, resolve }));
  }

  /** Resolves when the budget has room (at once if it has). */
  writable(): Promise<void> {
    if (!this.overBudget || this.stopped) return RESOLVED;
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** No acknowledgement from now on; every waiter is let go. */
  stop(): void {
    this.stopped = true;
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
    for (const resolve of this.writableWaiters.splice(0)) resolve();
  }
}
