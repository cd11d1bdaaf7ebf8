/**
 * `dropship report --from-index <pattern>`: the same tally from what is already in Elasticsearch,
 * with aggregations only. No document is pulled except the few parse-failure samples (top_hits).
 *
 * - one `size: 0` search: totals (filter aggregations), period (min/max), top source addresses
 *   (terms, with their first/last seen, country, AS and scanner), distinct counts (cardinality),
 *   the authentication section, and parse-failure samples;
 * - composite aggregations, paged with `after_key`, for what must be exact and complete: every
 *   country (the map), every port × transport, and hourly buckets of `@timestamp` in the report's
 *   zone (date_histogram with `time_zone`), which give the hour × weekday grid and the timeline.
 *
 * Field names are those dropship writes (pipelines/fields.json): keyword/ip/long fields, all
 * aggregatable. How Elasticsearch answers is written down in docs/report.md.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { describeError } from '../core/redact.js';
import { serviceTable } from '../enrich/services.js';
import { DATASET_AUTH, DATASET_FIREWALL } from '../model/document.js';
import { LOGIN_ACTION } from '../normalize/auth.js';
import { TAG_TRUNCATED } from '../normalize/ecs.js';
import type { TimeZone } from '../time/zone.js';
import type { ReportInput } from './data.js';
import { FAILURE_SAMPLES, SAMPLE_CHARS, Tally, failureReason, failureSample, type AuthSourceCount, type Ranked, type SourceCount, type UserCount } from './tally.js';

export interface IndexReportOptions {
  client: Client;
  pattern: string;
  zone: TimeZone;
  /** Rows per table: the terms aggregations ask for this many. */
  top: number;
  /** Buckets per composite page. */
  pageSize?: number;
}

const ATTEMPTS: estypes.QueryDslQueryContainer = {
  bool: { filter: [{ term: { 'event.dataset': DATASET_FIREWALL } }, { term: { 'event.kind': 'event' } }] },
};
const AUTH: estypes.QueryDslQueryContainer = {
  bool: { filter: [{ term: { 'event.dataset': DATASET_AUTH } }, { term: { 'event.kind': 'event' } }] },
};
const FAILURES: estypes.QueryDslQueryContainer = { term: { 'event.kind': 'pipeline_error' } };

/** cardinality counts are close to exact below this (Elasticsearch's maximum). */
const PRECISION_THRESHOLD = 40_000;

interface Bucket {
  key: unknown;
  doc_count: number;
  [sub: string]: unknown;
}
interface Terms {
  buckets: Bucket[];
  doc_count_error_upper_bound?: number;
  sum_other_doc_count?: number;
}
type Single = { doc_count: number; [sub: string]: unknown };
type Value = { value: number | null };

const firstLast = { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } } satisfies Record<string, estypes.AggregationsAggregationContainer>;
const one = (field: string): estypes.AggregationsAggregationContainer => ({ terms: { field, size: 1 } });
const outcomes: estypes.AggregationsAggregationContainer = { terms: { field: 'event.outcome', size: 5 } };

function firstKey(agg: unknown): unknown {
  return (agg as Terms | undefined)?.buckets[0]?.key;
}
function ms(agg: unknown): number {
  const v = (agg as Value | undefined)?.value;
  return typeof v === 'number' ? v : NaN;
}
function outcomeCounts(agg: unknown): { failure: number; success: number } {
  let failure = 0;
  let success = 0;
  for (const b of (agg as Terms | undefined)?.buckets ?? []) {
    if (b.key === 'failure') failure = b.doc_count;
    else if (b.key === 'success') success = b.doc_count;
  }
  return { failure, success };
}

export async function tallyIndex(o: IndexReportOptions): Promise<{ tally: Tally; input: ReportInput }> {
  const tally = new Tally(o.zone);
  const search = async (what: string, request: estypes.SearchRequest): Promise<estypes.SearchResponse> => {
    try {
      return await o.client.search({ index: o.pattern, ...request });
    } catch (err) {
      throw new Error(`cannot summarize ${o.pattern} (${what}): ${describeError(err)}`);
    }
  };

  const termsSize = { size: o.top, shard_size: Math.max(100, o.top * 10), show_term_doc_count_error: true };
  const main = await search('totals', {
    size: 0,
    track_total_hits: true,
    aggs: {
      attempts: {
        filter: ATTEMPTS,
        aggs: {
          denied: { filter: { term: { 'event.type': 'denied' } } },
          allowed: { filter: { term: { 'event.type': 'allowed' } } },
          ...firstLast,
          no_country: { missing: { field: 'source.geo.country_iso_code' } },
          no_address: { missing: { field: 'source.ip' } },
          distinct_sources: { cardinality: { field: 'source.ip', precision_threshold: PRECISION_THRESHOLD } },
          sources: {
            terms: { field: 'source.ip', ...termsSize },
            aggs: { ...firstLast, country: one('source.geo.country_iso_code'), as_number: one('source.as.number'), as_name: one('source.as.organization.name'), scanner: one('dropship.scanner.name') },
          },
        },
      },
      auth: {
        filter: AUTH,
        aggs: {
          ...firstLast,
          // The SSH views count login attempts only (as the file report does).
          logins: {
            filter: { term: { 'event.action': LOGIN_ACTION } },
            aggs: {
              outcomes,
              no_user: { missing: { field: 'user.name' } },
              no_address: { missing: { field: 'source.ip' } },
              distinct_users: { cardinality: { field: 'user.name', precision_threshold: PRECISION_THRESHOLD } },
              distinct_sources: { cardinality: { field: 'source.ip', precision_threshold: PRECISION_THRESHOLD } },
              users: { terms: { field: 'user.name', ...termsSize }, aggs: { outcomes } },
              sources: { terms: { field: 'source.ip', ...termsSize }, aggs: { ...firstLast, outcomes, country: one('source.geo.country_iso_code') } },
            },
          },
        },
      },
      failures: {
        filter: FAILURES,
        aggs: { samples: { top_hits: { size: FAILURE_SAMPLES, sort: [{ '@timestamp': { order: 'asc' } }], _source: ['event.original', 'error.message'] } } },
      },
      truncated: { filter: { term: { tags: TAG_TRUNCATED } } },
    },
  });

  const total = main.hits.total;
  tally.read = typeof total === 'number' ? total : total?.value ?? 0;
  const aggs = (main.aggregations ?? {}) as Record<string, Single>;
  const attempts = aggs.attempts ?? { doc_count: 0 };
  const auth = aggs.auth ?? { doc_count: 0 };
  const failures = aggs.failures ?? { doc_count: 0 };
  tally.attempts = attempts.doc_count;
  tally.denied = (attempts.denied as Single | undefined)?.doc_count ?? 0;
  tally.allowed = (attempts.allowed as Single | undefined)?.doc_count ?? 0;
  tally.auth = auth.doc_count;
  tally.parseFailures = failures.doc_count;
  tally.truncated = aggs.truncated?.doc_count ?? 0;
  tally.other = Math.max(0, tally.read - tally.attempts - tally.auth - tally.parseFailures);
  for (const range of [attempts, auth]) {
    for (const t of [ms(range.first), ms(range.last)]) {
      if (!Number.isFinite(t)) continue;
      if (!(t >= tally.period.first)) tally.period.first = t;
      if (!(t <= tally.period.last)) tally.period.last = t;
    }
  }

  // Parse failures: error.message is text (not aggregatable), so reasons come from the samples.
  const hits = ((failures.samples as { hits?: { hits?: { _source?: unknown }[] } } | undefined)?.hits?.hits) ?? [];
  for (const hit of hits) {
    const src = hit._source as { event?: { original?: unknown }; error?: { message?: unknown } } | undefined;
    const reason = typeof src?.error?.message === 'string' ? src.error.message : 'unknown';
    const line = typeof src?.event?.original === 'string' ? src.event.original : '';
    failureSample(tally, line.slice(0, SAMPLE_CHARS + 1), reason);
    failureReason(tally, reason);
  }

  tally.unknownCountry = (attempts.no_country as Single | undefined)?.doc_count ?? 0;
  tally.withoutAddress = (attempts.no_address as Single | undefined)?.doc_count ?? 0;
  const sources = attempts.sources as Terms | undefined;
  tally.rankedSources = ranked<SourceCount>(sources, attempts.distinct_sources, tally.attempts - tally.withoutAddress, (b, error) => ({
    count: b.doc_count, error, first: ms(b.first), last: ms(b.last),
    country: str(firstKey(b.country)), asNumber: numberOf(firstKey(b.as_number)), asName: str(firstKey(b.as_name)), scanner: str(firstKey(b.scanner)),
  }));
  const logins = (auth.logins as Single | undefined) ?? { doc_count: 0 };
  if (logins.doc_count > 0) {
    const oc = outcomeCounts(logins.outcomes);
    tally.authFailure = oc.failure;
    tally.authSuccess = oc.success;
    const withUser = logins.doc_count - ((logins.no_user as Single | undefined)?.doc_count ?? 0);
    const withAddress = logins.doc_count - ((logins.no_address as Single | undefined)?.doc_count ?? 0);
    tally.rankedUsers = ranked<UserCount>(logins.users as Terms | undefined, logins.distinct_users, withUser, (b, error) => ({ count: b.doc_count, error, ...outcomeCounts(b.outcomes) }));
    tally.rankedAuthSources = ranked<AuthSourceCount>(logins.sources as Terms | undefined, logins.distinct_sources, withAddress, (b, error) => ({
      count: b.doc_count, error, ...outcomeCounts(b.outcomes), first: ms(b.first), last: ms(b.last), country: str(firstKey(b.country)),
    }));
  }

  const pageSize = o.pageSize ?? 1000;
  for await (const b of composite(search, 'countries', [{ code: { terms: { field: 'source.geo.country_iso_code' } } }], firstLast, pageSize)) {
    const code = str(b.key.code);
    if (code === undefined) continue;
    const c = tally.countries.entry(code, () => ({ count: 0, error: 0, first: NaN, last: NaN }));
    c.count += b.doc_count;
    c.first = ms(b.first);
    c.last = ms(b.last);
  }

  const services = serviceTable();
  for await (const b of composite(search, 'ports', [
    { port: { terms: { field: 'destination.port', missing_bucket: true } } },
    { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
  ], undefined, pageSize)) {
    const port = numberOf(b.key.port);
    const transport = str(b.key.transport);
    const service = services.lookup(port, transport);
    const p = tally.ports.entry(tally.portKeys.key(port, transport), () => ({ count: 0, error: 0, port, transport, service: service?.name, note: service?.note }));
    p.count += b.doc_count;
  }

  for await (const b of composite(search, 'hours', [
    { hour: { date_histogram: { field: '@timestamp', calendar_interval: '1h', time_zone: o.zone.name } } },
  ], undefined, pageSize)) {
    const start = numberOf(b.key.hour);
    if (start !== undefined) tally.time.addInstant(start, b.doc_count);
  }

  return { tally, input: { kind: 'index', pattern: o.pattern } };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Terms buckets as a ranked table; each row may be short by the terms aggregation's error bound. */
function ranked<V extends SourceCount | UserCount | AuthSourceCount>(terms: Terms | undefined, distinct: unknown, total: number, row: (b: Bucket, error: number) => V): Ranked<V> {
  const error = Math.max(0, terms?.doc_count_error_upper_bound ?? 0);
  const rows: [string, V][] = (terms?.buckets ?? []).map((b) => [String(b.key), row(b, error)]);
  return { entries: () => rows, distinct: { value: (distinct as Value | undefined)?.value ?? rows.length, kind: 'estimate' }, total };
}

type Search = (what: string, request: estypes.SearchRequest) => Promise<estypes.SearchResponse>;
type CompositeBucket = Bucket & { key: Record<string, unknown> };

/** Every bucket of a composite aggregation over the attempts, page by page (`after_key`). */
async function* composite(
  search: Search,
  what: string,
  sources: Record<string, estypes.AggregationsCompositeAggregationSource>[],
  aggs: Record<string, estypes.AggregationsAggregationContainer> | undefined,
  size: number,
): AsyncGenerator<CompositeBucket> {
  let after: Record<string, unknown> | undefined;
  for (;;) {
    const response = await search(what, {
      size: 0,
      query: ATTEMPTS,
      aggs: { c: { composite: { size, sources, ...(after === undefined ? {} : { after: after as estypes.AggregationsCompositeAggregateKey }) }, ...(aggs === undefined ? {} : { aggs }) } },
    });
    const c = (response.aggregations as Record<string, { buckets?: CompositeBucket[]; after_key?: Record<string, unknown> }> | undefined)?.c;
    const buckets = c?.buckets ?? [];
    yield* buckets;
    // Elasticsearch may return an after_key with the last, short page: stop on an empty page or
    // one without a key to continue from.
    if (buckets.length === 0 || c?.after_key === undefined) return;
    after = c.after_key;
  }
}
