/**
 * What a source hands to processing: a batch of lines (as text, or as bytes straight from a
 * file) with what the source knows about them. Plain data, so it crosses to a worker thread.
 */

export interface LineInput {
  /** The lines as text, or as bytes (see LineBytes): a followed file's lines stay bytes until here. */
  lines?: string[];
  data?: Uint8Array;
  /** Indexes of lines cut at the byte limit. */
  truncated: number[];
  /** Sender address of lines received over syslog (observer.ip). */
  senderIp?: string | undefined;
  receivedMs?: number | undefined;
  /** Year of the lines' year-less timestamps, when the source decided it (import of a file). */
  year?: number | undefined;
  /**
   * Per line: when that record was logged, from its own metadata (an exported document's
   * `@timestamp`); NaN where unknown. Stands in for receivedMs and anchors year inference.
   */
  lineReceivedMs?: number[] | undefined;
  /**
   * Lines before this index were delivered before a restart: they are counted among identical
   * lines (so the lines after them get the occurrence numbers they had), not sent again.
   */
  contextLines?: number | undefined;
}

/**
 * A place in a source's stream from which identical lines can be counted again after a restart:
 * a byte offset (files) and/or a line number (imports), whatever the source resumes by.
 */
export interface ResumePoint {
  offset?: number;
  line?: number;
}

export interface SourceBatch extends LineInput {
  /**
   * The stream the lines belong to within their source (a followed file, an imported file):
   * identical lines are counted per stream. Default: the source is one stream.
   */
  stream?: string | undefined;
  /** Where line `line` of this batch, at byte `byte` of `data` (-1: lines given as text), lies in its stream. */
  pointAt?: ((line: number, byte: number) => ResumePoint) | undefined;
  /**
   * Called once everything in this batch is settled by the output, with where the run of the
   * last second settled so far began (see processing/occurrence.ts): a restart reads from there
   * as context. Undefined when the output has no ids, or the source gives no points.
   */
  commit?: (runStart: ResumePoint | undefined) => void;
}
