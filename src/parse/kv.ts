/**
 * One hand-written scanner for the space-separated `KEY=VALUE` dialects routers log: netfilter
 * (`SRC=… DPT=23 SYN`), UniFi (`DESCR="a b"`), CEF-like and `key:value` tokens.
 *
 * It never allocates a map: the caller's visitor sees tokens in order, which is what makes the
 * netfilter quirks tractable (first `SRC=` wins, the second `LEN=` belongs to UDP, `ACK` is a
 * flag while `ACK=` is a number).
 *
 * Token shapes reported to the visitor:
 *  - `KEY=VALUE` / `KEY=` / `KEY="quoted value"` → kind PAIR (value may be empty)
 *  - `KEY:VALUE` (e.g. `FRAG:16`)                → kind PAIR
 *  - bare word (`DF`, `SYN`)                      → kind FLAG, value ''
 *  - `[ … ]` (balanced)                           → kind GROUP, key '[', value = inner text
 *  - `WORD ( … )` (e.g. `OPT (0204…)`)            → kind PAREN, key WORD, value = inner text
 */

export const PAIR = 0;
export const FLAG = 1;
export const GROUP = 2;
export const PAREN = 3;
export type TokenKind = typeof PAIR | typeof FLAG | typeof GROUP | typeof PAREN;

/** Return false to stop scanning. */
export type KvVisitor = (kind: TokenKind, key: string, value: string) => boolean | void;

export const SPACE = 32;
export const TAB = 9;
export const EQ = 61;
export const COLON = 58;
export const QUOTE = 34;
export const BACKSLASH = 92;
export const LBRACKET = 91;
export const RBRACKET = 93;
export const LPAREN = 40;
export const RPAREN = 41;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Index just past the bracket that closes the one at `open`, or text.length if unbalanced. */
export function skipBalanced(text: string, open: number, openCh: number, closeCh: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === openCh) depth++;
    else if (c === closeCh && --depth === 0) return i + 1;
  }
  return text.length;
}

/** Scans text[from, end) and returns the index where scanning stopped. */
/**
 * A quoted value starting at the quote at `at`: a backslash escapes the next character, and an
 * unterminated value runs to `end`. Returns the unescaped text and where scanning resumes.
 */
export function readQuoted(text: string, at: number, end: number): { value: string; next: number } {
  let i = at + 1;
  let value = '';
  let segStart = i;
  while (i < end) {
    const q = text.charCodeAt(i);
    if (q === BACKSLASH && i + 1 < end) {
      value += text.slice(segStart, i);
      segStart = i + 1;
      i += 2;
      continue;
    }
    if (q === QUOTE) break;
    i++;
  }
  value += text.slice(segStart, i);
  if (i < end) i++; // closing quote
  return { value, next: i };
}

export function scanKv(text: string, from: number, visit: KvVisitor, end = text.length): number {
  let i = from;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === LBRACKET) {
      const close = Math.min(skipBalanced(text, i, LBRACKET, RBRACKET), end);
      const innerEnd = close > i + 1 && text.charCodeAt(close - 1) === RBRACKET ? close - 1 : close;
      if (visit(GROUP, '[', text.slice(i + 1, innerEnd)) === false) return close;
      i = close;
      continue;
    }
    // A key runs to '=', ':', a blank or the end.
    const keyStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c === EQ || c === COLON || isBlank(c)) break;
      i++;
    }
    const key = text.slice(keyStart, i);
    if (i < end && (c === EQ || c === COLON)) {
      i++;
      if (i < end && text.charCodeAt(i) === QUOTE) {
        const quoted = readQuoted(text, i, end);
        i = quoted.next;
        if (visit(PAIR, key, quoted.value) === false) return i;
        continue;
      }
      const valueStart = i;
      while (i < end && !isBlank(text.charCodeAt(i))) i++;
      if (visit(PAIR, key, text.slice(valueStart, i)) === false) return i;
      continue;
    }
    // Bare word; `WORD (` takes the parenthesised text that follows as its value.
    if (key.length === 0) {
      i++; // a stray '=' or ':' at a token start: skip it
      continue;
    }
    if (i + 1 < end && text.charCodeAt(i + 1) === LPAREN) {
      const close = Math.min(skipBalanced(text, i + 1, LPAREN, RPAREN), end);
      const innerEnd = text.charCodeAt(close - 1) === RPAREN ? close - 1 : close;
      if (visit(PAREN, key, text.slice(i + 2, innerEnd)) === false) return close;
      i = close;
      continue;
    }
    if (visit(FLAG, key, '') === false) return i;
  }
  return i;
}
