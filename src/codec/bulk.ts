import { documentId } from '../model/doc-id.js';
import type { EcsDocument } from '../model/document.js';
import { dataStreamName, datasetOf, namespaceProblem } from '../model/data-stream.js';
import type { DocumentEncoder } from './encoder.js';

/**
 * The `_bulk` format, both ways: one module writes the action line and source line of every
 * document dropship sends, and reads them back where something must look inside a body (the
 * sink, for the documents Elasticsearch refused; the dead-letter file; the loopback stand-in of
 * the tests and benches). Responses are read here too: `bulkItemResults` turns a `_bulk` answer
 * into one plain result per document sent.
 *
 * A body is NDJSON: per document an action line (`{"create":{"_index":…,"_id":…}}`) and the
 * source line, each ending in "\n" (Elasticsearch's `RestBulkAction` / `BulkRequestParser`).
 */

const NEWLINE = 0x0a;

// ---------------------------------------------------------------------------------------------
// Encoding

/** Printable ASCII without `"` and `\`: written into JSON as it is. */
const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

/** `{"create":{"_index":"…","_id":"…"}}`, without the newline. */
export function createAction(index: string, id: string): string {
  return `{"create":{"_index":${jsonString(index)},"_id":${jsonString(id)}}}`;
}

/** The deterministic id (see model/doc-id.ts) of a document that is the first of identical ones in its second. */
export const idOfDocument = (doc: EcsDocument): string => documentId(doc['@timestamp'], doc.event.original);

export interface BulkEncoderOptions {
  /** Data stream namespace: documents go to `logs-<dataset>-<namespace>`. */
  namespace: string;
}

/**
 * `create` into the data stream of the document's dataset (any dataset of model/data-stream.ts;
 * anything else is firewall traffic), with the id processing gives it (its deterministic id):
 * a replay gets 409, never a copy. Throws a RangeError for a namespace Elasticsearch would refuse.
 */
export function bulkEncoder(options: BulkEncoderOptions): DocumentEncoder {
  const problem = namespaceProblem(options.namespace);
  if (problem !== undefined) throw new RangeError(problem);
  // Per distinct `event.dataset` text, the action line up to the id, and its UTF-8 length (a
  // namespace may hold any lower-case letter): built once.
  const prefixes = new Map<unknown, { text: string; bytes: number }>();
  const prefixOf = (dataset: unknown): { text: string; bytes: number } => {
    let prefix = prefixes.get(dataset);
    if (prefix === undefined) {
      const text = `{"create":{"_index":${jsonString(dataStreamName(datasetOf(dataset), options.namespace))},"_id":"`;
      prefix = { text, bytes: Buffer.byteLength(text) };
      prefixes.set(dataset, prefix);
    }
    return prefix;
  };
  return {
    format: 'bulk',
    ids: true,
    encode(doc, json, id) {
      // Ids of documentId are base64url; anything else is escaped like the index.
      const quoted = PLAIN.test(id) ? id : JSON.stringify(id).slice(1, -1);
      return `${prefixOf(doc.event.dataset).text}${quoted}"}}\n${json}\n`;
    },
    idOffset: (doc) => prefixOf(doc.event.dataset).bytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding bodies

/** Where one document (action line + source line) lies in a body: bytes [start, end). */
export interface BulkSpan {
  start: number;
  end: number;
}

/** The documents of a body, in order. */
export function bulkSpans(body: Buffer): BulkSpan[] {
  const spans: BulkSpan[] = [];
  for (let start = 0; start < body.length; ) {
    const end = documentEnd(body, start);
    spans.push({ start, end });
    start = end;
  }
  return spans;
}

/** Where the document that starts at `start` ends (after its source line's newline, or at the body's end). */
export function documentEnd(body: Buffer, start: number): number {
  const actionEnd = body.indexOf(NEWLINE, start);
  const sourceEnd = actionEnd < 0 ? -1 : body.indexOf(NEWLINE, actionEnd + 1);
  return sourceEnd < 0 ? body.length : sourceEnd + 1;
}

/** What an action line says. `op` is the action's name (`create`, `index`, `delete`, `update`). */
export interface BulkAction {
  op: string;
  index: string | undefined;
  id: string | undefined;
}

const CREATE_ACTION = /^\{"create":\{"_index":"([^"\\]*)","_id":"([^"\\]*)"\}\}$/;

/** An action line (without its newline); undefined when it is not one JSON object of one action. */
export function decodeAction(line: string): BulkAction | undefined {
  const fast = CREATE_ACTION.exec(line);
  if (fast !== null) return { op: 'create', index: fast[1]!, id: fast[2]! };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const ops = Object.keys(parsed);
  if (ops.length !== 1) return undefined;
  const meta = (parsed as Record<string, unknown>)[ops[0]!];
  if (meta === null || typeof meta !== 'object') return undefined;
  const { _index, _id } = meta as { _index?: unknown; _id?: unknown };
  return { op: ops[0]!, index: typeof _index === 'string' ? _index : undefined, id: typeof _id === 'string' ? _id : undefined };
}

/** One document of a body, decoded: for a dead letter or a log line, never on the hot path. */
export interface BulkDocument {
  index: string;
  id: string;
  /** The source line as sent, or null when the body ends after the action line. */
  source: string | null;
}

export function decodeDocument(body: Buffer, span: BulkSpan): BulkDocument {
  const actionEnd = body.indexOf(NEWLINE, span.start);
  const action = decodeAction(body.toString('utf8', span.start, actionEnd < 0 || actionEnd > span.end ? span.end : actionEnd));
  const sourceEnd = body[span.end - 1] === NEWLINE ? span.end - 1 : span.end;
  const source = actionEnd < 0 || actionEnd >= span.end ? null : body.toString('utf8', actionEnd + 1, sourceEnd);
  return { index: action?.index ?? '', id: action?.id ?? '', source };
}

/**
 * Reads `{"create":{"_index":"…","_id":"…"}}` + newline straight from bytes when index and id are
 * printable ASCII without `"` or `\` (then latin1 equals UTF-8 and JSON needs no escapes), for
 * readers that see millions of action lines (the loopback stand-in). The bytes up to the id of
 * the last action are kept: while the index repeats, as it does within a request, one comparison
 * covers them and the index is not decoded again. Anything else is left to `decodeAction`.
 */
export class CreateActionReader {
  index = '';
  /** The id is bytes [idStart, idEnd) of the buffer last parsed. */
  idStart = 0;
  idEnd = 0;
  /** Position just after the action line's newline. */
  end = 0;
  private lead: Buffer = EMPTY;

  /** Whether an action line of that form starts at `p`. */
  parse(b: Buffer, p: number): boolean {
    const n = b.length;
    const lead = this.lead;
    let idStart = p + lead.length;
    let same = lead.length > 0 && idStart < n;
    for (let i = 0; same && i < lead.length; i++) same = b[p + i] === lead[i];
    if (!same) {
      if (n - p < CREATE_PREFIX.length + ID_INFIX.length + 4) return false;
      for (let i = 0; i < CREATE_PREFIX.length; i++) if (b[p + i] !== CREATE_PREFIX[i]) return false;
      const indexStart = p + CREATE_PREFIX.length;
      const indexEnd = plainEnd(b, indexStart);
      if (indexEnd < 0 || n - indexEnd < ID_INFIX.length + 4) return false;
      for (let i = 0; i < ID_INFIX.length; i++) if (b[indexEnd + i] !== ID_INFIX[i]) return false;
      idStart = indexEnd + ID_INFIX.length;
      this.lead = Buffer.from(b.subarray(p, idStart));
      this.index = b.toString('latin1', indexStart, indexEnd);
    }
    const idEnd = plainEnd(b, idStart);
    // `"}}` + newline: idEnd is at the closing quote.
    if (idEnd < 0 || idEnd + 3 >= n || b[idEnd + 1] !== 0x7d || b[idEnd + 2] !== 0x7d || b[idEnd + 3] !== NEWLINE) return false;
    this.idStart = idStart;
    this.idEnd = idEnd;
    this.end = idEnd + 4;
    return true;
  }
}

/**
 * One document of a body with what a reader needs to ask Elasticsearch about it: where it lies,
 * its action's index and id, and its source's top-level `@timestamp` text (undefined when the
 * source has none as a string, or is not JSON).
 */
export interface BulkEntry extends BulkSpan {
  index: string;
  id: string;
  timestamp: string | undefined;
}

/**
 * The documents of a body with their index, id and `@timestamp`. Action lines in the plain
 * `create` form and sources that begin with `{"@timestamp":"` (as dropship's serializer writes
 * every document) are read from the bytes; anything else is parsed as JSON.
 */
export function bulkEntries(body: Buffer): BulkEntry[] {
  const reader = new CreateActionReader();
  const entries: BulkEntry[] = [];
  for (const span of bulkSpans(body)) {
    let index: string;
    let id: string;
    let sourceStart: number;
    if (reader.parse(body, span.start) && reader.end <= span.end) {
      index = reader.index;
      id = body.toString('latin1', reader.idStart, reader.idEnd);
      sourceStart = reader.end;
    } else {
      const doc = decodeDocument(body, span);
      index = doc.index;
      id = doc.id;
      const actionEnd = body.indexOf(NEWLINE, span.start);
      sourceStart = actionEnd < 0 || actionEnd >= span.end ? span.end : actionEnd + 1;
    }
    const sourceEnd = body[span.end - 1] === NEWLINE ? span.end - 1 : span.end;
    entries.push({ start: span.start, end: span.end, index, id, timestamp: sourceTimestamp(body, sourceStart, sourceEnd) });
  }
  return entries;
}

/** The top-level `@timestamp` string of the source line b[start, end). */
function sourceTimestamp(b: Buffer, start: number, end: number): string | undefined {
  if (end - start > TIMESTAMP_PREFIX.length && b.compare(TIMESTAMP_PREFIX, 0, TIMESTAMP_PREFIX.length, start, start + TIMESTAMP_PREFIX.length) === 0) {
    const valueStart = start + TIMESTAMP_PREFIX.length;
    const valueEnd = plainEnd(b, valueStart);
    if (valueEnd >= 0 && valueEnd < end) return b.toString('latin1', valueStart, valueEnd);
  }
  if (end <= start) return undefined;
  try {
    const parsed = JSON.parse(b.toString('utf8', start, end)) as unknown;
    const value = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)['@timestamp'] : undefined;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const EMPTY = Buffer.alloc(0);
const TIMESTAMP_PREFIX = Buffer.from('{"@timestamp":"', 'latin1');
const CREATE_PREFIX = Buffer.from('{"create":{"_index":"', 'latin1');
const ID_INFIX = Buffer.from('","_id":"', 'latin1');

/** Index of the closing `"` of a run of printable ASCII other than `"` and `\`, or -1. */
function plainEnd(b: Buffer, from: number): number {
  for (let i = from; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x22) return i;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Decoding responses

/**
 * What Elasticsearch answered for one document. `status` 0 means the response had no item for it
 * (fewer items than documents sent): it must never be taken as delivered.
 */
export interface BulkItemResult {
  status: number;
  /** `error.type`, e.g. `version_conflict_engine_exception`, `security_exception`. */
  errorType: string | undefined;
  /** `error.reason`, with its `caused_by` reason when there is one. */
  reason: string | undefined;
  /** `failure_store`: `used` when the document went to the data stream's failure store (9.1+). */
  failureStore: string | undefined;
}

/** The fields the sink asks Elasticsearch to return (`filter_path`): only what classification reads. */
export const BULK_FILTER_PATH = ['errors', 'items.*.status', 'items.*.error', 'items.*.failure_store'];

const MISSING: BulkItemResult = { status: 0, errorType: undefined, reason: undefined, failureStore: undefined };

/** One result per document sent, in order, from a parsed `_bulk` response (any action name). */
export function bulkItemResults(response: unknown, sent: number): BulkItemResult[] {
  const items = (response as { items?: unknown } | null | undefined)?.items;
  const list = Array.isArray(items) ? items : [];
  const results: BulkItemResult[] = new Array(sent);
  for (let i = 0; i < sent; i++) {
    const item = list[i] as Record<string, unknown> | undefined;
    const result = item === undefined || item === null ? undefined : (item.create ?? item.index ?? Object.values(item)[0]) as Record<string, unknown> | undefined;
    if (result === undefined || result === null || typeof result.status !== 'number') {
      results[i] = MISSING;
      continue;
    }
    const error = result.error as { type?: unknown; reason?: unknown; caused_by?: { reason?: unknown } } | undefined;
    const cause = typeof error?.caused_by?.reason === 'string' ? ` (caused by: ${error.caused_by.reason})` : '';
    results[i] = {
      status: result.status,
      errorType: typeof error?.type === 'string' ? error.type : undefined,
      reason: error === undefined ? undefined : `${typeof error.reason === 'string' ? error.reason : ''}${cause}`,
      failureStore: typeof result.failure_store === 'string' ? result.failure_store : undefined,
    };
  }
  return results;
}
