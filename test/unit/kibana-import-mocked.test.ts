/**
 * MOCKED: importSavedObjects against a loopback HTTP server that stands in for Kibana. The
 * server implements GET /api/status and POST [/s/<space>]/api/saved_objects/_import the way
 * Kibana documents them: it requires kbn-xsrf, parses the multipart body for real, checks
 * references between the uploaded objects (missing_references) and existing ids (conflict
 * unless overwrite=true). No real Kibana is involved.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NDJSON_PATH, importSavedObjects, kibanaConnectionFromEnv, KibanaError } from '../../src/kibana/saved-objects.js';
import { UsageError } from '../../src/cli/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mockKibana } from '../helpers/kibana-mock.js';


const bundled = readFileSync(DEFAULT_NDJSON_PATH, 'utf8');
const bundledCount = bundled.trimEnd().split('\n').length;
const fast = { pollIntervalMs: 10, waitTimeoutMs: 5000 };

test('mocked Kibana: waits for available, then uploads the bundled NDJSON as multipart with kbn-xsrf and overwrite', async () => {
  const k = await mockKibana({ notReadyFor: 2 });
  const logs: string[] = [];
  const r = await importSavedObjects({ host: k.url, auth: { apiKey: 'a2V5OnNlY3JldA==' }, ...fast, log: (l) => logs.push(l) });
  assert.deepEqual(r, { successCount: bundledCount, errors: [] });
  assert.equal(k.seen.filter((s) => s.url === '/api/status').length, 3);
  const imp = k.seen.find((s) => s.method === 'POST')!;
  assert.equal(imp.url, '/api/saved_objects/_import?overwrite=true');
  assert.equal(imp.headers['kbn-xsrf'], 'dropship');
  assert.equal(imp.headers.authorization, 'ApiKey a2V5OnNlY3JldA==');
  assert.equal(imp.file!.filename, 'dropship.ndjson');
  assert.equal(imp.file!.contentType, 'application/ndjson');
  assert.equal(imp.file!.text, bundled);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /waiting for Kibana at http:\/\/127\.0\.0\.1:\d+ \(HTTP 503, unavailable\)/);
});

test('mocked Kibana: re-running the import changes nothing and reports no conflicts (overwrite)', async () => {
  const k = await mockKibana();
  const first = await importSavedObjects({ host: k.url, ...fast });
  const stored = [...k.store].sort();
  const second = await importSavedObjects({ host: k.url, ...fast });
  assert.deepEqual(second, first);
  assert.deepEqual([...k.store].sort(), stored);
});

test('mocked Kibana: space id goes into the path; basic auth from username/password', async () => {
  const k = await mockKibana();
  await importSavedObjects({ host: `${k.url}/`, space: 'ops-team', auth: { username: 'elastic', password: 'pw' }, ...fast });
  const imp = k.seen.find((s) => s.method === 'POST')!;
  assert.equal(imp.url, '/s/ops-team/api/saved_objects/_import?overwrite=true');
  assert.equal(imp.headers.authorization, `Basic ${Buffer.from('elastic:pw').toString('base64')}`);
  await assert.rejects(importSavedObjects({ host: k.url, space: '../api', ...fast }), UsageError);
});

test('mocked Kibana: per-object errors are returned, not thrown', async () => {
  const k = await mockKibana();
  const orphan = JSON.stringify({ type: 'dashboard', id: 'x', attributes: { title: 'x' }, references: [{ name: 'r', type: 'index-pattern', id: 'gone' }] });
  const r = await importSavedObjects({ host: k.url, ndjson: `${orphan}\n`, ...fast });
  assert.equal(r.successCount, 0);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.error.type, 'missing_references');
});

test('mocked Kibana: never available → one-line timeout error naming the host and the last state', async () => {
  const k = await mockKibana({ notReadyFor: Infinity });
  await assert.rejects(importSavedObjects({ host: k.url, pollIntervalMs: 10, waitTimeoutMs: 200 }), (e: Error) => {
    assert.ok(e instanceof KibanaError);
    assert.match(e.message, /^Kibana at http:\/\/127\.0\.0\.1:\d+ did not report available within 0.2s \(last: HTTP 503, unavailable\)$/);
    return true;
  });
  assert.ok(!k.seen.some((s) => s.method === 'POST'));
});

test('nothing listening → timeout error with the connection error code', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(importSavedObjects({ host: `http://127.0.0.1:${port}`, pollIntervalMs: 10, waitTimeoutMs: 100 }),
    /did not report available within 0.1s \(last: ECONNREFUSED\)/);
});

test('mocked Kibana: rejected credentials fail at once, without the secret', async () => {
  const k = await mockKibana({ statusCode: 401 });
  const started = Date.now();
  await assert.rejects(importSavedObjects({ host: k.url, auth: { username: 'elastic', password: 's3cr3t-pw' }, ...fast }), (e: Error) => {
    assert.match(e.message, /rejected the credentials \(HTTP 401\)/);
    assert.ok(!e.message.includes('s3cr3t-pw'));
    return true;
  });
  assert.ok(Date.now() - started < 2000);
});

test('mocked Kibana: an HTTP error that echoes the credentials is reported redacted', async () => {
  const secret = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
  const k = await mockKibana({ importStatus: 500, importBody: (s) => JSON.stringify({ statusCode: 500, message: `boom: ${s.headers.authorization}` }) });
  await assert.rejects(importSavedObjects({ host: k.url, auth: { apiKey: secret }, ...fast }), (e: Error) => {
    assert.match(e.message, /^saved-objects import to http:\/\/127\.0\.0\.1:\d+ failed: HTTP 500: boom: ApiKey \[redacted\]$/);
    assert.ok(!e.message.includes(secret));
    return true;
  });
});

test('connection settings from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-ca-'));
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
  assert.deepEqual(kibanaConnectionFromEnv({ KIBANA_HOST: 'https://kb:5601', ELASTICSEARCH_API_KEY: 'k', ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD: 'p', ELASTICSEARCH_CA: ca }),
    { host: 'https://kb:5601', auth: { apiKey: 'k' }, ca: '-----BEGIN CERTIFICATE-----\n' });
  assert.deepEqual(kibanaConnectionFromEnv({ KIBANA_HOST: 'http://kb:5601', ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD: 'p' }),
    { host: 'http://kb:5601', auth: { username: 'u', password: 'p' } });
  assert.equal(kibanaConnectionFromEnv({ KIBANA_HOST: 'https://kb', KIBANA_CA: ca, ELASTICSEARCH_CA: '/nonexistent' }).ca, '-----BEGIN CERTIFICATE-----\n');
  assert.throws(() => kibanaConnectionFromEnv({}), UsageError);
  assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'kb:5601x' }), UsageError);
  assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'http://kb', ELASTICSEARCH_USERNAME: 'u' }), UsageError);
  assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'http://kb', KIBANA_CA: join(dir, 'missing') }), /cannot read CA file .*ENOENT/);
  assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'http://u:hunter2@kb' }), (e: Error) => !e.message.includes('hunter2'));
});
