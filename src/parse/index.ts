import type { EcsDocument } from '../model/document.js';
import { TAG_PARTIAL, TAG_TRUNCATED, applyFirewall, baseDocument, markFailure } from '../normalize/ecs.js';
import { isoString } from '../time/iso.js';
import { resolveTimestamp } from './timestamp.js';
import type { TimeZone } from '../time/zone.js';
import { findNetfilterStart, looksLikeNetfilterFragment, parseNetfilter } from './netfilter.js';
import { parseSyslogHeader, type SyslogHeader } from './syslog.js';

/** Longest line dropship parses; longer input is cut here and tagged (bounded memory and CPU). */
export const MAX_LINE_CHARS = 64 * 1024;

export interface ParserOptions {
  zone: TimeZone;
  /** Forces the year of year-less timestamps (`--year`). */
  year?: number | undefined;
  /** Observer name for headerless input (`--observer`). */
  observer?: string | undefined;
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

/** Dispatches the message body to the format parser that recognises it. */
function parseBody(doc: EcsDocument, line: string, h: SyslogHeader): EcsDocument {
  const body = h.message;
  // The body is scanned inside the line itself: h.message is a slice of it, and reading characters
  // of a sliced string is slower than of the flat line.
  const from = h.messageStart;
  const at = findNetfilterStart(line, from);
  if (at >= 0) {
    let prefix = line.slice(from, at);
    // `DENY: IN=…` with no host or `kernel:` tag: the header took the rule prefix for a tag.
    if (at === from && h.appname !== undefined && h.appname !== 'kernel' && h.tagStart >= 0) {
      prefix = `${h.appname}:`;
      const syslog = doc.log?.syslog;
      if (syslog !== undefined) {
        delete syslog.appname;
        delete syslog.procid;
        if (Object.keys(syslog).length === 0) delete doc.log;
      }
    }
    return applyFirewall(doc, parseNetfilter(line, at, prefix));
  }
  if (looksLikeNetfilterFragment(body)) {
    doc.event.category = ['network'];
    doc.event.type = ['info'];
    doc.message = body;
    (doc.tags ??= []).push(TAG_PARTIAL);
    doc.error = { message: 'fragment of a netfilter line split across syslog messages; its fields are not trusted' };
    doc.dropship = { vendor: 'netfilter', format: 'netfilter' };
    return doc;
  }
  const app = h.appname !== undefined ? ` (program "${h.appname}")` : '';
  return markFailure(doc, `no supported firewall format recognised${app}`, body);
}

/**
 * Builds the line → ECS function. The returned parser never throws: anything unexpected
 * becomes a parse-failure document that still carries the original line.
 */
export function createParser(opts: ParserOptions): LineParser {
  const now = opts.now ?? Date.now;
  const timeOpts = { zone: opts.zone, year: opts.year, referenceMs: undefined as number | undefined };
  let lastCreatedMs = NaN;
  let lastCreatedIso = '';
  let lastTsMs = NaN;
  let lastTsIso = '';

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
    try {
      const header = parseSyslogHeader(line);
      timeOpts.referenceMs = meta?.referenceMs;
      timeOpts.year = meta?.year ?? opts.year;
      const ts = resolveTimestamp(header, timeOpts, receivedMs);
      if (ts.ms !== lastTsMs) {
        lastTsMs = ts.ms;
        lastTsIso = Number.isFinite(ts.ms) ? isoString(ts.ms) : lastCreatedIso;
      }
      doc = baseDocument({
        line,
        header,
        timestampIso: lastTsIso,
        createdIso: lastCreatedIso,
        timezone: ts.usedZone ? opts.zone.name : undefined,
        observerName: opts.observer,
      });
      doc = parseBody(doc, line, header);
    } catch (err) {
      doc = baseDocument({
        line,
        header: parseSyslogHeader(''),
        timestampIso: lastCreatedIso,
        createdIso: lastCreatedIso,
        timezone: undefined,
        observerName: opts.observer,
      });
      markFailure(doc, `internal parser error: ${err instanceof Error ? err.message : String(err)}`, line);
    }
    if (truncated) {
      (doc.tags ??= []).push(TAG_TRUNCATED);
      doc.error ??= { message: `line longer than ${MAX_LINE_CHARS} characters was cut` };
    }
    return doc;
  };
}
