import type { EcsDocument } from '../model/document.js';
import { bulkEncoder } from './bulk.js';

/**
 * The last step of processing: a document (and its JSON text) as the bytes of the output it is
 * going to. Processing is given an encoder and knows nothing of where documents go.
 */
export interface DocumentEncoder {
  readonly format: EncoderSpec['format'];
  /** Whether documents go out with an `_id`: processing then numbers identical lines (processing/occurrence.ts). */
  readonly ids: boolean;
  /** The document in this output's format, ending in "\n"; `id` is its `_id` where the format has one. */
  encode(doc: EcsDocument, json: string, id: string): string;
  /** Where the `_id` starts in encode's text, in UTF-8 bytes; -1 without ids. */
  idOffset(doc: EcsDocument): number;
}

/**
 * An encoder as plain data, so it can be sent to a parser thread: `bulk` is a `_bulk` body for
 * the data streams of `namespace`; `ndjson` is one document per line.
 */
export type EncoderSpec = { format: 'bulk'; namespace: string } | { format: 'ndjson' };

export const NDJSON: EncoderSpec = { format: 'ndjson' };

const ndjsonEncoder: DocumentEncoder = { format: 'ndjson', ids: false, encode: (_doc, json) => `${json}\n`, idOffset: () => -1 };

export function createEncoder(spec: EncoderSpec): DocumentEncoder {
  return spec.format === 'bulk' ? bulkEncoder({ namespace: spec.namespace }) : ndjsonEncoder;
}
