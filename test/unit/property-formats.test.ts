import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EcsFlat } from '@elastic/ecs';
import fc from 'fast-check';
import { DATASETS } from '../../src/model/data-stream.js';
import { FIELDS, rangeOf } from '../../src/model/fields.js';
import { normalizeIp } from '../../src/normalize/ip.js';
import { filterlogCases, mikrotikCases, sshCases } from '../fixtures/format-cases.js';
import { netfilterCases } from '../fixtures/netfilter-cases.js';
import { flatten, parserFor } from '../helpers/doc.js';

/**
 * Any mutation of a valid line of any format gives a document — never a throw — whose values
 * its fields can hold: addresses that are canonical IP addresses, ports within 0–65535, numbers
 * within their mapping's range, no control characters outside the original text, and a data
 * stream that is the document's own dataset.
 */

const ecs = EcsFlat as unknown as Record<string, { type: string } | undefined>;
const declared = FIELDS as Record<string, { mapping: string } | undefined>;

/** The mapping type of a flattened path (arrays share their field's type). */
function typeOf(path: string): string | undefined {
  const facts = declared[path];
  if (facts === undefined) return undefined;
  return facts.mapping === 'ecs' ? ecs[path]?.type : facts.mapping;
}

/** Free text that keeps the line as it came: control characters are allowed there. */
const RAW_TEXT = new Set(['event.original', 'message', 'error.message']);

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function assertHoldable(line: string, doc: Record<string, unknown>): void {
  const flat = flatten(doc);
  for (const [path, value] of Object.entries(flat)) {
    if (value === undefined) continue;
    const where = `${path}=${JSON.stringify(value)} for ${JSON.stringify(line)}`;
    assert.ok(declared[path] !== undefined || path.startsWith('log.syslog.structured_data.'), `undeclared field: ${where}`);
    const values = Array.isArray(value) ? value : [value];
    const type = typeOf(path);
    for (const v of values) {
      if (type === 'ip') assert.equal(typeof v === 'string' ? normalizeIp(v) : undefined, v, `not a canonical IP: ${where}`);
      if (path.endsWith('.port')) assert.ok(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535, `not a port: ${where}`);
      if (typeof v === 'number') {
        const range = rangeOf(path) ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
        assert.ok(Number.isInteger(v) && v >= range[0] && v <= range[1], `outside the mapping's range: ${where}`);
      }
      if (typeof v === 'string' && !RAW_TEXT.has(path) && !path.startsWith('log.syslog.structured_data')) {
        assert.ok(!CONTROL.test(v), `control character in a value: ${where}`);
      }
    }
  }
  const d = doc as { data_stream?: { dataset?: string }; event: { dataset?: string; kind: string } };
  assert.equal(d.data_stream?.dataset, d.event.dataset);
  assert.ok((DATASETS as readonly unknown[]).includes(d.event.dataset), `dataset ${d.event.dataset}`);
  assert.ok(d.event.kind === 'event' || d.event.kind === 'pipeline_error');
}

/** Pieces worth inserting into log lines: separators, digits, addresses, the formats' own words, and worse. */
const PIECE = fc.oneof(
  fc.constantFrom(' ', ',', ':', '=', '->', '[', ']', '(', ')', '<', '>', "'", '"', '\u0000', '\u0007', '\u007f', '\t', '\u00e9', '\ud83d\ude00',
    '65536', '99999999999', '0xffffffffff', '-1', '999.1.1.1', '2001:db8::1', '[2001:db8::1]:22', '203.0.113.5:70000', 'port ', ' from ',
    'IN=', 'SRC=', 'PROTO=', 'DPT=', 'TTL=', 'user ', 'invalid user ', 'proto ', 'in:', 'out:', 'NAT (', 'len ', ',,,', '6,tcp', '4,0x0'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

const EDIT = fc.record({ at: fc.nat(), cut: fc.nat({ max: 12 }), insert: PIECE });

function mutate(line: string, edits: { at: number; cut: number; insert: string }[], truncateAt: number | undefined): string {
  let s = line;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    s = s.slice(0, at) + e.insert + s.slice(at + e.cut);
  }
  return truncateAt === undefined ? s : s.slice(0, truncateAt % (s.length + 1));
}

const FORMAT_LINES: [string, string[]][] = [
  ['netfilter', netfilterCases.map((c) => c.line)],
  ['filterlog', filterlogCases.map((c) => c.line)],
  ['MikroTik', mikrotikCases.map((c) => c.line)],
  ['OpenSSH and dropbear', sshCases.map((c) => c.line)],
];

describe('mutated lines of every format', () => {
  for (const [name, lines] of FORMAT_LINES) {
    test(`${name}: any mutation gives a document whose values its fields can hold`, () => {
      const parse = parserFor();
      // The valid lines themselves first.
      for (const line of lines) assertHoldable(line, parse(line) as unknown as Record<string, unknown>);
      fc.assert(
        fc.property(fc.constantFrom(...lines), fc.array(EDIT, { minLength: 1, maxLength: 4 }), fc.option(fc.nat(), { nil: undefined }), (line, edits, cut) => {
          const mutated = mutate(line, edits, cut);
          assertHoldable(mutated, parse(mutated) as unknown as Record<string, unknown>);
        }),
        { numRuns: 1500 },
      );
    });
  }
});
