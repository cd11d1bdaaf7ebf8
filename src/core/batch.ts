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
}

export interface SourceBatch extends LineInput {
  /** Called once everything in this batch is settled by the output. */
  commit?: () => void;
}
