/**
 * Runtime fields of the data views: computed by Elasticsearch at query time from mapped fields,
 * for what the document itself does not carry in the form a chart needs.
 *
 * `dropship.local.hour_label` is the hour as two digits ("00" … "23"). Kibana's heatmap sorts an
 * axis of terms ordered by key as text (8.11 … 9.2: `alphaAsc`, localeCompare), which puts a
 * numeric hour in the order 0, 1, 10, 11 …; zero-padded text sorts the same as the numbers in every
 * sort mode, and reads as 00 … 23 (a number format pattern '00' does not pad). docs/kibana.md.
 */
export interface RuntimeField {
  type: 'keyword' | 'long';
  /** Painless; the runtime field API takes it as `script.source`. */
  script: string;
  /** Mapped fields the script reads through doc values (they must be aggregatable). */
  reads: readonly string[];
  label: string;
}

export const RUNTIME_FIELDS = {
  'dropship.local.hour_label': {
    type: 'keyword',
    // containsKey: a backing index without the mapping (another dataset) has no such doc value.
    script: [
      "if (doc.containsKey('dropship.local.hour') && doc['dropship.local.hour'].size() > 0) {",
      "  long h = doc['dropship.local.hour'].value;",
      "  emit(h < 10 ? '0' + h : '' + h);",
      '}',
    ].join(' '),
    reads: ['dropship.local.hour'],
    label: 'Hour',
  },
} as const satisfies Record<string, RuntimeField>;

export type RuntimeFieldName = keyof typeof RUNTIME_FIELDS;

export function isRuntimeField(name: string): name is RuntimeFieldName {
  return Object.hasOwn(RUNTIME_FIELDS, name);
}

/** The data view's `runtimeFieldMap` attribute (before stringification). */
export function runtimeFieldMap(): Record<string, { type: string; script: { source: string } }> {
  return Object.fromEntries(Object.entries(RUNTIME_FIELDS).map(([name, f]) => [name, { type: f.type, script: { source: f.script } }]));
}
