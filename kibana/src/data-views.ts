/**
 * Data views. Ids are fixed so dashboards can reference them and re-imports find them again.
 */
import { DATASET_AUTH, DATASET_FIREWALL } from '../../src/model/document.js';
import { ROUTER_TIME_LABEL } from '../../src/kibana/time-zone-label.js';
import { LOGIN_ACTION } from '../../src/normalize/auth.js';
import type { Field } from './fields.js';
import { RUNTIME_FIELDS, runtimeFieldMap } from './runtime-fields.js';
import { savedObject, type SavedObject } from './saved-object.js';

export const DATA_VIEW_ALL = 'dropship-logs';
export const DATA_VIEW_AUTH = 'dropship-auth';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

type FieldFormat = { id: string; params: Record<string, unknown> };

/** Ports and ASNs are identifiers, not quantities: no thousands separator. */
const plainNumber: FieldFormat = { id: 'number', params: { pattern: '0' } };

export const FIELD_FORMATS: Partial<Record<Field, FieldFormat>> = {
  'destination.port': plainNumber,
  'source.as.number': plainNumber,
  // ISO weekday numbers sort correctly as numbers and as text; the lookup only changes how they read.
  'dropship.local.weekday': {
    id: 'static_lookup',
    params: { lookupEntries: WEEKDAYS.map((value, i) => ({ key: String(i + 1), value })), unknownKeyValue: null },
  },
};

const LABELS: Partial<Record<Field, string>> = {
  'dropship.local.hour': `Hour (${ROUTER_TIME_LABEL})`,
  'dropship.local.hour_label': `${RUNTIME_FIELDS['dropship.local.hour_label'].label} (${ROUTER_TIME_LABEL})`,
  'dropship.local.weekday': `Weekday (${ROUTER_TIME_LABEL})`,
  'dropship.service.name': 'Service',
  'dropship.service.note': 'Service note',
  'dropship.scanner.name': 'Known scanner',
};

function dataView(id: string, title: string, name: string): SavedObject {
  const fieldAttrs = Object.fromEntries(Object.entries(LABELS).map(([f, customLabel]) => [f, { customLabel }]));
  return savedObject('index-pattern', id, {
    title,
    name,
    timeFieldName: '@timestamp',
    fieldFormatMap: JSON.stringify(FIELD_FORMATS),
    fieldAttrs: JSON.stringify(fieldAttrs),
    runtimeFieldMap: JSON.stringify(runtimeFieldMap()),
    fields: '[]',
    typeMeta: '{}',
    // The dashboards are imported by `dropship setup`, usually before the first document.
    allowNoIndex: true,
  });
}

/** Every dropship data stream: `logs-<dataset>-<namespace>` for each dataset (firewall, auth, syslog). */
export const ALL_DATA_STREAMS = 'logs-dropship.*-*';

export const dataViews = (): SavedObject[] => [
  dataView(DATA_VIEW_ALL, ALL_DATA_STREAMS, 'dropship (all)'),
  dataView(DATA_VIEW_AUTH, `logs-${DATASET_AUTH}-*`, 'dropship SSH logins'),
];

/**
 * What an attempt is: a firewall line dropship read (`event.kind: event`). Lines no format claims
 * (dataset dropship.syslog) and lines a format claimed but could not read (`event.kind:
 * pipeline_error`) are in the same data view and must not count. One constant for every panel.
 */
export const ATTEMPTS_QUERY = `event.dataset : "${DATASET_FIREWALL}" and event.kind : "event"`;

/** Lines stored but not counted as attempts: unreadable firewall lines and lines no format claims. */
export const NOT_COUNTED_QUERY = `event.kind : "pipeline_error" or event.dataset : "dropship.syslog"`;

/**
 * SSH panels count login attempts: `ssh_login` events (accepted or failed, as Elastic's system auth
 * data stream names them). The auth dataset also holds the end of an attempt ("maximum
 * authentication attempts", a disconnect before login) under other actions: counting every
 * authentication event would count one attempt twice.
 */
export const LOGINS_QUERY = `event.category : "authentication" and event.kind : "event" and event.action : "${LOGIN_ACTION}"`;
