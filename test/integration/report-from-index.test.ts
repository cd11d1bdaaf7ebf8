import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import type { StartedTestContainer } from 'testcontainers';
import { createLineGenerator } from '../../bench/generate.js';
import { createClient, resolveConnection } from '../../src/elasticsearch/connection.js';
import { runSetup } from '../../src/elasticsearch/setup.js';
import { createEnricher } from '../../src/enrich/index.js';
import type { EcsDocument } from '../../src/model/document.js';
import { createParser } from '../../src/parse/index.js';
import { DocumentAggregator } from '../../src/report/aggregate.js';
import { tallyFiles } from '../../src/report/files.js';
import { tallyIndex } from '../../src/report/from-index.js';
import { summarize } from '../../src/report/summarize.js';
import { timeZone } from '../../src/time/zone.js';
import { dockerGate, startElasticsearch } from '../helpers/docker.js';

/**
 * `report --from-index` against real Elasticsearch in Docker: documents dropship made of generated
 * lines (and synthesized authentication documents) are indexed into dropship's data streams
 * (templates from `dropship setup`; default ingest pipeline skipped so the documents stay exactly
 * what the file report counts), and the report from the index must say what the report from the
 * lines says. Skips with the reason printed when no Docker engine is reachable. Version:
 * DROPSHIP_ES_VERSIONS (first entry; default 8.17.4).
 */
const VERSION = (process.env.DROPSHIP_ES_VERSIONS ?? '8.17.4').split(',')[0]!.trim();
const NAMESPACE = 'report';
const ZONE = 'Asia/Kolkata';
const zone = timeZone(ZONE);
const gate = dockerGate();

function authDoc(i: number): EcsDocument {
  const ts = new Date(Date.UTC(2025, 5, 1 + (i % 20), i % 24, i % 60)).toISOString();
  return {
    '@timestamp': ts, ecs: { version: '9.4.0' },
    event: { kind: 'event', dataset: 'dropship.auth', category: ['authentication'], type: ['start'], outcome: i % 7 === 0 ? 'success' : 'failure', action: 'ssh_login', original: `auth ${i}`, created: ts },
    user: { name: ['root', 'admin', 'pi', 'ubnt', 'oracle'][i % 5]! },
    source: { ip: `203.0.113.${i % 9}`, port: 50000 + i, geo: { country_iso_code: ['CN', 'US', 'RU'][i % 3]! } },
  };
}

describe(`report --from-index, Elasticsearch ${VERSION}`, () => {
  let container: StartedTestContainer | undefined;
  let client: Client | undefined;
  const next = createLineGenerator(7);
  const lines = Array.from({ length: 5000 }, (_, i) => (i % 500 === 3 ? `not a firewall line ${i}` : next()));
  const auth = Array.from({ length: 300 }, (_, i) => authDoc(i));

  before(async () => {
    if (gate.problem()) return;
    const es = await startElasticsearch(VERSION);
    container = es.container;
    client = createClient(resolveConnection({ esHosts: es.url }, {}));
    await runSetup(client, { retentionDays: 180, indexMode: 'auto' });
    const parse = createParser({ zone, year: 2025 });
    const enricher = await createEnricher({ geoip: undefined, timezone: zone });
    const operations: object[] = [];
    for (const l of lines) {
      const doc = parse(l);
      enricher.enrich(doc);
      operations.push({ create: { _index: `logs-dropship.firewall-${NAMESPACE}` } }, doc);
    }
    for (const doc of auth) operations.push({ create: { _index: `logs-dropship.auth-${NAMESPACE}` } }, doc);
    // pipeline _none: the documents as dropship made them (the GeoIP pipeline would add what the
    // file report does not see).
    const bulk = await client.bulk({ operations, refresh: true, pipeline: '_none' });
    assert.equal(bulk.errors, false, JSON.stringify(bulk.items.find((i) => i.create?.error)));
  });

  after(async () => {
    await client?.close();
    await container?.stop();
  });

  it('says what the report of the same lines says', async (t) => {
    if (gate.skipWithoutDocker(t)) return;
    const files = await tallyFiles({ paths: [], stdin: Readable.from([Buffer.from(lines.join('\n'))]), timezone: ZONE, year: 2025, geoip: undefined });
    const agg = new DocumentAggregator(files.tally);
    for (const d of auth) agg.add(d);
    files.tally.read += auth.length;
    const expected = summarize(files.tally, { input: files.input, top: 10, now: 0 });

    const { tally, input } = await tallyIndex({ client: client!, pattern: `logs-dropship.*-${NAMESPACE}`, zone, top: 10, pageSize: 50 });
    const actual = summarize(tally, { input, top: 10, now: 0 });

    assert.deepEqual({ ...actual.lines, blank: 0 }, { ...expected.lines, blank: 0 });
    assert.deepEqual(actual.period, expected.period);
    assert.deepEqual(actual.countries.rows, expected.countries.rows);
    assert.deepEqual(actual.countryCounts, expected.countryCounts);
    assert.deepEqual(actual.ports, expected.ports);
    assert.deepEqual(actual.hours, expected.hours);
    assert.deepEqual(actual.timeline, expected.timeline);
    assert.deepEqual(actual.sources.rows.map((r) => [r.ip, r.count, r.country, r.first, r.last]), expected.sources.rows.map((r) => [r.ip, r.count, r.country, r.first, r.last]));
    assert.ok(Math.abs(actual.sources.distinct.value - expected.sources.distinct.value) <= expected.sources.distinct.value * 0.01);
    assert.deepEqual(actual.auth?.users.rows, expected.auth?.users.rows);
    assert.deepEqual(actual.auth?.sources.rows, expected.auth?.sources.rows);
    assert.equal(actual.parseFailures.count, expected.parseFailures.count);
  });
});
