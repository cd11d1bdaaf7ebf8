/**
 * The report's running totals, filled one document at a time (files) or from Elasticsearch
 * aggregations (--from-index), and turned into ReportData by summarize().
 *
 * Memory is bounded by caps on distinct keys (CappedCounter), never by the number of events.
 */
import type { TimeZone } from '../time/zone.js';
import { CappedCounter, type Counted } from './capped-counter.js';
import type { Distinct } from './data.js';
import { TimeTally } from './time-tally.js';

/** Distinct keys kept per table; see CappedCounter for what happens beyond. */
export const CAPS = {
  countries: 1_000,
  ports: 20_000,
  sources: 50_000,
  users: 10_000,
  authSources: 10_000,
  failureReasons: 200,
} as const;

/** Parse-failure lines kept as samples, and how much of each. */
export const FAILURE_SAMPLES = 10;
export const SAMPLE_CHARS = 300;

export interface FirstLast {
  /** Epoch ms; NaN until an event with a valid timestamp was seen. */
  first: number;
  last: number;
}

export interface CountryCount extends Counted, FirstLast {}

export interface PortCount extends Counted {
  port: number | undefined;
  transport: string | undefined;
  service: string | undefined;
  note: string | undefined;
}

export interface SourceCount extends Counted, FirstLast {
  country: string | undefined;
  asNumber: number | undefined;
  asName: string | undefined;
  scanner: string | undefined;
}

export interface UserCount extends Counted {
  failure: number;
  success: number;
}

export interface AuthSourceCount extends UserCount, FirstLast {
  country: string | undefined;
}

/** A ranked table either counted here (CappedCounter) or already ranked (Elasticsearch terms). */
export interface Ranked<V extends Counted> {
  entries(): Iterable<[string, V]>;
  distinct: Distinct;
  /** Events that have a key (an address, a user name): the table's rows plus its "other". */
  total: number;
}

export class Tally {
  read = 0;
  blank = 0;
  attempts = 0;
  denied = 0;
  allowed = 0;
  auth = 0;
  parseFailures = 0;
  other = 0;
  truncated = 0;
  /** Attempts and authentication events whose @timestamp could not be read (not in time views). */
  untimed = 0;
  readonly period: FirstLast = { first: NaN, last: NaN };

  readonly failureReasons = new CappedCounter<string, Counted>(CAPS.failureReasons);
  readonly failureSamples: { line: string; reason: string }[] = [];

  readonly countries = new CappedCounter<string, CountryCount>(CAPS.countries);
  /** Attempts whose source has no country. */
  unknownCountry = 0;
  readonly ports = new CappedCounter<number, PortCount>(CAPS.ports);
  readonly portKeys = new PortKeys();
  readonly sources = new CappedCounter<string, SourceCount>(CAPS.sources);
  withoutAddress = 0;
  readonly time: TimeTally;

  authSuccess = 0;
  authFailure = 0;
  readonly users = new CappedCounter<string, UserCount>(CAPS.users);
  readonly authSources = new CappedCounter<string, AuthSourceCount>(CAPS.authSources);

  /**
   * Set by --from-index, whose tables come ranked from Elasticsearch: they replace the counters
   * above in summarize().
   */
  rankedSources: Ranked<SourceCount> | undefined;
  rankedUsers: Ranked<UserCount> | undefined;
  rankedAuthSources: Ranked<AuthSourceCount> | undefined;

  constructor(readonly zone: TimeZone) {
    this.time = new TimeTally(zone);
  }
}

/**
 * A port and its transport as one number, the key of the ports table. Common transports have
 * fixed slots, so files and --from-index rank ties alike; others get the next free slot.
 */
export class PortKeys {
  private static readonly SLOTS = 64;
  private readonly slots = new Map<string, number>([['tcp', 1], ['udp', 2], ['icmp', 3], ['ipv6-icmp', 4], ['sctp', 5], ['dccp', 6]]);
  private next = 7;

  key(port: unknown, transport: unknown): number {
    const p = typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port + 1 : 0;
    return p * PortKeys.SLOTS + this.slot(transport);
  }

  private slot(transport: unknown): number {
    if (typeof transport !== 'string') return 0;
    let slot = this.slots.get(transport);
    if (slot === undefined) {
      // Past the slots (64 transport names is hostile input), the rest share slot 0.
      if (this.next >= PortKeys.SLOTS) return 0;
      slot = this.next++;
      this.slots.set(transport, slot);
    }
    return slot;
  }
}

export function seen(range: FirstLast, ms: number): void {
  if (!(ms >= range.first)) range.first = ms; // NaN compares false: the first one sets it
  if (!(ms <= range.last)) range.last = ms;
}

export function failureReason(tally: Tally, reason: string, count = 1): void {
  tally.failureReasons.entry(reason, () => ({ count: 0, error: 0 })).count += count;
}

export function failureSample(tally: Tally, line: string, reason: string): void {
  if (tally.failureSamples.length >= FAILURE_SAMPLES) return;
  tally.failureSamples.push({ line: line.length > SAMPLE_CHARS ? `${line.slice(0, SAMPLE_CHARS)}…` : line, reason });
}
