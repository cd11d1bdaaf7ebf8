import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLineGenerator } from '../../bench/generate.js';
import { createEnricher } from '../../src/enrich/index.js';
import type { EcsDocument } from '../../src/model/document.js';
import { createParser } from '../../src/parse/index.js';
import { DocumentAggregator } from '../../src/report/aggregate.js';
import { tallyFiles } from '../../src/report/files.js';
import { summarize } from '../../src/report/summarize.js';
import { Tally } from '../../src/report/tally.js';
import { timeZone } from '../../src/time/zone.js';

/**
 * The report's aggregator: whatever it is fed, it does not throw and every document is counted
 * exactly once, in one of attempts / authentication / parse failures / other; each view's counts
 * add up to the attempts they are drawn from.
 */

const zone = timeZone('Asia/Tokyo');
const parse = createParser({ zone, year: 2025 });
const enricher = await createEnricher({ geoip: undefined, timezone: zone });

function docOf(line: string): EcsDocument {
  const doc = parse(line);
  enricher.enrich(doc);
  return doc;
}

/** An authentication document as helper "formats" will emit them (ECS like Elastic's system auth). */
function authDoc(user: string | undefined, outcome: 'success' | 'failure' | undefined, ip: string | undefined, ts: string): EcsDocument {
  const doc: EcsDocument = {
    '@timestamp': ts,
    ecs: { version: '9.4.0' },
    event: { kind: 'event', dataset: 'dropship.auth', category: ['authentication'], type: ['start'], action: 'ssh_login', original: `sshd: ${user}`, created: ts, ...(outcome ? { outcome } : {}) },
  };
  if (user !== undefined) doc.user = { name: user };
  if (ip !== undefined) doc.source = { ip, port: 40000, geo: { country_iso_code: 'CN' } };
  return doc;
}

const next = createLineGenerator(11);
const realLines = Array.from({ length: 300 }, () => next());

const lineArb = fc.oneof(
  fc.constantFrom(...realLines),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  // Real lines with a slice cut out or garbage spliced in.
  fc.tuple(fc.constantFrom(...realLines), fc.nat(300), fc.nat(40), fc.string({ maxLength: 10 })).map(([l, at, len, ins]) => l.slice(0, at) + ins + l.slice(at + len)),
);

const authArb = fc.tuple(
  fc.option(fc.constantFrom('root', 'admin', 'pi', 'ubnt', '<script>', 'user\u001b[31m'), { nil: undefined }),
  fc.option(fc.constantFrom('success' as const, 'failure' as const), { nil: undefined }),
  fc.option(fc.constantFrom('203.0.113.5', '198.51.100.7', '2001:db8::1'), { nil: undefined }),
  fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2026-01-01T00:00:00Z'), noInvalidDate: true }),
).map(([u, o, ip, d]) => authDoc(u, o, ip, d.toISOString()));

const docArb = fc.oneof(
  { weight: 6, arbitrary: lineArb.map(docOf) },
  { weight: 2, arbitrary: authArb },
  // Shapes no parser makes: the aggregator must survive them too.
  { weight: 1, arbitrary: fc.anything().map((x) => x as unknown as EcsDocument) },
  { weight: 1, arbitrary: fc.record({ event: fc.anything(), source: fc.anything(), destination: fc.anything(), '@timestamp': fc.anything() }).map((x) => x as unknown as EcsDocument) },
);

test('aggregator: never throws, every document counted once, every view adds up', () => {
  fc.assert(fc.property(fc.array(docArb, { maxLength: 120 }), (docs) => {
    const tally = new Tally(zone);
    const agg = new DocumentAggregator(tally);
    for (const d of docs) agg.add(d);
    assert.equal(tally.attempts + tally.auth + tally.parseFailures + tally.other, docs.length);
    const sum = (xs: Iterable<{ count: number }>): number => [...xs].reduce((s, x) => s + x.count, 0);
    assert.equal(sum(tally.countries.values()) + tally.unknownCountry, tally.attempts);
    assert.equal(sum(tally.ports.values()), tally.attempts);
    assert.equal(sum(tally.sources.values()) + tally.withoutAddress, tally.attempts);
    // The grid holds the dated attempts; `untimed` counts undated attempts and authentication events.
    assert.equal(tally.time.grid.reduce((a, b) => a + b, 0) + tally.untimed, tally.attempts + tally.auth - countTimedAuth(docs));
    assert.equal(sum(tally.failureReasons.values()), tally.parseFailures);
    assert.ok(tally.denied + tally.allowed <= tally.attempts);
    assert.equal(tally.authFailure + tally.authSuccess <= tally.auth, true);
    const data = summarize(tally, { input: { kind: 'files', files: [], stdin: true }, top: 5 });
    // The JSON output must be JSON: no NaN, no undefined in arrays.
    assert.deepEqual(JSON.parse(JSON.stringify(data)), data);
    assert.equal(data.ports.rows.reduce((s, r) => s + r.count, 0) + data.ports.other, data.lines.attempts);
  }), { numRuns: 150 });
});

/** Authentication documents with a readable timestamp: they date the period, not the grid. */
function countTimedAuth(docs: EcsDocument[]): number {
  return docs.filter((d) => {
    const event = (d as { event?: { dataset?: unknown; kind?: unknown } } | null)?.event;
    const ts: unknown = d?.['@timestamp'];
    return typeof event === 'object' && event !== null && event.dataset === 'dropship.auth' && event.kind === 'event' && typeof ts === 'string' && Number.isFinite(Date.parse(ts));
  }).length;
}

test('the SSH section: top user names, failures and successes, top sources, from synthesized auth documents', () => {
  const tally = new Tally(zone);
  const agg = new DocumentAggregator(tally);
  const expected = new Map<string, { count: number; failure: number; success: number }>();
  const rnd = fc.sample(authArb, { numRuns: 2000, seed: 5 });
  for (const d of rnd) {
    agg.add(d);
    const u = d.user?.name;
    if (u === undefined) continue;
    const e = expected.get(u) ?? { count: 0, failure: 0, success: 0 };
    e.count++;
    if (d.event.outcome === 'failure') e.failure++;
    if (d.event.outcome === 'success') e.success++;
    expected.set(u, e);
  }
  const data = summarize(tally, { input: { kind: 'files', files: [], stdin: true }, top: 3 });
  assert.ok(data.auth !== null);
  assert.equal(data.auth.events, 2000);
  assert.equal(data.auth.failure, rnd.filter((d) => d.event.outcome === 'failure').length);
  assert.equal(data.auth.success, rnd.filter((d) => d.event.outcome === 'success').length);
  const top = [...expected].sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : 1)).slice(0, 3);
  assert.deepEqual(data.auth.users.rows.map((r) => [r.user, r.count, r.failure, r.success]), top.map(([u, e]) => [u, e.count, e.failure, e.success]));
  const named = [...expected.values()].reduce((s, e) => s + e.count, 0);
  assert.equal(data.auth.users.rows.reduce((s, r) => s + r.count, 0) + data.auth.users.other, named);
  assert.deepEqual(data.auth.sources.rows.map((r) => r.ip).sort(), ['198.51.100.7', '2001:db8::1', '203.0.113.5'].sort());
  assert.equal(data.auth.sources.rows[0]!.countryName, 'China');
  // Attempts views stay empty: authentication is not a firewall attempt.
  assert.equal(data.lines.attempts, 0);
  assert.equal(data.ports.rows.length, 0);

  // The end of an attempt (sshd's "maximum authentication attempts", a disconnect before login) is
  // an authentication event, not another attempt: it changes no user's or source's count.
  const end = { ...rnd[0]!, event: { ...rnd[0]!.event, action: 'ssh_max_attempts', type: ['end'], outcome: 'failure' as const } };
  agg.add(end);
  const after = summarize(tally, { input: { kind: 'files', files: [], stdin: true }, top: 3 });
  assert.equal(after.auth!.events, 2001);
  assert.equal(after.auth!.failure, data.auth.failure);
  assert.deepEqual(after.auth!.users.rows, data.auth.users.rows);
});

test('files: hostile bytes through parse → enrich → tally never crash, every line is counted, failures shown', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.oneof(lineArb, fc.constant(''), fc.constant('\u0000\u0000')), { maxLength: 80 }), async (lines) => {
    const input = Buffer.from(lines.join('\n'));
    const { tally } = await tallyFiles({ paths: [], stdin: Readable.from([input]), timezone: 'UTC', year: 2025, geoip: undefined });
    const expectedLines = input.length === 0 ? 0 : lines.join('\n').split('\n').length - (lines.join('\n').endsWith('\n') ? 1 : 0);
    assert.equal(tally.read, expectedLines);
    assert.equal(tally.attempts + tally.auth + tally.parseFailures + tally.other + tally.blank, tally.read);
  }), { numRuns: 60 });
});

test('files: year-less lines are dated from the file\'s modification time, as parse and import date them, not from today', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-report-year-'));
  try {
    const file = join(dir, 'router.log');
    writeFileSync(file, '<4>Dec 30 23:59:58 router kernel: DROP IN=ppp0 OUT= SRC=203.0.113.5 DST=198.51.100.20 LEN=44 PROTO=TCP SPT=1024 DPT=23\n');
    // Written on 2 January 2019: a line of 30 December is from 2018, whenever the report runs.
    const mtime = new Date(Date.UTC(2019, 0, 2));
    utimesSync(file, mtime, mtime);
    const { tally } = await tallyFiles({ paths: [file], stdin: Readable.from([]), timezone: 'UTC', geoip: undefined });
    assert.equal(tally.attempts, 1);
    assert.equal(new Date(tally.period.first).toISOString(), '2018-12-30T23:59:58.000Z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
