/**
 * MOCKED: importSavedObjects against a loopback HTTP server that stands in for Kibana. The
 * server implements GET /api/status and POST [/s/<space>]/api/saved_objects/_import the way
 * Kibana documents them: it requires kbn-xsrf, parses the multipart body for real, checks
 * references between the uploaded objects (missing_references) and existing ids (conflict
 * unless overwrite=true). No real Kibana is involved.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NDJSON_PATH, importSavedObjects, kibanaConnectionFromEnv, KibanaError } from '../src/kibana/saved-objects.js';
import { UsageError } from '../src/cli/errors.js';

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; file?: { filename: string; contentType: string; text: string } }

interface MockOptions {
  /** Status answers before Kibana turns available. */
  notReadyFor?: number;
  statusCode?: number;
  importStatus?: number;
  importBody?: (seen: Seen) => string;
}

/** Split a multipart/form-data body at its boundary and return the parts with their headers. */
function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; data: Buffer }[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  assert.ok(m, `no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  let pos = body.indexOf(delimiter);
  assert.equal(pos, 0, 'body starts with the boundary');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    assert.equal(body.subarray(pos, pos + 2).toString(), '\r\n');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    const headers = Object.fromEntries(body.subarray(pos + 2, headerEnd).toString().split('\r\n').map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
    }));
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd);
    assert.ok(next > 0, 'part is terminated by the boundary');
    parts.push({ headers, data: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

interface Obj { type: string; id: string; attributes: { title?: string }; references: { type: string; id: string }[] }

/** What Kibana's importer decides for a batch, reduced to the two resolvable error types. */
function kibanaImport(store: Set<string>, objects: Obj[], overwrite: boolean): object {
  const keys = new Set(objects.map((o) => `${o.type}/${o.id}`));
  const errors: object[] = [];
  for (const o of objects) {
    const missing = o.references.filter((r) => !keys.has(`${r.type}/${r.id}`) && !store.has(`${r.type}/${r.id}`));
    if (missing.length) errors.push({ id: o.id, type: o.type, title: o.attributes.title, meta: {}, error: { type: 'missing_references', references: missing } });
    else if (!overwrite && store.has(`${o.type}/${o.id}`)) errors.push({ id: o.id, type: o.type, title: o.attributes.title, meta: {}, error: { type: 'conflict' } });
  }
  // Kibana creates nothing when any resolvable error exists.
  if (errors.length) return { success: false, successCount: 0, errors, warnings: [] };
  for (const k of keys) store.add(k);
  return { success: true, successCount: objects.length, successResults: objects.map((o) => ({ type: o.type, id: o.id, meta: {} })), warnings: [] };
}

async function mockKibana(o: MockOptions = {}): Promise<{ url: string; seen: Seen[]; store: Set<string> }> {
  const seen: Seen[] = [];
  const store = new Set<string>();
  let statusCalls = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers };
      seen.push(s);
      const url = new URL(req.url!, 'http://x');
      const reply = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/api/status') {
        statusCalls++;
        if (o.statusCode) return reply(o.statusCode, { statusCode: o.statusCode, error: 'Unauthorized', message: 'Unauthorized' });
        const ready = statusCalls > (o.notReadyFor ?? 0);
        return reply(ready ? 200 : 503, { status: { overall: { level: ready ? 'available' : 'unavailable' } } });
      }
      if (req.method === 'POST' && /^(\/s\/[a-z0-9_-]+)?\/api\/saved_objects\/_import$/.test(url.pathname)) {
        if (!req.headers['kbn-xsrf']) return reply(400, { statusCode: 400, error: 'Bad Request', message: 'Request must contain a kbn-xsrf header.' });
        const parts = parseMultipart(Buffer.concat(chunks), req.headers['content-type'] ?? '');
        const file = parts.find((p) => /name="file"/.test(p.headers['content-disposition'] ?? ''));
        if (!file) return reply(400, { statusCode: 400, error: 'Bad Request', message: '[request body.file]: expected value of type [Stream]' });
        s.file = {
          filename: /filename="([^"]*)"/.exec(file.headers['content-disposition']!)?.[1] ?? '',
          contentType: file.headers['content-type'] ?? '',
          text: file.data.toString('utf8'),
        };
        if (o.importBody) return reply(o.importStatus ?? 200, o.importBody(s));
        const objects = s.file.text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Obj);
        return reply(200, kibanaImport(store, objects, url.searchParams.get('overwrite') === 'true'));
      }
      reply(404, { statusCode: 404, error: 'Not Found', message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, store };
}

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
