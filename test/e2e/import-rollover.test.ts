/**
 * `dropship import` as a process against the cluster-state stand-in (MOCKED Elasticsearch,
 * test/helpers/es-cluster.ts) with security on: after the data stream rolled over, importing the
 * same lines again — with `--reimport`, or with a fresh state directory — adds nothing, because
 * import asks which ids the data stream already holds in any backing index (issue 13 §8,
 * docs/elasticsearch.md "Deduplication across rollover"). Without the `read` privilege it says so
 * once and still delivers every line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EsCluster, EsClusterServer, type RoleDescriptor } from '../helpers/es-cluster.js';
import { runCli, summaryOf } from '../helpers/import-cli.js';

const FIREWALL = 'logs-dropship.firewall-home';
const roles = (...privileges: string[]): RoleDescriptor[] => [{ indices: [{ names: ['logs-dropship.*-*'], privileges }] }];
const USERS = {
  /** What docs/elasticsearch.md gives an importer: the shipper's privileges, and read + view_index_metadata for the check. */
  importer: { password: 'importer-pw-1', roles: roles('create_doc', 'auto_configure', 'read', 'view_index_metadata') },
  /** What `setup` gives the shipper's API key. */
  shipper: { password: 'shipper-pw-1', roles: roles('create_doc', 'auto_configure') },
};

function line(n: number): string {
  return `<4>Jan  1 ${String(Math.floor(n / 3600) % 24).padStart(2, '0')}:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} router kernel: DROP IN=ppp0 OUT= SRC=198.51.100.${1 + (n % 200)} DST=203.0.113.1 LEN=40 TTL=50 ID=${n} PROTO=TCP SPT=${2000 + n} DPT=23 WINDOW=1024 SYN URGP=0`;
}

describe('import after a rollover adds nothing (stand-in with security on)', () => {
  let dir = '';
  let server: EsClusterServer;
  let cluster: EsCluster;
  const file = (name: string, from: number, count: number): string => {
    const path = join(dir, name);
    writeFileSync(path, Array.from({ length: count }, (_, i) => line(from + i)).join('\n') + '\n');
    return path;
  };
  const importAs = (user: keyof typeof USERS, path: string, stateDir: string, ...extra: string[]) =>
    runCli(['import', path, '--state-dir', join(dir, stateDir), '--namespace', 'home', '--year', '2027', '--timezone', 'UTC', '--workers', '0', '--progress-interval', '0', '--no-geoip', ...extra], {
      ELASTICSEARCH_HOSTS: server.url, ELASTICSEARCH_USERNAME: user, ELASTICSEARCH_PASSWORD: USERS[user].password,
    });
  /** How many times each id is stored, across backing indices. */
  const copies = (): number[] => {
    const counts = new Map<string, number>();
    for (const { id } of cluster.documents('logs-dropship.*-*')) counts.set(id, (counts.get(id) ?? 0) + 1);
    return [...counts.values()];
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dropship-e2e-rollover-'));
    cluster = new EsCluster({ version: '8.17.0', security: true, users: USERS });
    // Backing indices created months after the lines were logged (1 January 2027).
    cluster.now = () => Date.UTC(2027, 5, 1);
    server = await EsClusterServer.start(cluster);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('import, rollover, then --reimport and a fresh state directory: nothing new, every line stored once', async () => {
    const path = file('router.log', 0, 40);
    const first = await importAs('importer', path, 'state');
    assert.equal(first.status, 0, first.stderr);
    assert.equal(summaryOf(first.stderr).indexed, 40);
    cluster.rollover(FIREWALL);

    for (const [state, extra] of [['state', ['--reimport']], ['fresh-state', []]] as const) {
      const again = await importAs('importer', path, state, ...extra);
      assert.equal(again.status, 0, again.stderr);
      const s = summaryOf(again.stderr);
      assert.deepEqual({ indexed: s.indexed, present: s.present }, { indexed: 0, present: 40 }, again.stderr);
      assert.match(again.stderr, /nothing new: all 40 documents were already present/);
    }
    assert.equal(cluster.documents('logs-dropship.*-*').length, 40);
    assert.deepEqual([...new Set(copies())], [1]);
  });

  it('a file spanning the rollover: the old lines are found, the new ones stored', async () => {
    cluster.rollover(FIREWALL);
    const r = await importAs('importer', file('longer.log', 20, 60), 'state-2');
    assert.equal(r.status, 0, r.stderr);
    const s = summaryOf(r.stderr);
    assert.deepEqual({ indexed: s.indexed, present: s.present }, { indexed: 40, present: 20 }, r.stderr);
    assert.equal(cluster.documents('logs-dropship.*-*').length, 80);
    assert.deepEqual([...new Set(copies())], [1]);
  });

  it('a 503 on the search is retried, not skipped', async () => {
    cluster.rollover(FIREWALL);
    let refused = 0;
    cluster.intercept = (r) =>
      r.path.endsWith('/_search') && refused++ < 2 ? { status: 503, body: { error: { type: 'search_phase_execution_exception', reason: 'all shards failed' }, status: 503 } } : undefined;
    try {
      const r = await importAs('importer', file('again.log', 0, 80), 'state-3');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(refused, 3, 'two refusals, then the answer');
      assert.equal(summaryOf(r.stderr).indexed, 0, r.stderr);
      assert.match(r.stderr, /presence check failed, retrying with backoff/);
    } finally {
      cluster.intercept = undefined;
    }
    assert.deepEqual([...new Set(copies())], [1]);
  });

  it('without read (the shipper key\'s privileges): one warning naming the privilege, and every line delivered', async () => {
    cluster.rollover(FIREWALL);
    const r = await importAs('shipper', file('shipper.log', 0, 80), 'state-4', '--bulk-max-bytes', '20000');
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('presence check OFF'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0]!, /lack the index privilege read on logs-dropship\.\*-\*/);
    assert.equal(summaryOf(r.stderr).indexed, 80, 'the documented consequence: stored again after a rollover');
  });
});
