import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { indexBatches, type IndexReadCounters } from '../../src/elasticsearch/index-reader.js';
import { BulkServer, type SearchableDoc } from '../helpers/bulk-server.js';
import { runCli, summaryOf } from '../helpers/import-cli.js';

/**
 * `import --from-index` against a loopback server answering point-in-time, `_search` with
 * `search_after` and `DELETE /_pit` as Elasticsearch documents them (test/helpers/bulk-server.ts).
 */

let server: BulkServer;
let dir: string;
before(async () => {
  server = await BulkServer.start();
  dir = mkdtempSync(join(tmpdir(), 'dropship-from-index-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function line(n: number, ts = 'Dec 31 23:30:00'): string {
  return `<4>${ts} router kernel: DROP IN=ppp0 OUT= SRC=198.51.100.${n % 250} DST=203.0.113.1 LEN=40 TTL=50 ID=${n} PROTO=TCP SPT=${2000 + n} DPT=445 WINDOW=1024 SYN URGP=0`;
}

/** Filebeat-style documents: the original line in one of the fields an export may use. */
function filebeatDocs(count: number): SearchableDoc[] {
  const docs: SearchableDoc[] = [];
  for (let n = 0; n < count; n++) {
    // Filebeat dated these lines correctly; the year-less line is re-dated relative to it.
    const source: Record<string, unknown> = { '@timestamp': '2027-01-01T00:10:00.000Z', input: { type: 'log' }, fileset: { name: 'log' } };
    if (n % 3 === 0) source.event = { original: line(n), module: 'iptables' };
    else if (n % 3 === 1) source.message = line(n);
    else source.log = { original: line(n), offset: n };
    docs.push({ _id: `fb-${n}`, _source: source });
  }
  docs.push({ _id: 'no-line', _source: { '@timestamp': '2027-01-01T00:00:00.000Z', host: { name: 'x' } } });
  return docs;
}

test('indexBatches pages through a point in time with search_after and closes it', async () => {
  server.searchable.set('reader-a', filebeatDocs(25));
  server.searchable.set('reader-b', filebeatDocs(5));
  const client = new Client({ node: server.url });
  const counters: IndexReadCounters = { total: 0, read: 0, withoutOriginal: 0 };
  const before = { ...server.pitStats };
  const lines: string[] = [];
  for await (const b of indexBatches({ client, pattern: 'reader-*', counters, signal: new AbortController().signal, pageSize: 10 })) {
    lines.push(...b.lines!);
    assert.equal(b.lineReceivedMs?.length, b.lines!.length);
  }
  await client.close();
  assert.equal(counters.total, 32);
  assert.equal(counters.read, 32);
  assert.equal(counters.withoutOriginal, 2);
  assert.equal(lines.length, 30);
  assert.equal(server.pitStats.opened - before.opened, 1);
  assert.equal(server.pitStats.closed - before.closed, 1);
  assert.equal(server.pitStats.searches - before.searches, 4); // 10 + 10 + 10 + 2
});

test('an abort stops reading and still closes the point in time', async () => {
  server.searchable.set('reader-c', filebeatDocs(50));
  const client = new Client({ node: server.url });
  const abort = new AbortController();
  const before = { ...server.pitStats };
  let batches = 0;
  for await (const _ of indexBatches({ client, pattern: 'reader-c', counters: { total: 0, read: 0, withoutOriginal: 0 }, signal: abort.signal, pageSize: 10 })) {
    if (++batches === 2) abort.abort();
  }
  await client.close();
  assert.equal(batches, 2);
  assert.equal(server.pitStats.closed - before.closed, 1);
});

test('dropship import --from-index re-parses every original line into the data stream, dated from the old @timestamp', async () => {
  server.searchable.set('filebeat-8.17.0-2027.01.01', filebeatDocs(2500));
  const env = { ELASTICSEARCH_HOSTS: server.url };
  const before = { ...server.pitStats };
  const r = await runCli(['import', '--from-index', 'filebeat-*', '--namespace', 'migrated', '--timezone', 'UTC', '--state-dir', join(dir, 'state')], env);
  assert.equal(r.status, 0, r.stderr);
  const s = summaryOf(r.stderr);
  assert.equal(s.lines, 2500);
  assert.equal(s.indexed, 2500);
  assert.equal(s.without, 1);
  assert.equal(server.pitStats.closed - before.closed, 1);
  const docs = [...server.docs.values()].filter((d) => d.index === 'logs-dropship.firewall-migrated').map((d) => JSON.parse(d.source) as { '@timestamp': string; destination: { port: number } });
  assert.equal(docs.length, 2500);
  // "Dec 31 23:30" seen from 2027-01-01T00:10Z is the last evening of 2026, not of 2027.
  for (const d of docs) assert.equal(d['@timestamp'], '2026-12-31T23:30:00.000Z');
  assert.ok(docs.every((d) => d.destination.port === 445));

  // Again: the same ids, all already present.
  const again = await runCli(['import', '--from-index', 'filebeat-*', '--namespace', 'migrated', '--timezone', 'UTC', '--state-dir', join(dir, 'state')], env);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(summaryOf(again.stderr).present, 2500);
  assert.match(again.stderr, /nothing new: all 2,500 documents were already present/);
});

test('--from-index on an index that does not exist is one clear error', async () => {
  const r = await runCli(['import', '--from-index', 'nope', '--state-dir', join(dir, 'state')], { ELASTICSEARCH_HOSTS: server.url });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), 'dropship: cannot open a point in time on nope: ResponseError: index_not_found_exception: no such index [nope]');
});
