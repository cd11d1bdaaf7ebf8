/**
 * `dropship setup` end to end as a user runs it, against MOCKED servers: the cluster-state
 * stand-in of test/helpers/es-cluster.ts and the loopback Kibana of test/helpers/kibana-mock.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_NDJSON_PATH } from '../../src/kibana/saved-objects.js';
import { EsClusterServer } from '../helpers/es-cluster.js';
import { mockKibana } from '../helpers/kibana-mock.js';

const CLI = join(import.meta.dirname, '../..', 'src', 'cli', 'main.ts');

function setup(env: Record<string, string>, args: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'setup', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('setup installs the Elasticsearch assets and imports the dashboards, twice with the same result', async () => {
  const es = await EsClusterServer.start({ version: '8.17.0' });
  const kibana = await mockKibana({ notReadyFor: 1 });
  const objects = readFileSync(DEFAULT_NDJSON_PATH, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  try {
    const env = { ELASTICSEARCH_HOSTS: es.url, KIBANA_HOST: kibana.url, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: 'pw-not-in-output-42' };
    for (let run = 0; run < 2; run++) {
      const r = await setup(env);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /is set up for dropship/);
      assert.match(r.stdout, new RegExp(`Kibana: imported ${objects} saved objects`));
      assert.ok(!(r.stdout + r.stderr).includes('pw-not-in-output-42'));
    }
    const imports = kibana.seen.filter((s) => s.url.startsWith('/api/saved_objects/_import'));
    assert.equal(imports.length, 2);
    assert.ok(imports.every((s) => s.url.includes('overwrite=true') && s.headers['kbn-xsrf'] !== undefined));
    assert.equal(kibana.store.size, objects);
  } finally {
    await es.close();
  }
});

test('without KIBANA_HOST the dashboards are skipped with a note; --no-kibana skips silently', async () => {
  const es = await EsClusterServer.start({ version: '9.1.2' });
  try {
    const a = await setup({ ELASTICSEARCH_HOSTS: es.url });
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, /KIBANA_HOST not set: dashboards not imported/);
    const b = await setup({ ELASTICSEARCH_HOSTS: es.url, KIBANA_HOST: 'http://127.0.0.1:9' }, ['--no-kibana']);
    assert.equal(b.status, 0, b.stderr);
    assert.ok(!b.stdout.includes('Kibana'));
  } finally {
    await es.close();
  }
});
