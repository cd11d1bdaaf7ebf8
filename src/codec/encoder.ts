import type { EcsDocument } from '../model/document.js';
import { bulkEncoder } from './bulk.js';

/**
 * The last step of processing: a document (and its JSON text) as the bytes of the output it is
 * going to. Processing is given an encoder and knows nothing of where documents go.
 */
export interface DocumentEncoder {
  readonly format: EncoderSpec['format'];
  /** The document in this output's format, ending in "\n". */
  encode(doc: EcsDocument, json: string): string;
}

/**
 * An encoder as plain data, so it can be sent to a parser thread: `bulk` is a `_bulk` body for
 * the data streams of `namespace`; `ndjson` is one document per line.
 */
export type EncoderSpec = { format: 'bulk'; namespace: string } | { format: 'ndjson' };

export const NDJSON: EncoderSpec = { format: 'ndjson' };

const ndjsonEncoder: DocumentEncoder = { format: 'ndjson', encode: (_doc, json) => `${json}\n` };

export function createEncoder(spec: EncoderSpec): DocumentEncoder {
  return spec.format === 'bulk' ? bulkEncoder({ namespace: spec.namespace }) : ndjsonEncoder;
}
