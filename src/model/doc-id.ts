import { hash } from 'node:crypto';
import { isoMs } from '../time/iso.js';

/**
 * Deterministic `_id` for a document: the same log line at the same instant, as the same
 * occurrence among identical lines of its second, always gets the same id, so replays and
 * re-imports end in a 409 (already indexed) instead of a duplicate, and repeated lines stay
 * distinct events.
 *
 * The timestamp is canonicalised to epoch milliseconds so that two renderings of one instant
 * (`...Z` vs `+00:00`, trailing zeros) agree. 20 bytes of sha256 keep ids short (27 chars in
 * base64url) while leaving collisions astronomically unlikely at log volumes.
 */
export const DOC_ID_BYTES = 20;

let lastText = '';
let lastCanonical = '';
/** The second of lastCanonical (canonicalSecond), known here without parsing it back. */
let lastCanonicalSecond: number | string = '';

/** Epoch ms as a decimal string; an unparsable value is used verbatim so bad input still hashes. */
export function canonicalTimestamp(timestamp: unknown): string {
  if (typeof timestamp === 'string') {
    // Consecutive log lines often share their second: parse each distinct text once.
    if (timestamp === lastText) return lastCanonical;
    let ms = isoMs(timestamp);
    if (Number.isNaN(ms)) ms = Date.parse(timestamp);
    lastText = timestamp;
    lastCanonical = Number.isFinite(ms) ? String(ms) : timestamp;
    lastCanonicalSecond = Number.isFinite(ms) ? Math.floor(ms / 1000) : timestamp;
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

/** The first DOC_ID_BYTES of sha256(input), in base64url. */
function idOfInput(input: string): string {
  // base64url of the first 20 bytes of the digest, computed from the digest's own base64url
  // text: a third of the cost of slicing a Buffer and encoding it again.
  const digest = hash('sha256', input, 'base64url');
  return digest.slice(0, ID_LENGTH - 1) + LAST_DIGIT.get(digest[ID_LENGTH - 1]!)!;
}

/**
 * The id of a line at an instant, given its canonical timestamp: the id of its first occurrence
 * (see documentId).
 */
export function baseIdOf(canonical: string, original: unknown): string {
  // The newline separator keeps "1700000000000" + "5 x" distinct from "170000000000" + "05 x":
  // a canonical timestamp never contains one.
  return idOfInput(`${canonical}\n${typeof original === 'string' ? original : ''}`);
}

/**
 * The id of occurrence `occurrence` (1, 2, …) of a line whose first occurrence has `baseId`:
 * identical lines logged in the same second (a scanner's retransmitted SYNs) are distinct events.
 * The input `<baseId>/<occurrence>` has no newline, and every first occurrence's input has one,
 * so no occurrence's id can equal another line's first id.
 */
export function occurrenceId(baseId: string, occurrence: number): string {
  return idOfInput(`${baseId}/${occurrence}`);
}

/**
 * The deterministic `_id` of occurrence `occurrence` of a line among the identical lines of its
 * second in one source's stream (processing/occurrence.ts counts them). Occurrence 0, the usual
 * case, is the hash of the canonical timestamp and the line alone, as ids always were: documents
 * indexed before occurrences were counted keep theirs.
 */
export function documentId(timestamp: unknown, original: unknown, occurrence = 0): string {
  const id = baseIdOf(canonicalTimestamp(timestamp), original);
  return occurrence === 0 ? id : occurrenceId(id, occurrence);
}

let lastSecondOf = '';
let lastSecond: number | string = '';

/**
 * The second a canonical timestamp falls in (epoch seconds), which identical lines are counted
 * within; an unparsable timestamp's text stands for itself.
 */
export function canonicalSecond(canonical: string): number | string {
  // Usually the string canonicalTimestamp just returned: its second is known (Number() of a
  // 13-digit string costs as much as the rest of the counting).
  if (canonical === lastCanonical) return lastCanonicalSecond;
  if (canonical === lastSecondOf) return lastSecond;
  const ms = Number(canonical);
  lastSecondOf = canonical;
  lastSecond = canonical !== '' && Number.isFinite(ms) ? Math.floor(ms / 1000) : canonical;
  return lastSecond;
}
