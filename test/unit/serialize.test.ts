import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { generateLines } from '../../bench/generate.js';
import { createEnricher, type Enricher } from '../../src/enrich/index.js';
import type { EcsDocument } from '../../src/model/document.js';
import { resetSerializer, serializerStats, stringifyDocument } from '../../src/model/serialize.js';
import { TAG_TRUNCATED } from '../../src/normalize/ecs.js';
import { createParser, type LineParser } from '../../src/parse/index.js';
import { createProcessor } from '../../src/processing/process.js';
import { timeZone } from '../../src/time/zone.js';
import { netfilterCases } from '../fixtures/netfilter-cases.js';
import { NOW } from '../helpers/doc.js';

/**
 * The serializer must write exactly what JSON.stringify writes, for every document: the ones
 * dropship makes (samples, fixtures, generated and mutated lines, with and without enrichment,
 * as the processor finishes them) and any other (unknown keys, other orders, escapes, values the
 * fast path leaves to JSON.stringify, including the errors it throws).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

function logFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? logFiles(join(dir, e.name)) : e.name.endsWith('.log') ? [join(dir, e.name)] : []);
}

const sampleLines = logFiles(join(root, 'samples')).flatMap((f) => readFileSync(f, 'utf8').split('\n'));
const fixtureLines = netfilterCases.map((c) => c.line);

// A user scanner list covering a quarter of the IPv4 space and some IPv6, so that generated
// documents also carry dropship.scanner and the known_scanner tag (added after dropship).
const scratch = mkdtempSync(join(tmpdir(), 'dropship-serialize-'));
const scannerList = join(scratch, 'scanners.txt');
writeFileSync(scannerList, '64.0.0.0/2 test scanner\n2400::/6\n');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const zones = ['UTC', 'Europe/Berlin'];
const parsers = new Map<string, LineParser>(zones.map((z) => [z, createParser({ zone: timeZone(z), now: () => NOW })]));
const enrichers = new Map<string, Enricher>();
for (const z of zones) enrichers.set(z, await createEnricher({ geoip: undefined, scannerList, timezone: timeZone(z) }));

/** Asserts the serializer's text (on a first and a repeated visit of the shape) is JSON.stringify's. */
function same(doc: unknown, label: string): void {
  const expected = JSON.stringify(doc);
  assert.equal(stringifyDocument(doc as EcsDocument), expected, label);
  assert.equal(stringifyDocument(doc as EcsDocument), expected, `${label} (again)`);
}

/** What the processor adds after enrichment: the syslog sender and the truncation tag (see process.ts). */
function finish(doc: EcsDocument, senderIp: string | undefined, cut: boolean): void {
  if (senderIp !== undefined) {
    const observer = (doc.observer ??= {});
    observer.ip = [senderIp];
    observer.hostname ??= senderIp;
  }
  if (cut && !doc.tags?.includes(TAG_TRUNCATED)) {
    (doc.tags ??= []).push(TAG_TRUNCATED);
    doc.error ??= { message: 'line longer than 65536 bytes was cut' };
  }
}

/** Every stage of a line's document, in both zones, checked against JSON.stringify. */
function checkLine(line: string, i: number): void {
  for (const zone of zones) {
    const label = `${zone} ${JSON.stringify(line)}`;
    const meta = i % 7 === 3 ? { receivedMs: NOW - i * 1000, referenceMs: NOW - 86_400_000 * (i % 400) } : undefined;
    const doc = parsers.get(zone)!(line, meta);
    same(doc, `parsed ${label}`);
    enrichers.get(zone)!.enrich(doc);
    same(doc, `enriched ${label}`);
    finish(doc, i % 3 === 0 ? '192.0.2.1' : undefined, i % 5 === 0);
    same(doc, `finished ${label}`);
  }
}

test('sample logs and netfilter fixtures: byte for byte JSON.stringify, parsed and enriched', () => {
  const fallbacks = serializerStats().fallbacks;
  [...sampleLines, ...fixtureLines].forEach(checkLine);
  assert.equal(serializerStats().fallbacks, fallbacks, 'no document of dropship needs JSON.stringify');
});

test('generated lines: byte for byte JSON.stringify, without falling back', () => {
  const fallbacks = serializerStats().fallbacks;
  generateLines(8000, 3).forEach(checkLine);
  assert.equal(serializerStats().fallbacks, fallbacks);
});

const ALPHABET = ' =:[]()"\\-.0123456789abcdefABCDEFxXINOUTSRCDSTPROTOLENSYNACK\u00e9\u0000\t\u2028\ud83d\ude00\ud800';
const baseLines = [...generateLines(300, 5), ...sampleLines.filter((l) => l !== ''), ...fixtureLines];

/** A line cut, with tokens dropped, swapped, repeated or characters changed (as bench/output-hash.ts mutates). */
const mutatedLine = fc
  .tuple(
    fc.constantFrom(...baseLines),
    fc.array(fc.tuple(fc.nat(4), fc.nat(), fc.nat(), fc.constantFrom(...ALPHABET)), { minLength: 1, maxLength: 4 }),
  )
  .map(([line, edits]) => {
    let s = line;
    for (const [kind, a, b, ch] of edits) {
      const tokens = s.split(' ');
      const i = a % tokens.length;
      const j = b % tokens.length;
      if (kind === 0) s = s.slice(0, a % (s.length + 1));
      else if (kind === 1) s = tokens.filter((_, k) => k !== i).join(' ');
      else if (kind === 2) s = tokens.map((t, k) => (k === i ? tokens[j]! : k === j ? tokens[i]! : t)).join(' ');
      else if (kind === 3) s = [...tokens.slice(0, i), tokens[j]!, ...tokens.slice(i)].join(' ');
      else s = s.slice(0, a % (s.length + 1)) + ch + s.slice((a % (s.length + 1)) + (b % 2));
    }
    return s;
  });

test('mutated and random lines: byte for byte JSON.stringify', () => {
  let i = 0;
  fc.assert(fc.property(mutatedLine, (line) => checkLine(line, i++)), { numRuns: 1500 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (line) => checkLine(line, i++)), { numRuns: 500 });
});

/** Plain objects of a document, for the structural edits below. */
function objectsOf(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && !Object.isFrozen(v)) {
    out.push(v as Record<string, unknown>);
    for (const k of Object.keys(v)) objectsOf((v as Record<string, unknown>)[k], out);
  }
  return out;
}

const KNOWN_KEYS = ['ip', 'port', 'geo', 'original', 'message', 'tags', 'name', 'version', 'source', 'event', 'tcp', 'flags', 'local'];
const anyValue = fc.anything({
  key: fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ unit: 'binary', maxLength: 6 })),
  maxDepth: 2,
  withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withDate: true,
  withTypedArray: true, withSparseArray: true, stringUnit: 'binary',
});

/** Edits one plain object of a document: adds, deletes, moves or replaces members, or reverses its order. */
const edit = fc.tuple(fc.nat(), fc.nat(5), fc.constantFrom(...KNOWN_KEYS, 'x', '10', ''), anyValue);

function applyEdit(doc: EcsDocument, [which, kind, key, value]: [number, number, string, unknown]): void {
  const objects = objectsOf(doc);
  const o = objects[which % objects.length]!;
  const keys = Object.keys(o);
  const k = keys.length > 0 ? keys[which % keys.length]! : key;
  if (kind === 0) o[key] = value;
  else if (kind === 1) delete o[k];
  else if (kind === 2) {
    const v = o[k];
    delete o[k];
    o[k] = v;
  } else if (kind === 3) o[k] = value;
  else if (kind === 4) {
    const members = keys.map((m) => [m, o[m]] as const);
    for (const m of keys) delete o[m];
    for (const [m, v] of members.reverse()) o[m] = v;
  } else o[k] = structuredClone(o[k]);
}

/** The serializer's result, or its error, must be JSON.stringify's. */
function sameOutcome(doc: EcsDocument): void {
  let expected: string | undefined;
  let error: unknown;
  try {
    expected = JSON.stringify(doc);
  } catch (err) {
    error = err;
  }
  for (let pass = 0; pass < 2; pass++) {
    if (error === undefined) assert.equal(stringifyDocument(doc), expected);
    else {
      const { constructor, message } = error as Error;
      assert.throws(() => stringifyDocument(doc), (err: Error) => err.constructor === constructor && err.message === message);
    }
  }
}

test('documents with members added, removed, moved, replaced by anything, or reordered: exactly JSON.stringify', () => {
  const lines = [...generateLines(50, 9), ...fixtureLines.slice(0, 20), 'not a firewall line', '<4>Jan  1 00:00:00 gw kernel: IN=eth0 OUT= SRC=1.2.3.4'];
  fc.assert(
    fc.property(fc.constantFrom(...lines), fc.boolean(), fc.array(edit, { minLength: 1, maxLength: 5 }), (line, enrich, edits) => {
      const doc = parsers.get('UTC')!(line);
      if (enrich) enrichers.get('UTC')!.enrich(doc);
      for (const e of edits) applyEdit(doc, e as [number, number, string, unknown]);
      sameOutcome(doc);
    }),
    { numRuns: 1500 },
  );
});

/** A small document of the usual shape, fresh each time. */
function doc(): EcsDocument {
  return parsers.get('UTC')!('<4>Nov 16 00:12:34 gw kernel: DROP IN=ppp0 OUT= SRC=203.0.113.45 DST=198.51.100.20 LEN=44 TTL=241 ID=1 PROTO=TCP SPT=51234 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0');
}

function withFallback(d: unknown, label: string): void {
  const before = serializerStats().fallbacks;
  same(d, label);
  assert.equal(serializerStats().fallbacks, before + 2, `${label}: written by JSON.stringify`);
}

test('unknown keys, other key orders and escapes are written exactly, without falling back', () => {
  const before = serializerStats().fallbacks;
  const d = doc();
  (d as unknown as Record<string, unknown>).zzz = { a: [1, 'b'], 'we"ird\nkey': 'x' };
  (d.event as Record<string, unknown>).extra = 'more';
  d.source = { geo: Object.freeze({ country_iso_code: 'DE', location: Object.freeze({ lat: 52.5, lon: 13.4 }) }), port: 1, ip: '203.0.113.45' };
  same(d, 'unknown keys');

  const reordered = doc() as unknown as Record<string, unknown>;
  for (const key of Object.keys(reordered).reverse()) {
    const v = reordered[key];
    delete reordered[key];
    reordered[key] = v;
  }
  same(reordered, 'top-level keys reversed');
  const event = doc();
  event.event = { outcome: 'failure', original: event.event.original, kind: 'event', created: event.event.created };
  same(event, 'event keys reordered');

  for (const text of ['say "hi"', 'back\\slash', 'line\nbreak\ttab\r', 'nul\u0000 unit\u001f del\u007f', 'lone \ud800 high',
    'lone \udfff low', 'pair \ud83d\ude00 emoji', 'reversed \ude00\ud83d', 'U+2028\u2028 U+2029\u2029', 'ünïcödé €', '']) {
    const d = doc();
    d.event.original = text;
    d.message = text;
    d.observer!.hostname = text;
    (d.tags ??= []).push(text);
    same(d, JSON.stringify(text));
  }
  assert.equal(serializerStats().fallbacks, before);
});

test('numbers: non-finite ones are null, -0 is 0, large and fractional ones as JSON writes them', () => {
  for (const n of [NaN, Infinity, -Infinity, -0, 0, 1e21, 1.5e-7, 0.1, -1, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE]) {
    const d = doc();
    d.source!.port = n;
    d.iptables!.ttl = n;
    d.dropship = { ...d.dropship, local: { hour: n, weekday: n } };
    same(d, String(n));
  }
});

test('values the fast path does not write: JSON.stringify\'s result or error', () => {
  class Box {
    constructor(readonly v: number) {}
  }
  const cases: [string, (d: Record<string, any>) => void][] = [
    ['null', (d) => (d.message = null)],
    ['boolean', (d) => (d.event.flag = true)],
    ['Date', (d) => (d['@timestamp'] = new Date(NOW))],
    ['class instance', (d) => (d.source = new Box(1))],
    ['own toJSON', (d) => (d.source.toJSON = () => 'replaced')],
    ['inherited toJSON', (d) => (d.rule = Object.assign(Object.create({ toJSON: () => 'proto' }), { name: 'r' }))],
    ['inherited enumerable key', (d) => (d.rule = Object.assign(Object.create({ inherited: 1 }), { name: 'r' }))],
    ['null prototype', (d) => (d.rule = Object.assign(Object.create(null), { name: 'r' }))],
    ['Map', (d) => (d.event.extra = new Map([[1, 2]]))],
    ['boxed string', (d) => (d.message = new String('boxed'))],
    ['function member', (d) => (d.message = () => 1)],
    ['symbol member', (d) => (d.message = Symbol('s'))],
    ['sparse array', (d) => (d.tags = [, 'b'])],
    ['undefined element', (d) => (d.tags = ['a', undefined])],
    ['array toJSON', (d) => (d.tags = Object.assign(['a'], { toJSON: () => 'arr' }))],
    ['typed array', (d) => (d.tags = new Uint8Array([1, 2]))],
  ];
  // (Some are written exactly by the fast path anyway: a boxed string where a string member is
  // written anew each time goes through JSON.stringify of the member alone.)
  for (const [label, change] of cases) {
    const d = doc();
    change(d as Record<string, any>);
    same(d, label);
  }

  const errors: [string, (d: Record<string, any>) => void][] = [
    ['BigInt', (d) => (d.source.port = 1n)],
    ['cycle', (d) => (d.source.self = d)],
    ['throwing getter', (d) => Object.defineProperty(d.network, 'boom', { enumerable: true, get: () => { throw new RangeError('boom'); } })],
  ];
  for (const [label, change] of errors) {
    const d = doc();
    change(d as Record<string, any>);
    sameOutcome(d);
    assert.throws(() => stringifyDocument(d), `${label} throws`);
  }
});

test('a polluted Object.prototype or Array.prototype leaves the document to JSON.stringify', () => {
  const proto = Object.prototype as Record<string, unknown>;
  const arrayProto = Array.prototype as unknown as Record<string, unknown>;
  try {
    proto.polluted = 'yes';
    withFallback(doc(), 'enumerable key on Object.prototype');
  } finally {
    delete proto.polluted;
  }
  try {
    Object.defineProperty(proto, 'toJSON', { value: () => 'object toJSON', configurable: true });
    withFallback(doc(), 'Object.prototype.toJSON');
  } finally {
    delete proto.toJSON;
  }
  const shared = Object.freeze({ names: Object.freeze(['a', 'b']) });
  const d = doc();
  d.dropship!.service = shared as never;
  same(d, 'shared object remembered');
  try {
    Object.defineProperty(arrayProto, 'toJSON', { value: () => 'array toJSON', configurable: true });
    withFallback(d, 'Array.prototype.toJSON, arrays inside a remembered shared object');
  } finally {
    delete arrayProto.toJSON;
  }
  same(d, 'after the prototypes are clean again');
});

test('shared objects: frozen ones are remembered, others are written as they are now', () => {
  const geo = Object.freeze({ country_iso_code: 'FR', country_name: 'France' });
  const mutable = { country_iso_code: 'DE', country_name: 'Germany' };
  const withGetter = Object.freeze(Object.defineProperty({}, 'country_name', { enumerable: true, get: () => `n${counter++}` }));
  let counter = 0;
  for (let i = 0; i < 3; i++) {
    const d = doc();
    d.source!.geo = geo;
    d.destination!.geo = mutable;
    same(d, `frozen and mutable geo, round ${i}`);
    mutable.country_name = `Germany ${i}`;
    const g = doc();
    g.source!.geo = withGetter as never;
    const got = stringifyDocument(g);
    assert.match(got, /"country_name":"n\d+"/);
    assert.notEqual(got, stringifyDocument(g), 'a getter is read for every document');
  }
});

test('the remembered shapes stay bounded, and a document after a reset is still exact', () => {
  resetSerializer();
  const { limit } = serializerStats();
  // Rule fields from the digits of i in base 8: up to 32,768 paths through the rule's trie.
  const digit = (i: number, d: number): string => String(Math.floor(i / 8 ** d) % 8);
  let resets = 0;
  let last = 0;
  for (let i = 0; i < 25_000; i++) {
    const d = { '@timestamp': 't', rule: { name: digit(i, 0), id: digit(i, 1), ruleset: digit(i, 2), description: digit(i, 3), x: digit(i, 4) } };
    assert.equal(stringifyDocument(d as unknown as EcsDocument), JSON.stringify(d));
    const { nodes } = serializerStats();
    assert.ok(nodes <= limit + 20, `nodes ${nodes}`);
    if (nodes < last) resets++;
    last = nodes;
  }
  assert.ok(resets > 0);

  // A key that changes with every document: the node before it stops growing.
  const before = serializerStats();
  for (let i = 0; i < 500; i++) same({ ...doc(), [`key${i}`]: i }, `key${i}`);
  assert.ok(serializerStats().nodes - before.nodes < 200);
  same(doc(), 'after resets');
});

test('the processor writes each document as JSON.stringify would (sender, truncation, bulk actions)', async () => {
  const process_ = await createProcessor({ timezone: 'UTC', year: 2026, geoip: undefined, scannerList }, { format: 'ndjson' });
  const lines = [...generateLines(500, 4), ...fixtureLines, 'x'.repeat(70 * 1024), 'garbage'];
  const batch = process_({ lines, truncated: [lines.length - 2], senderIp: '192.0.2.9' });
  const rows = batch.body.toString('utf8').split('\n').slice(0, -1);
  assert.equal(rows.length, lines.length);
  for (const row of rows) {
    const parsed = JSON.parse(row) as EcsDocument;
    assert.equal(stringifyDocument(parsed), row);
    assert.equal(JSON.stringify(parsed), row);
  }
  assert.ok(rows.some((r) => r.includes('"known_scanner"')) && rows.some((r) => r.includes(`"${TAG_TRUNCATED}"`)));
});
