import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EcsFlat } from '@elastic/ecs';
import type { EcsDocument } from '../../src/model/document.js';
import { createEnricher } from '../../src/enrich/index.js';
import { timeZone } from '../../src/time/zone.js';
import { FIELDS } from '../../src/model/fields.js';
import { filterlogCases, mikrotikCases, sshCases } from '../fixtures/format-cases.js';
import { netfilterCases } from '../fixtures/netfilter-cases.js';
import { flatten, parserFor } from '../helpers/doc.js';

type EcsField = { type: string; normalize?: string[] };
const ecs = EcsFlat as unknown as Record<string, EcsField>;

const STRING_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard', 'text', 'match_only_text', 'ip', 'date']);
const NUMBER_TYPES = new Set(['long', 'integer', 'short', 'byte', 'float', 'double', 'scaled_float', 'half_float', 'unsigned_long']);

/** Is a JS value of this shape storable in an ECS field of that type? */
function compatible(value: unknown, field: EcsField): boolean {
  if (Array.isArray(value)) return value.every((v) => compatible(v, field));
  switch (typeof value) {
    case 'string':
      if (field.type === 'ip') return /^[0-9a-f:.]+$/i.test(value);
      if (field.type === 'date') return !Number.isNaN(Date.parse(value));
      return STRING_TYPES.has(field.type);
    case 'number':
      return NUMBER_TYPES.has(field.type) || field.type === 'date';
    case 'boolean':
      return field.type === 'boolean';
    case 'object':
      return field.type === 'geo_point' || field.type === 'flattened' || field.type === 'object';
    default:
      return false;
  }
}

/** Corpus: every netfilter fixture plus the other shapes the parser emits. */
async function corpus(): Promise<EcsDocument[]> {
  const parse = parserFor();
  const enricher = await createEnricher({ geoip: undefined, timezone: timeZone('Asia/Tokyo') });
  const lines = [
    ...[...netfilterCases, ...sshCases, ...filterlogCases, ...mikrotikCases].map((c) => c.line),
    'May  5 20:46:46 gw user.info kernel: L=126 ID=8698 DF PROTO=TCP SPT=88 DPT=51179 WINDOW=2053 RES=0x00 ACK URGP=0',
    '<13>1 2024-05-01T12:00:00Z host app 42 ID7 [x@1 a="b"] unparsable message',
    'complete garbage',
    'x'.repeat(70_000),
  ];
  const docs = lines.map((l) => parse(l));
  // Enriched copies too: geo/as fields must match ECS like the parser's own.
  const scanner = parse(netfilterCases[0]!.line.replace('SRC=203.0.113.45', 'SRC=210.150.186.238'));
  for (const d of [...docs.map((d) => structuredClone(d)), scanner]) {
    enricher.enrich(d);
    docs.push(d);
  }
  return docs;
}

/** Fields that are flattened/objects in ECS: their inner keys are data, not field names. */
function ecsLeafFor(path: string): string | undefined {
  if (ecs[path] !== undefined) return path;
  const parts = path.split('.');
  for (let n = parts.length - 1; n > 0; n--) {
    const parent = parts.slice(0, n).join('.');
    const f = ecs[parent];
    if (f !== undefined && (f.type === 'flattened' || f.type === 'object')) return parent;
  }
  return undefined;
}

/** Our own namespaces (iptables, pfsense, system, dropship): the roots of the fields the table maps itself. */
const CUSTOM_ROOTS = new Set(Object.entries(FIELDS).filter(([, f]) => f.mapping !== 'ecs').map(([name]) => name.split('.')[0]!));
const custom = (path: string): boolean => CUSTOM_ROOTS.has(path.split('.')[0]!);

test('every emitted field outside our own namespaces is an ECS field of a compatible type', async () => {
  const seen = new Set<string>();
  for (const doc of await corpus()) {
    const flat = flatten(doc);
    for (const [path, value] of Object.entries(flat)) {
      if (custom(path)) continue;
      const leaf = ecsLeafFor(path);
      assert.ok(leaf !== undefined, `${path} is not defined by ECS ${String((doc.ecs as { version: string }).version)}`);
      const field = ecs[leaf]!;
      // Inside a flattened/object field the leaf's own type was checked to be a container.
      const ok = leaf === path ? compatible(value, field) : compatible({}, field);
      assert.ok(ok, `${path} = ${JSON.stringify(value)} does not fit ECS type ${field.type}`);
      seen.add(leaf);
    }
  }
  // The corpus really exercised the core of the model (guards against an empty/vacuous run).
  for (const must of ['@timestamp', 'source.ip', 'destination.port', 'network.community_id', 'event.original', 'log.syslog.structured_data', 'observer.ingress.zone', 'rule.ruleset', 'source.geo.country_iso_code', 'source.geo.continent_name',
    'data_stream.dataset', 'user.name', 'related.user', 'source.nat.ip', 'network.bytes', 'event.reason', 'source.domain', 'message']) {
    assert.ok(seen.has(must), `corpus never emitted ${must}`);
  }
});

test('ECS fields whose definitions ask for lower-case values get them', async () => {
  // ECS states this in the field descriptions ("must be normalized to lowercase").
  const lowerCased = Object.entries(ecs)
    .filter(([, f]) => /normalized to lowercase/i.test((f as { description?: string }).description ?? ''))
    .map(([name]) => name);
  assert.ok(lowerCased.includes('network.transport'), 'ECS definitions changed: network.transport no longer says lowercase');
  let checked = 0;
  for (const doc of await corpus()) {
    const flat = flatten(doc);
    for (const name of lowerCased) {
      const value = flat[name];
      if (value === undefined) continue;
      checked++;
      for (const v of [value].flat()) assert.equal(v, String(v).toLowerCase(), `${name} must be lower-case`);
    }
  }
  assert.ok(checked > 0);
});

test('event.type and event.category values are ECS allowed values', async () => {
  const allowed = (name: string): string[] =>
    ((EcsFlat as unknown as Record<string, { allowed_values?: { name: string }[] }>)[name]?.allowed_values ?? []).map((v) => v.name);
  const types = allowed('event.type');
  const categories = allowed('event.category');
  const kinds = allowed('event.kind');
  const outcomes = allowed('event.outcome');
  assert.ok(types.length > 0 && categories.length > 0);
  for (const doc of await corpus()) {
    for (const t of doc.event.type ?? []) assert.ok(types.includes(t), `event.type ${t}`);
    for (const c of doc.event.category ?? []) assert.ok(categories.includes(c), `event.category ${c}`);
    assert.ok(kinds.includes(doc.event.kind), `event.kind ${doc.event.kind}`);
    if (doc.event.outcome !== undefined) assert.ok(outcomes.includes(doc.event.outcome), `event.outcome ${doc.event.outcome}`);
  }
});
