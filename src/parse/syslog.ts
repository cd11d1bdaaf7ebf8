/**
 * The syslog envelope every router format arrives in, parsed once and shared by all body parsers.
 *
 * Accepted (router_formats.md §6): RFC3164 with or without `<PRI>`, with or without HOSTNAME,
 * space-padded days, an optional year after the time, ISO-8601 in the RFC3164 timestamp slot,
 * RFC5424 with or without structured data, OpenWrt `logread` (ctime + `facility.level`),
 * `facility.level` words between host and tag (UniFi `user.info kernel:`), and the kernel uptime
 * stamp `[71910.873115]`, which is removed from the message.
 */
import { digit } from '../core/ascii.js';

export const TS_NONE = 0;
/** Wall-clock time with no offset: needs the configured zone (and maybe a year). */
export const TS_WALL = 1;
/** An instant: the timestamp carried its own offset. */
export const TS_ABSOLUTE = 2;

export interface SyslogHeader {
  priority: number; // -1 when absent
  facilityName: string | undefined; // from a `facility.level` word
  severityName: string | undefined;
  tsKind: typeof TS_NONE | typeof TS_WALL | typeof TS_ABSOLUTE;
  /** TS_ABSOLUTE: epoch ms. */
  tsMs: number;
  /** TS_WALL: fields; year is 0 when the timestamp had none. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  hostname: string | undefined;
  appname: string | undefined;
  procid: string | undefined;
  msgid: string | undefined;
  version: string | undefined;
  structuredData: Record<string, Record<string, string>> | undefined;
  /** The header's tag was `WORD:` directly followed by `KEY=` data; see netfilter prefix recovery. */
  tagStart: number;
  /** The message after the header (and after a kernel uptime stamp). */
  message: string;
  messageStart: number;
  /** Where the line continues after its priority and timestamp (and the blanks after them). */
  afterTimestamp: number;
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Three characters packed into one number (exact for 8-bit characters, which month names are). */
function pack3(s: string, i: number): number {
  return ((s.charCodeAt(i) & 0xffff) << 16) | ((s.charCodeAt(i + 1) & 0xff) << 8) | (s.charCodeAt(i + 2) & 0xff);
}

/** Month number by packed name: no three-character slice and string-keyed lookup per line. */
const MONTHS = new Map(MONTH_NAMES.map((name, i) => [pack3(name, 0), i + 1]));

/** Month (1–12) of the English abbreviation at s[i…], or undefined. */
function monthAt(s: string, i: number): number | undefined {
  // A wide or missing character cannot be part of a name: pack3 would alias it.
  const c0 = s.charCodeAt(i), c1 = s.charCodeAt(i + 1), c2 = s.charCodeAt(i + 2);
  if (!(c0 < 128 && c1 < 128 && c2 < 128)) return undefined;
  return MONTHS.get(pack3(s, i));
}
const WEEKDAYS = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

export const FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
  'local6', 'local7',
];
export const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const SEVERITY_ALIASES: Record<string, number> = {
  emerg: 0, panic: 0, alert: 1, crit: 2, err: 3, error: 3, warn: 4, warning: 4, notice: 5, info: 6, debug: 7,
};
const FACILITY_CODES: Record<string, number> = Object.fromEntries(FACILITY_NAMES.map((n, i) => [n, i]));

export function severityCode(name: string): number | undefined {
  return SEVERITY_ALIASES[name];
}
export function facilityCode(name: string): number | undefined {
  return FACILITY_CODES[name];
}

/** Reads `n` digits at i, or -1. */
function num(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digit(s, i + k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

function emptyHeader(line: string): SyslogHeader {
  return {
    priority: -1, facilityName: undefined, severityName: undefined,
    tsKind: TS_NONE, tsMs: 0, year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millis: 0,
    hostname: undefined, appname: undefined, procid: undefined, msgid: undefined, version: undefined,
    structuredData: undefined, tagStart: -1, message: line, messageStart: 0, afterTimestamp: 0,
  };
}

/** `hh:mm:ss` at i → seconds-of-day parts written to h, or false. */
function readClock(s: string, i: number, h: SyslogHeader): boolean {
  const hh = num(s, i, 2), mm = num(s, i + 3, 2), ss = num(s, i + 6, 2);
  if (hh < 0 || mm < 0 || ss < 0 || s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return false;
  if (hh > 23 || mm > 59 || ss > 60) return false;
  h.hour = hh;
  h.minute = mm;
  h.second = ss === 60 ? 59 : ss;
  return true;
}

/** Optional `.fff…` at i; returns the index after it. */
function readFraction(s: string, i: number, h: SyslogHeader): number {
  if (s.charCodeAt(i) !== 46 || digit(s, i + 1) < 0) return i;
  let j = i + 1;
  let ms = 0;
  let scale = 100;
  while (digit(s, j) >= 0) {
    if (scale >= 1) ms += digit(s, j) * scale;
    scale /= 10;
    j++;
  }
  h.millis = Math.floor(ms);
  return j;
}

/**
 * ISO-8601 / RFC3339 at i: `YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm|±hhmm]` (a space instead of `T`
 * is accepted, as some relays write it). Returns the index after it, or -1.
 */
function readIso(s: string, i: number, h: SyslogHeader): number {
  const y = num(s, i, 4), mo = num(s, i + 5, 2), d = num(s, i + 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return -1;
  if (s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 7) !== 45) return -1;
  const sep = s.charCodeAt(i + 10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return -1;
  if (!readClock(s, i + 11, h)) return -1;
  h.year = y;
  h.month = mo;
  h.day = d;
  let j = readFraction(s, i + 19, h);
  const z = s.charCodeAt(j);
  if (z === 90 || z === 122) {
    h.tsKind = TS_ABSOLUTE;
    h.tsMs = Date.UTC(y, mo - 1, d, h.hour, h.minute, h.second, h.millis);
    return j + 1;
  }
  if (z === 43 || z === 45) {
    const oh = num(s, j + 1, 2);
    let om: number;
    let after: number;
    if (s.charCodeAt(j + 3) === 58) {
      om = num(s, j + 4, 2);
      after = j + 6;
    } else {
      om = num(s, j + 3, 2);
      after = j + 5;
    }
    if (oh >= 0 && om >= 0 && oh < 24 && om < 60) {
      const sign = z === 43 ? 1 : -1;
      h.tsKind = TS_ABSOLUTE;
      h.tsMs = Date.UTC(y, mo - 1, d, h.hour, h.minute, h.second, h.millis) - sign * (oh * 60 + om) * 60_000;
      return after;
    }
  }
  h.tsKind = TS_WALL;
  return j;
}

/** `Mmm dd hh:mm:ss` (day space-padded or not) at i, optional `.fff` and ` yyyy`. */
function readRfc3164(s: string, i: number, h: SyslogHeader): number {
  const month = monthAt(s, i);
  if (month === undefined || s.charCodeAt(i + 3) !== 32) return -1;
  let j = i + 4;
  if (s.charCodeAt(j) === 32) j++; // space-padded day
  let day = digit(s, j);
  if (day < 0) return -1;
  j++;
  const d2 = digit(s, j);
  if (d2 >= 0) {
    day = day * 10 + d2;
    j++;
  }
  if (day < 1 || day > 31 || s.charCodeAt(j) !== 32) return -1;
  if (!readClock(s, j + 1, h)) return -1;
  j = readFraction(s, j + 9, h);
  h.month = month;
  h.day = day;
  h.year = 0;
  // RFC3164 §5.1: some senders append the year after the time.
  if (s.charCodeAt(j) === 32) {
    const y = num(s, j + 1, 4);
    const after = s.charCodeAt(j + 5);
    if (y >= 1970 && (Number.isNaN(after) || after === 32)) {
      h.year = y;
      j += 5;
    }
  }
  h.tsKind = TS_WALL;
  return j;
}

/** ctime(): `Www Mmm dd hh:mm:ss yyyy` (OpenWrt logread). */
function readCtime(s: string, i: number, h: SyslogHeader): number {
  if (!WEEKDAYS.has(s.slice(i, i + 3)) || s.charCodeAt(i + 3) !== 32) return -1;
  const j = readRfc3164(s, i + 4, h);
  if (j < 0 || h.year === 0) return -1;
  return j;
}

/**
 * RouterOS `/log print` and its log files: `jan/15 14:30:01` (this year) or `jan/15/2024
 * 14:30:01` — a lower-case month, a slash, the day.
 */
function readRouterOs(s: string, i: number, h: SyslogHeader): number {
  const c0 = s.charCodeAt(i);
  if (!(c0 >= 97 && c0 <= 122) || s.charCodeAt(i + 3) !== 47) return -1;
  const month = monthAt(String.fromCharCode(c0 - 32) + s.slice(i + 1, i + 3), 0);
  const day = num(s, i + 4, 2);
  if (month === undefined || day < 1 || day > 31) return -1;
  let j = i + 6;
  let year = 0;
  if (s.charCodeAt(j) === 47) {
    year = num(s, j + 1, 4);
    if (year < 1970) return -1;
    j += 5;
  }
  if (s.charCodeAt(j) !== 32 || !readClock(s, j + 1, h)) return -1;
  h.month = month;
  h.day = day;
  h.year = year;
  h.tsKind = TS_WALL;
  return j + 9;
}

/** `kern.warn`, `user.info`: facility and severity words where a sender puts them in the header. */
function readFacilityWord(tok: string, h: SyslogHeader): boolean {
  const dot = tok.indexOf('.');
  if (dot <= 0) return false;
  const facility = tok.slice(0, dot);
  const severity = tok.slice(dot + 1);
  if (FACILITY_CODES[facility] === undefined || SEVERITY_ALIASES[severity] === undefined) return false;
  h.facilityName = facility;
  h.severityName = severity;
  return true;
}

function nextSpace(s: string, i: number): number {
  const k = s.indexOf(' ', i);
  return k < 0 ? s.length : k;
}

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === 32) i++;
  return i;
}

/** `[  123.456789]` at i → index after it and its trailing space, or i. */
function skipUptime(s: string, i: number): number {
  if (s.charCodeAt(i) !== 91) return i;
  let j = i + 1;
  while (s.charCodeAt(j) === 32) j++;
  const digitsStart = j;
  while (digit(s, j) >= 0) j++;
  if (j === digitsStart || s.charCodeAt(j) !== 46) return i;
  j++;
  const fracStart = j;
  while (digit(s, j) >= 0) j++;
  if (j === fracStart || s.charCodeAt(j) !== 93) return i;
  return skipSpaces(s, j + 1);
}

/** A syslog TAG: `name:` or `name[pid]:` with no '=' in it (name = before '[', pid = inside). */
function isTag(tok: string): boolean {
  if (tok.length < 2 || tok.charCodeAt(tok.length - 1) !== 58) return false;
  const open = tok.indexOf('[');
  if (open === 0 || tok.indexOf('=') >= 0) return false;
  if (open > 0) return tok.charCodeAt(tok.length - 2) === 93;
  return tok.indexOf(']') < 0;
}

function readStructuredData(s: string, i: number, h: SyslogHeader): number {
  if (s.charCodeAt(i) === 45) return i + 1; // nil
  const sd: Record<string, Record<string, string>> = {};
  let j = i;
  while (s.charCodeAt(j) === 91) {
    j++;
    const idEnd = Math.min(nextSpace(s, j), s.indexOf(']', j) < 0 ? s.length : s.indexOf(']', j));
    const id = s.slice(j, idEnd);
    const params: Record<string, string> = {};
    j = idEnd;
    while (j < s.length && s.charCodeAt(j) !== 93) {
      j = skipSpaces(s, j);
      const eq = s.indexOf('=', j);
      if (eq < 0 || s.charCodeAt(eq + 1) !== 34) return s.length;
      const name = s.slice(j, eq);
      let k = eq + 2;
      let value = '';
      let seg = k;
      while (k < s.length && s.charCodeAt(k) !== 34) {
        if (s.charCodeAt(k) === 92 && k + 1 < s.length) {
          value += s.slice(seg, k);
          seg = k + 1;
          k += 2;
          continue;
        }
        k++;
      }
      value += s.slice(seg, k);
      params[name] = value;
      j = k + 1;
    }
    sd[id] = params;
    j++; // ']'
  }
  if (j === i) return -1;
  h.structuredData = sd;
  return j;
}

function nil(tok: string): string | undefined {
  return tok === '-' || tok === '' ? undefined : tok;
}

function parseRfc5424(line: string, i: number, h: SyslogHeader): SyslogHeader {
  h.version = '1';
  let j = i + 2;
  if (line.charCodeAt(j) === 45) {
    j++;
  } else {
    const after = readIso(line, j, h);
    if (after < 0) return h; // not RFC5424 after all; keep the whole line as message
    j = after;
  }
  h.afterTimestamp = skipSpaces(line, j);
  const fields: (string | undefined)[] = [];
  for (let f = 0; f < 4; f++) {
    j = skipSpaces(line, j);
    const end = nextSpace(line, j);
    fields.push(nil(line.slice(j, end)));
    j = end;
  }
  [h.hostname, h.appname, h.procid, h.msgid] = fields;
  j = skipSpaces(line, j);
  const afterSd = readStructuredData(line, j, h);
  if (afterSd >= 0) j = afterSd;
  j = skipSpaces(line, j);
  if (line.charCodeAt(j) === 0xfeff) j++; // BOM before UTF-8 MSG
  j = skipUptime(line, j);
  h.messageStart = j;
  h.message = line.slice(j);
  return h;
}

export function parseSyslogHeader(line: string): SyslogHeader {
  const h = emptyHeader(line);
  let i = 0;
  if (line.charCodeAt(0) === 60) {
    let p = 0;
    let k = 1;
    while (k < 5 && digit(line, k) >= 0) p = p * 10 + digit(line, k++);
    if (k > 1 && line.charCodeAt(k) === 62 && p <= 191) {
      h.priority = p;
      i = k + 1;
    }
  }
  h.afterTimestamp = i;
  if (h.priority >= 0 && line.charCodeAt(i) === 49 && line.charCodeAt(i + 1) === 32) {
    return parseRfc5424(line, i, h);
  }

  let j = readRfc3164(line, i, h);
  if (j < 0) j = readIso(line, i, h);
  if (j < 0) j = readCtime(line, i, h);
  if (j < 0) j = readRouterOs(line, i, h);
  const hasTime = j >= 0;
  if (!hasTime) {
    h.tsKind = TS_NONE;
    j = i;
  }
  j = skipSpaces(line, j);
  if (hasTime) h.afterTimestamp = j;
  j = skipUptime(line, j); // OpenWrt may put `[sec.ms]` before the hostname

  // HOSTNAME and TAG are both optional; decide by the shape of the next tokens.
  let end = nextSpace(line, j);
  let tok = line.slice(j, end);
  if (readFacilityWord(tok, h)) {
    j = skipSpaces(line, end);
    end = nextSpace(line, j);
    tok = line.slice(j, end);
  } else if (hasTime && tok.length > 0 && !isTag(tok) && looksLikeHost(tok)) {
    h.hostname = tok;
    j = skipSpaces(line, end);
    end = nextSpace(line, j);
    tok = line.slice(j, end);
    if (readFacilityWord(tok, h)) {
      j = skipSpaces(line, end);
      end = nextSpace(line, j);
      tok = line.slice(j, end);
    }
  }
  // Without a timestamp or PRI a leading `WORD:` is as likely a log prefix (`FINAL_REJECT:`) as a
  // tag; it is still read as a tag, and body parsers recover it through tagStart.
  if (isTag(tok)) {
    h.tagStart = j;
    const open = tok.indexOf('[');
    h.appname = open > 0 ? tok.slice(0, open) : tok.slice(0, -1);
    h.procid = open > 0 ? tok.slice(open + 1, tok.length - 2) : undefined;
    j = skipSpaces(line, end);
  }
  j = skipUptime(line, j);
  h.messageStart = j;
  h.message = j === 0 ? line : line.slice(j);
  return h;
}

/** RouterOS log topics (`firewall,info`), which come where a hostname would when a file holds none. */
export const ROUTEROS_TOPICS = /^[a-z]+(?:,[a-z]+)+$/;

function looksLikeHost(tok: string): boolean {
  const c = tok.charCodeAt(0);
  if (c === 91 || c === 60 || c === 40) return false; // '[', '<', '('
  return tok.indexOf('=') < 0 && !(tok.indexOf(',') > 0 && ROUTEROS_TOPICS.test(tok));
}
