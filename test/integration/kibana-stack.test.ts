import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import type { Browser } from 'playwright-core';
import { dockerGate } from '../helpers/docker.js';
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js';
import { checkDashboard, problems } from '../helpers/kibana-browser.js';
import { fieldsUsedByPanels } from '../../kibana/src/fields-used.js';
import { RUNTIME_FIELDS } from '../../kibana/src/runtime-fields.js';
import { DEFAULT_NDJSON_PATH } from '../../src/kibana/saved-objects.js';
import { parseNdjson } from '../../src/kibana/api.js';
import { DEMO_DAYS, DEMO_DIR, DEMO_START } from '../../scripts/make-demo-log.js';

/**
 * Real Elasticsearch + Kibana in Docker, for the oldest supported Kibana and the newest 9.x:
 * `dropship setup` installs the assets and the dashboards (twice, the second run writing nothing),
 * the bundled demo logs are imported, every field the panels use is in the data view and
 * aggregatable (public Data Views API), the hour runtime field gives 00 … 23 in Elasticsearch, and
 * every dashboard opens in headless Chromium with every panel drawn and none showing an error.
 * Skips (with the reason printed) when no Docker engine is reachable, the browser part when
 * Chromium is missing.
 * Versions: DROPSHIP_KIBANA_VERSIONS (comma-separated; default 8.11.4 and 9.4.10).
 */
const VERSIONS = (process.env.DROPSHIP_KIBANA_VERSIONS ?? '8.11.4,9.4.10').split(',').map((v) => v.trim()).filter(Boolean);
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const run = promisify(execFile);

const docker = dockerGate();
const skipWithoutDocker = docker.skipWithoutDocker;
const bundle = parseNdjson(await readFile(DEFAULT_NDJSON_PATH, 'utf8'));
const dashboards = bundle.filter((o) => o.type === 'dashboard');

/** The demo period, in the URL form Kibana's global state takes. */
const demoFrom = new Date(`${DEMO_START}T00:00:00+09:00`).toISOString();
const demoTo = new Date(Date.parse(demoFrom) + DEMO_DAYS * 86_400_000).toISOString();

async function kibanaGet(base: string, path: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { headers: { 'kbn-xsrf': 'dropship-test' } });
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status} ${await res.clone().text()}`);
  return res.json();
}

for (const version of VERSIONS) {
  describe(`Kibana and Elasticsearch ${version}`, () => {
    let network: StartedNetwork | undefined;
    let es: StartedTestContainer | undefined;
    let kibana: StartedTestContainer | undefined;
    let browser: Browser | undefined;
    let esUrl = '';
    let kibanaUrl = '';

    before(async () => {
      if (docker.problem()) return;
      network = await new Network().start();
      es = await new GenericContainer(`docker.elastic.co/elasticsearch/elasticsearch:${version}`)
        .withNetwork(network)
        .withNetworkAliases('elasticsearch')
        .withEnvironment({ 'discovery.type': 'single-node', 'xpack.security.enabled': 'false', ES_JAVA_OPTS: '-Xms512m -Xmx512m' })
        .withExposedPorts(9200)
        .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=60s', 9200).forStatusCode(200))
        .withStartupTimeout(240_000)
        .start();
      kibana = await new GenericContainer(`docker.elastic.co/kibana/kibana:${version}`)
        .withNetwork(network)
        .withEnvironment({ ELASTICSEARCH_HOSTS: 'http://elasticsearch:9200' })
        .withExposedPorts(5601)
        // HTTP 200 from /api/status: core services up (available or degraded); setup waits the same way.
        .withWaitStrategy(Wait.forHttp('/api/status', 5601).forStatusCode(200))
        .withStartupTimeout(300_000)
        .start();
      esUrl = `http://${es.getHost()}:${es.getMappedPort(9200)}`;
      kibanaUrl = `http://${kibana.getHost()}:${kibana.getMappedPort(5601)}`;
    });

    after(async () => {
      await browser?.close();
      await kibana?.stop();
      await es?.stop();
      await network?.stop();
    });

    it('setup installs the dashboards, a second run writes nothing; the demo logs are imported', async (t) => {
      if (skipWithoutDocker(t)) return;
      const env = { ...process.env, ELASTICSEARCH_HOSTS: esUrl, KIBANA_HOST: kibanaUrl };
      const first = await run(process.execPath, ['--import', 'tsx', CLI, 'setup', '--timezone', 'Asia/Tokyo'], { env });
      assert.match(first.stdout, new RegExp(`Kibana: ${bundle.length} saved objects in place — ${bundle.length} created`));
      const second = await run(process.execPath, ['--import', 'tsx', CLI, 'setup', '--timezone', 'Asia/Tokyo'], { env });
      assert.match(second.stdout, new RegExp(`Kibana: ${bundle.length} saved objects in place — 0 created, 0 updated, ${bundle.length} left as they were`));

      const state = await mkdtemp(join(tmpdir(), 'dropship-it-state-'));
      await run(process.execPath, ['--import', 'tsx', CLI, 'import', `${DEMO_DIR}router.log`, `${DEMO_DIR}auth.log`,
        '--timezone', 'Asia/Tokyo', '--state-dir', state, '--progress-interval', '0'], { env }).finally(() => rm(state, { recursive: true, force: true }));
      await fetch(`${esUrl}/logs-dropship.*-*/_refresh`, { method: 'POST' });
      const res = await fetch(`${esUrl}/logs-dropship.firewall-*/_count`);
      const { count } = (await res.json()) as { count: number };
      assert.ok(count >= 1000, `only ${count} demo firewall documents indexed`);
    });

    it('every field a panel uses is in the data view and aggregatable (public Data Views API)', async (t) => {
      if (skipWithoutDocker(t)) return;
      const { data_view: view } = (await kibanaGet(kibanaUrl, '/api/data_views/data_view/dropship-logs')) as {
        data_view: { title: string; fields: Record<string, { name: string; aggregatable?: boolean; type: string }> };
      };
      assert.equal(view.title, 'logs-dropship.*-*');
      for (const use of fieldsUsedByPanels()) {
        const f = view.fields[use.field];
        assert.ok(f !== undefined, `${use.field} is not in the data view`);
        if (use.needs === 'aggregatable') assert.ok(f.aggregatable, `${use.field} is not aggregatable`);
      }
      for (const name of Object.keys(RUNTIME_FIELDS)) assert.ok(view.fields[name]?.aggregatable, `runtime field ${name}`);
    });

    it("the hour runtime field's script runs in Elasticsearch and gives 00 … 23", async (t) => {
      if (skipWithoutDocker(t)) return;
      const runtime_mappings = Object.fromEntries(Object.entries(RUNTIME_FIELDS).map(([name, f]) => [name, { type: f.type, script: { source: f.script } }]));
      const res = await fetch(`${esUrl}/logs-dropship.*-*/_search`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 0, runtime_mappings, aggs: { h: { terms: { field: 'dropship.local.hour_label', size: 30, order: { _key: 'asc' } } } } }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const keys = ((await res.json()) as { aggregations: { h: { buckets: { key: string }[] } } }).aggregations.h.buckets.map((b) => b.key);
      assert.deepEqual(keys, Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')));
    });

    for (const d of dashboards) {
      it(`"${String(d.attributes.title)}" opens in Chromium with every panel drawn and no panel error`, async (t) => {
        if (skipWithoutDocker(t)) return;
        if (skipWithoutChromium(t)) return;
        browser ??= await launchChromium();
        const url = `${kibanaUrl}/app/dashboards#/view/${d.id}?_g=(time:(from:'${demoFrom}',to:'${demoTo}'))`;
        const report = await checkDashboard(browser, url, { timeoutMs: 180_000, settleMs: 3000 });
        const panels = (JSON.parse(String(d.attributes.panelsJSON)) as unknown[]).length;
        assert.equal(report.expectedPanels, panels, `${url}: ${JSON.stringify(report)}`);
        assert.deepEqual(problems(report), [], url);
      });
    }
  });
}
