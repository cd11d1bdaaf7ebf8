import type { estypes } from '@elastic/elasticsearch';

/**
 * Checks that fields are mapped with the types their users need. Shared by the pipeline test
 * and (later) the Kibana saved-object tests, so a dashboard can never reference an unmapped or
 * wrongly typed field.
 */

/** The mapped type of a dotted field name (`object` for an object), or undefined if unmapped. */
export function mappedType(mappings: estypes.MappingTypeMapping, field: string): string | undefined {
  let properties: Record<string, estypes.MappingProperty> | undefined = mappings.properties;
  const parts = field.split('.');
  for (let i = 0; i < parts.length; i++) {
    const property = properties?.[parts[i]!] as (estypes.MappingProperty & { properties?: Record<string, estypes.MappingProperty>; fields?: Record<string, estypes.MappingProperty> }) | undefined;
    if (!property) return undefined;
    if (i === parts.length - 1) return property.type ?? 'object';
    // A multi-field such as user.name.text lives under `fields`, not `properties`.
    if (property.fields && i === parts.length - 2 && property.fields[parts[i + 1]!]) {
      return property.fields[parts[i + 1]!]!.type;
    }
    properties = property.properties;
  }
  return undefined;
}

/**
 * One line per problem (unmapped field, or a type outside the accepted ones); empty when all is
 * well. `expected` maps field → accepted type(s).
 */
export function checkMappedFields(mappings: estypes.MappingTypeMapping, expected: Record<string, string | readonly string[]>): string[] {
  const problems: string[] = [];
  for (const [field, accepted] of Object.entries(expected)) {
    const types = typeof accepted === 'string' ? [accepted] : accepted;
    const actual = mappedType(mappings, field);
    if (actual === undefined) problems.push(`${field} is not mapped (expected ${types.join(' or ')})`);
    else if (!types.includes(actual)) problems.push(`${field} is mapped as ${actual}, expected ${types.join(' or ')}`);
  }
  return problems;
}

/** The community_id processor's input fields when a pipeline does not name them. */
const COMMUNITY_ID_DEFAULTS: Record<string, string> = {
  source_ip: 'source.ip',
  source_port: 'source.port',
  destination_ip: 'destination.ip',
  destination_port: 'destination.port',
  iana_number: 'network.iana_number',
  transport: 'network.transport',
  icmp_type: 'icmp.type',
  icmp_code: 'icmp.code',
};

const GEOIP_CITY_DEFAULT_PROPERTIES = ['continent_name', 'country_iso_code', 'country_name', 'region_iso_code', 'region_name', 'city_name', 'location'];

/**
 * Every document field an ingest pipeline leaves behind or reads: processors' `field` and
 * `target_field`, geoip targets expanded to their properties, and the fields a `rename` moves
 * away removed (they only exist inside the pipeline).
 */
export function pipelineFields(pipeline: { processors?: estypes.IngestProcessorContainer[]; on_failure?: estypes.IngestProcessorContainer[] }): string[] {
  const fields = new Set<string>();
  const transient = new Set<string>();
  const visit = (containers: estypes.IngestProcessorContainer[] | undefined) => {
    for (const container of containers ?? []) {
      for (const [type, config] of Object.entries(container) as [string, Record<string, unknown>][]) {
        const field = typeof config.field === 'string' ? config.field : undefined;
        const target = typeof config.target_field === 'string' ? config.target_field : undefined;
        if (type === 'geoip') {
          if (field) fields.add(field);
          const properties = Array.isArray(config.properties) ? (config.properties as string[]) : GEOIP_CITY_DEFAULT_PROPERTIES;
          for (const property of properties) fields.add(`${target ?? 'geoip'}.${property}`);
        } else if (type === 'rename') {
          if (field) transient.add(field);
          if (target) fields.add(target);
        } else if (type === 'community_id') {
          for (const [key, fallback] of Object.entries(COMMUNITY_ID_DEFAULTS)) {
            fields.add(typeof config[key] === 'string' ? config[key] : fallback);
          }
          fields.add(target ?? 'network.community_id');
        } else {
          if (field) fields.add(field);
          if (target) fields.add(target);
        }
        visit(config.on_failure as estypes.IngestProcessorContainer[] | undefined);
      }
    }
  };
  visit(pipeline.processors);
  visit(pipeline.on_failure);
  for (const name of transient) fields.delete(name);
  return [...fields].sort();
}
