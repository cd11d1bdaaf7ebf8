/**
 * `dropship setup`'s Kibana step as a user runs it, against MOCKED servers (the loopback
 * Elasticsearch of test/helpers/es-cluster.ts, the loopback Kibana of test/helpers/kibana-mock.ts):
 * the printed dashboard links open the dashboard in the space it went to, under the id Kibana gave
 * it there, and the dashboards name the router's zone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
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

test('setup into a second space prints links with the ids Kibana gave the copies there, and the zone', async () => {
  const es = await EsClusterServer.start({ version: '8.17.0' });
  const kibana = await mockKibana();
  try {
    const env = { ELASTICSEARCH_HOSTS: es.url, KIBANA_HOST: kibana.url, TZ: 'Asia/Tokyo' };
    const first = await setup(env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Kibana: dashboards show hours and weekdays in Asia\/Tokyo/);
    assert.match(first.stdout, new RegExp(`dropship — Firewall overview: ${kibana.url}/app/dashboards#/view/dropship-firewall-overview\\n`));

    const ops = await setup({ ...env, KIBANA_PUBLIC_URL: 'https://kibana.example' }, ['--kibana-space', 'ops', '--timezone', 'Europe/Berlin']);
    assert.equal(ops.status, 0, ops.stderr);
    assert.match(ops.stdout, /Kibana \(space ops\): \d+ saved objects in place — \d+ created/);
    const copy = [...kibana.model.space('ops').values()].find((o) => o.type === 'dashboard' && o.originId === 'dropship-firewall-overview');
    assert.ok(copy && copy.id !== 'dropship-firewall-overview', 'Kibana gave the copy its own id');
    assert.ok(ops.stdout.includes(`dropship — Firewall overview: https://kibana.example/s/ops/app/dashboards#/view/${copy.id}\n`), ops.stdout);
    assert.match(ops.stdout, /hours and weekdays in Europe\/Berlin/);
    assert.ok(JSON.stringify(copy.attributes).includes('(Europe/Berlin)'));
  } finally {
    await es.close();
  }
});

test('setup refuses an unknown --timezone before touching anything (exit 2)', async () => {
  const r = await setup({ ELASTICSEARCH_HOSTS: 'http://127.0.0.1:9', KIBANA_HOST: 'http://127.0.0.1:9' }, ['--timezone', 'Mars/Olympus']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown time zone "Mars\/Olympus"/);
});
