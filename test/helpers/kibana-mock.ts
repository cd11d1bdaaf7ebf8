/**
 * MOCKED Kibana: a loopback HTTP server standing in for Kibana. It implements GET /api/status
 * and POST [/s/<space>]/api/saved_objects/_import the way Kibana documents them: it requires
 * kbn-xsrf, parses the multipart body for real, checks references between the uploaded objects
 * (missing_references) and existing ids (conflict unless overwrite=true).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; file?: { filename: string; contentType: string; text: string } }

export interface MockOptions {
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

export async function mockKibana(o: MockOptions = {}): Promise<{ url: string; seen: Seen[]; store: Set<string> }> {
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
