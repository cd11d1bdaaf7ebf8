/**
 * The shipper's API key, against the cluster-state stand-in with security on (MOCKED
 * Elasticsearch, test/helpers/es-cluster.ts, whose privilege checks follow IndexPrivilege /
 * ClusterPrivilegeResolver): it can create documents in dropship's data streams and nothing else.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { ensureShipperKey, SHIPPER_KEY_NAME } from '../../src/elasticsearch/api-key.js';
import { resolveConnection } from '../../src/elasticsearch/connection.js';
import { runSetup } from '../../src/elasticsearch/setup.js';
import { EsCluster, EsClusterServer } from '../helpers/es-cluster.js';

describe('the shipper API key setup creates', () => {
  let dir = '';
  let server: EsClusterServer;
  let admin: Client;
  const file = () => join(dir, 'shipper.key');
  const settings = () => resolveConnection({ esHosts: server.url }, { ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: 'elastic-pw' });
  const ensure = async () => {
    const lines: string[] = [];
    const status = await ensureShipperKey(admin, settings(), file(), (l) => lines.push(l));
    return { status, lines };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dropship-key-'));
    server = await EsClusterServer.start(new EsCluster({ version: '9.2.0', security: true, users: { elastic: { password: 'elastic-pw', roles: 'superuser' } } }));
    admin = new Client({ node: server.url, auth: { username: 'elastic', password: 'elastic-pw' } });
    await runSetup(admin, { retentionDays: 30, indexMode: 'auto' });
  });
  after(async () => {
    await admin.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is created with create_doc and auto_configure on logs-dropship.*-* only, written 0600, never printed', async () => {
    const { status, lines } = await ensure();
    assert.equal(status, 'created');
    const key = (await readFile(file(), 'utf8')).trim();
    assert.equal((await stat(file())).mode & 0o777, 0o600);
    const stored = [...server.cluster.apiKeys.values()];
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.name, SHIPPER_KEY_NAME);
    assert.deepEqual(stored[0]!.roles, [{ cluster: [], indices: [{ names: ['logs-dropship.*-*'], privileges: ['create_doc', 'auto_configure'] }] }]);
    for (const line of lines) {
      assert.ok(!line.includes(key) && !line.includes(stored[0]!.key), line);
    }

    const shipper = new Client({ node: server.url, auth: { apiKey: key } });
    try {
      const ok = await shipper.bulk({ operations: [{ create: { _index: 'logs-dropship.firewall-default', _id: 'a' } }, { '@timestamp': '2027-01-01T00:00:00Z' }] });
      assert.equal(ok.errors, false, JSON.stringify(ok.items));
      const elsewhere = await shipper.bulk({ operations: [{ create: { _index: 'logs-other-default', _id: 'a' } }, { '@timestamp': '2027-01-01T00:00:00Z' }] });
      assert.equal(elsewhere.items[0]!.create!.status, 403);
      await assert.rejects(shipper.indices.putIndexTemplate({ name: 'x', index_patterns: ['x-*'] }), /security_exception/);
      await assert.rejects(shipper.info(), /cluster:monitor\/main/);
    } finally {
      await shipper.close();
    }
  });

  it('is kept while Elasticsearch accepts it, and replaced when it does not', async () => {
    const key = await readFile(file(), 'utf8');
    assert.equal((await ensure()).status, 'kept');
    assert.equal(await readFile(file(), 'utf8'), key);
    for (const k of server.cluster.apiKeys.values()) k.invalidated = true;
    const again = await ensure();
    assert.equal(again.status, 'created');
    assert.ok(again.lines.some((l) => /no longer accepted/.test(l)));
    assert.notEqual(await readFile(file(), 'utf8'), key);
    await writeFile(file(), '\n');
    assert.equal((await ensure()).status, 'created', 'an empty file is no key');
  });
});
