import { hash } from 'node:crypto';
import { isoMs } from '../time/iso.js';

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

/** Epoch ms as a decimal string; an unparsable value is used verbatim so bad input still hashes. */
export function canonicalTimestamp(timestamp: unknown): string {
  if (typeof timestamp === 'string') {
    // Consecutive log lines often share their second: parse each distinct text once.
    if (timestamp === lastText) return lastCanonical;
    let ms = isoMs(timestamp);
    if (Number.isNaN(ms)) ms = Date.parse(timestamp);
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
