/**
 * `dropship setup` end to end as a user runs it, against MOCKED servers: the cluster-state
 * stand-in of test/helpers/es-cluster.ts and the loopback Kibana of test/helpers/kibana-mock.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
      assert.match(r.stdout, new RegExp(`Kibana: ${objects} saved objects in place — ${run === 0 ? objects : 0} created`));
      assert.ok(!(r.stdout + r.stderr).includes('pw-not-in-output-42'));
    }
    // The second run finds everything in place and writes nothing (test/unit/kibana-import-mocked.test.ts).
    const imports = kibana.seen.filter((s) => s.url.startsWith('/api/saved_objects/_import'));
    assert.equal(imports.length, 2);
    assert.ok(imports.every((s) => s.url.includes('overwrite=false') && s.headers['kbn-xsrf'] !== undefined));
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

test('setup --shipper-api-key-file writes a key tail can use, prints neither it nor the password, and keeps it on the next run', async () => {
  const es = await EsClusterServer.start({ version: '8.17.0', security: true, users: { elastic: { password: 'pw-not-in-output-43', roles: 'superuser' } } });
  const dir = mkdtempSync(join(tmpdir(), 'dropship-setup-key-'));
  const keyFile = join(dir, 'shipper.key');
  try {
    const env = { ELASTICSEARCH_HOSTS: es.url, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: 'pw-not-in-output-43' };
    const first = await setup(env, ['--no-kibana', '--shipper-api-key-file', keyFile]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /created API key dropship-shipper .* and wrote it to /);
    const key = readFileSync(keyFile, 'utf8').trim();
    const [id, secret] = Buffer.from(key, 'base64').toString().split(':');
    for (const text of [first.stdout + first.stderr]) {
      for (const s of [key, secret!, 'pw-not-in-output-43']) assert.ok(!text.includes(s), 'a secret was printed');
    }
    assert.ok(es.cluster.apiKeys.has(id!));
    const second = await setup(env, ['--no-kibana', '--shipper-api-key-file', keyFile]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /is valid: kept/);
    assert.equal(readFileSync(keyFile, 'utf8').trim(), key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await es.close();
  }
});
