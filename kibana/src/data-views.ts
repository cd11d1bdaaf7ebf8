/**
 * Data views. Ids are fixed so dashboards can reference them and re-imports overwrite instead
 * of duplicating.
 */
import { DATASET_AUTH, DATASET_FIREWALL } from '../../src/model/document.js';
import type { Field } from './fields.js';
import { savedObject, type SavedObject } from './saved-object.js';

export const DATA_VIEW_ALL = 'dropship-logs';
export const DATA_VIEW_AUTH = 'dropship-auth';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

type FieldFormat = { id: string; params: Record<string, unknown> };

/** Ports, ASNs and hours are identifiers, not quantities: no thousands separator. */
const plainNumber: FieldFormat = { id: 'number', params: { pattern: '0' } };

const FORMATS: Partial<Record<Field, FieldFormat>> = {
  'destination.port': plainNumber,
  'source.as.number': plainNumber,
  'dropship.local.hour': { id: 'number', params: { pattern: '00' } },
  // ISO weekday numbers sort correctly as numbers; the lookup only changes how they read.
  'dropship.local.weekday': {
    id: 'static_lookup',
    params: { lookupEntries: WEEKDAYS.map((value, i) => ({ key: String(i + 1), value })), unknownKeyValue: null },
  },
};

const LABELS: Partial<Record<Field, string>> = {
  'dropship.local.hour': 'Hour (router time)',
  'dropship.local.weekday': 'Weekday (router time)',
  'dropship.service.name': 'Service',
  'dropship.scanner.name': 'Known scanner',
};

function dataView(id: string, title: string, name: string): SavedObject {
  const fieldAttrs = Object.fromEntries(Object.entries(LABELS).map(([f, customLabel]) => [f, { customLabel }]));
  return savedObject('index-pattern', id, {
    title,
    name,
    timeFieldName: '@timestamp',
    fieldFormatMap: JSON.stringify(FORMATS),
    fieldAttrs: JSON.stringify(fieldAttrs),
    runtimeFieldMap: '{}',
    fields: '[]',
    typeMeta: '{}',
    // The dashboards are imported by `dropship setup`, usually before the first document.
    allowNoIndex: true,
  });
}

export const dataViews = (): SavedObject[] => [
  dataView(DATA_VIEW_ALL, 'logs-dropship.*', 'dropship (all)'),
  dataView(DATA_VIEW_AUTH, `logs-${DATASET_AUTH}-*`, 'dropship SSH logins'),
];

/** KQL that keeps a panel on one data stream of the shared data view. */
export const FIREWALL_ONLY = `event.dataset : "${DATASET_FIREWALL}"`;
