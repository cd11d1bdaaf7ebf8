/**
 * MOCKED Kibana: a loopback HTTP server standing in for Kibana's status and saved-objects APIs,
 * answering the way Kibana's source says it does (docs/kibana.md lists the files read):
 *
 * - GET /api/status: HTTP 503 while core services are unavailable, 200 otherwise, with
 *   `status.overall.level` available | degraded | unavailable | critical.
 * - POST [/s/<space>]/api/saved_objects/_import?overwrite=…: multipart `file`, kbn-xsrf required.
 *   References must resolve (in the file, or in the space by id or origin) or the object gets
 *   `missing_references`. An object whose id exists in this space is a `conflict` unless
 *   overwrite; one whose id exists only in another space is created under a new id (the old id
 *   kept as originId, `destinationId` in successResults); an object whose id is another one's
 *   originId in this space conflicts with it (`destinationId`) or, with overwrite, replaces it.
 *   While any conflict or missing reference is reported, nothing is written, yet the other
 *   objects are still listed in successResults (Kibana's create_saved_objects.ts does exactly that).
 * - POST [/s/<space>]/api/saved_objects/_export with `objects`: NDJSON of the stored objects;
 *   HTTP 400 if one does not exist.
 *
 * Dashboards, data views and Lens objects are "multiple-isolated" types: an id is unique across spaces.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body?: string; file?: { filename: string; contentType: string; text: string } }

export interface MockOptions {
  /** Status answers (HTTP 503, unavailable) before Kibana turns ready. */
  notReadyFor?: number;
  /** The level once ready (HTTP 200): available (default) or degraded. */
  readyLevel?: 'available' | 'degraded';
  /** Answer every status request with this HTTP code (e.g. 401). */
  statusCode?: number;
  importStatus?: number;
  importBody?: (seen: Seen) => string;
  /** typeMigrationVersion the mock writes on stored objects, as a newer Kibana's migrations would. */
  migrateTo?: Record<string, string>;
}

export interface Stored {
  type: string; id: string; originId?: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
  coreMigrationVersion?: string; typeMigrationVersion?: string; managed: boolean;
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

type Incoming = Omit<Stored, 'managed'> & { managed?: boolean };
const key = (type: string, id: string): string => `${type}:${id}`;
const RESOLVABLE = ['conflict', 'ambiguous_conflict', 'missing_references'];

export class KibanaModel {
  /** space → type:id → object */
  readonly spaces = new Map<string, Map<string, Stored>>();

  constructor(private readonly migrateTo: Record<string, string> = {}) {}

  space(name: string): Map<string, Stored> {
    let s = this.spaces.get(name);
    if (!s) this.spaces.set(name, (s = new Map()));
    return s;
  }

  private elsewhere(space: string, type: string, id: string): boolean {
    return [...this.spaces].some(([name, objects]) => name !== space && objects.has(key(type, id)));
  }

  import(spaceName: string, objects: Incoming[], overwrite: boolean): object {
    const space = this.space(spaceName);
    const inFile = new Set(objects.map((o) => key(o.type, o.id)));
    const errors: { type: string; id: string; title?: unknown; meta: object; error: Record<string, unknown> }[] = [];
    const destination = new Map<string, string>();
    const overwriting = new Set<string>();
    const fail = (o: Incoming, error: Record<string, unknown>): void => {
      errors.push({ type: o.type, id: o.id, title: o.attributes.title, meta: { title: o.attributes.title }, error });
    };
    // References outside the file resolve to an object in this space with that id or origin.
    const refTarget = (r: { type: string; id: string }): string | undefined => {
      if (inFile.has(key(r.type, r.id)) || space.has(key(r.type, r.id))) return r.id;
      return [...space.values()].find((s) => s.type === r.type && s.originId === r.id)?.id;
    };
    for (const o of objects) {
      const missing = o.references.filter((r) => refTarget(r) === undefined);
      if (missing.length) { fail(o, { type: 'missing_references', references: missing.map((r) => ({ type: r.type, id: r.id })) }); continue; }
      const k = key(o.type, o.id);
      if (space.has(k)) {
        if (overwrite) overwriting.add(k);
        else fail(o, { type: 'conflict' });
        continue;
      }
      // check_conflicts.ts regenerates the id of an object that exists only in another space;
      // check_origin_conflicts.ts then points it at an object of this space with that origin.
      if (this.elsewhere(spaceName, o.type, o.id)) destination.set(k, randomUUID());
      const origin = o.originId ?? o.id;
      const matches = [...space.values()].filter((s) => s.type === o.type && (s.originId === origin || s.id === origin));
      if (matches.length === 1) {
        if (overwrite) { destination.set(k, matches[0]!.id); overwriting.add(k); } else fail(o, { type: 'conflict', destinationId: matches[0]!.id });
      } else if (matches.length > 1) {
        fail(o, { type: 'ambiguous_conflict', destinations: matches.map((s) => ({ id: s.id })) });
      }
    }
    const failed = new Set(errors.map((e) => key(e.type, e.id)));
    const ok = objects.filter((o) => !failed.has(key(o.type, o.id)));
    if (!errors.some((e) => RESOLVABLE.includes(String(e.error.type)))) {
      for (const o of ok) {
        const k = key(o.type, o.id);
        const id = destination.get(k) ?? o.id;
        const references = o.references.map((r) => ({ ...r, id: destination.get(key(r.type, r.id)) ?? refTarget(r) ?? r.id }));
        const originId = destination.has(k) ? (o.originId ?? o.id) : o.originId;
        space.set(key(o.type, id), {
          type: o.type, id, attributes: structuredClone(o.attributes), references, managed: o.managed ?? false,
          ...(originId !== undefined ? { originId } : {}),
          ...(o.coreMigrationVersion !== undefined ? { coreMigrationVersion: o.coreMigrationVersion } : {}),
          ...((this.migrateTo[o.type] ?? o.typeMigrationVersion) !== undefined ? { typeMigrationVersion: this.migrateTo[o.type] ?? o.typeMigrationVersion } : {}),
        });
      }
    }
    const successResults = ok.map((o) => {
      const k = key(o.type, o.id);
      const d = destination.get(k);
      return {
        type: o.type, id: o.id, meta: { title: o.attributes.title }, managed: o.managed ?? false,
        ...(overwriting.has(k) ? { overwrite: true } : {}),
        ...(d !== undefined && d !== o.id ? { destinationId: d } : {}),
      };
    });
    return {
      successCount: ok.length, success: errors.length === 0, warnings: [],
      ...(successResults.length ? { successResults } : {}),
      ...(errors.length ? { errors } : {}),
    };
  }

  export(spaceName: string, wanted: { type: string; id: string }[]): { status: number; body: string } {
    const space = this.space(spaceName);
    const missing = wanted.filter((w) => !space.has(key(w.type, w.id)));
    if (missing.length) {
      return { status: 400, body: JSON.stringify({ statusCode: 400, error: 'Bad Request', message: 'Error fetching objects to export', attributes: { objects: missing.map((m) => ({ ...m, error: { statusCode: 404 } })) } }) };
    }
    return { status: 200, body: wanted.map((w) => JSON.stringify(space.get(key(w.type, w.id)))).join('\n') + '\n' };
  }
}

export interface MockKibana {
  url: string;
  seen: Seen[];
  model: KibanaModel;
  /** The default space's objects (type:id → object). */
  store: Map<string, Stored>;
}

export async function mockKibana(o: MockOptions = {}): Promise<MockKibana> {
  const seen: Seen[] = [];
  const model = new KibanaModel(o.migrateTo);
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
      const space = /^\/s\/([a-z0-9_-]+)\//.exec(url.pathname)?.[1] ?? 'default';
      const path = url.pathname.replace(/^\/s\/[a-z0-9_-]+/, '');
      if (req.method === 'GET' && path === '/api/status') {
        statusCalls++;
        if (o.statusCode) return reply(o.statusCode, { statusCode: o.statusCode, error: 'Unauthorized', message: 'Unauthorized' });
        const ready = statusCalls > (o.notReadyFor ?? 0);
        return reply(ready ? 200 : 503, { status: { overall: { level: ready ? (o.readyLevel ?? 'available') : 'unavailable' } } });
      }
      if (req.method === 'POST' && (path === '/api/saved_objects/_import' || path === '/api/saved_objects/_export')) {
        if (!req.headers['kbn-xsrf']) return reply(400, { statusCode: 400, error: 'Bad Request', message: 'Request must contain a kbn-xsrf header.' });
      }
      if (req.method === 'POST' && path === '/api/saved_objects/_import') {
        const parts = parseMultipart(Buffer.concat(chunks), req.headers['content-type'] ?? '');
        const file = parts.find((p) => /name="file"/.test(p.headers['content-disposition'] ?? ''));
        if (!file) return reply(400, { statusCode: 400, error: 'Bad Request', message: '[request body.file]: expected value of type [Stream]' });
        s.file = {
          filename: /filename="([^"]*)"/.exec(file.headers['content-disposition']!)?.[1] ?? '',
          contentType: file.headers['content-type'] ?? '',
          text: file.data.toString('utf8'),
        };
        if (o.importBody) return reply(o.importStatus ?? 200, o.importBody(s));
        const objects = s.file.text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Incoming);
        return reply(200, model.import(space, objects, url.searchParams.get('overwrite') === 'true'));
      }
      if (req.method === 'POST' && path === '/api/saved_objects/_export') {
        s.body = Buffer.concat(chunks).toString('utf8');
        const { objects } = JSON.parse(s.body) as { objects: { type: string; id: string }[] };
        const r = model.export(space, objects);
        res.writeHead(r.status, { 'content-type': r.status === 200 ? 'application/ndjson' : 'application/json' }).end(r.body);
        return;
      }
      reply(404, { statusCode: 404, error: 'Not Found', message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, model, store: model.space('default') };
}
