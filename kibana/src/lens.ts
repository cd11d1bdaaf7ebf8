/**
 * Typed builders for Lens (form-based datasource) state as Kibana 8.11 stores it.
 *
 * Everything here is written in the 8.11 shape on purpose: the saved objects carry
 * typeMigrationVersion values of 8.11, so newer Kibanas run only the migrations that came after
 * it. Writing a newer shape under an older version (or the reverse) is what breaks imports.
 */

import { lensDataType, type Field } from './fields.js';

export const RECORDS = '___records___';

interface ColumnBase {
  label: string;
  customLabel?: boolean;
  dataType: 'number' | 'string' | 'date' | 'ip' | 'boolean';
  isBucketed: boolean;
  scale: 'ordinal' | 'interval' | 'ratio';
  /** KQL that narrows only this metric (Lens "filter by"). */
  filter?: { language: 'kuery'; query: string };
}

export interface FieldColumn extends ColumnBase {
  operationType: 'terms' | 'date_histogram' | 'count' | 'unique_count' | 'min' | 'max' | 'last_value';
  sourceField: string;
  params?: Record<string, unknown>;
}

export interface FormulaColumn extends ColumnBase {
  operationType: 'formula' | 'math';
  params: Record<string, unknown>;
  references: string[];
}

export type Column = FieldColumn | FormulaColumn;

/** Column ids are local to a layer; a layer is one query against the data view. */
export interface Layer {
  id: string;
  columns: Record<string, Column>;
  columnOrder: string[];
}

export interface ColumnSpec {
  id: string;
  column: Column;
  /** Helper columns a formula needs; they precede it in the layer. */
  hidden?: { id: string; column: Column }[];
}

export function layer(id: string, specs: ColumnSpec[]): Layer {
  const columns: Record<string, Column> = {};
  const columnOrder: string[] = [];
  for (const spec of specs) {
    for (const h of spec.hidden ?? []) {
      columns[h.id] = h.column;
      columnOrder.push(h.id);
    }
    columns[spec.id] = spec.column;
    columnOrder.push(spec.id);
  }
  // Lens expects bucket columns before metrics in columnOrder.
  columnOrder.sort((a, b) => Number(columns[b]!.isBucketed) - Number(columns[a]!.isBucketed));
  return { id, columns, columnOrder };
}

const label = (text: string | undefined, fallback: string): Pick<ColumnBase, 'label' | 'customLabel'> =>
  text === undefined ? { label: fallback } : { label: text, customLabel: true };

export function count(id: string, opts: { label?: string; filter?: string } = {}): ColumnSpec {
  return {
    id,
    column: {
      ...label(opts.label, 'Count of records'),
      dataType: 'number', isBucketed: false, scale: 'ratio',
      operationType: 'count', sourceField: RECORDS, params: { emptyAsNull: true },
      ...(opts.filter === undefined ? {} : { filter: { language: 'kuery', query: opts.filter } }),
    },
  };
}

export function uniqueCount(id: string, field: Field, text?: string): ColumnSpec {
  return {
    id,
    column: {
      ...label(text, `Unique count of ${field}`),
      dataType: 'number', isBucketed: false, scale: 'ratio',
      operationType: 'unique_count', sourceField: field, params: { emptyAsNull: true },
    },
  };
}

/** min/max of a date field ("first seen", "last seen"). */
export function dateExtreme(id: string, op: 'min' | 'max', field: Field, text: string): ColumnSpec {
  return {
    id,
    column: {
      ...label(text, `${op === 'min' ? 'Minimum' : 'Maximum'} of ${field}`),
      dataType: 'date', isBucketed: false, scale: 'ratio',
      operationType: op, sourceField: field, params: { emptyAsNull: true },
    },
  };
}

/**
 * The value of `field` in the newest document of the row that has it: a label beside a bucket
 * (service name beside a port, country beside an address). Unlike a size-1 terms column it cannot
 * remove the row: Lens queries with partialRows:false, so a nested terms column that finds no value
 * drops its parent row, while a metric writes a cell (empty) either way. The exists filter is what
 * Lens itself gives a last-value column, so the newest document *with* the field is used.
 */
export function lastValue(id: string, field: Field, text: string): ColumnSpec {
  const dataType = lensDataType(field);
  return {
    id,
    column: {
      label: text, customLabel: true, dataType, isBucketed: false,
      scale: dataType === 'number' || dataType === 'date' ? 'ratio' : 'ordinal',
      operationType: 'last_value', sourceField: field,
      filter: { language: 'kuery', query: `"${field}": *` },
      params: { sortField: '@timestamp', showArrayValues: false },
    },
  };
}

export interface TermsOptions {
  size: number;
  /** Sort by a metric column of the same layer, or by the term itself. */
  orderBy: { column: string } | 'term';
  direction?: 'asc' | 'desc';
  label?: string;
  /**
   * Also a bucket for documents without the field. Kibana's terms aggregation sets the missing
   * value ('__missing__') for string fields only and ignores the option on others.
   */
  missingBucket?: boolean;
}

export function terms(id: string, field: Field, o: TermsOptions): ColumnSpec {
  if (o.missingBucket && lensDataType(field) !== 'string') throw new Error(`${field}: Kibana applies missing buckets to string fields only`);
  const orderBy = o.orderBy === 'term'
    ? { type: 'alphabetical', fallback: true }
    : { type: 'column', columnId: o.orderBy.column };
  return {
    id,
    column: {
      ...label(o.label, `Top ${o.size} values of ${field}`),
      dataType: lensDataType(field), isBucketed: true, scale: 'ordinal',
      operationType: 'terms', sourceField: field,
      params: {
        size: o.size, orderBy, orderDirection: o.direction ?? 'desc',
        otherBucket: false, missingBucket: o.missingBucket ?? false, parentFormat: { id: 'terms' },
      },
    },
  };
}

export function dateHistogram(id: string, field: Field = '@timestamp'): ColumnSpec {
  return {
    id,
    column: {
      label: field, dataType: 'date', isBucketed: true, scale: 'interval',
      operationType: 'date_histogram', sourceField: field,
      params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
    },
  };
}

/**
 * "a / b" as a Lens formula. Lens keeps a formula as the text plus the columns it compiles to
 * (two counts and a math node); both must be present or the editor marks the formula broken.
 */
export function ratioFormula(
  id: string, text: string,
  numerator: { filter: string }, format: { id: 'percent'; decimals: number },
): ColumnSpec {
  const num = `${id}X0`;
  const den = `${id}X1`;
  const math = `${id}X2`;
  const formula = `count(kql='${numerator.filter.replace(/'/g, "\\'")}') / count()`;
  const part = (c: Omit<FieldColumn, 'label' | 'customLabel'>): Column => ({ label: `Part of ${text}`, customLabel: true, ...c });
  const hidden = [
    { id: num, column: part({ dataType: 'number', isBucketed: false, scale: 'ratio', operationType: 'count', sourceField: RECORDS, params: { emptyAsNull: false }, filter: { language: 'kuery', query: numerator.filter } }) },
    { id: den, column: part({ dataType: 'number', isBucketed: false, scale: 'ratio', operationType: 'count', sourceField: RECORDS, params: { emptyAsNull: false } }) },
    {
      id: math,
      column: {
        label: `Part of ${text}`, customLabel: true, dataType: 'number', isBucketed: false, scale: 'ratio',
        operationType: 'math', references: [num, den],
        params: { tinymathAst: { type: 'function', name: 'divide', args: [num, den], location: { min: 0, max: formula.length }, text: formula } },
      } satisfies FormulaColumn,
    },
  ];
  return {
    id,
    hidden,
    column: {
      label: text, customLabel: true, dataType: 'number', isBucketed: false, scale: 'ratio',
      operationType: 'formula', references: [math],
      params: { formula, isFormulaBroken: false, format: { id: format.id, params: { decimals: format.decimals } } },
    },
  };
}

// ---- visualizations -------------------------------------------------------------------------

export type Visualization =
  | { type: 'lnsXY'; state: Record<string, unknown> }
  | { type: 'lnsHeatmap'; state: Record<string, unknown> }
  | { type: 'lnsDatatable'; state: Record<string, unknown> }
  | { type: 'lnsMetric'; state: Record<string, unknown> }
  | { type: 'lnsChoropleth'; state: Record<string, unknown> };

export function xy(l: Layer, o: {
  seriesType: 'bar_stacked' | 'bar' | 'line' | 'area_stacked' | 'bar_horizontal';
  x: string; y: string[]; split?: string; legend?: boolean;
}): Visualization {
  return {
    type: 'lnsXY',
    state: {
      legend: { isVisible: o.legend ?? o.split !== undefined, position: 'right' },
      valueLabels: 'hide',
      preferredSeriesType: o.seriesType,
      layers: [{
        layerId: l.id, layerType: 'data', seriesType: o.seriesType,
        xAccessor: o.x, accessors: o.y, ...(o.split === undefined ? {} : { splitAccessor: o.split }),
      }],
    },
  };
}

/**
 * Both axes sorted ascending on every supported Kibana. 8.11 … 9.2 derive the sort from the terms
 * column (ordered by key → alphabetical, so the axis values must sort as text); from 9.4 the grid's
 * own x/ySortPredicate decides and without it data order is kept (weekdays would follow the order
 * in which hours first show them). docs/kibana.md, "Heatmap axis order".
 */
export function heatmap(l: Layer, o: { x: string; y: string; value: string }): Visualization {
  return {
    type: 'lnsHeatmap',
    state: {
      shape: 'heatmap', layerId: l.id, layerType: 'data',
      xAccessor: o.x, yAccessor: o.y, valueAccessor: o.value,
      legend: { isVisible: true, position: 'right', type: 'heatmap_legend' },
      gridConfig: {
        type: 'heatmap_grid', isCellLabelVisible: false,
        isYAxisLabelVisible: true, isXAxisLabelVisible: true, isYAxisTitleVisible: true, isXAxisTitleVisible: true,
        xSortPredicate: 'asc', ySortPredicate: 'asc',
      },
    },
  };
}

/**
 * A table sorted by one column. Lens sorts the whole result in the browser, so a table can fetch
 * buckets in one order (e.g. most attempts first, which Elasticsearch counts exactly) and show
 * them in another. `pageSize` pages long results.
 */
export function datatable(l: Layer, sortBy?: { column: string; direction: 'asc' | 'desc' }, pageSize?: number): Visualization {
  return {
    type: 'lnsDatatable',
    state: {
      layerId: l.id, layerType: 'data',
      columns: l.columnOrder.filter((id) => !isHidden(l, id)).map((columnId) => ({ columnId, isTransposed: false })),
      ...(sortBy === undefined ? {} : { sorting: { columnId: sortBy.column, direction: sortBy.direction } }),
      ...(pageSize === undefined ? {} : { paging: { size: pageSize, enabled: true } }),
    },
  };
}

export function metric(l: Layer, accessor: string): Visualization {
  return { type: 'lnsMetric', state: { layerId: l.id, layerType: 'data', metricAccessor: accessor } };
}

/** Lens "Region map": EMS world countries joined on ISO 3166-1 alpha-2. */
export function choropleth(l: Layer, o: { region: string; value: string }): Visualization {
  return {
    type: 'lnsChoropleth',
    state: {
      layerId: l.id, layerType: 'data', emsLayerId: 'world_countries', emsField: 'iso2',
      regionAccessor: o.region, valueAccessor: o.value,
    },
  };
}

/** Formula helper columns are referenced by another column and never shown on their own. */
function isHidden(l: Layer, id: string): boolean {
  return Object.values(l.columns).some((c) => 'references' in c && c.references.includes(id));
}

// ---- attributes of a Lens object (saved or by-value) -----------------------------------------

export interface LensAttributes {
  title: string;
  description: string;
  visualizationType: Visualization['type'];
  state: {
    datasourceStates: { formBased: { layers: Record<string, { columns: Record<string, Column>; columnOrder: string[]; incompleteColumns: Record<string, never> }> } };
    visualization: Record<string, unknown>;
    query: { language: 'kuery'; query: string };
    filters: unknown[];
    internalReferences: unknown[];
    adHocDataViews: Record<string, never>;
  };
  references: { type: 'index-pattern'; id: string; name: string }[];
}

export function layerRefName(layerId: string): string {
  return `indexpattern-datasource-layer-${layerId}`;
}

export function lens(o: {
  title: string; description?: string; dataViewId: string; layer: Layer; vis: Visualization; query?: string;
}): LensAttributes {
  return {
    title: o.title,
    description: o.description ?? '',
    visualizationType: o.vis.type,
    state: {
      datasourceStates: {
        formBased: { layers: { [o.layer.id]: { columns: o.layer.columns, columnOrder: o.layer.columnOrder, incompleteColumns: {} } } },
      },
      visualization: o.vis.state,
      query: { language: 'kuery', query: o.query ?? '' },
      filters: [],
      internalReferences: [],
      adHocDataViews: {},
    },
    references: [{ type: 'index-pattern', id: o.dataViewId, name: layerRefName(o.layer.id) }],
  };
}
