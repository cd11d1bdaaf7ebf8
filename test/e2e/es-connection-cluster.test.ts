/**
 * `dropship setup` then `dropship import` as processes, against the cluster-state stand-in
 * (MOCKED Elasticsearch, test/helpers/es-cluster.ts) with security on: the import authenticates
 * with the API key setup created, every document lands in the data stream its data_stream.*
 * fields name, and the limit of deduplication across a rollover is what docs/elasticsearch.md says.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EsCluster, EsClusterServer, type Json } from '../helpers/es-cluster.js';
import { runCli } from '../helpers/import-cli.js';

const LINES = 40;
const PASSWORD = 'elastic-pw-e2e-77';

function line(n: number): string {
  return `<4>Jan  1 00:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} router kernel: DROP IN=ppp0 OUT= SRC=198.51.100.${1 + (n % 200)} DST=203.0.113.1 LEN=40 TTL=50 ID=${n} PROTO=TCP SPT=${2000 + n} DPT=23 WINDOW=1024 SYN URGP=0`;
}

describe('setup, then import with the shipper key, against a stand-in with security on', () => {
  let dir = '';
  let server: EsClusterServer;
  const keyFile = () => join(dir, 'shipper.key');
  const logFile = () => join(dir, 'router.log');
  const importOnce = (stateDir: string) =>
    runCli(['import', logFile(), '--state-dir', join(dir, stateDir), '--namespace', 'home', '--year', '2027', '--timezone', 'UTC', '--workers', '0', '--progress-interval', '0', '--no-geoip'], {
      ELASTICSEARCH_HOSTS: server.url,
      ELASTICSEARCH_API_KEY_FILE: keyFile(),
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dropship-e2e-cluster-'));
    server = await EsClusterServer.start(new EsCluster({ version: '8.17.0', security: true, users: { elastic: { password: PASSWORD, roles: 'superuser' } } }));
    writeFileSync(logFile(), Array.from({ length: LINES }, (_, n) => line(n)).join('\n') + '\n');
    const setup = await runCli(['setup', '--no-kibana', '--shipper-api-key-file', keyFile()], { ELASTICSEARCH_HOSTS: server.url, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: PASSWORD });
    assert.equal(setup.status, 0, setup.stderr);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports every line with the API key, and never as elastic', async () => {
    const r = await importOnce('state-a');
    assert.equal(r.status, 0, r.stderr);
    const docs = server.cluster.documents('logs-dropship.*-*');
    assert.equal(docs.length, LINES, r.stderr);
    const rootCallers = new Set(server.cluster.recorded.filter((q) => q.path === '/').map((q) => q.principal));
    assert.ok(!rootCallers.has('api_key:dropship-shipper'), 'the shipper needs no GET / (cluster monitor)');
  });

  it('every document carries data_stream.type, .dataset and .namespace of the stream it is in', () => {
    for (const { index, source } of server.cluster.documents('logs-dropship.*-*')) {
      const stream = server.cluster.indices.get(index)!.dataStream;
      const ds = source.data_stream as Json | undefined;
      assert.deepEqual(ds, { type: 'logs', dataset: stream.split('-')[1], namespace: 'home' }, `${stream}: ${JSON.stringify(ds)}`);
    }
  });

  it('a second import adds nothing; after a rollover, a re-import with the shipper key (no read: no presence check) adds every line again (the documented limit)', async () => {
    const again = await importOnce('state-b');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(server.cluster.documents('logs-dropship.*-*').length, LINES, 'ids already in the write index are refused (409)');
    server.cluster.rollover('logs-dropship.firewall-home');
    const afterRollover = await importOnce('state-c');
    assert.equal(afterRollover.status, 0, afterRollover.stderr);
    // _id is unique per backing index only (elastic/elasticsearch#44794): the new write index takes them all.
    // (With read, import asks first and adds nothing: test/e2e/import-rollover.test.ts.)
    assert.equal(afterRollover.stderr.split('\n').filter((l) => l.includes('presence check OFF')).length, 1, afterRollover.stderr);
    assert.equal(server.cluster.documents('logs-dropship.*-*').length, 2 * LINES);
  });
});
