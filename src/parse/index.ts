import { DATASETS, DEFAULT_NAMESPACE, type Dataset } from '../model/data-stream.js';
import type { EcsDocument } from '../model/document.js';
import { DATASET_SYSLOG } from '../model/document.js';
import {
  addError, baseDocument, markControlCharacters, markFailure, tag, TAG_TRUNCATED, type DataStream, type DocumentBase,
} from '../normalize/ecs.js';
import { isoString } from '../time/iso.js';
import type { TimeZone } from '../time/zone.js';
import { blankControls, hasControl } from './controls.js';
import { FORMATS, type Format, type ParseContext } from './formats/index.js';
import { parseSyslogHeader, type SyslogHeader } from './syslog.js';
import { resolveTimestamp } from './timestamp.js';

/**
 * One line → one ECS document: the envelope every format shares (transport trimming, the length
 * bound, control characters, the syslog header, the timestamp, the document base), then the format
 * that claims the line (formats/). A line no format claims is kept in the dropship.syslog dataset.
 */

/** Longest line dropship parses; longer input is cut here and tagged (bounded memory and CPU). */
export const MAX_LINE_CHARS = 64 * 1024;

export interface ParserOptions {
  zone: TimeZone;
  /** Forces the year of year-less timestamps (`--year`). */
  year?: number | undefined;
  /** Observer name for headerless input (`--observer`). */
  observer?: string | undefined;
  /** data_stream.namespace of every document (`--namespace`; default `default`). */
  namespace?: string | undefined;
  /** Clock for event.created; injectable for tests. */
  now?: () => number;
}

export interface ParseMeta {
  /** When the line was received; defaults to now. */
  receivedMs?: number;
  /** Reference instant for year inference (file mtime when importing); defaults to receivedMs. */
  referenceMs?: number;
  /** Year of a year-less timestamp decided by the caller (an import that dated the whole file). */
  year?: number;
}

export type LineParser = (line: string, meta?: ParseMeta) => EcsDocument;

/** Strips what transports append: CR/LF, NUL terminators (OpenWrt `log_trailer_null`). */
function trimTransport(line: string): string {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 10 && c !== 13 && c !== 0) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}

/** Whether a value the header took from the line (host, program, pid, message id) holds a control character. */
function headerHasControl(h: SyslogHeader): boolean {
  return hasControlIn(h.hostname) || hasControlIn(h.appname) || hasControlIn(h.procid) || hasControlIn(h.msgid);
}

function hasControlIn(s: string | undefined): boolean {
  return s !== undefined && hasControl(s);
}

/** Formats by the syslog program whose lines they take. */
const BY_PROGRAM = new Map<string, Format>(FORMATS.flatMap((f) => (f.programs ?? []).map((p) => [p, f] as const)));

/**
 * Builds the line → ECS function. The returned parser never throws: anything unexpected
 * becomes a parse-failure document that still carries the original line.
 */
export function createParser(opts: ParserOptions): LineParser {
  const now = opts.now ?? Date.now;
  const timeOpts = { zone: opts.zone, year: opts.year, referenceMs: undefined as number | undefined };
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  // One frozen data_stream object per dataset, shared by its documents.
  const streams = new Map<Dataset, DataStream>(
    DATASETS.map((dataset) => [dataset, Object.freeze({ type: 'logs', dataset, namespace } as const)]),
  );
  const streamOf = (dataset: Dataset): DataStream => streams.get(dataset)!;
  const context: ParseContext = { tsMs: 0, splitHeads: new Map() };
  let lastCreatedMs = NaN;
  let lastCreatedIso = '';
  let lastTsMs = NaN;
  let lastTsIso = '';

  /** The envelope's inputs, filled anew for each document (no object made per line). */
  const envelope: DocumentBase = {
    line: '', header: parseSyslogHeader(''), timestampIso: '', createdIso: '', timezone: undefined, observerName: opts.observer,
    dataStream: streamOf(DATASET_SYSLOG), message: undefined,
  };

  /** The envelope for `line` in `dataset`. */
  function base(line: string, header: SyslogHeader, timestampIso: string, timezone: string | undefined, dataset: Dataset): EcsDocument {
    envelope.line = line;
    envelope.header = header;
    envelope.timestampIso = timestampIso;
    envelope.createdIso = lastCreatedIso;
    envelope.timezone = timezone;
    envelope.dataStream = streamOf(dataset);
    envelope.message = header.afterTimestamp === 0 ? line : line.slice(header.afterTimestamp);
    return baseDocument(envelope);
  }

  // The format that claimed the line last, and where its data starts (set by claim()).
  let claimed: Format | undefined;
  let claimedAt = -1;
  // Lines of one program follow each other: its format is looked up once per run of them.
  let lastProgram = '';
  let lastNamed: Format | undefined;

  /** Finds the format whose line this is: the one its program names first, then in order. */
  function claim(text: string, header: SyslogHeader): void {
    const app = header.appname;
    let named: Format | undefined;
    if (app !== undefined) {
      if (app !== lastProgram) {
        lastProgram = app;
        lastNamed = BY_PROGRAM.get(app);
      }
      named = lastNamed;
    }
    if (named !== undefined) {
      const at = named.find(text, header);
      if (at >= 0) {
        claimed = named;
        claimedAt = at;
        return;
      }
    }
    for (let i = 0; i < FORMATS.length; i++) {
      const format = FORMATS[i]!;
      if (format === named) continue;
      const at = format.find(text, header);
      if (at >= 0) {
        claimed = format;
        claimedAt = at;
        return;
      }
    }
    claimed = undefined;
    claimedAt = -1;
  }

  return (raw: string, meta?: ParseMeta): EcsDocument => {
    let line = trimTransport(raw);
    let truncated = false;
    if (line.length > MAX_LINE_CHARS) {
      line = line.slice(0, MAX_LINE_CHARS);
      truncated = true;
    }
    const receivedMs = meta?.receivedMs ?? now();
    if (receivedMs !== lastCreatedMs) {
      lastCreatedMs = receivedMs;
      lastCreatedIso = isoString(receivedMs);
    }
    let doc: EcsDocument;
    let controls = false;
    try {
      let text = line;
      let header = parseSyslogHeader(text);
      claim(text, header);
      // Control characters are never part of a value: a format that screens its own data for them
      // leaves only the text before it to check here; anything else is read with them blanked.
      if (claimed?.screensControls === true ? headerHasControl(header) : hasControl(text)) {
        controls = true;
        text = blankControls(line);
        header = parseSyslogHeader(text);
        claim(text, header);
      }
      timeOpts.referenceMs = meta?.referenceMs;
      timeOpts.year = meta?.year ?? opts.year;
      const ts = resolveTimestamp(header, timeOpts, receivedMs);
      if (ts.ms !== lastTsMs) {
        lastTsMs = ts.ms;
        lastTsIso = Number.isFinite(ts.ms) ? isoString(ts.ms) : lastCreatedIso;
      }
      context.tsMs = Number.isFinite(ts.ms) ? ts.ms : receivedMs;
      const timezone = ts.usedZone ? opts.zone.name : undefined;
      const format = claimed;
      if (format !== undefined) {
        doc = format.read(base(line, header, lastTsIso, timezone, format.dataset), text, claimedAt, header, context);
      } else {
        // No format's: kept whole as a syslog document.
        doc = base(line, header, lastTsIso, timezone, DATASET_SYSLOG);
        doc.dropship = { format: 'syslog' };
      }
    } catch (err) {
      doc = base(line, parseSyslogHeader(''), lastCreatedIso, undefined, DATASET_SYSLOG);
      markFailure(doc, `internal parser error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (controls) markControlCharacters(doc);
    if (truncated) {
      tag(doc, TAG_TRUNCATED);
      addError(doc, `line longer than ${MAX_LINE_CHARS} characters was cut`);
    }
    return doc;
  };
}
