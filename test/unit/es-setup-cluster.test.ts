/**
 * `dropship setup` against the cluster-state stand-in (test/helpers/es-cluster.ts, MOCKED
 * Elasticsearch) answering as 8.11.0, 8.17.0 and 9.2.0: a fresh cluster, a second run, data that
 * already exists (an upgrade), several namespaces, security with the documented minimal
 * privileges. The stand-in fails where Elasticsearch fails (see its header), so a request that
 * real Elasticsearch would refuse fails here too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, type estypes } from '@elastic/elasticsearch';
import { ILM_POLICY_NAME, PIPELINE_NAME } from '../../src/elasticsearch/assets.js';
import { datasetMappings, parseClusterInfo, planStreamUpgrade, runSetup, templateName, type SetupOptions } from '../../src/elasticsearch/setup.js';
import { DATASETS, dataStreamName } from '../../src/model/data-stream.js';
import { DATASET_AUTH, DATASET_FIREWALL } from '../../src/model/document.js';
import { EsCluster, EsClusterServer, type Json, type RoleDescriptor } from '../helpers/es-cluster.js';

const VERSIONS = ['8.11.0', '8.17.0', '9.2.0'];
const options: SetupOptions = { retentionDays: 180, indexMode: 'auto' };
/** The least a user running setup needs, as docs/elasticsearch.md states it. */
const SETUP_ROLE: RoleDescriptor = {
  cluster: ['monitor', 'manage_ilm', 'manage_pipeline', 'manage_index_templates'],
  indices: [{ names: ['logs-dropship.*-*'], privileges: ['manage'] }],
};

async function withCluster<T>(cluster: EsCluster, auth: { username: string; password: string } | undefined, fn: (client: Client, lines: string[]) => Promise<T>): Promise<T> {
  const server = await EsClusterServer.start(cluster);
  const client = new Client({ node: server.url, ...(auth ? { auth } : {}) });
  const lines: string[] = [];
  try {
    return await fn(client, lines);
  } finally {
    await client.close();
    await server.close();
  }
}

const setup = (cluster: EsCluster, auth?: { username: string; password: string }, opts: SetupOptions = options) =>
  withCluster(cluster, auth, async (client, lines) => {
    await runSetup(client, opts, (l) => lines.push(l));
    return lines;
  });

/** A firewall-ish document for `stream`, carrying its data_stream fields. */
function doc(stream: string, n: number): Json {
  const [, dataset, namespace] = /^logs-(.+)-([^-]+)$/.exec(stream)!;
  return { '@timestamp': `2027-01-01T00:00:${String(n % 60).padStart(2, '0')}Z`, data_stream: { type: 'logs', dataset, namespace }, message: `line ${n}`, source: { port: n } };
}

function mappingRequests(cluster: EsCluster) {
  return cluster.recorded.filter((r) => r.path.endsWith('/_mapping'));
}

function propertyAt(properties: Json, path: string): Json | undefined {
  const parts = path.split('.');
  let level: Json | undefined = properties;
  for (const p of parts.slice(0, -1)) level = (level?.[p] as Json | undefined)?.properties as Json | undefined;
  return level?.[parts.at(-1)!] as Json | undefined;
}

for (const version of VERSIONS) {
  const info = parseClusterInfo({ version: { number: version } });
  const logsdb = info.major > 8 || info.minor >= 17;

  describe(`setup against a stand-in answering as Elasticsearch ${version}`, () => {
    it('a fresh cluster: templates for every dataset, no mapping request at all, and new data streams get what the templates say', async () => {
      const cluster = new EsCluster({ version });
      const lines = await setup(cluster);
      assert.deepEqual(mappingRequests(cluster), [], 'nothing exists, so nothing is resolved to a write index');
      assert.ok(lines.some((l) => /no dropship data streams yet/.test(l)));
      for (const dataset of DATASETS) {
        assert.ok(cluster.indexTemplates.has(templateName(dataset)), dataset);
        const stream = cluster.createDataStream(dataStreamName(dataset, 'default'));
        const write = cluster.writeIndex(stream.name);
        assert.equal(write.settings.get('index.default_pipeline'), PIPELINE_NAME);
        assert.equal(write.settings.get('index.lifecycle.name'), ILM_POLICY_NAME);
        assert.equal(write.settings.get('index.mode'), logsdb ? 'logsdb' : undefined);
        // The template and the documents agree on data_stream.*: constant keywords, filled by the first document.
        for (const field of ['data_stream.type', 'data_stream.dataset', 'data_stream.namespace']) {
          assert.equal(propertyAt(write.properties, field)?.type, 'constant_keyword', `${dataset} ${field}`);
        }
        const created = cluster.create(stream.name, 'a', doc(stream.name, 1));
        assert.equal(created.status, 201, JSON.stringify(created));
        assert.equal(propertyAt(write.properties, 'data_stream.dataset')?.value, dataset);
        // A document claiming another dataset cannot enter this stream.
        const wrong = cluster.create(stream.name, 'b', { ...doc(stream.name, 2), data_stream: { type: 'logs', dataset: 'other', namespace: 'default' } });
        assert.equal(wrong.status, 400);
        assert.match(wrong.error!.reason, /only accepts values that are equal/);
      }
      const firewall = cluster.writeIndex(dataStreamName(DATASET_FIREWALL, 'default'));
      assert.equal(propertyAt(firewall.properties, 'source.port')?.type, 'long');
      if (!DATASETS.every((d) => d === DATASET_FIREWALL || d === DATASET_AUTH)) {
        const other = DATASETS.find((d) => d !== DATASET_FIREWALL && d !== DATASET_AUTH)!;
        const base = cluster.writeIndex(dataStreamName(other, 'default'));
        assert.equal(propertyAt(base.properties, 'event.original')?.type, 'keyword');
        assert.equal(propertyAt(base.properties, 'iptables'), undefined, `${other} gets the base mapping only`);
      }
    });

    it('runs twice with the same requests and changes nothing the second time', async () => {
      const cluster = new EsCluster({ version });
      await setup(cluster);
      cluster.create(dataStreamName(DATASET_FIREWALL, 'default'), 'a', doc('logs-dropship.firewall-default', 1));
      const requests = () => cluster.recorded.map((r) => `${r.method} ${r.path}?${new URLSearchParams(r.query)} ${JSON.stringify(r.body)}`);
      cluster.recorded.length = 0;
      await setup(cluster);
      const second = requests();
      const generation = cluster.dataStreams.get('logs-dropship.firewall-default')!.generation;
      cluster.recorded.length = 0;
      const lines = await setup(cluster);
      assert.equal(cluster.dataStreams.get('logs-dropship.firewall-default')!.generation, generation, 'no rollover');
      assert.ok(!lines.some((l) => /rolls over|rolled over|now uses/.test(l)), lines.join('\n'));
      const third = requests();
      assert.equal(third.length, second.length);
      third.forEach((r, i) => assert.ok(r === second[i], `request ${i} differs: ${r.slice(0, 120)}`));
      for (const r of mappingRequests(cluster)) assert.ok(!r.path.includes('*'), `a mapping request on a wildcard: ${r.path}`);
    });

    it('an upgrade reaches data streams that exist: write index settings now, a mode change by rollover, mappings without touching constant keywords', async () => {
      const cluster = new EsCluster({ version });
      // Before dropship's templates: the built-in logs template made these (two namespaces).
      const streams = ['logs-dropship.firewall-default', 'logs-dropship.firewall-office', 'logs-dropship.auth-default'];
      for (const name of streams) for (let n = 0; n < 3; n++) assert.equal(cluster.create(name, `${name}-${n}`, doc(name, n)).status, 201);
      const oldWrite = cluster.writeIndex('logs-dropship.firewall-default').name;
      assert.notEqual(cluster.writeIndex('logs-dropship.firewall-default').settings.get('index.default_pipeline'), PIPELINE_NAME);

      const lines = await setup(cluster);
      for (const r of mappingRequests(cluster)) {
        assert.ok(!r.path.includes('*') && !r.path.includes(','), `one data stream per mapping request: ${r.path}`);
        assert.equal(r.query.write_index_only, 'true');
      }
      assert.deepEqual(mappingRequests(cluster).map((r) => r.path.split('/')[1]).sort(), [...streams].sort());
      for (const name of streams) {
        const stream = cluster.dataStreams.get(name)!;
        const write = cluster.indices.get(stream.indices.at(-1)!)!;
        assert.equal(write.settings.get('index.default_pipeline'), PIPELINE_NAME, name);
        assert.equal(write.settings.get('index.lifecycle.name'), ILM_POLICY_NAME, name);
        assert.equal(propertyAt(write.properties, 'data_stream.dataset')?.value, name.split('-')[1], 'the value the first document set is kept');
        assert.ok(propertyAt(cluster.indices.get(stream.indices[0]!)!.properties, 'source.geo.location'), 'new fields are mapped on the write index right away');
      }
      const firewall = cluster.dataStreams.get('logs-dropship.firewall-default')!;
      if (info.major >= 9) {
        // logs-*-* data streams are logsdb already: nothing to roll over.
        assert.equal(firewall.indices.length, 1);
        assert.ok(!lines.some((l) => /roll/.test(l)));
      } else if (logsdb) {
        // 8.17: standard → logsdb needs a new index; lazily, on the next write.
        assert.equal(firewall.rolloverOnWrite, true);
        assert.ok(lines.some((l) => /logs-dropship.firewall-default: rolls over at its next write \(index mode standard → logsdb\)/.test(l)), lines.join('\n'));
        assert.equal(cluster.create(firewall.name, 'next', doc(firewall.name, 9)).status, 201);
        assert.equal(firewall.indices.length, 2);
        assert.equal(cluster.writeIndex(firewall.name).settings.get('index.mode'), 'logsdb');
      } else {
        assert.equal(firewall.indices.length, 1, 'nothing needs a new index on 8.11');
      }
      assert.ok(cluster.indices.get(oldWrite)!.docs.size === 3);
      // And a second run has nothing left to do.
      const again = await setup(cluster);
      assert.ok(!again.some((l) => /roll|now uses/.test(l)), again.join('\n'));
    });

    it('a mapping that cannot change in place is left to a rollover instead of failing setup', async () => {
      const cluster = new EsCluster({ version });
      await setup(cluster);
      const name = 'logs-dropship.firewall-default';
      cluster.create(name, 'a', doc(name, 1));
      // As if an older dropship had mapped source.port as a keyword.
      ((cluster.writeIndex(name).properties.source as Json).properties as Json).port = { type: 'keyword' };
      const lines = await setup(cluster);
      const stream = cluster.dataStreams.get(name)!;
      if (info.major > 8 || info.minor >= 14) {
        assert.equal(stream.rolloverOnWrite, true);
        assert.ok(lines.some((l) => /rolls over at its next write \(mapping conflict/.test(l)), lines.join('\n'));
      } else {
        assert.equal(stream.indices.length, 2);
        assert.ok(lines.some((l) => /rolled over to \.ds-logs-dropship\.firewall-default-.*-000002 \(mapping conflict/.test(l)), lines.join('\n'));
      }
      assert.equal(propertyAt(cluster.writeIndex(name).properties, 'source.port')?.type, info.major > 8 || info.minor >= 14 ? 'keyword' : 'long');
    });

    it('security on: setup works as a user holding only the documented privileges, and names the missing one otherwise', async () => {
      const cluster = new EsCluster({ version, security: true, users: { elastic: { password: 'elastic-pw', roles: 'superuser' } } });
      cluster.addUser('dropship_setup', 'setup-pw', [SETUP_ROLE]);
      cluster.addUser('no_monitor', 'x-pw', [{ ...SETUP_ROLE, cluster: SETUP_ROLE.cluster!.filter((p) => p !== 'monitor') }]);
      cluster.addUser('no_manage', 'y-pw', [{ ...SETUP_ROLE, indices: [{ names: ['logs-dropship.*-*'], privileges: ['view_index_metadata'] }] }]);
      // Data from before: the upgrade path needs the index privileges too.
      await setup(cluster, { username: 'elastic', password: 'elastic-pw' });
      cluster.create('logs-dropship.firewall-default', 'a', doc('logs-dropship.firewall-default', 1));
      await setup(cluster, { username: 'dropship_setup', password: 'setup-pw' });
      await assert.rejects(setup(cluster, { username: 'no_monitor', password: 'x-pw' }), /HTTP 403.*cluster:monitor\/main/);
      await assert.rejects(setup(cluster, { username: 'no_manage', password: 'y-pw' }), /upgrading data stream logs-dropship\.firewall-default: .*indices:admin\/(index_template|mapping\/put)/);
    });
  });
}

describe('what the stand-in refuses, as Elasticsearch does', () => {
  it('the write_index_only mapping request setup used to send fails on a fresh cluster, and on two namespaces', async () => {
    for (const version of VERSIONS) {
      const old = (cluster: EsCluster) =>
        withCluster(cluster, cluster.options.security ? { username: 'elastic', password: 'pw-elastic' } : undefined, (client) =>
          client.indices.putMapping({ index: ['logs-dropship.firewall-*', 'logs-dropship.auth-*'], write_index_only: true, allow_no_indices: true, ignore_unavailable: true, properties: {} }),
        );
      const fresh = new EsCluster({ version });
      await setup(fresh);
      await assert.rejects(old(fresh), (err: { statusCode?: number; body?: { error?: { type?: string } } }) => err.statusCode === 500 && err.body?.error?.type === 'null_pointer_exception');
      const secured = new EsCluster({ version, security: true, users: { elastic: { password: 'pw-elastic', roles: 'superuser' } } });
      await assert.rejects(old(secured), /did not point to a single write-index/);
      const two = new EsCluster({ version });
      await setup(two);
      for (const name of ['logs-dropship.firewall-a', 'logs-dropship.firewall-b', 'logs-dropship.auth-a']) two.create(name, '1', doc(name, 1));
      await assert.rejects(old(two), /\[logs-dropship\.firewall-\*\] and options provided did not point to a single write-index/);
    }
  });

  it('lazy rollover is unknown before 8.14; _id is unique per backing index only', async () => {
    const old = new EsCluster({ version: '8.11.0' });
    await setup(old);
    old.create('logs-dropship.firewall-default', '1', doc('logs-dropship.firewall-default', 1));
    await withCluster(old, undefined, async (client) => {
      await assert.rejects(client.indices.rollover({ alias: 'logs-dropship.firewall-default', lazy: true }), /unrecognized parameter: \[lazy\]/);
    });
    const name = 'logs-dropship.firewall-default';
    assert.equal(old.create(name, 'same-id', doc(name, 1)).status, 201);
    assert.equal(old.create(name, 'same-id', doc(name, 1)).status, 409);
    old.rollover(name);
    assert.equal(old.create(name, 'same-id', doc(name, 1)).status, 201, 'a rollover starts a new id space: the same id is created again');
    assert.equal(old.documents(name).filter((d) => d.id === 'same-id').length, 2);
  });
});

describe('a build that does not know lazy rollover after all', () => {
  it('gets an immediate rollover instead of a failed setup', async () => {
    const cluster = new EsCluster({ version: '8.17.0', lazyRollover: false });
    const name = 'logs-dropship.firewall-default';
    cluster.create(name, 'a', doc(name, 1)); // standard mode, from the built-in template
    const lines = await setup(cluster);
    assert.equal(cluster.dataStreams.get(name)!.indices.length, 2, lines.join('\n'));
    assert.ok(lines.some((l) => /rolled over to .*000002 \(index mode standard → logsdb\)/.test(l)), lines.join('\n'));
  });
});

describe('upgrade plan (pure)', () => {
  const stream = { name: 'logs-dropship.firewall-default', dataset: DATASET_FIREWALL, writeIndex: '.ds-x-000001', rolloverPending: false } as const;
  const properties = datasetMappings(DATASET_FIREWALL).properties!;
  const current = { defaultPipeline: 'logs-dropship-v1', lifecycle: ILM_POLICY_NAME, mode: 'standard' };
  const desired = { defaultPipeline: PIPELINE_NAME, lifecycle: ILM_POLICY_NAME, mode: 'logsdb' };

  it('serverless: no index settings, a lazy rollover carries the new pipeline, a new retention goes to the data stream lifecycle', () => {
    const serverless = parseClusterInfo({ version: { number: '8.11.0', build_flavor: 'serverless' } });
    const actions = planStreamUpgrade(serverless, { ...stream, retention: '180d' }, { defaultPipeline: PIPELINE_NAME, mode: 'standard', retention: '30d' }, { defaultPipeline: 'logs-dropship-v1', mode: 'standard' }, properties);
    assert.deepEqual(actions.map((a) => a.kind), ['mapping', 'lifecycle', 'rollover']);
    assert.deepEqual(actions[1], { kind: 'lifecycle', dataStream: stream.name, retention: '30d' });
    assert.deepEqual(actions[2], { kind: 'rollover', dataStream: stream.name, lazy: true, why: `pipeline logs-dropship-v1 → ${PIPELINE_NAME}` });
  });

  it('a pending lazy rollover is not asked for again; constant keywords are never sent to an existing index', () => {
    const actions = planStreamUpgrade(parseClusterInfo({ version: { number: '8.17.0' } }), { ...stream, rolloverPending: true }, desired, current, properties);
    assert.deepEqual(actions.map((a) => a.kind), ['mapping', 'settings']);
    const sent = JSON.stringify((actions[0] as { properties: Record<string, estypes.MappingProperty> }).properties);
    assert.ok(!sent.includes('constant_keyword'), sent.slice(0, 200));
  });
});
