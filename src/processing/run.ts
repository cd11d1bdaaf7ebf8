import type { ProcessingPool } from './pool.js';
import type { LineInput, SourceBatch } from '../core/batch.js';
import { OccurrenceCarry } from './occurrence.js';
import type { ProcessedBatch } from './process.js';

/**
 * Moves line batches from sources through the processing pool into an output, and tells each
 * source when it may checkpoint: a batch is committed once the output has settled its last
 * document and every document before it.
 */

/** What the Elasticsearch sink and the NDJSON output both offer. */
export interface Output {
  /**
   * A processed batch: `docs` documents already in this output's format (see ProcessorConfig).
   * false when over the memory budget: wait for whenWritable() before pushing more. `release` is
   * called once the output no longer needs `body` (its memory is then reused).
   */
  pushBatch(body: Buffer, docs: number, token: number, release?: () => void): boolean;
  whenWritable(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}


export interface PipelineCounters {
  lines: number;
  documents: number;
  unparsed: number;
}

/**
 * Batches are numbered in push order and the output acknowledges numbers in order; a commit
 * waits for the number of the last batch pushed before it.
 */
export class Committer {
  private pushed = -1;
  private acked = -1;
  private readonly pending: { seq: number; commit: () => void }[] = [];

  next(): number {
    return ++this.pushed;
  }

  /** Registers a commit for everything pushed so far. */
  after(commit: () => void): void {
    if (this.acked >= this.pushed) commit();
    else this.pending.push({ seq: this.pushed, commit });
  }

  ack(seq: number): void {
    if (seq > this.acked) this.acked = seq;
    while (this.pending.length > 0 && this.pending[0]!.seq <= this.acked) this.pending.shift()!.commit();
  }
}

export class Pipeline {
  readonly counters: PipelineCounters = { lines: 0, documents: 0, unparsed: 0 };

  constructor(
    private readonly pool: ProcessingPool,
    private readonly output: Output,
    private readonly committer: Committer,
    /** Batches being processed at once per source (keeps every worker busy). */
    private readonly depth = Math.max(2, pool.workers * 2),
  ) {}

  /** Runs one source to its end; batches of one source keep their order. */
  async run(source: AsyncIterable<SourceBatch>): Promise<void> {
    // Each batch is delivered as soon as it is processed and its predecessors are delivered,
    // even if the source then goes quiet; at most `depth` batches are between read and output.
    let chain: Promise<void> = Promise.resolve();
    const delivered: Promise<void>[] = [];
    // Batches are processed in parallel but delivered in order: the count of identical lines is
    // carried from one to the next here (see occurrence.ts).
    const carry = new OccurrenceCarry();
    for await (const batch of source) {
      // Only the data crosses to a worker thread; the commit callback stays here.
      const input: LineInput = {
        lines: batch.lines, data: batch.data, truncated: batch.truncated, senderIp: batch.senderIp, receivedMs: batch.receivedMs,
        year: batch.year, lineReceivedMs: batch.lineReceivedMs, contextLines: batch.contextLines,
      };
      const result = this.pool.process(input);
      result.catch(() => undefined); // awaited in order by the chain
      chain = chain.then(() => this.deliver(batch, result, carry));
      // Marked handled here: after a failure every later link rejects too, and only one of them
      // is awaited (the rest would end the process as unhandled rejections).
      chain.catch(() => undefined);
      delivered.push(chain);
      if (delivered.length >= this.depth) await delivered.shift();
    }
    await chain;
  }

  private async deliver(batch: SourceBatch, result: Promise<ProcessedBatch>, carry: OccurrenceCarry): Promise<void> {
    const processed = await result;
    const runStart = carry.apply(batch.stream ?? '', processed.runs, processed.body, batch.pointAt);
    this.counters.lines += processed.lines;
    this.counters.unparsed += processed.unparsed;
    if (processed.docs > 0) {
      this.counters.documents += processed.docs;
      const body = processed.body;
      if (!this.output.pushBatch(body, processed.docs, this.committer.next(), () => this.pool.recycle(body))) await this.output.whenWritable();
    } else {
      this.pool.recycle(processed.body);
    }
    const commit = batch.commit;
    if (commit !== undefined) this.committer.after(() => commit(runStart));
  }
}
