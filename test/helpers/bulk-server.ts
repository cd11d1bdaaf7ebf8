import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { CreateActionReader, decodeAction } from '../../src/codec/bulk.js';

/**
 * A loopback stand-in for Elasticsearch that speaks `_bulk` the way Elasticsearch documents it,
 * keeps created documents by `_id` (a second `create` of an id gets 409
 * version_conflict_engine_exception), and can be scripted to misbehave the way Elasticsearch
 * does inside a 200 answer (`itemFaults`: 429 rejections, 403 security exceptions, 404 missing
 * data streams, 201 into the failure store; see docs/operations.md for the source of each), or
 * with a whole request (an error status, a dropped connection, a delay, an answer held back
 * until the test lets it go). Reads bodies with the project's `_bulk` codec. Also answers `GET /` with
 * a version body and records any other request (templates, pipelines...) so setup code can be
 * tested against it. Reusable by sink, tail and import tests and by the bench.
 *
 * Rollover, for import's presence check (at the speed of a bench, so without data streams: one
 * id space and one rollover history for every data stream): `rollover()` starts a new id space,
 * as a data stream's new write index does (elastic/elasticsearch#44794: `_id` is unique per
 * backing index). `GET <target>/_settings/index.creation_date` lists one backing index per
 * generation with its creation date (404 before anything was stored or rolled over), and
 * `POST <target>/_search` with an `ids` query answers which ids any generation holds (one hit per
 * generation holding it; the `@timestamp` range is not applied: sources are not kept).
 *
 * Documents put in `searchable` can be read back the way `import --from-index` reads an index:
 * `POST /<index>/_pit`, `POST /_search` with `pit` + `sort: [{_shard_doc}]` + `search_after`, and
 * `DELETE /_pit`, with the request and response shapes of Elasticsearch's documentation.
 */

export interface ItemFault {
  status: number;
  type?: string;
  reason?: string;
  /**
   * With a 2xx status: the document went to the data stream's failure store (9.1+), as
   * Elasticsearch answers a document its ingest pipeline or mapping rejected when the failure
   * store is enabled: 201, `failure_store: "used"`, `_index` a `.fs-` failure index. Its id does
   * not enter the data stream, so sending it again stores it again.
   */
  failureStore?: 'used';
}

/**
 * Item answers as Elasticsearch writes them (error types and reasons from the classes named in
 * docs/operations.md "What `_bulk` answers"), for `onItem`.
 */
export const itemFaults = {
  /** EsRejectedExecutionException (429) from a shard's indexing pressure limit or its full write queue. */
  rejected: (): ItemFault => ({
    status: 429, type: 'es_rejected_execution_exception',
    reason: 'rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes=1621, max_coordinating_and_primary_bytes=107374182]',
  }),
  /** x-pack security's denial of an item the credentials may not write. */
  forbidden: (index: string): ItemFault => ({
    status: 403, type: 'security_exception',
    reason: `action [indices:data/write/bulk[s]] is unauthorized for API key id [dropship-key] of user [dropship] on indices [${index}], this action is granted by the index privileges [create_doc,create,index,write,all]`,
  }),
  /** Auto-create refused (action.auto_create_index, or no auto_configure privilege). */
  indexNotFound: (index: string): ItemFault => ({
    status: 404, type: 'index_not_found_exception', reason: `no such index [${index}] and [action.auto_create_index] is [false]`,
  }),
  /** A mapping failure, without a failure store. */
  mappingError: (): ItemFault => ({
    status: 400, type: 'document_parsing_exception', reason: '[1:412] failed to parse field [destination.port] of type [long] in document',
  }),
  /** A mapping failure, with the failure store enabled (the default for logs-*-* from 9.2). */
  failureStore: (): ItemFault => ({ status: 201, failureStore: 'used' }),
};

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
  | { kind: 'delay'; ms: number }
  /** Processed only once `until` settles: a request in flight for as long as a test needs it. */
  | { kind: 'hold'; until: Promise<unknown> };

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
  /** The write index's ids; `olderIds` are those of the backing indices before each rollover. */
  private ids = new IdSet();
  private readonly olderIds: IdSet[] = [];
  /** Creation time (epoch ms) of each generation, oldest first. */
  private readonly generations: number[] = [Date.now()];
  /** `ids` searches answered (the presence check), and the ids they asked about. */
  searchRequests = 0;
  searchedIds = 0;
  private readonly attempts = new Map<string, number>();
  /** Non-bulk requests, in order (e.g. the PUTs of `dropship setup`). */
  readonly recorded: RecordedRequest[] = [];
  /** Bodies answered by GET on a path, e.g. to fake an existing template. */
  readonly getResponses = new Map<string, unknown>();
  bulkRequests = 0;
  /** `_bulk` requests being answered now, and the most at once. */
  bulkInFlight = 0;
  maxBulkInFlight = 0;
  itemsReceived = 0;
  /** Documents answered `failure_store: used`, in order. */
  readonly failureStoreDocs: StoredDoc[] = [];
  /** Bytes of `_bulk` bodies (decompressed when gzip-encoded). */
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

  /** Whether a document with this id is stored, in any generation (kept in every mode, unlike sources and attempts). */
  hasId(id: string): boolean {
    return this.ids.has(id) || this.olderIds.some((ids) => ids.has(id));
  }

  /** A rollover of every data stream: a new write index, so a new id space; what is stored stays searchable. */
  rollover(now = Date.now()): void {
    this.olderIds.push(this.ids);
    this.ids = new IdSet();
    this.generations.push(now);
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
        // `_bulk` bodies stay in the chunks they arrived in (see bulk()); others are decoded whole.
        const body = req.headers['content-encoding'] === 'gzip' ? [gunzipSync(Buffer.concat(chunks))] : chunks;
        void this.route(req, res, body).catch((err: unknown) => {
          send(res, 500, { error: { type: 'mock_failure', reason: String(err) }, status: 500 });
        });
      });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, chunks: Buffer[]): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/_bulk' || url.pathname.endsWith('/_bulk')) return this.bulk(req, res, url, chunks);
    const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    if (method === 'GET' && url.pathname === '/') return send(res, 200, this.rootBody());
    if (method === 'POST' && url.pathname.endsWith('/_pit')) return this.openPit(res, decodeURIComponent(url.pathname.slice(1, -5)));
    if ((method === 'POST' || method === 'GET') && url.pathname === '/_search') return this.pitSearch(res, body);
    if (method === 'DELETE' && url.pathname === '/_pit') return this.closePit(res, body);
    const target = /^\/([^_/][^/]*)\/(_settings|_search)(?:\/|$)/.exec(url.pathname);
    if (method === 'GET' && target?.[2] === '_settings') return this.backingIndices(res, decodeURIComponent(target[1]!));
    if ((method === 'POST' || method === 'GET') && target?.[2] === '_search') return this.idsSearch(res, body, url.searchParams.has('filter_path'));
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

  /**
   * `_bulk`, cheap per document: the body is scanned in the Buffers it arrived in. Action lines in
   * Elasticsearch's own form with printable-ASCII index and id are read from the bytes, and the id
   * goes from the request bytes into the id set and the response without becoming a string;
   * source lines are skipped by their newline. Ids and sources are decoded only when sources are
   * stored, an `onItem` hook wants them or an error message names the id. Anything else (other
   * field orders, whitespace, escapes, non-ASCII) takes the general path: the line is decoded as
   * UTF-8 and parsed.
   */
  private async bulk(req: IncomingMessage, res: ServerResponse, url: URL, chunks: Buffer[]): Promise<void> {
    this.maxBulkInFlight = Math.max(this.maxBulkInFlight, ++this.bulkInFlight);
    try {
      await this.bulkRequest(req, res, url, chunks);
    } finally {
      this.bulkInFlight--;
    }
  }

  private async bulkRequest(req: IncomingMessage, res: ServerResponse, url: URL, chunks: Buffer[]): Promise<void> {
    const request = ++this.bulkRequests;
    for (const chunk of chunks) this.bytesReceived += chunk.length;
    const fault = this.onBulkRequest?.(request);
    if (fault?.kind === 'destroy') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'hold') await fault.until.catch(() => undefined);
    if (fault?.kind === 'status') {
      return send(res, fault.status, {
        error: { type: fault.type ?? 'es_rejected_execution_exception', reason: fault.reason ?? `injected ${fault.status}` },
        status: fault.status,
      });
    }
    const started = Date.now();
    const defaultIndex = url.pathname === '/_bulk' ? '' : decodeURIComponent(url.pathname.split('/')[1] ?? '');
    // Elasticsearch's filter_path, for the shapes the sink asks for (items.*.<key>).
    const filter = url.searchParams.get('filter_path');
    const keep = filter ? new Set(filter.split(',').filter((f) => f.startsWith('items.*.')).map((f) => f.slice(8))) : undefined;
    const created = new CreatedItems(keep);
    // Sources (and, on the fast path, ids as strings) only for stored documents and hooks.
    const needText = this.storeSources || this.onItem !== undefined;
    const lines = new LineCursor(chunks);
    const fast = new CreateActionReader();
    const out = new BulkResponse();
    let errors = false;
    while (!lines.done) {
      const chunk = lines.chunk;
      let index: string;
      /** On the fast path, decoded only when needed: the id's bytes are chunk[idStart, idEnd). */
      let id: string | undefined;
      let idStart = -1;
      let idEnd = -1;
      if (fast.parse(chunk, lines.pos)) {
        lines.pos = fast.end;
        lines.advance();
        index = fast.index;
        idStart = fast.idStart;
        idEnd = fast.idEnd;
        if (needText) id = chunk.toString('latin1', idStart, idEnd);
        this.itemsReceived++;
      } else {
        lines.read();
        const actionLine = lines.buf.toString('utf8', lines.start, lines.end);
        if (actionLine.trim() === '') continue;
        this.itemsReceived++;
        const action = decodeAction(actionLine);
        if (action === undefined) {
          return send(res, 400, { error: { type: 'illegal_argument_exception', reason: 'Malformed action/metadata line' }, status: 400 });
        }
        if (action.op !== 'create') {
          return send(res, 400, { error: { type: 'illegal_argument_exception', reason: 'only create is supported by this server' }, status: 400 });
        }
        index = action.index ?? defaultIndex;
        id = action.id ?? `auto-${this.itemsReceived}`;
      }
      let source = '';
      if (needText) {
        lines.read();
        source = lines.buf.toString('utf8', lines.start, lines.end);
      } else {
        lines.pass();
      }
      let attempt = 1;
      if (this.storeSources) {
        attempt = (this.attempts.get(id!) ?? 0) + 1;
        this.attempts.set(id!, attempt);
      }
      const itemFault = this.onItem?.({ index, id: id!, source, attempt, request });
      if (itemFault?.failureStore === 'used') {
        // Stored, but in the failure store: a success (errors stays false), outside the data stream.
        const failureIndex = `.fs-${index}-2026.01.01-000001`;
        this.failureStoreDocs.push({ index: failureIndex, source });
        out.text(formatItem(keep, failureIndex, id!, itemFault.status, undefined, 'used'));
      } else if (itemFault) {
        errors = true;
        out.text(formatItem(keep, index, id!, itemFault.status, {
          type: itemFault.type ?? defaultErrorType(itemFault.status),
          reason: itemFault.reason ?? `injected ${itemFault.status}`,
        }));
      } else if (id === undefined ? !this.ids.addBytes(chunk, idStart, idEnd) : !this.ids.add(id)) {
        errors = true;
        id ??= chunk.toString('latin1', idStart, idEnd);
        out.text(formatItem(keep, index, id, 409, {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists (current version [1])`,
        }));
      } else {
        if (this.storeSources) this.docs.set(id!, { index, source });
        if (idStart >= 0) created.write(out, index, chunk, idStart, idEnd);
        else out.text(formatItem(keep, index, id!, CREATED));
      }
    }
    const response = out.finish(keep ? `{"errors":${errors},"items":[` : `{"took":${Date.now() - started},"errors":${errors},"items":[`);
    res.writeHead(200, BULK_HEADERS);
    res.end(response);
  }

  /** `GET <data stream>/_settings/index.creation_date?flat_settings=true`: one backing index per generation. */
  private backingIndices(res: ServerResponse, target: string): void {
    if (this.generations.length === 1 && this.ids.size === 0) {
      return send(res, 404, { error: { type: 'index_not_found_exception', reason: `no such index [${target}]` }, status: 404 });
    }
    const out: Record<string, unknown> = {};
    this.generations.forEach((created, i) => {
      out[`.ds-${target}-${new Date(created).toISOString().slice(0, 10).replace(/-/g, '.')}-${String(i + 1).padStart(6, '0')}`] = { settings: { 'index.creation_date': String(created) } };
    });
    send(res, 200, out);
  }

  /** A search with an `ids` query (the presence check): a hit per generation holding each id, up to `size`. */
  private idsSearch(res: ServerResponse, body: string, filtered: boolean): void {
    const q = JSON.parse(body || '{}') as { size?: number; query?: unknown };
    const ids = idsOf(q.query);
    if (ids === undefined) return send(res, 400, { error: { type: 'illegal_argument_exception', reason: 'this server searches by ids only' }, status: 400 });
    this.searchRequests++;
    this.searchedIds += ids.length;
    const size = q.size ?? 10;
    const hits: { _index?: string; _id: string }[] = [];
    const sets = [...this.olderIds, this.ids];
    for (let g = 0; g < sets.length && hits.length < size; g++) {
      for (const id of ids) {
        if (hits.length >= size) break;
        if (sets[g]!.has(id)) hits.push(filtered ? { _id: id } : { _index: `generation-${g + 1}`, _id: id });
      }
    }
    const shards = { total: sets.length, successful: sets.length, skipped: 0, failed: 0 };
    send(res, 200, filtered ? { _shards: { failed: 0 }, timed_out: false, ...(hits.length > 0 ? { hits: { hits } } : {}) } : { took: 1, timed_out: false, _shards: shards, hits: { hits } });
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

  /** Documents stored, in every generation (an id stored before and after a rollover counts twice). */
  get storedCount(): number {
    return this.olderIds.reduce((sum, ids) => sum + ids.size, this.ids.size);
  }
}

/** The values of an `ids` query, alone or in a bool's filter/must. */
function idsOf(query: unknown): string[] | undefined {
  const q = query as { ids?: { values?: string[] }; bool?: { filter?: unknown[]; must?: unknown[] } } | undefined;
  if (q?.ids?.values !== undefined) return q.ids.values;
  for (const clause of [...(q?.bool?.filter ?? []), ...(q?.bool?.must ?? [])]) {
    const ids = idsOf(clause);
    if (ids !== undefined) return ids;
  }
  return undefined;
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

/**
 * The ids of stored documents, kept as bytes: an open-addressing table of 32-bit hashes and id
 * numbers over one arena of id bytes. The `_bulk` fast path checks and adds an id straight from
 * the request bytes, with no string and no garbage per id, and a new id usually costs a cache
 * line or two of the table. Ids with a UTF-16 code unit above 0xff (never on the fast path) go
 * to a Set. Holds far more than V8's 2^24 entries per Set (the import bench stores tens of
 * millions).
 */
class IdSet {
  /** The bytes of every id (latin1), id k at [starts[k], starts[k + 1]). */
  private arena = new Uint8Array(1 << 20);
  private starts = new Uint32Array(1 << 16);
  private count = 0;
  private mask = (1 << 16) - 1;
  /** Per slot two int32: the id's hash and 1 + its number; 0 marks an empty slot. */
  private slots = new Int32Array(2 << 16);
  private readonly wide = new Set<string>();

  get size(): number {
    return this.count + this.wide.size;
  }

  has(id: string): boolean {
    if (!isLatin1(id)) return this.wide.has(id);
    const key = Buffer.from(id, 'latin1');
    return this.slots[2 * this.probeBytes(key, 0, key.length, hashBytes(key, 0, key.length)) + 1] !== 0;
  }

  /** Adds the id; false if it was there already. */
  add(id: string): boolean {
    if (!isLatin1(id)) {
      if (this.wide.has(id)) return false;
      // A flat copy: an id sliced from its action line would keep that line alive.
      this.wide.add(id.split('').join(''));
      return true;
    }
    const key = Buffer.from(id, 'latin1');
    return this.addBytes(key, 0, key.length);
  }

  /** Adds the id whose latin1 bytes are b[start, end); false if it was there already. */
  addBytes(b: Uint8Array, start: number, end: number): boolean {
    const hash = hashBytes(b, start, end);
    const slot = this.probeBytes(b, start, end, hash);
    if (this.slots[2 * slot + 1] !== 0) return false;
    const at = this.starts[this.count]!;
    if (at + (end - start) > this.arena.length) this.arena = grownCopy(this.arena, at + (end - start), at);
    const arena = this.arena;
    for (let i = start, j = at; i < end; i++, j++) arena[j] = b[i]!;
    this.count++;
    if (this.count + 1 >= this.starts.length) this.starts = grownCopy(this.starts, this.count + 2, this.count + 1);
    this.starts[this.count] = at + (end - start);
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = this.count;
    // Grown at 3/4 full: linear probing stays within a cache line or two.
    if (this.count * 4 > this.mask * 3) this.grow();
    return true;
  }

  /** The slot holding this id, or the empty slot where it belongs. */
  private probeBytes(b: Uint8Array, start: number, end: number, hash: number): number {
    const { slots, mask, arena, starts } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const ref = slots[2 * slot + 1]!;
      if (ref === 0) return slot;
      if (slots[2 * slot] !== hash) continue;
      const from = starts[ref - 1]!;
      if (starts[ref]! - from !== end - start) continue;
      let i = 0;
      while (start + i < end && arena[from + i] === b[start + i]) i++;
      if (start + i === end) return slot;
    }
  }

  private grow(): void {
    const old = this.slots;
    const mask = this.mask * 2 + 1;
    const slots = new Int32Array(2 * (mask + 1));
    for (let j = 0; j < old.length; j += 2) {
      const ref = old[j + 1]!;
      if (ref === 0) continue;
      const hash = old[j]!;
      let slot = hash & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = hash;
      slots[2 * slot + 1] = ref;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** A copy of the first `used` elements in an array of at least `needed` (doubling). */
function grownCopy<T extends Uint8Array | Uint32Array>(array: T, needed: number, used: number): T {
  const grown = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, needed));
  grown.set(array.subarray(0, used));
  return grown;
}

function isLatin1(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0xff) return false;
  return true;
}

/** FNV-1a, then murmur3's finalizer so the low bits spread. */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return finishHash(h);
}

function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

const BULK_HEADERS = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * Lines of a body kept in the Buffers it arrived in. `chunk`/`pos` is where the next line starts
 * (never at the end of a chunk unless `done`); read() exposes a line as `buf[start, end)`, copying
 * only a line that spans chunks; pass() moves over a line without looking at its bytes beyond the
 * newline search.
 */
class LineCursor {
  private index = 0;
  chunk: Buffer;
  pos = 0;
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;

  constructor(private readonly chunks: Buffer[]) {
    this.chunk = chunks[0] ?? EMPTY;
    this.advance();
  }

  get done(): boolean {
    return this.index >= this.chunks.length;
  }

  /** Move past the end of the current chunk (and empty ones) after `pos` was set. */
  advance(): void {
    while (this.pos >= this.chunk.length && this.index < this.chunks.length) {
      this.index++;
      this.chunk = this.chunks[this.index] ?? EMPTY;
      this.pos = 0;
    }
  }

  read(): void {
    const nl = this.chunk.indexOf(NEWLINE, this.pos);
    if (nl !== -1) {
      this.buf = this.chunk;
      this.start = this.pos;
      this.end = nl;
      this.pos = nl + 1;
      this.advance();
      return;
    }
    if (this.done) {
      this.buf = EMPTY;
      this.start = this.end = 0;
      return;
    }
    const parts = [this.chunk.subarray(this.pos)];
    this.spanTo((piece) => parts.push(piece));
    this.buf = Buffer.concat(parts);
    this.start = 0;
    this.end = this.buf.length;
  }

  pass(): void {
    const nl = this.chunk.indexOf(NEWLINE, this.pos);
    if (nl !== -1) {
      this.pos = nl + 1;
      this.advance();
    } else if (!this.done) {
      this.spanTo(undefined);
    }
  }

  /** The rest of a line that starts in the current chunk and goes on into the next ones. */
  private spanTo(collect: ((piece: Buffer) => void) | undefined): void {
    for (;;) {
      this.index++;
      this.pos = 0;
      if (this.index >= this.chunks.length) {
        this.chunk = EMPTY;
        return;
      }
      this.chunk = this.chunks[this.index]!;
      const nl = this.chunk.indexOf(NEWLINE);
      if (nl !== -1) {
        collect?.(this.chunk.subarray(0, nl));
        this.pos = nl + 1;
        this.advance();
        return;
      }
      collect?.(this.chunk);
    }
  }
}

/**
 * The `_bulk` response, written as bytes while the items are processed: no string per item and no
 * join, copy and UTF-8 encoding of a megabyte of items at the end. Room is left in front for the
 * envelope (`took` and `errors` are known only at the end).
 */
class BulkResponse {
  private static readonly ROOM = 64;
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = BulkResponse.ROOM;
  private items = 0;

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /** Starts an item: the separator, and room for `bytes` more. */
  private item(bytes: number): void {
    this.reserve(bytes + 1);
    if (this.items++ > 0) this.buf[this.len++] = 0x2c;
  }

  /** An item as JSON text. */
  text(item: string): void {
    const bytes = Buffer.byteLength(item);
    this.item(bytes);
    this.len += this.buf.write(item, this.len, bytes, 'utf8');
  }

  /** An item from fixed bytes, or fixed bytes + the id's bytes b[idStart, idEnd) + fixed bytes. */
  pieces(head: Buffer, b: Uint8Array, idStart: number, idEnd: number, tail: Buffer | undefined): void {
    this.item(head.length + (tail === undefined ? 0 : idEnd - idStart + tail.length));
    const buf = this.buf;
    buf.set(head, this.len);
    this.len += head.length;
    if (tail === undefined) return;
    let at = this.len;
    for (let i = idStart; i < idEnd; i++) buf[at++] = b[i]!;
    buf.set(tail, at);
    this.len = at + tail.length;
  }

  /** The whole body: `prefix` (ASCII, before the items) + items + `]}`. */
  finish(prefix: string): Buffer {
    this.reserve(2);
    this.buf[this.len++] = 0x5d;
    this.buf[this.len++] = 0x7d;
    const start = BulkResponse.ROOM - prefix.length;
    this.buf.write(prefix, start, 'latin1');
    return this.buf.subarray(start, this.len);
  }
}

/**
 * The response item of a created document whose index and id need no JSON escaping, as
 * formatItem() writes it, from bytes built once per index.
 */
class CreatedItems {
  private index: string | undefined;
  private head: Buffer = EMPTY;
  /** undefined: the item does not show the id, head is the whole item. */
  private tail: Buffer | undefined;

  constructor(private readonly keep: Set<string> | undefined) {}

  write(out: BulkResponse, index: string, b: Uint8Array, idStart: number, idEnd: number): void {
    if (index !== this.index) {
      this.index = index;
      if (this.keep && !this.keep.has('_id')) {
        this.head = Buffer.from(formatItem(this.keep, index, '', CREATED), 'latin1');
        this.tail = undefined;
      } else {
        // formatItem() with a marker id (a control character: never in a plain id), split around it.
        const marker = JSON.stringify('\u0000');
        const whole = formatItem(this.keep, index, '\u0000', CREATED);
        const at = whole.indexOf(marker);
        this.head = Buffer.from(`${whole.slice(0, at)}"`, 'latin1');
        this.tail = Buffer.from(`"${whole.slice(at + marker.length)}`, 'latin1');
      }
    }
    out.pieces(this.head, b, idStart, idEnd, this.tail);
  }
}

function defaultErrorType(status: number): string {
  if (status === 429) return 'es_rejected_execution_exception';
  if (status === 400) return 'document_parsing_exception';
  if (status >= 500) return 'unavailable_shards_exception';
  return 'illegal_argument_exception';
}

/**
 * One response item, as BulkItemResponse#toXContent writes it: a success carries the
 * IndexResponse fields (and `failure_store` when it is not "not applicable"), a failure `_index`,
 * `_id`, `status` and `error`. `keep`: the `items.*.<field>` names of a filter_path.
 */
function formatItem(keep: Set<string> | undefined, index: string, id: string, status: number, error?: { type: string; reason: string }, failureStore?: string): string {
  const errorJson = error ? `"error":{"type":${JSON.stringify(error.type)},"reason":${JSON.stringify(error.reason)}}` : '';
  const failureStoreJson = failureStore === undefined ? '' : `"failure_store":${JSON.stringify(failureStore)}`;
  if (keep) {
    const parts: string[] = [];
    if (keep.has('_index')) parts.push(`"_index":${JSON.stringify(index)}`);
    if (keep.has('_id')) parts.push(`"_id":${JSON.stringify(id)}`);
    if (keep.has('status')) parts.push(`"status":${status}`);
    if (error && keep.has('error')) parts.push(errorJson);
    if (failureStore !== undefined && keep.has('failure_store')) parts.push(failureStoreJson);
    return `{"create":{${parts.join(',')}}}`;
  }
  const head = `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)},"status":${status}`;
  if (error) return `${head},${errorJson}}}`;
  return `${head},"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1${failureStore === undefined ? '' : `,${failureStoreJson}`}}}`;
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
