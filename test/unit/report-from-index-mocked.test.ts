import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { createLineGenerator } from '../../bench/generate.js';
import { createEnricher } from '../../src/enrich/index.js';
import type { EcsDocument } from '../../src/model/document.js';
import { createParser } from '../../src/parse/index.js';
import type { ReportData } from '../../src/report/data.js';
import { tallyFiles } from '../../src/report/files.js';
import { tallyIndex } from '../../src/report/from-index.js';
import { summarize } from '../../src/report/summarize.js';
import { timeZone } from '../../src/time/zone.js';
import { startStandIn, type StandIn } from './report-es-standin.js';

/**
 * MOCKED: `report --from-index` against a loopback stand-in that evaluates the aggregations over
 * the documents `dropship parse` makes of the same lines (report-es-standin.ts). The report from
 * the "index" must say what the report from the lines says; composite pages are kept small so
 * paging with after_key is exercised; no request may fetch documents beyond the few samples.
 * The same comparison against real Elasticsearch: test/integration/report-from-index.test.ts.
 */

const ZONE = 'Asia/Kolkata'; // +05:30: hourly buckets that are not UTC hours
const zone = timeZone(ZONE);
const next = createLineGenerator(99);
// Every 300th line a firewall line that cannot be read (a parse failure), every 300th + 150 one no
// format claims (the syslog dataset: "other").
const lines = Array.from({ length: 3000 }, (_, i) => (i % 300 === 7
  ? `Mar  1 10:00:00 gw kernel: DROP IN=eth0 OUT= SRC=nowhere DST=192.0.2.1 LEN=40 TTL=64 ID=${i} PROTO=TCP SPT=1 DPT=22`
  : i % 300 === 157 ? `Mar  1 10:00:00 gw dnsmasq[12]: query[A] host${i}.example from 192.168.1.5` : next()));

function authDoc(i: number): EcsDocument {
  const ts = new Date(Date.UTC(2025, 5, 1 + (i % 20), i % 24, i % 60)).toISOString();
  const outcome = i % 7 === 0 ? 'success' : 'failure';
  return {
    '@timestamp': ts, ecs: { version: '9.4.0' },
    event: { kind: 'event', dataset: 'dropship.auth', category: ['authentication'], type: ['start'], outcome, action: 'ssh_login', original: `auth ${i}`, created: ts },
    user: { name: ['root', 'admin', 'pi', 'ubnt', 'oracle'][i % 5]! },
    source: { ip: `203.0.113.${i % 9}`, port: 50000 + i, geo: { country_iso_code: ['CN', 'US', 'RU'][i % 3]! } },
  };
}

let standIn: StandIn;
let fromFiles: ReportData;
let client: Client;
const auth = Array.from({ length: 400 }, (_, i) => authDoc(i));

before(async () => {
  const parse = createParser({ zone, year: 2025 });
  const enricher = await createEnricher({ geoip: undefined, timezone: zone });
  const docs = lines.map((l) => {
    const d = parse(l);
    enricher.enrich(d);
    return JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
  });
  standIn = await startStandIn({
    'logs-dropship.firewall-default': docs,
    'logs-dropship.auth-default': auth.map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>),
    'unrelated-index': [{ '@timestamp': '2025-01-01T00:00:00.000Z', message: 'not ours' }],
  });
  client = new Client({ node: standIn.url });

  // The same events, counted from the lines (and the auth documents, which no parser makes yet).
  const { tally, input } = await tallyFiles({ paths: [], stdin: Readable.from([Buffer.from(lines.join('\n'))]), timezone: ZONE, year: 2025, geoip: undefined });
  const { DocumentAggregator } = await import('../../src/report/aggregate.js');
  const agg = new DocumentAggregator(tally);
  for (const d of auth) agg.add(d);
  tally.read += auth.length;
  fromFiles = summarize(tally, { input, top: 10, now: 0 });
});

after(async () => {
  await client.close();
  await standIn.close();
});

test('report --from-index (mocked Elasticsearch) says what the report of the same lines says', async () => {
  const { tally, input } = await tallyIndex({ client, pattern: 'logs-dropship.*', zone, top: 10, pageSize: 200 });
  const fromIndex = summarize(tally, { input, top: 10, now: 0 });
  assert.deepEqual(fromIndex.input, { kind: 'index', pattern: 'logs-dropship.*' });

  assert.deepEqual({ ...fromIndex.lines, blank: 0 }, { ...fromFiles.lines, blank: 0 });
  assert.deepEqual(fromIndex.period, fromFiles.period);
  assert.deepEqual(fromIndex.countries.rows, fromFiles.countries.rows);
  assert.equal(fromIndex.countries.unknown, fromFiles.countries.unknown);
  assert.deepEqual(fromIndex.countryCounts, fromFiles.countryCounts);
  assert.deepEqual(fromIndex.rareCountries, fromFiles.rareCountries);
  assert.deepEqual(fromIndex.ports, fromFiles.ports);
  assert.deepEqual(fromIndex.hours, fromFiles.hours);
  assert.deepEqual(fromIndex.timeline, fromFiles.timeline);
  // Elasticsearch counts distinct addresses with an estimate; its value is exact on this stand-in.
  assert.deepEqual(fromIndex.sources.distinct, { ...fromFiles.sources.distinct, kind: 'estimate' });
  assert.deepEqual(fromIndex.sources.rows, fromFiles.sources.rows);
  assert.equal(fromIndex.sources.other, fromFiles.sources.other);
  assert.ok(fromIndex.auth !== null && fromFiles.auth !== null);
  assert.deepEqual({ ...fromIndex.auth, users: fromIndex.auth.users.rows, sources: fromIndex.auth.sources.rows },
    { ...fromFiles.auth, users: fromFiles.auth.users.rows, sources: fromFiles.auth.sources.rows });
  assert.equal(fromIndex.parseFailures.count, 10);
  assert.deepEqual(fromIndex.parseFailures.reasons, [{ reason: 'not an IP address: SRC "nowhere"', count: 10 }]);
  assert.equal(fromFiles.lines.other, 10);
  assert.equal(fromIndex.lines.other, fromFiles.lines.other);
  assert.deepEqual(new Set(fromIndex.parseFailures.samples.map((s) => s.line)), new Set(fromFiles.parseFailures.samples.map((s) => s.line)));

  // Aggregations only: no request asks for documents, except the ten parse-failure samples.
  for (const body of standIn.searches) {
    assert.equal(body.size, 0, JSON.stringify(body).slice(0, 200));
    const hits = JSON.stringify(body).match(/"top_hits":\{"size":(\d+)/g) ?? [];
    for (const h of hits) assert.ok(Number(/(\d+)$/.exec(h)![1]) <= 10);
  }
  // Composite pages of 200 buckets: paging went on past the first page.
  const pages = standIn.searches.filter((b) => JSON.stringify(b).includes('"composite"'));
  assert.ok(pages.some((b) => JSON.stringify(b).includes('"after"')));
});

test('report --from-index (mocked): an error from Elasticsearch is one line naming the index', async () => {
  const broken = new Client({ node: 'http://127.0.0.1:1', requestTimeout: 2000, maxRetries: 0 });
  await assert.rejects(tallyIndex({ client: broken, pattern: 'logs-x', zone, top: 5 }), /^Error: cannot summarize logs-x \(totals\): /);
  await broken.close();
});

test('report --from-index (mocked): a pattern that matches nothing gives an empty report, not an error', async () => {
  const { tally, input } = await tallyIndex({ client, pattern: 'nothing-here-*', zone, top: 5 });
  const data = summarize(tally, { input, top: 5 });
  assert.equal(data.lines.read, 0);
  assert.equal(data.auth, null);
  assert.deepEqual(data.timeline.points, []);
});
