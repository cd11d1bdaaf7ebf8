import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import type { StartedTestContainer } from 'testcontainers';
import { runImport, type ImportOptions } from '../../src/cli/import-command.js';
import { createClient, resolveConnection } from '../../src/elasticsearch/connection.js';
import { runSetup } from '../../src/elasticsearch/setup.js';
import { dockerGate, startElasticsearch } from '../helpers/docker.js';

/**
 * `import --from-index` against real Elasticsearch in Docker: a Filebeat-style index is read with
 * a point in time and search_after, re-parsed, and written into dropship's data stream; a second
 * run finds everything already present. Skips (with the reason printed) when no Docker engine is
 * reachable. Version: DROPSHIP_ES_VERSIONS (first entry; default 8.17.4).
 */
const VERSION = (process.env.DROPSHIP_ES_VERSIONS ?? '8.17.4').split(',')[0]!.trim();
const NAMESPACE = 'migrated';
const SOURCE_INDEX = 'filebeat-legacy-2027.01.01';
const DOCS = 1500;

const gate = dockerGate();

function line(n: number): string {
  return `<4>Dec 31 23:30:${String(n % 60).padStart(2, '0')} router kernel: DROP IN=ppp0 OUT= SRC=198.51.100.${n % 250} DST=203.0.113.1 LEN=40 TTL=50 ID=${n} PROTO=TCP SPT=${2000 + n} DPT=445 WINDOW=1024 SYN URGP=0`;
}

describe(`import --from-index, Elasticsearch ${VERSION}`, () => {
  let container: StartedTestContainer | undefined;
  let client: Client | undefined;
  let url = '';
  let dir = '';

  before(async () => {
    if (gate.problem()) return;
    dir = await mkdtemp(join(tmpdir(), 'dropship-it-import-'));
    ({ container, url } = await startElasticsearch(VERSION));
    client = createClient(resolveConnection({ esHosts: url }, {}));
    await runSetup(client, { retentionDays: 180, indexMode: 'auto' });
    // The shapes Filebeat's iptables module and plain log inputs leave behind.
    const operations = [];
    for (let n = 0; n < DOCS; n++) {
      const source: Record<string, unknown> = { '@timestamp': '2027-01-01T00:10:00.000Z' };
      if (n % 3 === 0) source.event = { original: line(n), module: 'iptables' };
      else if (n % 3 === 1) source.message = line(n);
      else source.log = { original: line(n) };
      operations.push({ index: { _index: SOURCE_INDEX, _id: `fb-${n}` } }, source);
    }
    operations.push({ index: { _index: SOURCE_INDEX, _id: 'no-line' } }, { '@timestamp': '2027-01-01T00:00:00.000Z', host: { name: 'x' } });
    const bulk = await client.bulk({ operations, refresh: true });
    assert.equal(bulk.errors, false);
  });

  after(async () => {
    await client?.close();
    await container?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const options = (): ImportOptions => ({
    fromIndex: 'filebeat-*', output: 'elasticsearch', namespace: NAMESPACE, stateDir: dir, workers: '1',
    progressInterval: '0', timezone: 'UTC', esHosts: url,
  });

  it('re-parses every original line into the data stream, then finds them all present', async (t) => {
    if (gate.skipWithoutDocker(t)) return;
    const first = await runImport([], options());
    assert.equal(first.lines, DOCS);
    assert.equal(first.indexed, DOCS);
    assert.equal(first.withoutOriginal, 1);
    const stream = `logs-dropship.firewall-${NAMESPACE}`;
    await client!.indices.refresh({ index: stream });
    assert.equal((await client!.count({ index: stream })).count, DOCS);
    const sample = await client!.search<{ '@timestamp': string; destination: { port: number } }>({ index: stream, size: 5 });
    for (const hit of sample.hits.hits) {
      // Dated from the old @timestamp: the last evening of 2026, not of 2027.
      assert.match(hit._source!['@timestamp'], /^2026-12-31T23:30:/);
      assert.equal(hit._source!.destination.port, 445);
    }
    const second = await runImport([], options());
    assert.equal(second.indexed, 0);
    assert.equal(second.alreadyPresent, DOCS);
    // Every point in time was closed.
    const pits = await client!.nodes.stats({ metric: 'indices', index_metric: 'search' });
    for (const node of Object.values(pits.nodes)) assert.equal(node.indices?.search?.open_contexts ?? 0, 0);
  });
});
