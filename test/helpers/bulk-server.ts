import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A loopback stand-in for Elasticsearch that speaks `_bulk` the way Elasticsearch documents it,
 * keeps created documents by `_id` (a second `create` of an id gets 409
 * version_conflict_engine_exception), and can be scripted to misbehave. Also answers `GET /` with
 * a version body and records any other request (templates, pipelines...) so setup code can be
 * tested against it. Reusable by sink, tail and import tests and by the bench.
 *
 * Documents put in `searchable` can be read back the way `import --from-index` reads an index:
 * `POST /<index>/_pit`, `POST /_search` with `pit` + `sort: [{_shard_doc}]` + `search_after`, and
 * `DELETE /_pit`, with the request and response shapes of Elasticsearch's documentation.
 */

export interface ItemFault {
  status: number;
  type?: string;
  reason?: string;
}

export interface BulkItemContext {
  index: string;
  id: string;
  /** The raw JSON source line. */
  source: string;
  /** 1 for the first time this id reaches the server, 2 for the next, ... */
  attempt: number;
  /** Number of the `_bulk` request (1-based). */
  request: number;
}

/** What to do with a whole request instead of processing it normally. */
export type RequestFault =
  | { kind: 'status'; status: number; type?: string; reason?: string }
  | { kind: 'destroy' }
  | { kind: 'delay'; ms: number };

export interface BulkServerOptions {
  port?: number;
  /** Version reported by `GET /`. Default 8.19.0. */
  version?: string;
  /** Keep every created source (tests) or only ids (bench, bounded memory). Default true. */
  storeSources?: boolean;
}

export interface StoredDoc {
  index: string;
  source: string;
}

export interface SearchableDoc {
  _id: string;
  _source: Record<string, unknown>;
}

interface PointInTime {
  docs: { _index: string; _id: string; _source: Record<string, unknown>; shardDoc: number }[];
  closed: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

const CREATED = 201;

export class BulkServer {
  readonly docs = new Map<string, StoredDoc>();
  private readonly ids = new IdSet();
  private readonly attempts = new Map<string, number>();
  /** Non-bulk requests, in order (e.g. the PUTs of `dropship setup`). */
  readonly recorded: RecordedRequest[] = [];
  /** Bodies answered by GET on a path, e.g. to fake an existing template. */
  readonly getResponses = new Map<string, unknown>();
  bulkRequests = 0;
  itemsReceived = 0;
  bytesReceived = 0;
  /** Indices readable through point-in-time searches, by name. */
  readonly searchable = new Map<string, SearchableDoc[]>();
  /** Point-in-time traffic, for assertions. */
  readonly pitStats = { opened: 0, searches: 0, closed: 0, pageSizes: [] as number[] };
  private readonly pits = new Map<string, PointInTime>();
  /** Per-item fault injection; return undefined for normal processing. */
  onItem: ((item: BulkItemContext) => ItemFault | undefined) | undefined;
  /** Whole-request fault injection, by 1-based `_bulk` request number. */
  onBulkRequest: ((request: number) => RequestFault | undefined) | undefined;

  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private readonly storeSources: boolean;
  private readonly version: string;

  private constructor(
    private server: Server,
    readonly port: number,
    options: BulkServerOptions,
  ) {
    this.storeSources = options.storeSources ?? true;
    this.version = options.version ?? '8.19.0';
  }

  static async start(options: BulkServerOptions = {}): Promise<BulkServer> {
    const server = createServer();
    await listen(server, options.port ?? 0);
    const port = (server.address() as AddressInfo).port;
    const instance = new BulkServer(server, port, options);
    instance.attach(server);
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether a document with this id is stored (kept in every mode, unlike sources and attempts). */
  hasId(id: string): boolean {
    return this.ids.has(id);
  }

  /** How many times the server has seen this id in a `_bulk` request (only with storeSources). */
  attemptsFor(id: string): number {
    return this.attempts.get(id) ?? 0;
  }

  /** Close the listening socket and every open connection: clients get ECONNREFUSED until accept. */
  async refuseConnections(): Promise<void> {
    if (this.refusing) return;
    this.refusing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listen again on the same port. */
  async acceptConnections(): Promise<void> {
    if (!this.refusing) return;
    const server = createServer();
    await listen(server, this.port);
    this.server = server;
    this.attach(server);
    this.refusing = false;
  }

  async close(): Promise<void> {
    if (this.refusing) return;
    this.refusing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private attach(server: Server): void {
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        void this.route(req, res, body.toString('utf8')).catch((err: unknown) => {
          send(res, 500, { error: { type: 'mock_failure', reason: String(err) }, status: 500 });
        });
      });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/_bulk' || url.pathname.endsWith('/_bulk')) return this.bulk(req, res, body);
    if (method === 'GET' && url.pathname === '/') return send(res, 200, this.rootBody());
    if (method === 'POST' && url.pathname.endsWith('/_pit')) return this.openPit(res, decodeURIComponent(url.pathname.slice(1, -5)));
    if ((method === 'POST' || method === 'GET') && url.pathname === '/_search') return this.pitSearch(res, body);
    if (method === 'DELETE' && url.pathname === '/_pit') return this.closePit(res, body);
    this.recorded.push({ method, path: decodeURIComponent(url.pathname), body });
    if (method === 'GET' || method === 'HEAD') {
      const found = this.getResponses.get(url.pathname);
      return found === undefined ? send(res, 404, { error: { type: 'resource_not_found_exception', reason: 'not found' }, status: 404 }) : send(res, 200, found);
    }
    return send(res, 200, { acknowledged: true });
  }

  private rootBody(): object {
    return {
      name: 'bulk-server',
      cluster_name: 'loopback',
      cluster_uuid: 'loopback',
      version: { number: this.version, build_flavor: 'default', lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0' },
      tagline: 'You Know, for Search',
    };
  }

  private async bulk(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const request = ++this.bulkRequests;
    this.bytesReceived += body.length;
    const fault = this.onBulkRequest?.(request);
    if (fault?.kind === 'destroy') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') {
      return send(res, fault.status, {
        error: { type: fault.type ?? 'es_rejected_execution_exception', reason: fault.reason ?? `injected ${fault.status}` },
        status: fault.status,
      });
    }
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const defaultIndex = url.pathname === '/_bulk' ? '' : decodeURIComponent(url.pathname.split('/')[1] ?? '');
    // Elasticsearch's filter_path, for the shapes the sink asks for (items.*.<key>).
    const filter = url.searchParams.get('filter_path');
    const keep = filter ? new Set(filter.split(',').filter((f) => f.startsWith('items.*.')).map((f) => f.slice(8))) : undefined;
    const itemJson = (index: string, id: string, status: number, error?: { type: string; reason: string }) => formatItem(keep, index, id, status, error);
    const out: string[] = [];
    let errors = false;
    let pos = 0;
    while (pos < body.length) {
      const actionEnd = nextLineEnd(body, pos);
      const actionLine = body.slice(pos, actionEnd);
      pos = actionEnd + 1;
      if (actionLine.trim() === '') continue;
      const sourceEnd = nextLineEnd(body, pos);
      const source = body.slice(pos, sourceEnd);
      pos = sourceEnd + 1;
      this.itemsReceived++;
      const meta = parseCreateAction(actionLine);
      if (meta === 'malformed') {
        return send(res, 400, { error: { type: 'illegal_argument_exception', reason: 'Malformed action/metadata line' }, status: 400 });
      }
      if (!meta) {
        return send(res, 400, { error: { type: 'illegal_argument_exception', reason: 'only create is supported by this server' }, status: 400 });
      }
      const index = meta._index ?? defaultIndex;
      const id = meta._id ?? `auto-${this.itemsReceived}`;
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      if (this.storeSources) this.attempts.set(id, attempt);
      const itemFault = this.onItem?.({ index, id, source, attempt, request });
      let item: string;
      if (itemFault) {
        errors = true;
        item = itemJson(index, id, itemFault.status, {
          type: itemFault.type ?? defaultErrorType(itemFault.status),
          reason: itemFault.reason ?? `injected ${itemFault.status}`,
        });
      } else if (this.ids.has(id)) {
        errors = true;
        item = itemJson(index, id, 409, {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists (current version [1])`,
        });
      } else {
        // A fresh copy: ids sliced from the body would keep every request body alive.
        this.ids.add(Buffer.from(id, 'utf8').toString('utf8'));
        if (this.storeSources) this.docs.set(id, { index, source });
        item = itemJson(index, id, CREATED);
      }
      out.push(item);
    }
    const response = keep
      ? `{"errors":${errors},"items":[${out.join(',')}]}`
      : `{"took":${Date.now() - started},"errors":${errors},"items":[${out.join(',')}]}`;
    res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    res.end(response);
  }

  private openPit(res: ServerResponse, target: string): void {
    const patterns = target.split(',').map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
    const names = [...this.searchable.keys()].filter((name) => patterns.some((p) => p.test(name))).sort();
    if (names.length === 0 && !target.includes('*')) {
      return send(res, 404, { error: { type: 'index_not_found_exception', reason: `no such index [${target}]` }, status: 404 });
    }
    let shardDoc = 0;
    const docs = names.flatMap((name) => this.searchable.get(name)!.map((d) => ({ _index: name, _id: d._id, _source: d._source, shardDoc: shardDoc++ })));
    const id = Buffer.from(`pit-${++this.pitStats.opened}-0`).toString('base64url');
    this.pits.set(id, { docs, closed: false });
    send(res, 200, { id, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } });
  }

  private pitSearch(res: ServerResponse, body: string): void {
    const q = JSON.parse(body || '{}') as { pit?: { id?: string }; size?: number; search_after?: number[]; sort?: unknown; _source?: string[] | boolean; track_total_hits?: boolean };
    this.pitStats.searches++;
    const pit = q.pit?.id === undefined ? undefined : this.pits.get(q.pit.id);
    if (pit === undefined || pit.closed) {
      return send(res, 404, { error: { type: 'search_context_missing_exception', reason: 'No search context found for id' }, status: 404 });
    }
    if (JSON.stringify(q.sort) !== '[{"_shard_doc":"asc"}]') {
      return send(res, 400, { error: { type: 'illegal_argument_exception', reason: 'this server sorts by _shard_doc only' }, status: 400 });
    }
    const size = q.size ?? 10;
    this.pitStats.pageSizes.push(size);
    const after = q.search_after?.[0] ?? -1;
    const page = pit.docs.filter((d) => d.shardDoc > after).slice(0, size);
    // Elasticsearch may return a new id for the same point in time; callers must use the latest.
    const nextId = Buffer.from(`pit-${this.pitStats.opened}-${this.pitStats.searches}`).toString('base64url');
    this.pits.set(nextId, pit);
    send(res, 200, {
      pit_id: nextId,
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        ...(q.track_total_hits === false ? {} : { total: { value: pit.docs.length, relation: 'eq' } }),
        max_score: null,
        hits: page.map((d) => ({ _index: d._index, _id: d._id, _score: null, _source: filterSource(d._source, q._source), sort: [d.shardDoc] })),
      },
    });
  }

  private closePit(res: ServerResponse, body: string): void {
    const id = (JSON.parse(body || '{}') as { id?: string }).id;
    const pit = id === undefined ? undefined : this.pits.get(id);
    if (pit === undefined || pit.closed) return send(res, 404, { succeeded: true, num_freed: 0 });
    pit.closed = true;
    this.pitStats.closed++;
    send(res, 200, { succeeded: true, num_freed: 1 });
  }

  /** Documents stored, as parsed objects. */
  documents(): unknown[] {
    return [...this.docs.values()].map((d) => JSON.parse(d.source) as unknown);
  }

  get storedCount(): number {
    return this.ids.size;
  }
}

/** `_source` filtering by a list of (dotted) field paths, nested or written with dots. */
function filterSource(source: Record<string, unknown>, includes: string[] | boolean | undefined): Record<string, unknown> {
  if (!Array.isArray(includes)) return source;
  const out: Record<string, unknown> = {};
  for (const path of includes) {
    if (path in source) out[path] = source[path];
    const parts = path.split('.');
    let v: unknown = source;
    for (const p of parts) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    if (v === undefined || parts.length === 1) continue;
    let target = out;
    for (const p of parts.slice(0, -1)) target = (target[p] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]!] = v;
  }
  return out;
}

/** A set of ids past V8's limit of 2^24 entries per Set: the import bench stores tens of millions. */
class IdSet {
  private readonly shards = Array.from({ length: 64 }, () => new Set<string>());

  private shard(id: string): Set<string> {
    return this.shards[(id.charCodeAt(id.length - 1) * 31 + id.charCodeAt(id.length >> 1)) & 63]!;
  }

  has(id: string): boolean {
    return this.shard(id).has(id);
  }

  add(id: string): void {
    this.shard(id).add(id);
  }

  get size(): number {
    return this.shards.reduce((sum, s) => sum + s.size, 0);
  }
}

function nextLineEnd(body: string, from: number): number {
  const end = body.indexOf('\n', from);
  return end === -1 ? body.length : end;
}

function defaultErrorType(status: number): string {
  if (status === 429) return 'es_rejected_execution_exception';
  if (status === 400) return 'document_parsing_exception';
  if (status >= 500) return 'unavailable_shards_exception';
  return 'illegal_argument_exception';
}

/**
 * The action line of a create: Elasticsearch's own field order ({"create":{"_index":…,"_id":…}})
 * is read without JSON.parse so the bench measures the shipper, not this server; anything else
 * falls back to a real parse.
 */
function parseCreateAction(line: string): { _index?: string; _id?: string } | undefined | 'malformed' {
  const fast = /^\{"create":\{"_index":"([^"\\]*)","_id":"([^"\\]*)"\}\}$/.exec(line);
  if (fast) return { _index: fast[1]!, _id: fast[2]! };
  try {
    return (JSON.parse(line) as { create?: { _index?: string; _id?: string } }).create;
  } catch {
    return 'malformed';
  }
}

function formatItem(keep: Set<string> | undefined, index: string, id: string, status: number, error?: { type: string; reason: string }): string {
  const errorJson = error ? `"error":{"type":${JSON.stringify(error.type)},"reason":${JSON.stringify(error.reason)}}` : '';
  if (keep) {
    const parts: string[] = [];
    if (keep.has('_index')) parts.push(`"_index":${JSON.stringify(index)}`);
    if (keep.has('_id')) parts.push(`"_id":${JSON.stringify(id)}`);
    if (keep.has('status')) parts.push(`"status":${status}`);
    if (error && keep.has('error')) parts.push(errorJson);
    return `{"create":{${parts.join(',')}}}`;
  }
  const head = `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)},"status":${status}`;
  if (error) return `${head},${errorJson}}}`;
  return `${head},"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1}}`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
