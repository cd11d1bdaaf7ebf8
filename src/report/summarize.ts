/**
 * The tally, ranked and labelled: what every output format shows.
 */
import { isoString } from '../time/iso.js';
import type { Counted } from './capped-counter.js';
import { CappedCounter, topEntries } from './capped-counter.js';
import { countryName } from './countries.js';
import { REPORT_SCHEMA_VERSION, type AuthSection, type CountryRow, type Distinct, type ReportData, type ReportInput, type Table } from './data.js';
import type { FirstLast, Ranked, Tally } from './tally.js';

export const DEFAULT_TOP = 20;
/** Rows of the rare-countries table. */
export const RARE_COUNTRIES = 10;

export interface SummaryOptions {
  input: ReportInput;
  top: number;
  /** For tests: the generation time. */
  now?: number;
}

const iso = (ms: number): string | null => (Number.isFinite(ms) ? isoString(ms) : null);

function times(r: FirstLast): { first: string | null; last: string | null } {
  return { first: iso(r.first), last: iso(r.last) };
}

function distinctOf<K, V extends Counted>(c: CappedCounter<K, V>): Distinct {
  // Once pruned, the table held `cap` distinct keys at least.
  return c.exact ? { value: c.size, kind: 'exact' } : { value: c.cap, kind: 'at-least' };
}

function ranked<V extends Counted>(counter: CappedCounter<string, V>, override: Ranked<V> | undefined): Ranked<V> {
  if (override !== undefined) return override;
  let total = counter.dropped;
  for (const v of counter.values()) total += v.count;
  return { entries: () => counter.entries(), distinct: distinctOf(counter), total };
}

const firstOrLast = (ms: number): number => (Number.isFinite(ms) ? ms : Infinity);

function table<K extends string | number, V extends Counted, Row>(entries: Iterable<[K, V]>, n: number, total: number, distinct: Distinct, row: (key: K, v: V) => Row): Table<Row> {
  const top = topEntries(entries, n);
  const shown = top.reduce((sum, [, v]) => sum + v.count, 0);
  return { rows: top.map(([k, v]) => row(k, v)), other: total - shown, distinct };
}

export function summarize(t: Tally, o: SummaryOptions): ReportData {
  const countryRow = (code: string, v: Counted & FirstLast): CountryRow => ({ code, name: countryName(code), count: v.count, ...times(v) });
  const withCountry = t.attempts - t.unknownCountry;
  const countries = { ...table(t.countries.entries(), o.top, withCountry, distinctOf(t.countries), countryRow), unknown: t.unknownCountry };
  // Fewest attempts first; among equals, the one that came first.
  const rareCountries = [...t.countries.entries()]
    .sort(([ka, a], [kb, b]) => a.count - b.count || firstOrLast(a.first) - firstOrLast(b.first) || (ka < kb ? -1 : 1))
    .slice(0, RARE_COUNTRIES)
    .map(([k, v]) => countryRow(k, v));

  const ports = table(t.ports.entries(), o.top, t.attempts, distinctOf(t.ports), (_k, v) => ({
    port: v.port ?? null,
    transport: v.transport ?? null,
    ...(v.service !== undefined ? { service: v.service } : {}),
    ...(v.note !== undefined ? { note: v.note } : {}),
    count: v.count,
  }));

  const src = ranked(t.sources, t.rankedSources);
  const sources = {
    ...table(src.entries(), o.top, src.total, src.distinct, (ip, v) => ({
      ip,
      count: v.count,
      undercount: v.error,
      ...(v.country !== undefined ? { country: v.country, countryName: countryName(v.country) } : {}),
      ...(v.asNumber !== undefined ? { asNumber: v.asNumber } : {}),
      ...(v.asName !== undefined ? { asName: v.asName } : {}),
      ...(v.scanner !== undefined ? { scanner: v.scanner } : {}),
      ...times(v),
    })),
    withoutAddress: t.withoutAddress,
  };

  let auth: AuthSection | null = null;
  if (t.auth > 0) {
    const users = ranked(t.users, t.rankedUsers);
    const authSources = ranked(t.authSources, t.rankedAuthSources);
    auth = {
      events: t.auth,
      success: t.authSuccess,
      failure: t.authFailure,
      unknown: t.auth - t.authSuccess - t.authFailure,
      users: table(users.entries(), o.top, users.total, users.distinct, (user, v) => ({ user, count: v.count, failure: v.failure, success: v.success, undercount: v.error })),
      sources: table(authSources.entries(), o.top, authSources.total, authSources.distinct, (ip, v) => ({
        ip, count: v.count, failure: v.failure, success: v.success, undercount: v.error,
        ...(v.country !== undefined ? { country: v.country, countryName: countryName(v.country) } : {}),
        ...times(v),
      })),
    };
  }

  const reasons = topEntries(t.failureReasons.entries(), 20).map(([reason, v]) => ({ reason, count: v.count }));
  return {
    schema: REPORT_SCHEMA_VERSION,
    generatedAt: isoString(o.now ?? Date.now()),
    input: o.input,
    timezone: t.zone.name,
    period: times(t.period),
    lines: {
      read: t.read, blank: t.blank, attempts: t.attempts, denied: t.denied, allowed: t.allowed, auth: t.auth,
      parseFailures: t.parseFailures, other: t.other, truncated: t.truncated,
    },
    parseFailures: { count: t.parseFailures, reasons, samples: t.failureSamples },
    countries,
    countryCounts: Object.fromEntries([...t.countries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.count])),
    rareCountries,
    ports,
    sources,
    hours: t.time.hourGrid(),
    timeline: t.time.timeline(),
    auth,
    top: o.top,
  };
}
