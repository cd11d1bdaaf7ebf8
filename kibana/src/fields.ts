/**
 * The document fields the dashboards may use, with the Elasticsearch type each panel relies on.
 *
 * The keys are checked against the emitted document's TypeScript shape at compile time
 * (`DocPath<EcsDocument>`): a renamed or removed field in src/model/document.ts makes this file
 * fail to type-check, so a dashboard cannot silently point at a field dropship never writes.
 */
import type { EcsDocument } from '../../src/model/document.js';
import { RUNTIME_FIELDS, isRuntimeField, type RuntimeFieldName } from './runtime-fields.js';

type GeoPoint = { lat: number; lon: number };
type Leaf = string | number | boolean | unknown[] | GeoPoint;

/** Every dotted path to a leaf of T, e.g. 'source.geo.country_iso_code'. */
export type DocPath<T, Prefix extends string = ''> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends Leaf
    ? `${Prefix}${K}`
    : DocPath<NonNullable<T[K]>, `${Prefix}${K}.`>;
}[keyof T & string];

export type EsType = 'date' | 'keyword' | 'long' | 'ip' | 'geo_point';

export const FIELDS = {
  '@timestamp': 'date',
  'event.dataset': 'keyword',
  'event.kind': 'keyword',
  'event.category': 'keyword',
  'event.type': 'keyword',
  'event.action': 'keyword',
  'event.outcome': 'keyword',
  'source.ip': 'ip',
  'source.geo.country_iso_code': 'keyword',
  'source.geo.country_name': 'keyword',
  'source.geo.location': 'geo_point',
  'source.as.number': 'long',
  'source.as.organization.name': 'keyword',
  'destination.port': 'long',
  'network.transport': 'keyword',
  'observer.hostname': 'keyword',
  'user.name': 'keyword',
  'dropship.service.name': 'keyword',
  'dropship.service.note': 'keyword',
  'dropship.scanner.name': 'keyword',
  'dropship.scanner.operator': 'keyword',
  'dropship.local.hour': 'long',
  'dropship.local.weekday': 'long',
} as const satisfies Partial<Record<DocPath<EcsDocument>, EsType>>;

export type DocumentField = keyof typeof FIELDS;

/** What a panel may use: a document field, or a runtime field of the data view. */
export type Field = DocumentField | RuntimeFieldName;

export function isField(name: string): name is DocumentField {
  return Object.hasOwn(FIELDS, name);
}

/** The Lens column dataType that matches a field's mapping. */
export function lensDataType(field: Field): 'string' | 'number' | 'date' | 'ip' {
  const type = isRuntimeField(field) ? RUNTIME_FIELDS[field].type : FIELDS[field];
  switch (type) {
    case 'date': return 'date';
    case 'long': return 'number';
    case 'ip': return 'ip';
    default: return 'string';
  }
}
