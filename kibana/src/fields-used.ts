/**
 * Which document fields the generated saved objects use, and what each use needs from the
 * mapping. Found by walking the objects exactly as Kibana will read them (stringified
 * panelsJSON decoded, Lens columns, KQL queries and column filters), so a new panel is covered
 * without anyone updating a list.
 */
import { savedObjects } from './objects.js';
import { RECORDS } from './lens.js';
import { RUNTIME_FIELDS, isRuntimeField } from './runtime-fields.js';
import type { SavedObject } from './saved-object.js';

export type Need = 'aggregatable' | 'geo_point' | 'date' | 'numeric';
export interface FieldUse { field: string; needs: Need }

interface LensColumn { operationType: string; sourceField?: string; dataType?: string; filter?: { query: string } }
interface LensState {
  datasourceStates: { formBased: { layers: Record<string, { columns: Record<string, LensColumn> }> } };
  query: { query: string };
}

function needOf(c: LensColumn): Need | undefined {
  switch (c.operationType) {
    case 'terms': case 'unique_count': case 'last_value': return 'aggregatable';
    case 'date_histogram': return 'date';
    case 'min': case 'max': case 'sum': case 'average': case 'median':
      return c.dataType === 'date' ? 'date' : 'numeric';
    default: return undefined;
  }
}

/** Field names in the simple `field : value` KQL the generator writes (names may be quoted). */
export function kqlFields(query: string): string[] {
  return [...query.matchAll(/(?:^|[\s(])"?([A-Za-z_@][\w.@]*)"?\s*:/g)].map((m) => m[1]!);
}

export function lensStates(objects: SavedObject[]): LensState[] {
  const states: LensState[] = [];
  for (const o of objects) {
    if (o.type === 'lens') states.push(o.attributes.state as LensState);
    if (o.type === 'dashboard') {
      const panels = JSON.parse(o.attributes.panelsJSON as string) as { type: string; embeddableConfig: { attributes?: { state: LensState } } }[];
      for (const p of panels) if (p.type === 'lens' && p.embeddableConfig.attributes) states.push(p.embeddableConfig.attributes.state);
    }
  }
  return states;
}

export function fieldsUsedBy(objects: SavedObject[]): FieldUse[] {
  const uses = new Map<string, FieldUse>();
  const add = (field: string, needs: Need): void => {
    // A runtime field is computed from doc values of the mapped fields its script reads.
    if (isRuntimeField(field)) for (const f of RUNTIME_FIELDS[field].reads) add(f, 'aggregatable');
    else uses.set(`${field}\0${needs}`, { field, needs });
  };
  for (const s of lensStates(objects)) {
    for (const f of kqlFields(s.query.query)) add(f, 'aggregatable');
    for (const l of Object.values(s.datasourceStates.formBased.layers)) {
      for (const c of Object.values(l.columns)) {
        const need = needOf(c);
        if (need !== undefined && c.sourceField !== undefined && c.sourceField !== RECORDS) add(c.sourceField, need);
        if (c.filter) for (const f of kqlFields(c.filter.query)) add(f, 'aggregatable');
      }
    }
  }
  return [...uses.values()].sort((a, b) => a.field.localeCompare(b.field) || a.needs.localeCompare(b.needs));
}

export function fieldsUsedByPanels(): FieldUse[] {
  return fieldsUsedBy(savedObjects());
}
