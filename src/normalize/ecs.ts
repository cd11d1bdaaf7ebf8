import type { EcsDocument } from '../model/document.js';
import { ECS_VERSION } from '../model/ecs-version.js';
import type { ReadProblems } from '../model/records.js';
import type { SyslogHeader } from '../parse/syslog.js';
import { FACILITY_NAMES, SEVERITY_NAMES, facilityCode, severityCode } from '../parse/syslog.js';

export { ECS_VERSION };

/** The line (or the part a format claimed) could not be fully read: event.kind is pipeline_error. */
export const TAG_PARSE_FAILURE = 'dropship_parse_failure';
/** The record is visibly incomplete: a piece of a line split across messages, a packet the kernel cut. */
export const TAG_PARTIAL = 'dropship_partial';
/** The line was longer than the parser reads and was cut. */
export const TAG_TRUNCATED = 'dropship_truncated';
/** A value was left out because its field cannot hold it (not a port, outside its mapping's range). */
export const TAG_VALUE_DROPPED = 'dropship_value_dropped';
/** The line held control characters (NUL…), read as spaces; event.original keeps them. */
export const TAG_CONTROL_CHARACTERS = 'dropship_control_characters';
/** A piece of a split line joined with the piece before it. */
export const TAG_REASSEMBLED = 'dropship_reassembled';

export type DataStream = NonNullable<EcsDocument['data_stream']>;

export interface DocumentBase {
  line: string;
  header: SyslogHeader;
  timestampIso: string;
  createdIso: string;
  /** IANA zone applied to a timestamp that carried no offset. */
  timezone: string | undefined;
  observerName: string | undefined;
  /** The document's data stream (frozen: shared by every document of the dataset). */
  dataStream: DataStream;
  /** `message`: the line without its syslog priority and timestamp (undefined: none). */
  message: string | undefined;
}

/** The envelope shared by every format: time, data stream, original line, syslog header, observer. */
export function baseDocument(b: DocumentBase): EcsDocument {
  const h = b.header;
  const doc: EcsDocument = {
    '@timestamp': b.timestampIso,
    ecs: { version: ECS_VERSION },
    data_stream: b.dataStream,
    event: { kind: 'event', dataset: b.dataStream.dataset, original: b.line, created: b.createdIso },
  };
  if (b.message !== undefined) doc.message = b.message;
  if (b.timezone !== undefined) doc.event.timezone = b.timezone;

  const syslog: NonNullable<NonNullable<EcsDocument['log']>['syslog']> = {};
  let facility = -1;
  let severity = -1;
  if (h.priority >= 0) {
    syslog.priority = h.priority;
    facility = h.priority >> 3;
    severity = h.priority & 7;
  } else if (h.facilityName !== undefined && h.severityName !== undefined) {
    facility = facilityCode(h.facilityName) ?? -1;
    severity = severityCode(h.severityName) ?? -1;
    if (facility >= 0 && severity >= 0) syslog.priority = facility * 8 + severity;
  }
  if (facility >= 0) syslog.facility = { code: facility, name: FACILITY_NAMES[facility] ?? String(facility) };
  if (severity >= 0) syslog.severity = { code: severity, name: SEVERITY_NAMES[severity] ?? String(severity) };
  if (h.hostname !== undefined) syslog.hostname = h.hostname;
  if (h.appname !== undefined) syslog.appname = h.appname;
  if (h.procid !== undefined) syslog.procid = h.procid;
  if (h.msgid !== undefined) syslog.msgid = h.msgid;
  if (h.version !== undefined) syslog.version = h.version;
  if (h.structuredData !== undefined) syslog.structured_data = h.structuredData;
  for (const _ in syslog) {
    doc.log = { syslog };
    break;
  }

  const hostname = h.hostname ?? b.observerName;
  if (hostname !== undefined || b.observerName !== undefined) {
    doc.observer = {};
    if (hostname !== undefined) doc.observer.hostname = hostname;
    const name = b.observerName ?? h.hostname;
    if (name !== undefined) doc.observer.name = name;
  }
  return doc;
}

/**
 * The header took a word of the message for the program (`DENY:` before `IN=`, RouterOS's
 * `input:` chain) and the format takes it back: log.syslog forgets the program and its pid.
 */
export function forgetProgram(doc: EcsDocument): void {
  const syslog = doc.log?.syslog;
  if (syslog === undefined) return;
  delete syslog.appname;
  delete syslog.procid;
  if (Object.keys(syslog).length === 0) delete doc.log;
}

/** Adds a tag once. */
export function tag(doc: EcsDocument, name: string): void {
  const tags = (doc.tags ??= []);
  if (!tags.includes(name)) tags.push(name);
}

/** Adds a reason to error.message (several are joined with "; "). */
export function addError(doc: EcsDocument, reason: string): void {
  doc.error = doc.error === undefined ? { message: reason } : { message: `${doc.error.message}; ${reason}` };
}

/** A line, or the part a format claimed, that could not be read: kept whole, tagged, with the reason. */
export function markFailure(doc: EcsDocument, reason: string): EcsDocument {
  doc.event.kind = 'pipeline_error';
  tag(doc, TAG_PARSE_FAILURE);
  addError(doc, reason);
  return doc;
}

/** Tags a document whose line held control characters (read as blanks). */
export function markControlCharacters(doc: EcsDocument): void {
  if (doc.tags?.includes(TAG_CONTROL_CHARACTERS)) return;
  tag(doc, TAG_CONTROL_CHARACTERS);
  addError(doc, 'control characters in the line were read as blanks');
}

/** What a format reported it could not read or had to leave out, as tags and error.message. */
export function applyProblems(doc: EcsDocument, rec: ReadProblems): void {
  if (rec.controlCharacters === true) markControlCharacters(doc);
  if (rec.unreadable !== undefined) markFailure(doc, rec.unreadable);
  if (rec.dropped !== undefined) {
    tag(doc, TAG_VALUE_DROPPED);
    addError(doc, `left out: ${rec.dropped.join(', ')}`);
  }
}
