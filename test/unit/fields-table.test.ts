import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { EcsFlat } from '@elastic/ecs';
import { FIELDS, fieldSpec, makerOf, membersOf, narrowNumbers, objectMaker, rangeOf, volatilePaths, type FieldName } from '../../src/model/fields.js';

const FIELDS_JSON = new URL('../../pipelines/fields.json', import.meta.url);

/** fields.json as written: one field per line, like a hand-kept list, so diffs stay readable. */
function render(spec: ReturnType<typeof fieldSpec>): string {
  const section = (obj: Record<string, unknown>): string =>
    `{\n${Object.entries(obj).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')}\n  }`;
  return `{\n  "_comment": ${JSON.stringify(spec._comment)},\n  "ecs": ${section(spec.ecs)},\n  "ecsFromPipeline": ${section(spec.ecsFromPipeline)},\n  "custom": ${section(spec.custom)}\n}\n`;
}

test('pipelines/fields.json is what src/model/fields.ts generates (UPDATE_FIELDS_JSON=1 rewrites it)', () => {
  const want = render(fieldSpec());
  if (process.env.UPDATE_FIELDS_JSON === '1') writeFileSync(FIELDS_JSON, want);
  assert.equal(readFileSync(FIELDS_JSON, 'utf8'), want, 'fields.json is stale: run UPDATE_FIELDS_JSON=1 node --import tsx --test test/unit/fields-table.test.ts');
});

test('every field the table maps as ECS is an ECS field, and no custom field takes an ECS name', () => {
  const ecs = EcsFlat as unknown as Record<string, unknown>;
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    if (FIELDS[name].mapping === 'ecs') assert.ok(ecs[name] !== undefined, `${name} is not an ECS field`);
    else assert.equal(ecs[name], undefined, `${name} is an ECS field: map it as ecs`);
  }
});

test('vendor objects are made with the declared members, in table order, all undefined', () => {
  assert.deepEqual(membersOf('iptables.tcp'), ['seq', 'ack', 'window', 'reserved_bits', 'flags']);
  const ipt = makerOf<Record<string, unknown>>('iptables')();
  assert.deepEqual(Object.keys(ipt).slice(0, 4), ['input_device', 'output_device', 'ether_type', 'length']);
  assert.ok('tcp' in ipt && 'ubiquiti' in ipt);
  assert.ok(Object.values(ipt).every((v) => v === undefined));
  assert.notEqual(makerOf('iptables')(), makerOf('iptables')());
  assert.throws(() => membersOf('nothing'), /no field is declared under nothing/);
  // objectMaker compiles field names into code: a name that is not a plain identifier (here one that
  // would run code) must be refused, not run.
  assert.throws(() => objectMaker(['a', 'b; process.exit()']), /not an identifier/);
});

test('numeric ranges come from the mapping types, and only the narrow ones need checking', () => {
  assert.deepEqual(rangeOf('iptables.ttl'), [-2147483648, 2147483647]);
  assert.deepEqual(rangeOf('iptables.tcp.reserved_bits'), [-32768, 32767]);
  assert.equal(rangeOf('source.port'), undefined); // ECS: its own definition, not ours
  const narrow = narrowNumbers('iptables', 2 ** 52).map((n) => n.name);
  assert.deepEqual(narrow.sort(), ['iptables.flow_label', 'iptables.precedence_bits', 'iptables.tcp.reserved_bits', 'iptables.ttl']);
});

test('the serializer treats exactly the volatile fields as holes', () => {
  const v = volatilePaths();
  for (const f of ['@timestamp', 'event.original', 'source.ip', 'iptables.tcp.seq', 'message']) assert.ok(v.has(f), f);
  for (const f of ['event.action', 'data_stream.dataset', 'iptables.tcp.flags']) assert.ok(!v.has(f), f);
});
