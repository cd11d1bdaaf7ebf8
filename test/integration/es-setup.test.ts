import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client, estypes } from '@elastic/elasticsearch';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { ensureShipperKey } from '../../src/elasticsearch/api-key.js';
import { PIPELINE_NAME } from '../../src/elasticsearch/assets.js';
import { createClient, resolveConnection, type ConnectionSettings } from '../../src/elasticsearch/connection.js';
import { parseClusterInfo, runSetup, templateName, type SetupOptions } from '../../src/elasticsearch/setup.js';
import { DATASETS } from '../../src/model/data-stream.js';
import type { EcsDocument } from '../../src/model/document.js';
import { dockerGate } from '../helpers/docker.js';
import { DASHBOARD_FIELD_TYPES } from '../helpers/expected-fields.js';
import { checkMappedFields } from '../helpers/field-check.js';
import { runCli, startCli } from '../helpers/import-cli.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';

/**
 * Real Elasticsearch in Docker, security on (HTTP without TLS, inside the test only): `dropship
 * setup` on an empty cluster, twice, and after data exists (an upgrade); a document Elasticsearch
 * cannot map; documents through the ingest pipeline; `import` and `tail` end to end as processes
 * with the API key setup creates; `import` after a rollover (the presence check). Skips (with the
 * reason printed) when no Docker engine is reachable. Versions: DROPSHIP_ES_VERSIONS (default: 8.11, 8.17 and the newest 9.x checked here).
 */
const VERSIONS = (process.env.DROPSHIP_ES_VERSIONS ?? '8.11.4,8.17.4,9.2.3').split(',').map((v) => v.trim()).filter(Boolean);
const NAMESPACE = 'it';
const DOCS = 40;
const options: SetupOptions = { retentionDays: 180, indexMode: 'auto' };

const docker = dockerGate();
const skipWithoutDocker = docker.skipWithoutDocker;

/** DOCS firewall documents over 10 ports (4 each), one auth document, and edge cases. */
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

function line(n: number): string {
  return `<4>Jan  2 03:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} router kernel: DROP IN=ppp0 OUT= SRC=198.51.100.${1 + (n % 200)} DST=203.0.113.1 LEN=40 TTL=50 ID=${n} PROTO=TCP SPT=${2000 + n} DPT=23 WINDOW=1024 SYN URGP=0`;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

for (const version of VERSIONS) {
  describe(`Elasticsearch ${version}`, () => {
    const info = parseClusterInfo({ version: { number: version } });
    const logsdb = info.major > 8 || info.minor >= 17;
    const password = randomBytes(12).toString('hex');
    let container: StartedTestContainer | undefined;
    let client: Client | undefined;
    let settings: ConnectionSettings | undefined;
    let url = '';
    let dir = '';
    const keyFile = () => join(dir, 'shipper.key');
    const count = async (index: string) => {
      await client!.indices.refresh({ index });
      return (await client!.count({ index })).count;
    };

    before(async () => {
      if (docker.problem()) return;
      dir = await mkdtemp(join(tmpdir(), 'dropship-it-'));
      container = await new GenericContainer(`docker.elastic.co/elasticsearch/elasticsearch:${version}`)
        .withEnvironment({
          'discovery.type': 'single-node',
          'xpack.security.enabled': 'true',
          'xpack.security.http.ssl.enabled': 'false',
          ELASTIC_PASSWORD: password,
          ES_JAVA_OPTS: '-Xms512m -Xmx512m',
        })
        .withExposedPorts(9200)
        .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=60s', 9200).withBasicCredentials('elastic', password).forStatusCode(200))
        .withStartupTimeout(240_000)
        .start();
      url = `http://${container.getHost()}:${container.getMappedPort(9200)}`;
      settings = resolveConnection({ esHosts: url }, { ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: password });
      client = createClient(settings);
    });

    after(async () => {
      await client?.close();
      await container?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('setup on an empty cluster: no data stream touched, templates resolve as intended, data_stream.* agree', async (t) => {
      if (skipWithoutDocker(t)) return;
      const lines: string[] = [];
      await runSetup(client!, options, (l) => lines.push(l));
      assert.ok(lines.some((l) => /no dropship data streams yet/.test(l)), lines.join('\n'));
      for (const dataset of DATASETS) {
        const simulated = await client!.indices.simulateIndexTemplate({ name: `logs-${dataset}-${NAMESPACE}` });
        const s = simulated.template.settings as { index?: { default_pipeline?: string; mode?: string; lifecycle?: { name?: string } } };
        assert.equal(s.index?.default_pipeline, PIPELINE_NAME);
        assert.equal(s.index?.lifecycle?.name, 'logs-dropship');
        if (logsdb) assert.equal(s.index?.mode, 'logsdb');
        const expect: Record<string, string> = { 'data_stream.type': 'constant_keyword', 'data_stream.dataset': 'constant_keyword', 'data_stream.namespace': 'constant_keyword', 'event.original': 'keyword' };
        assert.deepEqual(checkMappedFields(simulated.template.mappings, expect), [], dataset);
        assert.equal((await client!.indices.getIndexTemplate({ name: templateName(dataset) })).index_templates.length, 1);
      }
      const firewall = await client!.indices.simulateIndexTemplate({ name: `logs-dropship.firewall-${NAMESPACE}` });
      assert.deepEqual(checkMappedFields(firewall.template.mappings, DASHBOARD_FIELD_TYPES), []);
    });

    it('setup twice: nothing changes, nothing fails', async (t) => {
      if (skipWithoutDocker(t)) return;
      const lines: string[] = [];
      await runSetup(client!, options, (l) => lines.push(l));
      assert.ok(!lines.some((l) => /roll|now uses/.test(l)), lines.join('\n'));
    });

    it('ships a sample through the pipeline; geo, community id and port counts are right; a re-send only meets 409s', async (t) => {
      if (skipWithoutDocker(t)) return;
      const docs = sample();
      const operations = docs.flatMap((doc, i) => [{ create: { _index: `logs-${doc.event.dataset ?? 'dropship.firewall'}-${NAMESPACE}`, _id: `sample-${i}` } }, doc]);
      const first = await client!.bulk({ operations });
      assert.equal(first.errors, false, JSON.stringify(first.items.find((i) => i.create?.error)));
      const again = await client!.bulk({ operations });
      assert.ok(again.items.every((i) => i.create?.status === 409));

      await client!.indices.refresh({ index: 'logs-dropship.*' });
      const result = await client!.search<EcsDocument>({ index: `logs-dropship.firewall-${NAMESPACE}`, size: 100, aggs: { ports: { terms: { field: 'destination.port', size: 20 } } } });
      const hits = result.hits.hits.map((h) => h._source!);
      assert.equal(hits.length, DOCS);
      for (const doc of hits) {
        const tags = doc.tags ?? [];
        assert.ok(!tags.includes('_dropship_pipeline_error'), `pipeline error: ${JSON.stringify(doc.error)}`);
        assert.ok(doc.source?.geo || tags.some((tag) => tag.startsWith('_geoip_database_unavailable')), `no geo and no geoip tag: ${JSON.stringify(doc)}`);
        assert.ok((doc.event as { ingested?: string }).ingested, 'event.ingested is set');
      }
      const enriched = hits.find((d) => d.event.original === docs[0]!.event.original)!;
      assert.equal(enriched.source?.geo?.country_iso_code, 'JP', 'dropship\'s own geo is kept');
      const portZero = hits.find((d) => d.event.original === docs[1]!.event.original)!;
      assert.equal(portZero.network?.community_id, undefined);
      const buckets = (result.aggregations!.ports as estypes.AggregationsLongTermsAggregate).buckets as estypes.AggregationsLongTermsBucket[];
      const counts = Object.fromEntries(buckets.map((b) => [String(b.key), b.doc_count]));
      const expected: Record<string, number> = {};
      for (const doc of docs.slice(0, DOCS)) expected[String(doc.destination!.port)] = (expected[String(doc.destination!.port)] ?? 0) + 1;
      assert.deepEqual(counts, expected);
    });

    it('a document Elasticsearch cannot map is refused (before 9.2) or kept in the failure store, never indexed', async (t) => {
      if (skipWithoutDocker(t)) return;
      const stream = 'logs-dropship.firewall-maperr';
      const good = { ...netfilterDoc(6), data_stream: { type: 'logs', dataset: 'dropship.firewall', namespace: 'maperr' } };
      // data_stream.dataset is a constant_keyword: the first document fixed it, a different value cannot be indexed.
      const bad = { ...netfilterDoc(7), data_stream: { ...good.data_stream, dataset: 'not.this.one' } };
      const answer = await client!.bulk({ operations: [{ create: { _index: stream, _id: 'good' } }, good, { create: { _index: stream, _id: 'mapping-error' } }, bad] });
      assert.equal(answer.items[0]!.create!.status, 201, JSON.stringify(answer.items[0]));
      const item = answer.items[1]!.create! as { status: number; error?: { type: string; reason?: string }; failure_store?: string };
      if (item.failure_store === 'used') {
        assert.equal(item.status, 201, 'the failure store took it');
      } else {
        assert.equal(item.status, 400, JSON.stringify(item));
        assert.match(item.error!.type, /document_parsing_exception|mapper_parsing_exception/);
        assert.match(JSON.stringify(item.error), /constant_keyword/);
      }
      await client!.indices.refresh({ index: stream });
      assert.equal((await client!.count({ index: stream, query: { ids: { values: ['mapping-error'] } } })).count, 0);
    });

    it('import end to end with the shipper API key: every line once, data_stream.* on every document', async (t) => {
      if (skipWithoutDocker(t)) return;
      assert.equal(await ensureShipperKey(client!, settings!, keyFile(), () => {}), 'created');
      const file = join(dir, 'import.log');
      await writeFile(file, Array.from({ length: 300 }, (_, n) => line(n)).join('\n') + '\n');
      const env = { ELASTICSEARCH_HOSTS: url, ELASTICSEARCH_API_KEY_FILE: keyFile() };
      const args = ['import', file, '--namespace', 'imported', '--year', '2027', '--timezone', 'UTC', '--progress-interval', '0'];
      const first = await runCli([...args, '--state-dir', join(dir, 'import-a')], env);
      assert.equal(first.status, 0, first.stderr);
      const stream = 'logs-dropship.firewall-imported';
      assert.equal(await count(stream), 300);
      const some = await client!.search<{ data_stream?: Record<string, string> }>({ index: stream, size: 300 });
      for (const hit of some.hits.hits) assert.deepEqual(hit._source!.data_stream, { type: 'logs', dataset: 'dropship.firewall', namespace: 'imported' });
      const second = await runCli([...args, '--state-dir', join(dir, 'import-b')], env);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(await count(stream), 300, 'a second import adds nothing');
    });

    it('import after a rollover adds nothing with credentials that may search (presence check); the shipper key warns once', async (t) => {
      if (skipWithoutDocker(t)) return;
      await ensureShipperKey(client!, settings!, keyFile(), () => {});
      const file = join(dir, 'rollover.log');
      await writeFile(file, Array.from({ length: 200 }, (_, n) => line(n)).join('\n') + '\n');
      const args = ['import', file, '--namespace', 'rollover', '--year', '2027', '--timezone', 'UTC', '--progress-interval', '0'];
      const asElastic = { ELASTICSEARCH_HOSTS: url, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: password };
      const stream = 'logs-dropship.firewall-rollover';
      const first = await runCli([...args, '--state-dir', join(dir, 'rollover-a')], asElastic);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(await count(stream), 200);
      assert.equal((await client!.indices.rollover({ alias: stream })).rolled_over, true);
      const again = await runCli([...args, '--state-dir', join(dir, 'rollover-b')], asElastic);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /0 indexed, 200 already present/);
      assert.equal(await count(stream), 200, 'nothing added across the rollover');
      // The shipper key may not search (least privilege): one warning, and the documented duplicates.
      const shipper = await runCli([...args, '--state-dir', join(dir, 'rollover-c')], { ELASTICSEARCH_HOSTS: url, ELASTICSEARCH_API_KEY_FILE: keyFile() });
      assert.equal(shipper.status, 0, shipper.stderr);
      assert.equal(shipper.stderr.split('\n').filter((l) => l.includes('presence check OFF')).length, 1, shipper.stderr);
      assert.equal(await count(stream), 400);
    });

    it('tail end to end with the shipper API key: appended lines arrive, SIGTERM ends it cleanly', async (t) => {
      if (skipWithoutDocker(t)) return;
      const file = join(dir, 'tail.log');
      await writeFile(file, '');
      const stream = 'logs-dropship.firewall-tailed';
      const { child, done } = startCli(['tail', file, '--state-dir', join(dir, 'tail-state'), '--namespace', 'tailed', '--start-at', 'beginning', '--timezone', 'UTC', '--year', '2027'], {
        ELASTICSEARCH_HOSTS: url,
        ELASTICSEARCH_API_KEY_FILE: keyFile(),
      });
      try {
        for (let batch = 0; batch < 5; batch++) {
          await appendFile(file, Array.from({ length: 20 }, (_, n) => line(1000 + batch * 20 + n)).join('\n') + '\n');
          await new Promise((r) => setTimeout(r, 200));
        }
        await waitFor('100 tailed documents', async () => (await client!.indices.exists({ index: stream })) && (await count(stream)) === 100);
      } finally {
        child.kill('SIGTERM');
      }
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
    });

    it('setup after data exists: the write index gets the current pipeline now; a mode change waits for a (lazy) rollover', async (t) => {
      if (skipWithoutDocker(t)) return;
      const stream = 'logs-dropship.firewall-imported';
      const write = () => client!.indices.getDataStream({ name: stream }).then((r) => r.data_streams[0]!);
      // As an older dropship left it: the write index on a previous pipeline version.
      await client!.ingest.putPipeline({ id: 'logs-dropship-v1', processors: [] });
      const before = await write();
      const writeIndex = before.indices.at(-1)!.index_name;
      await client!.indices.putSettings({ index: writeIndex, settings: { index: { default_pipeline: 'logs-dropship-v1' } } });
      // Forcing the other index mode where logsdb applies makes setup roll over.
      const lines: string[] = [];
      await runSetup(client!, { ...options, indexMode: logsdb ? 'standard' : 'auto' }, (l) => lines.push(l));
      const current = await client!.indices.getSettings({ index: writeIndex, flat_settings: true });
      assert.equal((current[writeIndex]!.settings as Record<string, string>)['index.default_pipeline'], PIPELINE_NAME, lines.join('\n'));
      if (logsdb) {
        const lazy = info.major > 8 || info.minor >= 14;
        const after = await write();
        if (lazy) assert.equal(after.rollover_on_write, true, lines.join('\n'));
        else assert.equal(after.indices.length, before.indices.length + 1);
      }
      await runSetup(client!, options);
    });
  });
}
