/**
 * What `dropship report` shows, as plain data: `--format json` prints it as it is, and the text
 * and HTML renderers read nothing else, so the three outputs cannot disagree.
 *
 * Times are ISO 8601: instants in UTC (`…Z`), local wall-clock times of the report's zone
 * without an offset (`2026-10-26T13:00`) where a chart bucket is meant.
 */

export const REPORT_SCHEMA_VERSION = 1;

/** ISO weekday order, Monday first (dropship.local.weekday: 1 = Monday … 7 = Sunday). */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

export interface InputFile {
  path: string;
  /** Lines read from it (all of them, blank ones too). */
  lines: number;
  /** Why it could not be read, or not to its end (what was read of it is counted). */
  error?: string;
}

export type ReportInput =
  | { kind: 'files'; files: InputFile[]; stdin: boolean }
  | { kind: 'index'; pattern: string };

/**
 * A count of distinct keys: `exact`; `at-least` once a table reached its cap (it kept that many
 * and dropped others); `estimate` from Elasticsearch's cardinality aggregation (HyperLogLog++).
 */
export interface Distinct {
  value: number;
  kind: 'exact' | 'at-least' | 'estimate';
}

export interface LineCounts {
  /** Lines read (files) or documents matched (index). */
  read: number;
  blank: number;
  /** Firewall events: the attempts every view counts (`event.dataset` dropship.firewall, `event.kind` event). */
  attempts: number;
  /** Of the attempts: `event.type` denied / allowed. */
  denied: number;
  allowed: number;
  /** Authentication events (`event.dataset` dropship.auth). */
  auth: number;
  /** Lines dropship could not parse (`event.kind` pipeline_error): indexed, counted here. */
  parseFailures: number;
  /** Other documents (e.g. syslog lines no format claims, `event.dataset` dropship.syslog). */
  other: number;
  /** Lines longer than the line limit, cut (they are still counted above). */
  truncated: number;
}

export interface ParseFailures {
  count: number;
  /** Most frequent reasons first. */
  reasons: { reason: string; count: number }[];
  /** The first few lines that failed, cut to a readable length. */
  samples: { line: string; reason: string }[];
}

export interface CountryRow {
  /** ISO 3166-1 alpha-2. */
  code: string;
  name: string;
  count: number;
  first: string | null;
  last: string | null;
}

export interface PortRow {
  /** null for transports without ports (ICMP…). */
  port: number | null;
  transport: string | null;
  /** IANA service name. */
  service?: string;
  /** dropship's note on why the port is attacked (53413/udp: Netis/Netcore router backdoor…). */
  note?: string;
  count: number;
}

export interface SourceRow {
  ip: string;
  count: number;
  /** Counts of this address may be low by at most this much (table pruned, or Elasticsearch's terms error bound). */
  undercount: number;
  country?: string;
  countryName?: string;
  asNumber?: number;
  asName?: string;
  scanner?: string;
  first: string | null;
  last: string | null;
}

export interface Table<Row> {
  rows: Row[];
  /** Events not in the rows shown (the "other" bucket). */
  other: number;
  distinct: Distinct;
}

export interface HourGrid {
  zone: string;
  /** [weekday: 0 = Monday … 6 = Sunday][hour 0–23] */
  grid: number[][];
  /** Per hour of day, all weekdays. */
  byHour: number[];
}

export type TimelineInterval = 'hour' | 'day' | 'week' | 'month' | 'year';

export interface Timeline {
  zone: string;
  interval: TimelineInterval;
  /**
   * Every bucket from the first to the last, empty ones included (for `year`, only years with
   * events when that would be too many). `start` is local wall-clock time: `2026-10-26T13:00`
   * (hour), `2026-10-26` (day; week: its Monday), `2026-10` (month), `2026` (year).
   */
  points: { start: string; count: number }[];
}

export interface AuthUserRow {
  user: string;
  count: number;
  failure: number;
  success: number;
  undercount: number;
}

export interface AuthSourceRow {
  ip: string;
  count: number;
  failure: number;
  success: number;
  undercount: number;
  country?: string;
  countryName?: string;
  first: string | null;
  last: string | null;
}

export interface AuthSection {
  events: number;
  success: number;
  failure: number;
  /** Neither success nor failure (`event.outcome` unknown or absent). */
  unknown: number;
  users: Table<AuthUserRow>;
  sources: Table<AuthSourceRow>;
}

export interface ReportData {
  schema: typeof REPORT_SCHEMA_VERSION;
  generatedAt: string;
  input: ReportInput;
  /** Zone of every local time below (`--timezone`, default the host's). */
  timezone: string;
  /** First and last attempt or authentication event. */
  period: { first: string | null; last: string | null };
  lines: LineCounts;
  parseFailures: ParseFailures;
  /** Attempts by source country; `unknown` has no country (private addresses, not in the database). */
  countries: Table<CountryRow> & { unknown: number };
  /** Attempts of every country seen (alpha-2 → count), for the map. */
  countryCounts: Record<string, number>;
  /** Countries with the fewest attempts, fewest first. */
  rareCountries: CountryRow[];
  ports: Table<PortRow>;
  sources: Table<SourceRow> & { withoutAddress: number };
  hours: HourGrid;
  timeline: Timeline;
  /** null when no authentication events were seen. */
  auth: AuthSection | null;
  /** Rows per table (`--top`). */
  top: number;
}
