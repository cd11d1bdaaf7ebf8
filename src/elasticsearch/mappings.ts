import { EcsFlat } from '@elastic/ecs';
import type { estypes } from '@elastic/elasticsearch';
import type { EcsFieldSpec, FieldSpec } from './assets.js';

/** The parts of an @elastic/ecs field definition that shape its mapping. */
interface EcsFieldDefinition {
  type: string;
  ignore_above?: number;
  index?: boolean;
  doc_values?: boolean;
  scaling_factor?: number;
  multi_fields?: { name: string; type: string }[];
}

const ecsFields = EcsFlat as unknown as Record<string, EcsFieldDefinition | undefined>;

/** The mapping ECS prescribes for a field, or undefined if ECS does not define it. */
export function ecsProperty(name: string): estypes.MappingProperty | undefined {
  const def = ecsFields[name];
  if (!def) return undefined;
  const property: Record<string, unknown> = { type: def.type };
  if (def.ignore_above !== undefined) property.ignore_above = def.ignore_above;
  if (def.index === false) property.index = false;
  if (def.doc_values === false) property.doc_values = false;
  if (def.scaling_factor !== undefined) property.scaling_factor = def.scaling_factor;
  if (def.multi_fields?.length) {
    property.fields = Object.fromEntries(def.multi_fields.map((m) => [m.name, { type: m.type }]));
  }
  return property as estypes.MappingProperty;
}

/** Flat field names → explicit mapping; throws on a name ECS does not know (a bug in fields.json). */
export function flatFieldMappings(spec: FieldSpec): Map<string, estypes.MappingProperty> {
  const flat = new Map<string, estypes.MappingProperty>();
  const addEcs = (group: EcsFieldSpec) => {
    for (const [name, override] of Object.entries(group)) {
      const base = ecsProperty(name);
      if (!base) throw new Error(`fields.json lists ${name} as ECS, but @elastic/ecs does not define it`);
      flat.set(name, { ...base, ...override } as estypes.MappingProperty);
    }
  };
  addEcs(spec.ecs);
  addEcs(spec.ecsFromPipeline);
  for (const [name, property] of Object.entries(spec.custom)) flat.set(name, property);
  return flat;
}

/** Nest flat names into `properties` objects, as a component template wants them. */
export function nestProperties(flat: ReadonlyMap<string, estypes.MappingProperty>): Record<string, estypes.MappingProperty> {
  const root: Record<string, estypes.MappingProperty> = {};
  for (const [name, property] of [...flat].sort(([a], [b]) => a.localeCompare(b))) {
    const parts = name.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const existing = level[part] as estypes.MappingObjectProperty | undefined;
      if (existing && existing.type !== undefined && existing.type !== 'object') {
        throw new Error(`field ${name} nests under ${part}, which is mapped as ${existing.type}`);
      }
      const object: estypes.MappingObjectProperty = existing ?? { properties: {} };
      object.properties ??= {};
      level[part] = object;
      level = object.properties;
    }
    level[parts.at(-1)!] = property;
  }
  return root;
}

export function buildMappings(spec: FieldSpec): estypes.MappingTypeMapping {
  return { properties: nestProperties(flatFieldMappings(spec)) };
}

/**
 * What every dropship document can carry, whatever its dataset: the ECS base, the event and its
 * original line, the syslog envelope, the observer that logged it, errors and the data stream.
 * A dataset that is not parsed into network fields (`dropship.syslog`, lines no format claims)
 * is mapped with these alone.
 */
const BASE_FIELD_PREFIXES = ['@timestamp', 'message', 'tags', 'labels', 'ecs.', 'event.', 'error.', 'log.', 'host.', 'observer.', 'data_stream.', 'dropship.format', 'dropship.vendor', 'dropship.local.'];

const isBaseField = (name: string) => BASE_FIELD_PREFIXES.some((p) => (p.endsWith('.') ? name.startsWith(p) : name === p || name.startsWith(`${p}.`)));

export function baseFieldSpec(spec: FieldSpec): FieldSpec {
  const pick = <T>(group: Record<string, T>) => Object.fromEntries(Object.entries(group).filter(([name]) => isBaseField(name)));
  return { ecs: pick(spec.ecs), ecsFromPipeline: pick(spec.ecsFromPipeline), custom: pick(spec.custom) };
}

/**
 * The properties that may be sent to an existing index. A `constant_keyword` without a value
 * takes the first document's value; a later mapping update that leaves `value` out conflicts with
 * it ("Cannot update parameter [value]", ConstantKeywordFieldMapper's merge validator), so such
 * fields are only ever declared by templates.
 */
export function updatableProperties(properties: Record<string, estypes.MappingProperty>): Record<string, estypes.MappingProperty> {
  const out: Record<string, estypes.MappingProperty> = {};
  for (const [name, property] of Object.entries(properties)) {
    const object = property as estypes.MappingObjectProperty;
    if (object.properties) {
      const inner = updatableProperties(object.properties);
      if (Object.keys(inner).length > 0) out[name] = { ...object, properties: inner };
    } else if (!(property.type === 'constant_keyword' && (property as estypes.MappingConstantKeywordProperty).value === undefined)) {
      out[name] = property;
    }
  }
  return out;
}
