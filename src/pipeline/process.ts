import { createEnricher, type EnrichOptions } from '../enrich/index.js';
import type { EcsDocument } from '../model/document.js';
import { DATASET_FIREWALL } from '../model/document.js';
import { TAG_TRUNCATED } from '../normalize/ecs.js';
import { createParser, type ParseMeta } from '../parse/index.js';
import { MAX_LINE_BYTES } from '../sources/lines.js';
import { timeZone } from '../time/zone.js';
import { documentId } from '../sinks/elasticsearch/doc-id.js';

/**
 * The per-line work between a source and a sink — parse, enrich, serialize, derive the `_id` —
 * as plain data in and out, so it can run on the main thread or in worker threads alike.
 */

export interface ProcessorConfig {
  timezone: string;
  year?: number | undefined;
  observer?: string | undefined;
  geoip: string[] | false | undefined;
  scannerList?: string | undefined;
  /** Derive the Elasticsearch `_id` of each document (not needed for plain NDJSON). Default true. */
  ids?: boolean;
}

export interface LineInput {
  lines: string[];
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

/** Serialized documents, in input order (blank lines produce none). */
export interface ProcessedBatch {
  json: string[];
  ids: string[];
  datasets: string[];
  lines: number;
  unparsed: number;
}

export type Processor = (input: LineInput) => ProcessedBatch;

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0) return false;
  }
  return true;
}

export async function createProcessor(config: ProcessorConfig): Promise<Processor> {
  const zone = timeZone(config.timezone);
  const parse = createParser({ zone, year: config.year, observer: config.observer });
  const enrichOptions: EnrichOptions = { geoip: config.geoip, scannerList: config.scannerList, timezone: zone };
  const enricher = await createEnricher(enrichOptions);
  const withIds = config.ids ?? true;

  return (input) => {
    const out: ProcessedBatch = { json: [], ids: [], datasets: [], lines: input.lines.length, unparsed: 0 };
    let t = 0;
    const meta: ParseMeta | undefined = input.receivedMs === undefined && input.year === undefined ? undefined : {};
    if (meta !== undefined && input.receivedMs !== undefined) meta.receivedMs = input.receivedMs;
    if (meta !== undefined && input.year !== undefined) meta.year = input.year;
    for (let i = 0; i < input.lines.length; i++) {
      const line = input.lines[i]!;
      const cut = input.truncated[t] === i;
      if (cut) t++;
      if (!cut && isBlank(line)) continue;
      const doc: EcsDocument = parse(line, metaOf(input, i, meta));
      if (input.senderIp !== undefined) addSender(doc, input.senderIp);
      enricher.enrich(doc);
      if (cut && !doc.tags?.includes(TAG_TRUNCATED)) {
        (doc.tags ??= []).push(TAG_TRUNCATED);
        doc.error ??= { message: `line longer than ${MAX_LINE_BYTES} bytes was cut` };
      }
      if (doc.event.kind === 'pipeline_error') out.unparsed++;
      out.json.push(JSON.stringify(doc));
      if (withIds) out.ids.push(documentId(doc['@timestamp'], doc.event.original));
      out.datasets.push(doc.event.dataset ?? DATASET_FIREWALL);
    }
    return out;
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
