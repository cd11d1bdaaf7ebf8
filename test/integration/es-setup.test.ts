import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client, estypes } from '@elastic/elasticsearch';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { dockerGate } from '../helpers/docker.js';
import { createClient, resolveConnection } from '../../src/elasticsearch/connection.js';
import { DASHBOARD_FIELD_TYPES } from '../helpers/expected-fields.js';
import { checkMappedFields } from '../helpers/field-check.js';
import { runSetup } from '../../src/elasticsearch/setup.js';
import { ElasticsearchSink, FileDeadLetterQueue } from '../../src/elasticsearch/sink/index.js';
import { bulkBody } from '../helpers/sink-harness.js';
import type { EcsDocument } from '../../src/model/document.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';

/**
 * Real Elasticsearch in Docker: setup is idempotent, documents go through the pipeline into the
 * data streams, mappings are what the dashboards need. Skips (with the reason printed) when no
 * Docker engine is reachable. Versions: DROPSHIP_ES_VERSIONS="8.17.4,9.0.3" (default).
 */
const VERSIONS = (process.env.DROPSHIP_ES_VERSIONS ?? '8.17.4,9.0.3').split(',').map((v) => v.trim()).filter(Boolean);
const NAMESPACE = 'it';
const DOCS = 40;

const docker = dockerGate();
const skipWithoutDocker = docker.skipWithoutDocker;

/** The sample: DOCS firewall documents over 10 ports (4 each), one auth document, and edge cases. */
function sample(): EcsDocument[] {
  const docs: EcsDocument[] = [];
  for (let n = 0; n < DOCS; n++) {
    const doc = netfilterDoc(n);
    delete doc.network!.community_id; // let the pipeline compute it
    // An address the GeoLite2 City and ASN databases surely know (Google DNS, AS15169).
    doc.source!.ip = '8.8.8.8';
    docs.push(doc);
  }
  // Already enriched by dropship: the pipeline must leave its geo alone.
  docs[0]!.source!.geo = { country_iso_code: 'JP', location: { lat: 35.69, lon: 139.69 } };
  // Port 0 would make the community_id processor fail; the guard must skip it, not fail the doc.
  docs[1]!.source!.port = 0;
  docs.push(authDoc(1000));
  return docs;
}

for (const version of VERSIONS) {
  describe(`Elasticsearch ${version}`, () => {
    let container: StartedTestContainer | undefined;
    let client: Client | undefined;
    let dir = '';

    before(async () => {
      if (docker.problem()) return;
      dir = await mkdtemp(join(tmpdir(), 'dropship-it-'));
      container = await new GenericContainer(`docker.elastic.co/elasticsearch/elasticsearch:${version}`)
        .withEnvironment({
          'discovery.type': 'single-node',
          'xpack.security.enabled': 'false',
          ES_JAVA_OPTS: '-Xms512m -Xmx512m',
        })
        .withExposedPorts(9200)
        .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=60s', 9200).forStatusCode(200))
        .withStartupTimeout(240_000)
        .start();
      const url = `http://${container.getHost()}:${container.getMappedPort(9200)}`;
      client = createClient(resolveConnection({ esHosts: url }, {}));
    });

    after(async () => {
      await client?.close();
      await container?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('setup runs twice without error and the templates resolve as intended', async (t) => {
      if (skipWithoutDocker(t)) return;
      const options = { retentionDays: 180, indexMode: 'auto' as const };
      const info = await runSetup(client!, options);
      await runSetup(client!, options);
      const simulated = await client!.indices.simulateIndexTemplate({ name: `logs-dropship.firewall-${NAMESPACE}` });
      const settings = simulated.template.settings as { index?: { default_pipeline?: string; mode?: string; lifecycle?: { name?: string } } };
      assert.equal(settings.index?.default_pipeline, 'logs-dropship-v1');
      assert.equal(settings.index?.lifecycle?.name, 'logs-dropship');
      if (info.major > 8 || info.minor >= 17) assert.equal(settings.index?.mode, 'logsdb');
      assert.deepEqual(checkMappedFields(simulated.template.mappings, DASHBOARD_FIELD_TYPES), []);
    });

    it('ships a sample through the pipeline; geo, community id and port counts are right', async (t) => {
      if (skipWithoutDocker(t)) return;
      const docs = sample();
      const ship = async () => {
        const sink = new ElasticsearchSink<number>({ client: client!, deadLetter: new FileDeadLetterQueue(join(dir, 'dlq.ndjson')) });
        sink.pushBatch(bulkBody(docs, NAMESPACE), docs.length, 0);
        await sink.close();
        return sink.stats();
      };
      const first = await ship();
      assert.equal(first.indexed, docs.length, JSON.stringify(first));
      assert.equal(first.deadLettered, 0);
      const again = await ship();
      assert.equal(again.duplicates, docs.length, 're-shipping the same lines only produces 409s');

      await client!.indices.refresh({ index: 'logs-dropship.*' });
      const result = await client!.search<EcsDocument>({
        index: `logs-dropship.firewall-${NAMESPACE}`,
        size: 100,
        aggs: { ports: { terms: { field: 'destination.port', size: 20 } } },
      });
      const hits = result.hits.hits.map((h) => h._source!);
      assert.equal(hits.length, DOCS);
      for (const doc of hits) {
        const tags = doc.tags ?? [];
        assert.ok(!tags.includes('_dropship_pipeline_error'), `pipeline error: ${doc.error?.message}`);
        assert.ok(doc.source?.geo || tags.some((tag) => tag.startsWith('_geoip_database_unavailable')), `no geo and no geoip tag: ${JSON.stringify(doc)}`);
        assert.ok((doc.event as { ingested?: string }).ingested, 'event.ingested is set');
        if (!tags.some((tag) => tag.includes('GeoLite2-ASN'))) assert.equal(doc.source?.as?.number, 15169, 'ASN renamed to source.as.number');
      }
      const enriched = hits.find((d) => d.event.original === docs[0]!.event.original)!;
      assert.equal(enriched.source?.geo?.country_iso_code, 'JP', 'dropship\'s own geo is kept');
      const portZero = hits.find((d) => d.event.original === docs[1]!.event.original)!;
      assert.equal(portZero.network?.community_id, undefined);
      assert.ok(hits.filter((d) => d.network?.community_id?.startsWith('1:')).length >= DOCS - 1, 'community id computed where missing');

      const buckets = (result.aggregations!.ports as estypes.AggregationsLongTermsAggregate).buckets as estypes.AggregationsLongTermsBucket[];
      const counts = Object.fromEntries(buckets.map((b) => [String(b.key), b.doc_count]));
      const expected: Record<string, number> = {};
      for (const doc of docs.slice(0, DOCS)) expected[String(doc.destination!.port)] = (expected[String(doc.destination!.port)] ?? 0) + 1;
      assert.deepEqual(counts, expected);

      const auth = await client!.count({ index: `logs-dropship.auth-${NAMESPACE}` });
      assert.equal(auth.count, 1);
    });
  });
}
