import type { ResumePoint } from '../core/batch.js';
import { occurrenceId } from '../model/doc-id.js';

/**
 * Identical lines logged in the same second are distinct events (a scanner's retransmitted SYNs
 * with a fixed IP ID): the k-th of them in a stream is occurrence k and gets an id of its own
 * (model/doc-id.ts); occurrence 0 keeps the id every line had before occurrences were counted.
 *
 * Counting is per stream (a followed file, an imported file, stdin), in the stream's order, over
 * *runs*: documents of one second that follow each other. The count starts again when the
 * second changes, so the state is one second's worth of lines, and where that run began is all
 * a restart needs to count again (the source reads from there as context, see core/batch.ts).
 * Seconds out of order start a new run each time they change: identical lines in two runs of the
 * same second get the same ids, as all identical lines of a second did before.
 *
 * The batches of one stream are processed in parallel on parser threads, so each batch is
 * counted on its own (RunCounter, where it is parsed), and the pipeline, which delivers them in
 * order, carries the count from batch to batch (OccurrenceCarry): documents at the start of a
 * batch that continue a run of the batch before get their occurrence raised and their ids
 * rewritten in the body (an id has a fixed length). Parsing stays parallel; the carry costs the
 * main thread a map lookup per document of a batch's first run.
 */

/** A canonical second (model/doc-id.ts canonicalSecond). */
export type Second = number | string;

/** How one batch's documents fall into runs: what the pipeline needs to carry the count on. */
export interface BatchRuns {
  firstSecond: Second;
  lastSecond: Second;
  /** Every document of the batch is of one second (one run). */
  oneRun: boolean;
  /** The first run's documents in order: the base id of each (its occurrence 0's id)… */
  headIds: string[];
  /** …and where its `_id` lies in the body (-1: a context line, not in the body). */
  headAt: number[];
  /** The last run's base ids in order, when it is not the first. */
  tailIds: string[];
  /** Where the last (or only) run begins: its first document's line in the batch, and that line's byte in the batch's data (-1: lines given as text). */
  tailLine: number;
  tailByte: number;
}

/** Counts one batch at a time (on a parser thread): occurrences within the batch alone. */
export class RunCounter {
  private docs = 0;
  private second: Second = '';
  /**
   * Per base id, `runBase` + its documents in the current run, when it has some there: a value
   * of an earlier run is at most the current `runBase` (that run's documents came before it), so
   * a second change needs no clearing, which cost more than the counting when every line has a
   * second of its own (a quiet router).
   */
  private readonly counts = new Map<string, number>();
  /** Documents of the batch before the current run. */
  private runBase = 0;
  /** The current run's first base id (counted in the map once the run has a second document). */
  private runFirst = '';
  private firstSecond: Second = '';
  private runs = 0;
  private headIds: string[] = [];
  private headAt: number[] = [];
  private tailIds: string[] = [];
  private tailLine = -1;

  /** Starts a batch. */
  reset(): void {
    this.docs = 0;
    this.runBase = 0;
    this.runs = 0;
    this.counts.clear();
    this.headIds = [];
    this.headAt = [];
    this.tailIds = [];
    this.tailLine = -1;
  }

  /**
   * The occurrence of a document among the identical ones before it in its run, within this
   * batch: `baseId` is its occurrence 0's id, `second` its canonical second, `line` its line in
   * the batch. A document of the first run is placed in the body with locate().
   */
  next(baseId: string, second: Second, line: number): number {
    if (this.docs === 0) {
      this.firstSecond = this.second = second;
      this.tailLine = line;
    } else if (second !== this.second) {
      this.runs++;
      this.second = second;
      this.runBase = this.docs;
      // Not handed out before result(): emptied in place (one run a line is common).
      this.tailIds.length = 0;
      this.tailLine = line;
    }
    this.docs++;
    let k = 0;
    const inRun = this.docs - this.runBase;
    // A run's first document needs no look-up; the map is used from its second on (most runs
    // of a quiet router are one line, and hashing a fresh id costs more than the rest).
    if (inRun === 1) this.runFirst = baseId;
    else {
      if (inRun === 2) this.counts.set(this.runFirst, this.runBase + 1);
      const v = this.counts.get(baseId);
      if (v !== undefined && v > this.runBase) k = v - this.runBase;
      this.counts.set(baseId, this.runBase + k + 1);
    }
    if (this.runs === 0) {
      this.headIds.push(baseId);
      this.headAt.push(-1);
    } else {
      this.tailIds.push(baseId);
    }
    return k;
  }

  /** Whether the document last counted is in the batch's first run (the pipeline may renumber it). */
  get inFirstRun(): boolean {
    return this.runs === 0;
  }

  /** Where the `_id` of the document last counted lies in the body (first run only). */
  locate(at: number): void {
    this.headAt[this.headAt.length - 1] = at;
  }

  /** The batch's runs (undefined without documents); `byteOfLine` finds a line in the batch's data. */
  result(byteOfLine: (line: number) => number): BatchRuns | undefined {
    if (this.docs === 0) return undefined;
    return {
      firstSecond: this.firstSecond, lastSecond: this.second, oneRun: this.runs === 0,
      headIds: this.headIds, headAt: this.headAt, tailIds: this.tailIds,
      tailLine: this.tailLine, tailByte: byteOfLine(this.tailLine),
    };
  }
}

export interface CarryLimits {
  /** Streams whose last run is remembered (least recently used forgotten first). */
  maxStreams: number;
  /** Distinct lines remembered over all streams' runs: memory stays bounded whatever the input. */
  maxKeys: number;
  /**
   * Documents of one run a restart reads again as context, at most (to the granularity of a
   * batch): a longer run's context starts at a later batch.
   */
  maxContextLines: number;
}

export const CARRY_LIMITS: CarryLimits = { maxStreams: 1024, maxKeys: 65_536, maxContextLines: 65_536 };

interface StreamRun {
  second: Second;
  /** Per base id, the documents of this run so far. */
  counts: Map<string, number>;
  /** Documents of this run so far. */
  docs: number;
  /** Where a restart starts counting: the run's start, or a later batch's when the run is long. */
  start: ResumePoint | undefined;
  /** Documents of the run before `start`. */
  startDocs: number;
  /** Later batch starts, and the documents of the run before each: where `start` moves to. */
  marks: { at: ResumePoint | undefined; docs: number }[];
}

/**
 * The count carried from batch to batch, per stream, on the thread that delivers batches in
 * order (one per source: see processing/run.ts).
 */
export class OccurrenceCarry {
  private readonly streams = new Map<string, StreamRun>();
  private keys = 0;

  constructor(private readonly limits: CarryLimits = CARRY_LIMITS) {}

  /**
   * Takes the next batch of `stream` in order: renumbers, in `body`, the documents that continue
   * the stream's run, and returns where the run of its last document began (undefined: not
   * known), which its commit records for a restart. `pointAt` turns a line of the batch into a
   * place in the stream.
   */
  apply(stream: string, runs: BatchRuns | undefined, body: Buffer, pointAt?: (line: number, byte: number) => ResumePoint): ResumePoint | undefined {
    let run = this.streams.get(stream);
    if (run !== undefined) {
      // Most recently used last: eviction takes the first.
      this.streams.delete(stream);
      this.streams.set(stream, run);
    }
    if (runs === undefined) return run?.start;
    if (run !== undefined && run.second === runs.firstSecond) {
      this.renumber(run, runs, body);
      if (runs.oneRun) {
        this.mark(run, pointAt?.(0, 0));
        this.count(stream, run, runs.headIds);
        this.bound(run);
        return run.start;
      }
    }
    // The batch's last run is a new one.
    if (run !== undefined) this.forget(stream);
    const fresh: StreamRun = {
      second: runs.lastSecond, counts: new Map(), docs: 0, start: pointAt?.(runs.tailLine, runs.tailByte), startDocs: 0, marks: [],
    };
    this.streams.set(stream, fresh);
    this.count(stream, fresh, runs.oneRun ? runs.headIds : runs.tailIds);
    this.bound(fresh);
    while (this.streams.size > this.limits.maxStreams) this.forget(this.streams.keys().next().value!);
    return fresh.start;
  }

  /** Distinct lines remembered now, over all streams. */
  get size(): number {
    return this.keys;
  }

  /** The first run's documents whose line the run held before this batch: occurrence raised. */
  private renumber(run: StreamRun, runs: BatchRuns, body: Buffer): void {
    let local: Map<string, number> | undefined;
    for (let i = 0; i < runs.headIds.length; i++) {
      const id = runs.headIds[i]!;
      const before = run.counts.get(id);
      if (before === undefined) continue;
      local ??= new Map();
      const k = local.get(id) ?? 0;
      local.set(id, k + 1);
      const at = runs.headAt[i]!;
      if (at >= 0) body.write(occurrenceId(id, before + k), at, 'latin1');
    }
  }

  private count(stream: string, run: StreamRun, ids: string[]): void {
    for (const id of ids) {
      const c = run.counts.get(id);
      if (c !== undefined) {
        run.counts.set(id, c + 1);
        continue;
      }
      // Over the budget, other streams' runs are forgotten first; a line beyond what one run
      // may hold is not remembered (its repeats in later batches are then not told apart).
      while (this.keys >= this.limits.maxKeys) {
        const oldest = this.streams.keys().next().value!;
        if (oldest === stream) break;
        this.forget(oldest);
      }
      if (this.keys >= this.limits.maxKeys) continue;
      run.counts.set(id, 1);
      this.keys++;
    }
    run.docs += ids.length;
  }

  /** A batch that continues the run: where a restart could start if the run gets too long. */
  private mark(run: StreamRun, at: ResumePoint | undefined): void {
    const last = run.marks[run.marks.length - 1]?.docs ?? run.startDocs;
    // A mark per sixteenth of the bound at most: a run of one-line batches keeps few marks.
    if (run.docs - last >= this.limits.maxContextLines / 16) run.marks.push({ at, docs: run.docs });
  }

  /** Keeps the context a restart re-reads within maxContextLines documents (to a mark's granularity). */
  private bound(run: StreamRun): void {
    const max = this.limits.maxContextLines;
    if (run.docs - run.startDocs <= max || run.marks.length === 0) return;
    let i = run.marks.findIndex((m) => run.docs - m.docs <= max);
    if (i < 0) i = run.marks.length - 1;
    run.start = run.marks[i]!.at;
    run.startDocs = run.marks[i]!.docs;
    run.marks.splice(0, i + 1);
  }

  private forget(stream: string): void {
    const run = this.streams.get(stream);
    if (run === undefined) return;
    this.keys -= run.counts.size;
    this.streams.delete(stream);
  }
}
