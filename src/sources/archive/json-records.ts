import { pipeline, type Readable } from 'node:stream';
import Parser from 'stream-json/Parser.js';
import Pick from 'stream-json/filters/Pick.js';
import StreamValues from 'stream-json/streamers/StreamValues.js';
import { readLineBatches } from '../framing/lines.js';

/**
 * Log lines out of exported documents (another shipper's NDJSON, a JSON array, an Elasticsearch
 * `_search` response or export of hits), so they can be parsed again from scratch. Streams:
 * one document is held at a time, however large the file.
 */

export interface SourceRecord {
  /** The original log line; undefined when the document had none (counted, not indexed). */
  line: string | undefined;
  /** When the record was logged according to the document (`@timestamp`), NaN if unknown. */
  timeMs: number;
}

/** The fields a document's original line is taken from, in order of preference. */
export const ORIGINAL_FIELDS = ['event.original', 'message', 'log.original'] as const;

function field(doc: Record<string, unknown>, path: string): unknown {
  // Both shapes occur in exports: nested objects, and dotted keys kept as written.
  if (path in doc) return doc[path];
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function timeOf(doc: Record<string, unknown>): number {
  const ts = doc['@timestamp'];
  if (typeof ts === 'string') return Date.parse(ts);
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : Number.NaN;
}

/** The original line of one document (its `_source` when it is a search hit). */
export function recordOf(value: unknown): SourceRecord {
  const doc = isObject(value) && isObject(value._source) ? value._source : value;
  if (!isObject(doc)) return { line: undefined, timeMs: Number.NaN };
  for (const name of ORIGINAL_FIELDS) {
    const v = field(doc, name);
    if (typeof v === 'string' && v !== '') return { line: v, timeMs: timeOf(doc) };
  }
  return { line: undefined, timeMs: timeOf(doc) };
}

/** A whole value as found in the file: a document, a hit, or a (small) search response. */
export function recordsOf(value: unknown): SourceRecord[] {
  const hits = isObject(value) && isObject(value.hits) ? value.hits.hits : undefined;
  if (Array.isArray(hits)) return hits.map(recordOf);
  return [recordOf(value)];
}

/** Elements of a top-level array, or hits of a `_search` response: the only values assembled. */
function isDocumentPath(stack: ReadonlyArray<number | string | null>): boolean {
  if (stack.length === 1) return typeof stack[0] === 'number';
  return stack.length === 3 && stack[0] === 'hits' && stack[1] === 'hits' && typeof stack[2] === 'number';
}

/**
 * Records of an NDJSON stream (one JSON value per line; a line that is not JSON yields a record
 * without a line) or of one JSON document (`[…]` of documents, or `{"hits":{"hits":[…]}}`).
 * NDJSON goes through the line splitter rather than stream-json's JSONL parser so that a line's
 * length stays bounded.
 */
export async function* jsonRecords(input: Readable, kind: 'ndjson' | 'json'): AsyncGenerator<SourceRecord> {
  if (kind === 'ndjson') {
    for await (const batch of readLineBatches(input)) {
      for (const text of batch.lines) {
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          yield { line: undefined, timeMs: Number.NaN };
          continue;
        }
        yield* recordsOf(value);
      }
    }
    return;
  }
  const values = StreamValues.streamValues();
  pipeline(input, Parser.parser({ jsonStreaming: true }), Pick.pick({ filter: isDocumentPath }), values, () => undefined);
  for await (const { value } of values as AsyncIterable<{ value: unknown }>) yield recordOf(value);
}
