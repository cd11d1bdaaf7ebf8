import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { dockerGate } from '../helpers/docker.js';
import { fieldsUsedByPanels } from '../../kibana/src/fields-used.js';

/**
 * Real Elasticsearch + Kibana in Docker: `dropship setup` installs the assets and imports the
 * dashboards with zero errors, the bundled demo logs are shipped, and every dashboard resolves
 * through Kibana's API with each field its panels use present and aggregatable in the data view.
 * Skips (with the reason printed) when no Docker engine is reachable.
 * Version: DROPSHIP_STACK_VERSION (default 9.1.0; 8.x works the same way).
 */
const VERSION = process.env.DROPSHIP_STACK_VERSION ?? '9.1.0';
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const run = promisify(execFile);

const docker = dockerGate();
const skipWithoutDocker = docker.skipWithoutDocker;

async function kibanaGet(base: string, path: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { headers: { 'kbn-xsrf': 'dropship-test' } });
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status} ${await res.clone().text()}`);
  return res.json();
}

describe(`Kibana and Elasticsearch ${VERSION}`, () => {
  let network: StartedNetwork | undefined;
  let es: StartedTestContainer | undefined;
  let kibana: StartedTestContainer | undefined;
  let esUrl = '';
  let kibanaUrl = '';

  before(async () => {
    if (docker.problem()) return;
    network = await new Network().start();
    es = await new GenericContainer(`docker.elastic.co/elasticsearch/elasticsearch:${VERSION}`)
      .withNetwork(network)
      .withNetworkAliases('elasticsearch')
      .withEnvironment({ 'discovery.type': 'single-node', 'xpack.security.enabled': 'false', ES_JAVA_OPTS: '-Xms512m -Xmx512m' })
      .withExposedPorts(9200)
      .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=60s', 9200).forStatusCode(200))
      .withStartupTimeout(240_000)
      .start();
    kibana = await new GenericContainer(`docker.elastic.co/kibana/kibana:${VERSION}`)
      .withNetwork(network)
      .withEnvironment({ ELASTICSEARCH_HOSTS: 'http://elasticsearch:9200' })
      .withExposedPorts(5601)
      .withWaitStrategy(Wait.forHttp('/api/status', 5601).forStatusCode(200))
      .withStartupTimeout(300_000)
      .start();
    esUrl = `http://${es.getHost()}:${es.getMappedPort(9200)}`;
    kibanaUrl = `http://${kibana.getHost()}:${kibana.getMappedPort(5601)}`;
  });

  after(async () => {
    await kibana?.stop();
    await es?.stop();
    await network?.stop();
  });

  it('setup imports the dashboards with zero errors; the demo logs fill every panel field', async (t) => {
    if (skipWithoutDocker(t)) return;
    const env = { ...process.env, ELASTICSEARCH_HOSTS: esUrl, KIBANA_HOST: kibanaUrl };
    for (let runNo = 0; runNo < 2; runNo++) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'setup'], { env });
      assert.match(stdout, /Kibana: imported \d+ saved objects/); // setup exits non-zero on any import error
    }

    // Ship the bundled demo logs, then stop the shipper once they are all in.
    const state = await mkdtemp(join(tmpdir(), 'dropship-it-state-'));
    const demo = join(import.meta.dirname, '..', '..', 'samples', 'demo', 'router.log');
    const shipper = execFile(process.execPath, ['--import', 'tsx', CLI, 'tail', demo, '--state-dir', state, '--timezone', 'Asia/Tokyo', '--summary-interval', '0'], { env });
    let count = 0;
    for (let i = 0; i < 120 && count < 1000; i++) {
      await delay(1000);
      const res = await fetch(`${esUrl}/logs-dropship.firewall-default/_count`).catch(() => undefined);
      if (res?.ok) count = ((await res.json()) as { count: number }).count;
    }
    shipper.kill('SIGTERM');
    assert.ok(count >= 1000, `only ${count} demo documents indexed`);
    await fetch(`${esUrl}/logs-dropship.*/_refresh`, { method: 'POST' });

    // Every dashboard resolves, and every field its panels use is aggregatable in the data view.
    const found = (await kibanaGet(kibanaUrl, '/api/saved_objects/_find?type=dashboard&search=dropship*&search_fields=title')) as {
      saved_objects: { id: string; attributes: { title: string; panelsJSON: string } }[];
    };
    assert.ok(found.saved_objects.length >= 2);
    for (const d of found.saved_objects) {
      const resolved = (await kibanaGet(kibanaUrl, `/api/saved_objects/resolve/dashboard/${d.id}`)) as { outcome: string; saved_object: { error?: unknown } };
      assert.equal(resolved.outcome, 'exactMatch');
      assert.equal(resolved.saved_object.error, undefined);
      assert.ok((JSON.parse(d.attributes.panelsJSON) as unknown[]).length > 0, `${d.attributes.title} has panels`);
    }
    const fields = (await kibanaGet(kibanaUrl, '/api/index_patterns/_fields_for_wildcard?pattern=logs-dropship.*')) as {
      fields: { name: string; aggregatable: boolean; type: string }[];
    };
    const byName = new Map(fields.fields.map((f) => [f.name, f]));
    for (const use of fieldsUsedByPanels()) {
      const f = byName.get(use.field);
      assert.ok(f !== undefined, `${use.field} is not in the data view`);
      if (use.needs === 'aggregatable') assert.ok(f.aggregatable, `${use.field} is not aggregatable`);
    }
  });
});
