/**
 * JSON text of an EcsDocument: byte for byte what `JSON.stringify(doc)` returns, in less time.
 * JSON.stringify was the largest single cost per line.
 *
 * Documents from one router repeat themselves: the same keys in the same order, and mostly the
 * same values (vendor, interface, action, rule…); what changes is a handful of values (times, the
 * original line, addresses, ports, packet numbers). So the serializer remembers, for every shape
 * it has seen, the constant JSON text between those changing values, and writes a document as
 * constant text and values interleaved: about 70 string pieces for a generated line's document,
 * where a member-by-member template makes about 150. (Pieces are what costs: V8 flattens the
 * concatenated string, piece by piece, when it is encoded into the batch buffer.)
 *
 * The memory is a trie per object. A document is walked in the order its objects enumerate their
 * keys (for…in, the order JSON.stringify uses for plain objects); each member is a step that
 * either matches a child of the current node or adds one:
 *  - STABLE: a string or number that must equal the remembered value; its text is constant;
 *  - SAFE / TEXT ("holes"): a value written anew for every document, either a string needing no
 *    escape (its quotes are part of the constant text) or any text (escaped string, number,
 *    shared object, object with a trie of its own);
 *  - OBJECT / ARRAY / CLOSE: structure, written inline.
 * A document written this way is exact whatever its shape: the trie only decides which text is
 * reused, and reused text was made for the same keys in the same order with the same values.
 * Which members are holes is a matter of speed only (the fields' volatile flags and shared objects declared in
 * fields.ts, and a cap on distinct values per member); keys or orders never seen before just add nodes.
 *
 * What the walk does not handle goes through JSON.stringify whole: values other than strings,
 * numbers, plain objects and arrays (booleans, null, functions, Dates, BigInts…), objects with
 * another prototype (class instances, toJSON), arrays with a toJSON, a polluted Object.prototype,
 * nesting deeper than any document's, and any exception (a throwing getter), so that the result or
 * the error is its own. (Proxies are taken at their word: their traps are called as for…in calls
 * them, not as JSON.stringify would.)
 */
import { types } from 'node:util';
import { SHARED_OBJECTS, volatilePaths } from './fields.js';

/**
 * Members whose values change from document to document, and objects shared between documents:
 * both declared with the fields themselves (fields.ts). Which members are holes is a matter of
 * speed only.
 */
const VOLATILE = volatilePaths();
const SHARED = SHARED_OBJECTS;

/**
 * Shared objects whose JSON is remembered, at most. (In a Map: a WeakMap's entries are processed
 * by every young-generation collection, which showed up when shared objects were made per line.)
 */
const MAX_SHARED = 1024;

/** Distinct values remembered for one member at one node; past this it becomes a hole. */
const MAX_STABLE_VALUES = 8;
/** Nodes in all tries (about 230 bytes each); past this they are dropped and learnt again. */
const MAX_NODES = 20_000;
/**
 * Children of one node: more means keys that keep changing (data used as keys), which the trie
 * cannot learn; such documents go to JSON.stringify rather than through ever longer scans.
 */
const MAX_CHILDREN = 32;
/** Objects and arrays nested deeper than dropship's (at most 5) are JSON.stringify's, cycles included. */
const MAX_DEPTH = 16;

const STABLE = 0;
const SAFE = 1;
const TEXT = 2;
const OBJECT = 3;
const ARRAY = 4;
const CLOSE = 5;

class Node {
  // The fields read while matching come first, to share a cache line: a document's walk visits
  // a node per member, and in a busy process they are rarely still cached.
  readonly kind: number;
  /** Member key ('' for array elements and CLOSE). */
  readonly key: string;
  /** The value of a STABLE node; undefined for any other. */
  readonly value: unknown;
  /** The child matched last, where the member loop looks first; the others are in `more`. */
  first: Node | undefined = undefined;
  more: Node[] | undefined = undefined;
  /** For holes and a trie's last node: the constant text since the previous hole, made on first use. */
  run: string | undefined = undefined;
  /** For a SAFE hole: the last value found to need no escape (times and addresses repeat). */
  lastSafe: string | undefined = undefined;
  /** For a TEXT hole holding an object member of the document: the root of that object's trie. */
  sub: Node | undefined = undefined;
  readonly parent: Node | undefined;
  /** Text this node adds before its value (a hole) or in full (anything else). */
  readonly text: string;
  /** Text right after a hole's value: the closing quote of a SAFE string. */
  readonly post: string;
  /** Dotted path of the object or array this node is in. */
  readonly outer: string;
  /** Dotted path of the object or array the next node is in (its own, for OBJECT and ARRAY). */
  readonly inner: string;

  constructor(
    parent: Node | undefined, kind: number, key: string, value: unknown,
    text: string, post: string, outer: string, inner: string,
  ) {
    this.kind = kind;
    this.key = key;
    this.value = value;
    this.parent = parent;
    this.text = text;
    this.post = post;
    this.outer = outer;
    this.inner = inner;
  }
}

/** Child i of `at` (0 is `first`), or undefined past the last. */
function childAt(at: Node, i: number): Node | undefined {
  if (i === 0) return at.first;
  const more = at.more;
  return more !== undefined && i <= more.length ? more[i - 1] : undefined;
}

/** Child i of `at`, made `first`. */
function promote(at: Node, i: number): Node {
  if (i === 0) return at.first!;
  const more = at.more!;
  const c = more[i - 1]!;
  more[i - 1] = at.first!;
  at.first = c;
  return c;
}

function adopt(at: Node, c: Node): Node {
  if (at.first === undefined) at.first = c;
  else if (at.more === undefined) at.more = [c];
  else if (at.more.length < MAX_CHILDREN) at.more.push(c);
  else throw UNSUPPORTED;
  nodes++;
  return c;
}

function newRoot(path: string): Node {
  nodes++;
  return new Node(undefined, OBJECT, '', undefined, '{', '', '', path);
}

/**
 * The text written so far for the object being walked. One per document, so that appending to it
 * stores into a young object (a module variable would cost a write barrier per piece).
 */
interface Writer {
  out: string;
  depth: number;
}

let nodes = 0;
let root = newRoot('');
let fallbacks = 0;

/** Thrown inside the walk for what only JSON.stringify handles; never escapes this module. */
const UNSUPPORTED = new Error('unsupported by the fast path');

export interface SerializerStats {
  /** Documents written by JSON.stringify instead. */
  fallbacks: number;
  /** Nodes currently remembered. */
  nodes: number;
  /** Nodes remembered at most (checked before each document). */
  limit: number;
}

export function serializerStats(): SerializerStats {
  return { fallbacks, nodes, limit: MAX_NODES };
}

/** Forgets every remembered shape (for tests and benchmarks). */
export function resetSerializer(): void {
  nodes = 0;
  root = newRoot('');
}

const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
const NEEDS_JSON = /[\u0000-\u001f\ud800-\udfff]/;
const QUOTE_OR_BACKSLASH = /["\\]/g;

/** A string that needs escaping, as JSON. */
function escaped(s: string): string {
  // A quote or backslash is escaped by a backslash; anything rarer is left to JSON.stringify,
  // which is slow on long strings (most escaped strings are lines with a quoted DESCR=).
  if (!NEEDS_JSON.test(s)) return `"${s.replace(QUOTE_OR_BACKSLASH, '\\$&')}"`;
  return JSON.stringify(s);
}

/** Whether JSON can never write `o` differently: frozen all the way down, data only, plain. */
function immutable(o: object): boolean {
  // A frozen Proxy may still list its keys in another order each time.
  if (types.isProxy(o) || !Object.isFrozen(o)) return false;
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  for (const key of Reflect.ownKeys(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key)!;
    if (!('value' in d)) return false;
    const v: unknown = d.value;
    if (typeof v === 'object' && v !== null ? !immutable(v) : typeof v === 'function') return false;
  }
  return true;
}

const sharedText = new Map<object, string>();

/** A shared object's JSON, remembered if the object cannot change. */
function sharedJson(o: object): string {
  let text = sharedText.get(o);
  if (text !== undefined) return text;
  // JSON.stringify of the member alone writes what it writes inside the document, unless the
  // member itself has a toJSON (it would be passed another key).
  if (typeof (o as { toJSON?: unknown }).toJSON === 'function') throw UNSUPPORTED;
  text = JSON.stringify(o);
  if (immutable(o)) {
    if (sharedText.size >= MAX_SHARED) sharedText.clear();
    sharedText.set(o, text);
  }
  return text;
}

function plainObject(v: object): boolean {
  return Object.getPrototypeOf(v) === Object.prototype;
}

function plainArray(v: unknown[]): boolean {
  return Object.getPrototypeOf(v) === Array.prototype && (v as { toJSON?: unknown }).toJSON === undefined;
}

/** The constant text from the previous hole (or the trie's start) up to node `n`. */
function runOf(n: Node): string {
  if (n.run !== undefined) return n.run;
  const parts = [n.text];
  let p = n.parent;
  while (p !== undefined && p.kind !== SAFE && p.kind !== TEXT) {
    parts.push(p.text);
    p = p.parent;
  }
  if (p !== undefined) parts.push(p.post);
  // join makes a flat string: one piece whenever it is reused.
  n.run = parts.reverse().join('');
  return n.run;
}

function stableValues(at: Node, key: string): number {
  let n = 0;
  for (let i = 0, c = at.first; c !== undefined; c = childAt(at, ++i)) if (c.key === key && c.kind === STABLE) n++;
  return n;
}

/** A new child of `at` for member `key` (or an element when `at` is in an array) holding `v`. */
function grow(at: Node, inArray: boolean, key: string, v: unknown, safe: boolean): Node {
  const first = at.kind === OBJECT || at.kind === ARRAY;
  const prefix = (first ? '' : ',') + (inArray ? '' : `${JSON.stringify(key)}:`);
  const scope = at.inner;
  const path = inArray ? scope : scope === '' ? key : `${scope}.${key}`;
  let c: Node;
  if (typeof v === 'object') {
    if (Array.isArray(v)) c = new Node(at, ARRAY, key, undefined, `${prefix}[`, '', scope, path);
    else if (scope === '' && !inArray) {
      // An object member of the document: a trie of its own, so that a variant in one object
      // does not multiply the nodes of every object after it.
      c = adopt(at, new Node(at, TEXT, key, undefined, prefix, '', scope, scope));
      c.sub = newRoot(path);
      return c;
    } else if (SHARED.has(path)) c = new Node(at, TEXT, key, undefined, prefix, '', scope, scope);
    else c = new Node(at, OBJECT, key, undefined, `${prefix}{`, '', scope, path);
  } else {
    const hole = VOLATILE.has(path) || (typeof v === 'number' && !Number.isFinite(v)) ||
      stableValues(at, key) >= MAX_STABLE_VALUES;
    if (!hole) c = new Node(at, STABLE, key, v, prefix + JSON.stringify(v), '', scope, scope);
    else if (safe) c = new Node(at, SAFE, key, undefined, `${prefix}"`, '"', scope, scope);
    else c = new Node(at, TEXT, key, undefined, prefix, '', scope, scope);
  }
  return adopt(at, c);
}

/** Writes one member (or array element) `v` after node `at`; returns the node reached. */
function step(at: Node, inArray: boolean, key: string, v: unknown, w: Writer): Node {
  // typeof compared with literals compiles to type checks; a switch on it calls a builtin.
  if (typeof v === 'string') return stringStep(at, inArray, key, v, w);
  if (typeof v === 'number') return numberStep(at, inArray, key, v, w);
  if (typeof v === 'object' && v !== null) return objectStep(at, inArray, key, v, w);
  // undefined is skipped by the callers; anything else is JSON.stringify's to handle.
  throw UNSUPPORTED;
}

/**
 * The last long string found to need no escape. Part of a document often repeats part of another
 * member (`message` is `event.original` without its timestamp): a piece of a string that needs no
 * escape needs none either, and comparing the piece costs less than scanning it.
 */
let lastSafeLong = '';
const LONG = 64;

/** Whether `v` can be written between quotes as is, remembering the answer for a repeated value. */
function safeAt(c: Node, v: string): boolean {
  if (v === c.lastSafe) return true;
  if (v.length >= LONG && lastSafeLong.length >= v.length && lastSafeLong.endsWith(v)) {
    c.lastSafe = v;
    return true;
  }
  if (NEEDS_ESCAPE.test(v)) return false;
  c.lastSafe = v;
  if (v.length >= LONG) lastSafeLong = v;
  return true;
}

function stringStep(at: Node, inArray: boolean, key: string, v: string, w: Writer): Node {
  // A TEXT hole takes any string, so it is the last resort: a value needing no escape is written
  // by a SAFE hole, whose quotes are constant text (one escaped line would otherwise make its
  // member TEXT for good, and every later value pay for quoting).
  let text = -1;
  // A SAFE hole that refused the value has tested it: it needs escaping.
  let refused = false;
  for (let i = 0, c = at.first; c !== undefined; c = childAt(at, ++i)) {
    if (c.key !== key) continue;
    if (c.kind === STABLE) {
      if (c.value === v) return promote(at, i);
    } else if (c.kind === SAFE) {
      if (safeAt(c, v)) {
        w.out += runOf(c) + v;
        return promote(at, i);
      }
      refused = true;
    } else if (c.kind === TEXT && text < 0) text = i;
  }
  const safe = !refused && !NEEDS_ESCAPE.test(v);
  if (text >= 0 && !safe) {
    const c = promote(at, text);
    w.out += runOf(c) + escaped(v);
    return c;
  }
  const c = grow(at, inArray, key, v, safe);
  if (c.kind === SAFE) w.out += runOf(c) + v;
  // grow makes a string's hole TEXT only for a value that needs escaping.
  else if (c.kind === TEXT) w.out += runOf(c) + escaped(v);
  return c;
}

function numberStep(at: Node, inArray: boolean, key: string, v: number, w: Writer): Node {
  let c: Node | undefined;
  for (let i = 0, n = at.first; n !== undefined; n = childAt(at, ++i)) {
    if (n.key === key && ((n.kind === STABLE && n.value === v) || n.kind === TEXT)) {
      c = promote(at, i);
      break;
    }
  }
  c ??= grow(at, inArray, key, v, false);
  // JSON has no NaN or Infinity: JSON.stringify writes null for them.
  if (c.kind === TEXT) w.out += runOf(c) + (Number.isFinite(v) ? `${v}` : 'null');
  return c;
}

function objectStep(at: Node, inArray: boolean, key: string, v: object, w: Writer): Node {
  // Inline objects and arrays, or a hole (an object with its own trie, a shared object).
  const isArray = Array.isArray(v);
  const inline = isArray ? ARRAY : OBJECT;
  let c: Node | undefined;
  for (let i = 0, n = at.first; n !== undefined; n = childAt(at, ++i)) {
    if (n.key === key && (n.kind === inline || n.kind === TEXT)) {
      c = promote(at, i);
      break;
    }
  }
  c ??= grow(at, inArray, key, v, false);
  if (c.kind === OBJECT) {
    if (!plainObject(v)) throw UNSUPPORTED;
    return members(v, c, w);
  }
  if (c.kind === ARRAY) {
    if (!plainArray(v as unknown[])) throw UNSUPPORTED;
    return elements(v as unknown[], c, w);
  }
  if (c.sub !== undefined && !isArray) {
    if (!plainObject(v)) throw UNSUPPORTED;
    w.out += runOf(c) + object(v, c.sub, w);
    return c;
  }
  w.out += runOf(c) + sharedJson(v);
  return c;
}

/** The node closing the object or array opened at `open`, after node `at`. */
function close(at: Node, open: Node, text: string): Node {
  for (let i = 0, c = at.first; c !== undefined; c = childAt(at, ++i)) if (c.kind === CLOSE) return c;
  return adopt(at, new Node(at, CLOSE, '', undefined, text, '', open.inner, open.outer));
}

/** Writes the members of plain object `o`, opened at node `open`; returns its CLOSE node. */
function members(o: object, open: Node, w: Writer): Node {
  if (++w.depth > MAX_DEPTH) throw UNSUPPORTED;
  let at = open;
  for (const key in o) {
    const v = (o as Record<string, unknown>)[key];
    // JSON.stringify leaves out members whose value is undefined.
    if (v === undefined) continue;
    // Most members are the remembered value of the remembered key (only STABLE nodes hold one).
    const c = at.first;
    if (c !== undefined && c.value === v && c.key === key) at = c;
    else at = step(at, false, key, v, w);
  }
  w.depth--;
  return close(at, open, '}');
}

function elements(a: unknown[], open: Node, w: Writer): Node {
  if (++w.depth > MAX_DEPTH) throw UNSUPPORTED;
  let at = open;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    // JSON.stringify writes null for these in arrays.
    if (v === undefined) throw UNSUPPORTED;
    const c = at.first;
    if (c !== undefined && c.value === v) at = c;
    else at = step(at, true, '', v, w);
  }
  w.depth--;
  return close(at, open, ']');
}

/** The JSON of plain object `o` through the trie at `trie`. */
function object(o: object, trie: Node, w: Writer): string {
  const outer = w.out;
  w.out = '';
  const end = members(o, trie, w);
  const text = w.out + runOf(end);
  w.out = outer;
  return text;
}

/** Exactly `JSON.stringify(doc)`. */
export function stringifyDocument(doc: object): string {
  // Keys inherited from Object.prototype would be enumerated by for…in, and a toJSON there called
  // by JSON.stringify on every object.
  // (Array.prototype.toJSON would apply to arrays in remembered shared objects.)
  if ((Object.prototype as { toJSON?: unknown }).toJSON !== undefined) return fallback(doc);
  if ((Array.prototype as { toJSON?: unknown }).toJSON !== undefined) return fallback(doc);
  for (const _ in Object.prototype) return fallback(doc);
  if (typeof doc !== 'object' || doc === null || !plainObject(doc)) return fallback(doc);
  if (nodes > MAX_NODES) resetSerializer();
  try {
    return object(doc, root, { out: '', depth: 0 });
  } catch {
    return fallback(doc);
  }
}

function fallback(doc: unknown): string {
  fallbacks++;
  return JSON.stringify(doc);
}
