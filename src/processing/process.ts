import { createEnricher, type EnrichOptions } from '../enrich/index.js';
import type { ArrayBufferPool } from './buffer-pool.js';
import type { LineInput } from '../core/batch.js';
import type { EcsDocument } from '../model/document.js';
import { stringifyDocument } from '../model/serialize.js';
import { createEncoder, type DocumentEncoder, type EncoderSpec } from '../codec/encoder.js';
import { TAG_TRUNCATED } from '../normalize/ecs.js';
import { createParser, type ParseMeta } from '../parse/index.js';
import { LineReader, lineStart, MAX_LINE_BYTES } from '../sources/framing/line-bytes.js';
import { timeZone } from '../time/zone.js';
import { DEFAULT_NAMESPACE } from '../model/data-stream.js';
import { baseIdOf, canonicalSecond, canonicalTimestamp, occurrenceId } from '../model/doc-id.js';
import { RunCounter, type BatchRuns } from './occurrence.js';
import { isBlankLine } from '../core/ascii.js';

/**
 * The per-line work between a source and an output — parse, enrich, encode (with the encoder the
 * output needs: a `_bulk` body with deterministic ids, or NDJSON) — as plain data in and out, so
 * it can run on the main thread or in worker threads alike.
 */

export interface ProcessorConfig {
  timezone: string;
  year?: number | undefined;
  observer?: string | undefined;
  geoip: string[] | false | undefined;
  scannerList?: string | undefined;
  /** Data stream namespace the documents say they belong to (`data_stream.namespace`). Default `default`. */
  namespace?: string | undefined;
}


/**
 * A batch's documents, in input order (blank lines produce none), as the output's bytes: one
 * buffer per batch rather than a string per document, so a worker thread hands it over without a
 * copy and the sink's thread does no per-document work on the happy path.
 */
export interface ProcessedBatch {
  body: Buffer;
  docs: number;
  /** Lines read, context lines (LineInput.contextLines) not included. */
  lines: number;
  unparsed: number;
  /** With ids: how the documents (context lines included) fall into runs of one second (processing/occurrence.ts). */
  runs?: BatchRuns | undefined;
}

export type Processor = (input: LineInput) => ProcessedBatch;

/**
 * `encoding`: the output's format (as data, so a parser thread can be given it; an encoder itself
 * on this thread). `bodies`: where batch bodies come from, when the caller hands them back for reuse.
 */
export async function createProcessor(config: ProcessorConfig, encoding: EncoderSpec | DocumentEncoder, bodies?: ArrayBufferPool): Promise<Processor> {
  const zone = timeZone(config.timezone);
  const namespace = config.namespace ?? DEFAULT_NAMESPACE;
  const parse = createParser({ zone, year: config.year, observer: config.observer, namespace });
  const enrichOptions: EnrichOptions = { geoip: config.geoip, scannerList: config.scannerList, timezone: zone };
  const enricher = await createEnricher(enrichOptions);
  const encoder = 'encode' in encoding ? encoding : createEncoder(encoding);
  // Identical lines of a second are numbered where the output has ids (processing/occurrence.ts).
  const counter = encoder.ids ? new RunCounter() : undefined;
  /** The id of the document on line `i`, numbered among the identical ones of its run. */
  const idOf = (doc: EcsDocument, i: number, counter: RunCounter): string => {
    const canonical = canonicalTimestamp(doc['@timestamp']);
    const base = baseIdOf(canonical, doc.event.original);
    const k = counter.next(base, canonicalSecond(canonical), i);
    return k === 0 ? base : occurrenceId(base, k);
  };

  // Documents are encoded straight into one buffer per batch: concatenating them into one string
  // first would build a rope that Buffer.from has to flatten and then encode, two more passes.
  let out = Buffer.allocUnsafeSlow(1 << 20);
  let at = 0;
  const append = (text: string): void => {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; measure exactly only when it might not fit.
    if (at + text.length * 3 > out.length) {
      const need = at + Buffer.byteLength(text);
      if (need > out.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(out.length * 2, need));
        out.copy(grown, 0, 0, at);
        out = grown;
      }
    }
    at += out.write(text, at);
  };

  return (input) => {
    at = 0;
    let docs = 0;
    let unparsed = 0;
    let t = 0;
    const meta: ParseMeta | undefined = input.receivedMs === undefined && input.year === undefined ? undefined : {};
    if (meta !== undefined && input.receivedMs !== undefined) meta.receivedMs = input.receivedMs;
    if (meta !== undefined && input.year !== undefined) meta.year = input.year;
    const text = input.lines;
    const bytes = text === undefined && input.data !== undefined ? new LineReader(input.data) : undefined;
    const context = input.contextLines ?? 0;
    counter?.reset();
    let i = 0;
    for (; ; i++) {
      const line = text !== undefined ? text[i] : bytes?.next();
      if (line === undefined) break;
      const cut = input.truncated[t] === i;
      if (cut) t++;
      if (!cut && isBlankLine(line)) continue;
      const doc: EcsDocument = parse(line, metaOf(input, i, meta));
      if (i < context) {
        // Delivered before a restart: only counted, so the lines after it keep their numbers.
        if (counter !== undefined) idOf(doc, i, counter);
        continue;
      }
      if (input.senderIp !== undefined) addSender(doc, input.senderIp);
      enricher.enrich(doc);
      if (cut && !doc.tags?.includes(TAG_TRUNCATED)) {
        (doc.tags ??= []).push(TAG_TRUNCATED);
        doc.error ??= { message: `line longer than ${MAX_LINE_BYTES} bytes was cut` };
      }
      if (doc.event.kind === 'pipeline_error') unparsed++;
      let id = '';
      if (counter !== undefined) {
        id = idOf(doc, i, counter);
        if (counter.inFirstRun) counter.locate(at + encoder.idOffset(doc));
      }
      // One write per document: each is a call into C++ that flattens its string first.
      append(encoder.encode(doc, stringifyDocument(doc), id));
      docs++;
    }
    // A copy of exactly the batch's bytes, alone in its ArrayBuffer: the caller owns it, and a
    // worker can hand it over without a copy.
    const body = bodies === undefined ? Buffer.allocUnsafeSlow(at) : bodies.take(at);
    out.copy(body, 0, 0, at);
    const runs = counter?.result((line) => (input.data === undefined ? -1 : lineStart(input.data, line, i)));
    return { body, docs, lines: i - Math.min(context, i), unparsed, runs };
  };
}

/** The batch's meta, or this line's own receive time where the record carries one. */
function metaOf(input: LineInput, i: number, batch: ParseMeta | undefined): ParseMeta | undefined {
  const own = input.lineReceivedMs?.[i];
  if (own === undefined || !Number.isFinite(own)) return batch;
  return { ...batch, receivedMs: own };
}

/** The syslog sender is the router: observer.ip, and its hostname when the header had none. */
function addSender(doc: EcsDocument, ip: string): void {
  const observer = (doc.observer ??= {});
  observer.ip = [ip];
  observer.hostname ??= ip;
}
