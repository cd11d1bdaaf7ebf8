/**
 * A model of how Kibana turns one form-based Lens layer into table rows, written from Kibana's
 * source (docs/kibana.md, "Rows a Lens panel shows"), so the panel definitions can be run against
 * real dropship documents without a Kibana:
 *
 * - Lens runs `esaggs` with `partialRows: false` and `metricsAtAllLevels: false`
 *   (x-pack/platform/plugins/shared/lens/public/datasources/form_based/to_expression.ts).
 * - Tabify writes a row only when every column has a cell; a nested bucket aggregation that
 *   returns no bucket leaves its column empty, so the row is removed, while a metric always writes
 *   a cell, `null` included (src/platform/plugins/shared/data/common/search/tabify/response_writer.ts).
 * - `last_value` is a top-metrics (or top-hits) aggregation on the newest document, wrapped in a
 *   filter aggregation when the column has a filter; Lens gives it an exists filter by default
 *   (…/form_based/operations/definitions/last_value.tsx, helpers.tsx getExistsFilter).
 * - Terms buckets: documents without the field fall into no bucket unless `missingBucket` is set.
 *
 * Elasticsearch's own approximations (shard-level terms) are not modelled: one shard, exact counts.
 * KQL is limited to what the generator writes (conjunctions of `field : "value"`, `field : *`);
 * anything else throws, so a test cannot pass by not understanding a query.
 */
import { at } from './doc.js';

export interface LensColumn {
  operationType: string;
  sourceField?: string;
  isBucketed: boolean;
  label?: string;
  filter?: { query: string };
  params?: {
    size?: number;
    orderBy?: { type: string; columnId?: string };
    orderDirection?: 'asc' | 'desc';
    missingBucket?: boolean;
    sortField?: string;
  };
}
export interface LensLayer { columns: Record<string, LensColumn>; columnOrder: string[] }

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

const MISSING = '(missing value)';

/** A KQL predicate for the simple queries the generator writes: `a and b`, `a or b` (no parentheses). */
export function kql(query: string): (doc: unknown) => boolean {
  const text = query.trim();
  if (text === '') return () => true;
  const alternatives = text.split(/\s+or\s+/i).map((alt) => {
    const parts = alt.split(/\s+and\s+/i).map((part) => {
      const m = /^"?([A-Za-z_@][\w.@]*)"?\s*:\s*(\*|"([^"]*)"|([\w.\-]+))$/.exec(part.trim());
      if (!m) throw new Error(`KQL the model does not understand: ${part}`);
      const field = m[1]!;
      if (m[2] === '*') return (doc: unknown) => has(at(doc, field));
      const value = m[3] ?? m[4]!;
      return (doc: unknown) => values(at(doc, field)).some((v) => String(v) === value);
    });
    return (doc: unknown) => parts.every((p) => p(doc));
  });
  return (doc) => alternatives.some((a) => a(doc));
}

const has = (v: unknown): boolean => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
const values = (v: unknown): unknown[] => (Array.isArray(v) ? v : has(v) ? [v] : []);

function metric(col: LensColumn, docs: unknown[]): Cell {
  const pass = col.filter ? docs.filter(kql(col.filter.query)) : docs;
  const field = col.sourceField ?? '';
  switch (col.operationType) {
    case 'count':
      return pass.length;
    case 'unique_count':
      return new Set(pass.flatMap((d) => values(at(d, field)).map(String))).size;
    case 'min': case 'max': {
      const vs = pass.flatMap((d) => values(at(d, field))).map((v) => (typeof v === 'string' ? Date.parse(v) : Number(v)));
      if (vs.length === 0) return null;
      return col.operationType === 'min' ? Math.min(...vs) : Math.max(...vs);
    }
    case 'last_value': {
      const sortField = col.params?.sortField ?? '@timestamp';
      let best: unknown;
      let bestT = -Infinity;
      for (const d of pass) {
        if (!has(at(d, field))) continue;
        const t = Date.parse(String(at(d, sortField)));
        if (t > bestT) { bestT = t; best = at(d, field); }
      }
      return best === undefined ? null : (best as Cell);
    }
    default:
      // Formulas and other references are computed by Kibana after the query; the model leaves them empty.
      return null;
  }
}

interface Bucket { key: Cell; docs: unknown[] }

function termsBuckets(col: LensColumn, layer: LensLayer, docs: unknown[]): Bucket[] {
  const field = col.sourceField!;
  const groups = new Map<string, Bucket>();
  for (const d of docs) {
    const vs = values(at(d, field));
    if (vs.length === 0) {
      if (!col.params?.missingBucket) continue;
      vs.push(MISSING);
    }
    for (const v of vs) {
      const k = String(v);
      let b = groups.get(k);
      if (!b) groups.set(k, (b = { key: v as Cell, docs: [] }));
      b.docs.push(d);
    }
  }
  const dir = col.params?.orderDirection === 'asc' ? 1 : -1;
  const orderBy = col.params?.orderBy;
  const buckets = [...groups.values()];
  if (orderBy?.type === 'column') {
    const by = layer.columns[orderBy.columnId!]!;
    const score = new Map(buckets.map((b) => [b, Number(metric(by, b.docs) ?? 0)]));
    buckets.sort((a, b) => dir * (score.get(a)! - score.get(b)!) || String(a.key).localeCompare(String(b.key)));
  } else {
    // Elasticsearch orders keyword keys by bytes and numeric keys by value.
    buckets.sort((a, b) => dir * (typeof a.key === 'number' && typeof b.key === 'number'
      ? a.key - b.key : String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0));
  }
  return buckets.slice(0, col.params?.size ?? 10);
}

function dayBuckets(col: LensColumn, docs: unknown[]): Bucket[] {
  const groups = new Map<string, Bucket>();
  for (const d of docs) {
    const t = at(d, col.sourceField!);
    if (typeof t !== 'string') continue;
    const k = t.slice(0, 10);
    let b = groups.get(k);
    if (!b) groups.set(k, (b = { key: k, docs: [] }));
    b.docs.push(d);
  }
  return [...groups.values()].sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

/** The rows Kibana's tabify writes for `layer` over `docs` that match `query`. */
export function rows(layer: LensLayer, docs: unknown[], query = ''): Row[] {
  const matching = docs.filter(kql(query));
  const ordered = layer.columnOrder.map((id) => [id, layer.columns[id]!] as const);
  const buckets = ordered.filter(([, c]) => c.isBucketed);
  const metrics = ordered.filter(([, c]) => !c.isBucketed);
  const out: Row[] = [];
  const walk = (level: number, scope: unknown[], row: Row): void => {
    if (level === buckets.length) {
      const full: Row = { ...row };
      for (const [id, c] of metrics) full[id] = metric(c, scope);
      out.push(full);
      return;
    }
    const [id, col] = buckets[level]!;
    const found = col.operationType === 'date_histogram' ? dayBuckets(col, scope) : termsBuckets(col, layer, scope);
    // partialRows: false — a parent bucket whose child aggregation is empty yields no row.
    for (const b of found) walk(level + 1, b.docs, { ...row, [id]: b.key });
  };
  walk(0, matching, {});
  return out;
}
