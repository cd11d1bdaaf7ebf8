import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timeZone } from '../../src/time/zone.js';

/**
 * A loopback stand-in for Elasticsearch's `_search`, evaluating the aggregations `dropship report
 * --from-index` sends over documents held in memory, answering in Elasticsearch's response shapes
 * (see docs/report.md for where each is documented). Only what the report uses: `term` and
 * `bool.filter` queries; filter, missing, cardinality (exact here; an estimate in Elasticsearch),
 * terms (doc_count desc, then key asc; sum_other_doc_count; doc_count_error_upper_bound 0 since
 * this "index" has one shard), min/max on @timestamp, top_hits, and composite with terms and
 * hourly date_histogram sources (missing_bucket, after, ascending keys with null first).
 *
 * Not Elasticsearch: it is as good as this reading of the documentation; the integration test
 * (test/integration/report-from-index.test.ts) runs the same comparison against the real thing.
 */

type Doc = Record<string, unknown>;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Values of a dotted field, flattened (arrays give every element), as doc values would. */
export function values(doc: Doc, field: string): unknown[] {
  let current: unknown[] = [doc];
  for (const part of field.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      if (c === null || typeof c !== 'object') continue;
      const v = (c as Record<string, unknown>)[part];
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined && v !== null) next.push(v);
    }
    current = next;
  }
  // Date fields aggregate as epoch milliseconds.
  return field === '@timestamp' ? current.map((v) => Date.parse(String(v))) : current;
}

function matches(doc: Doc, query: Json | undefined): boolean {
  if (query === undefined) return true;
  if (query.term !== undefined) {
    const [field, value] = Object.entries(query.term as Json)[0]!;
    return values(doc, field).includes(value);
  }
  if (query.bool !== undefined) return ((query.bool.filter ?? []) as Json[]).every((q) => matches(doc, q));
  if (query.match_all !== undefined) return true;
  throw new Error(`stand-in: unsupported query ${JSON.stringify(query)}`);
}

const HOUR = 3_600_000;

function hourKey(ms: number, zoneName: string): number {
  // Elasticsearch rounds to the start of the local hour and reports that instant (UTC ms).
  const zone = timeZone(zoneName);
  const offset = zone.offsetAt(ms);
  return Math.floor((ms + offset) / HOUR) * HOUR - offset;
}

function compareKeys(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null) return -1; // missing_bucket: null first in ascending order
  if (b === null) return 1;
  return (a as number) < (b as number) ? -1 : 1;
}

function aggregate(docs: Doc[], aggs: Json | undefined): Json {
  const out: Json = {};
  for (const [name, spec] of Object.entries(aggs ?? {}) as [string, Json][]) out[name] = one(docs, spec);
  return out;
}

function one(docs: Doc[], spec: Json): Json {
  const sub = (subset: Doc[]): Json => aggregate(subset, spec.aggs);
  if (spec.filter !== undefined) {
    const subset = docs.filter((d) => matches(d, spec.filter));
    return { doc_count: subset.length, ...sub(subset) };
  }
  if (spec.missing !== undefined) return { doc_count: docs.filter((d) => values(d, spec.missing.field).length === 0).length };
  if (spec.cardinality !== undefined) return { value: new Set(docs.flatMap((d) => values(d, spec.cardinality.field))).size };
  if (spec.min !== undefined || spec.max !== undefined) {
    const field = (spec.min ?? spec.max).field as string;
    const all = docs.flatMap((d) => values(d, field) as number[]);
    if (all.length === 0) return { value: null };
    const v = spec.min !== undefined ? Math.min(...all) : Math.max(...all);
    return { value: v, value_as_string: new Date(v).toISOString() };
  }
  if (spec.terms !== undefined) {
    const groups = new Map<unknown, Doc[]>();
    for (const d of docs) {
      for (const v of new Set(values(d, spec.terms.field))) {
        const g = groups.get(v);
        if (g === undefined) groups.set(v, [d]);
        else g.push(d);
      }
    }
    const sorted = [...groups].sort(([ka, a], [kb, b]) => b.length - a.length || compareKeys(ka, kb));
    const shown = sorted.slice(0, spec.terms.size ?? 10);
    const all = sorted.reduce((s, [, g]) => s + g.length, 0);
    return {
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: all - shown.reduce((s, [, g]) => s + g.length, 0),
      buckets: shown.map(([key, g]) => ({ key, doc_count: g.length, ...sub(g) })),
    };
  }
  if (spec.top_hits !== undefined) {
    const sorted = [...docs].sort((a, b) => (values(a, '@timestamp')[0] as number) - (values(b, '@timestamp')[0] as number));
    const fields = spec.top_hits._source as string[];
    const pick = (d: Doc): Doc => {
      const o: Doc = {};
      for (const f of fields) {
        const v = values(d, f)[0];
        if (v === undefined) continue;
        const parts = f.split('.');
        let at = o;
        for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Doc;
        at[parts.at(-1)!] = v;
      }
      return o;
    };
    return { hits: { total: { value: docs.length, relation: 'eq' }, max_score: null, hits: sorted.slice(0, spec.top_hits.size).map((d, i) => ({ _index: 'standin', _id: String(i), _score: null, _source: pick(d) })) } };
  }
  if (spec.composite !== undefined) {
    const sources = spec.composite.sources as Json[];
    const keyed = new Map<string, { key: Json; docs: Doc[] }>();
    for (const d of docs) {
      let combos: Json[] = [{}];
      let skip = false;
      for (const source of sources) {
        const [name, def] = Object.entries(source)[0] as [string, Json];
        const field = (def.terms ?? def.date_histogram).field as string;
        let vs = values(d, field);
        if (def.date_histogram !== undefined) {
          if (def.date_histogram.calendar_interval !== '1h') throw new Error('stand-in: only hourly date_histogram');
          vs = (vs as number[]).map((ms) => hourKey(ms, def.date_histogram.time_zone ?? 'UTC'));
        }
        if (vs.length === 0) {
          if (!def.terms?.missing_bucket && !def.date_histogram?.missing_bucket) skip = true;
          vs = [null];
        }
        combos = combos.flatMap((c) => [...new Set(vs)].map((v) => ({ ...c, [name]: v })));
      }
      if (skip) continue;
      for (const key of combos) {
        const id = JSON.stringify(key);
        const entry = keyed.get(id) ?? { key, docs: [] };
        entry.docs.push(d);
        keyed.set(id, entry);
      }
    }
    const names = sources.map((s) => Object.keys(s)[0]!);
    const order = (a: Json, b: Json): number => {
      for (const n of names) {
        const c = compareKeys(a[n], b[n]);
        if (c !== 0) return c;
      }
      return 0;
    };
    let all = [...keyed.values()].sort((a, b) => order(a.key, b.key));
    if (spec.composite.after !== undefined) all = all.filter((e) => order(e.key, spec.composite.after) > 0);
    const page = all.slice(0, spec.composite.size ?? 10);
    return {
      ...(page.length > 0 ? { after_key: page.at(-1)!.key } : {}),
      buckets: page.map((e) => ({ key: e.key, doc_count: e.docs.length, ...sub(e.docs) })),
    };
  }
  throw new Error(`stand-in: unsupported aggregation ${JSON.stringify(spec)}`);
}

export interface StandIn {
  url: string;
  /** Every `_search` body received. */
  searches: Json[];
  close(): Promise<void>;
}

export async function startStandIn(indices: Record<string, Doc[]>): Promise<StandIn> {
  const searches: Json[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/([^/]+)\/_search$/.exec(url.pathname);
      if (m === null) {
        res.writeHead(url.pathname === '/' ? 200 : 404, headers).end(JSON.stringify(url.pathname === '/' ? { version: { number: '8.17.4' } } : { error: { type: 'not_found', reason: url.pathname }, status: 404 }));
        return;
      }
      try {
        const request = JSON.parse(body || '{}') as Json;
        searches.push(request);
        const pattern = new RegExp(`^${decodeURIComponent(m[1]!).split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
        const docs = Object.entries(indices).filter(([name]) => pattern.test(name)).flatMap(([, d]) => d).filter((d) => matches(d, request.query));
        const response = {
          took: 1, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
          hits: { total: { value: docs.length, relation: 'eq' }, max_score: null, hits: [] },
          ...(request.aggs !== undefined ? { aggregations: aggregate(docs, request.aggs) } : {}),
        };
        res.writeHead(200, headers).end(JSON.stringify(response));
      } catch (err) {
        res.writeHead(400, headers).end(JSON.stringify({ error: { type: 'illegal_argument_exception', reason: (err as Error).message }, status: 400 }));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, searches, close: () => new Promise((r) => server.close(() => r())) };
}
