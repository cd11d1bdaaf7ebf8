import { hash } from 'node:crypto';

/**
 * Deterministic `_id` for a document: the same log line at the same instant always gets the same
 * id, so replays and re-imports end in a 409 (already indexed) instead of a duplicate.
 *
 * The timestamp is canonicalised to epoch milliseconds so that two renderings of one instant
 * (`...Z` vs `+00:00`, trailing zeros) agree. 20 bytes of sha256 keep ids short (27 chars in
 * base64url) while leaving collisions astronomically unlikely at log volumes.
 */
export const DOC_ID_BYTES = 20;

let lastText = '';
let lastCanonical = '';
// "YYYY-MM-DDTHH:" of the last canonical ISO text parsed, and its epoch ms.
let hourText = '';
let hourMs = NaN;

/** Digit at i of s as a number, or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * Date.parse of the form every document's @timestamp has, `YYYY-MM-DDTHH:MM:SS.sssZ`, when its
 * hour is the one parsed last: minutes, seconds and ms are added to it. Log lines come in time
 * order, so this answers nearly every call; NaN means "ask Date.parse".
 */
function sameHourMs(t: string): number {
  if (t.length !== 24 || t.charCodeAt(19) !== 46 /* . */ || t.charCodeAt(23) !== 90 /* Z */ || t.charCodeAt(16) !== 58 /* : */) return NaN;
  if (!t.startsWith(hourText) || hourText === '') return NaN;
  const m1 = digit(t, 14), m2 = digit(t, 15), s1 = digit(t, 17), s2 = digit(t, 18);
  const f1 = digit(t, 20), f2 = digit(t, 21), f3 = digit(t, 22);
  if ((m1 | m2 | s1 | s2 | f1 | f2 | f3) < 0 || m1 > 5 || s1 > 5) return NaN;
  return hourMs + (m1 * 10 + m2) * 60_000 + (s1 * 10 + s2) * 1000 + f1 * 100 + f2 * 10 + f3;
}

/** Epoch ms as a decimal string; an unparsable value is used verbatim so bad input still hashes. */
export function canonicalTimestamp(timestamp: unknown): string {
  if (typeof timestamp === 'string') {
    // Consecutive log lines often share their second: parse each distinct text once.
    if (timestamp === lastText) return lastCanonical;
    let ms = sameHourMs(timestamp);
    if (Number.isNaN(ms)) {
      ms = Date.parse(timestamp);
      if (Number.isFinite(ms) && timestamp.length === 24 && timestamp.charCodeAt(13) === 58) {
        // Remember the hour for the next lines: its start is this instant minus what follows it.
        const head = timestamp.slice(0, 14);
        const start = Date.parse(`${head}00:00.000Z`);
        if (Number.isFinite(start)) {
          hourText = head;
          hourMs = start;
        }
      }
    }
    lastText = timestamp;
    lastCanonical = Number.isFinite(ms) ? String(ms) : timestamp;
    return lastCanonical;
  }
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) return String(Math.trunc(timestamp));
  return '';
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/**
 * 20 bytes are 26 full base64 digits plus one that holds the last 4 bits and 2 zero bits; in the
 * digest's full encoding that digit also carries 2 bits of byte 21. This table clears them.
 */
const LAST_DIGIT = new Map([...BASE64URL].map((c, i) => [c, BASE64URL[i & ~3]!]));
const ID_LENGTH = Math.ceil((DOC_ID_BYTES * 8) / 6);

export function documentId(timestamp: unknown, original: unknown): string {
  // The newline separator keeps "1700000000000" + "5 x" distinct from "170000000000" + "05 x":
  // a canonical timestamp never contains one.
  const input = `${canonicalTimestamp(timestamp)}\n${typeof original === 'string' ? original : ''}`;
  // base64url of the first 20 bytes of the digest, computed from the digest's own base64url
  // text: a third of the cost of slicing a Buffer and encoding it again.
  const digest = hash('sha256', input, 'base64url');
  return digest.slice(0, ID_LENGTH - 1) + LAST_DIGIT.get(digest[ID_LENGTH - 1]!)!;
}
