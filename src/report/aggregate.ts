/**
 * One parsed, enriched document into the report's tally. Called once per line on the hot path,
 * so it reads the document's fields directly and allocates only for a key seen the first time.
 *
 * Which documents are attempts: `event.dataset` dropship.firewall with `event.kind` event (lines
 * dropship could not read are `event.kind` pipeline_error, counted apart with their reason).
 * Authentication events are `event.dataset` dropship.auth. Anything else is counted as other.
 * Never throws, whatever the document holds: a report must not die on one strange line.
 */
import { DATASET_AUTH, DATASET_FIREWALL, type EcsDocument } from '../model/document.js';
import { LOGIN_ACTION } from '../normalize/auth.js';
import { isoMs } from '../time/iso.js';
import { failureReason, failureSample, seen, type AuthSourceCount, type PortCount, type SourceCount, type Tally, type UserCount } from './tally.js';

export class DocumentAggregator {
  private lastTimestamp = '';
  private lastMs = NaN;

  constructor(readonly tally: Tally) {}

  add(doc: EcsDocument): void {
    try {
      this.addUnchecked(doc);
    } catch {
      // A document shaped in a way no parser makes (the property test builds them): counted, not fatal.
      this.tally.other++;
    }
  }

  private addUnchecked(doc: EcsDocument): void {
    const t = this.tally;
    const event = doc.event;
    if (typeof event !== 'object' || event === null) {
      t.other++;
      return;
    }
    if (event.kind === 'pipeline_error') {
      t.parseFailures++;
      const reason = typeof doc.error?.message === 'string' ? doc.error.message : 'unknown';
      failureReason(t, reason);
      failureSample(t, String(event.original), reason);
      return;
    }
    if (event.kind !== 'event') {
      t.other++;
      return;
    }
    if (event.dataset === DATASET_FIREWALL) this.attempt(doc);
    else if (event.dataset === DATASET_AUTH) this.authentication(doc);
    else t.other++;
  }

  private timestamp(doc: EcsDocument): number {
    const ts = doc['@timestamp'];
    if (ts !== this.lastTimestamp) {
      this.lastTimestamp = ts;
      this.lastMs = typeof ts === 'string' ? isoMs(ts) : NaN;
      if (Number.isNaN(this.lastMs) && typeof ts === 'string') this.lastMs = Date.parse(ts);
    }
    return this.lastMs;
  }

  private attempt(doc: EcsDocument): void {
    const t = this.tally;
    t.attempts++;
    const types = doc.event.type;
    if (Array.isArray(types)) {
      if (types.includes('denied')) t.denied++;
      else if (types.includes('allowed')) t.allowed++;
    }
    const ms = this.timestamp(doc);
    const timed = Number.isFinite(ms);
    if (timed) {
      seen(t.period, ms);
      t.time.addInstant(ms);
    } else {
      t.untimed++;
    }

    const source = doc.source;
    const geo = source?.geo;
    const code = typeof geo?.country_iso_code === 'string' ? geo.country_iso_code : undefined;
    if (code === undefined) {
      t.unknownCountry++;
    } else {
      const c = t.countries.entry(code, () => ({ count: 0, error: 0, first: NaN, last: NaN }));
      c.count++;
      if (timed) seen(c, ms);
    }

    const p = t.ports.entry(t.portKeys.key(doc.destination?.port, doc.network?.transport), () => newPort(doc));
    p.count++;

    const ip = source?.ip;
    if (typeof ip !== 'string') {
      t.withoutAddress++;
      return;
    }
    const s = t.sources.entry(ip, () => newSource(doc));
    s.count++;
    if (timed) seen(s, ms);
  }

  private authentication(doc: EcsDocument): void {
    const t = this.tally;
    t.auth++;
    // Only login attempts count in the SSH views; the end of an attempt (maximum attempts, a
    // disconnect before login) is an authentication event too, and would count it twice.
    if (doc.event.action !== LOGIN_ACTION) return;
    const outcome = doc.event.outcome;
    const failure = outcome === 'failure' ? 1 : 0;
    const success = outcome === 'success' ? 1 : 0;
    t.authFailure += failure;
    t.authSuccess += success;
    const ms = this.timestamp(doc);
    const timed = Number.isFinite(ms);
    if (timed) seen(t.period, ms);
    else t.untimed++;
    const name = doc.user?.name;
    if (typeof name === 'string') {
      const u = t.users.entry(name, newUser);
      u.count++;
      u.failure += failure;
      u.success += success;
    }
    const ip = doc.source?.ip;
    if (typeof ip === 'string') {
      const s = t.authSources.entry(ip, () => newAuthSource(doc));
      s.count++;
      s.failure += failure;
      s.success += success;
      if (timed) seen(s, ms);
    }
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function newPort(doc: EcsDocument): PortCount {
  const port = doc.destination?.port;
  const service = doc.dropship?.service;
  return {
    count: 0, error: 0,
    port: typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined,
    transport: str(doc.network?.transport),
    service: str(service?.name),
    note: str(service?.note),
  };
}

function newSource(doc: EcsDocument): SourceCount {
  const s = doc.source;
  const as = s?.as;
  return {
    count: 0, error: 0, first: NaN, last: NaN,
    country: str(s?.geo?.country_iso_code),
    asNumber: typeof as?.number === 'number' ? as.number : undefined,
    asName: str(as?.organization?.name),
    scanner: str(doc.dropship?.scanner?.name),
  };
}

function newUser(): UserCount {
  return { count: 0, error: 0, failure: 0, success: 0 };
}

function newAuthSource(doc: EcsDocument): AuthSourceCount {
  return { count: 0, error: 0, failure: 0, success: 0, first: NaN, last: NaN, country: str(doc.source?.geo?.country_iso_code) };
}
