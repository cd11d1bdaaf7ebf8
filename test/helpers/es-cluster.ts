import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback Elasticsearch that keeps cluster state, for testing `dropship setup` and anything
 * that must meet data streams as they are: component and index templates composed in order,
 * data streams created on the first write with backing indices `.ds-<name>-<date>-00000N`,
 * rollover (and lazy rollover), per-index settings and mappings, API keys and privileges. Each
 * behaviour below was read in Elasticsearch's source or tests; docs/elasticsearch.md lists the
 * paths. It answers as the version it is given, where versions differ:
 *
 * - `PUT <expr>/_mapping?write_index_only=true` resolves every expression to ONE write index
 *   (IndexNameExpressionResolver.concreteWriteIndex): an expression matching nothing returns null,
 *   which TransportPutMappingAction dereferences (500 null_pointer_exception); with security on a
 *   wildcard matching nothing authorised becomes `*,-*` and fails "did not point to a single
 *   write-index"; one matching two data streams fails the same way.
 * - A `constant_keyword` without a value takes the first document's value; a different value is a
 *   400 document_parsing_exception; a mapping update that leaves `value` out conflicts once it is
 *   set (ConstantKeywordFieldMapper's merge validator).
 * - Documents `create`d into a data stream go to its write index (DataStream.getWriteIndex for
 *   non-TSDB modes): `_id` is unique per backing index only, so a rollover starts a new id space
 *   (elastic/elasticsearch#44794).
 * - `_search` on a data stream covers every backing index; the stand-in knows `ids`, `range` on
 *   `@timestamp` (epoch_millis or ISO) and `match_all` inside `bool.filter`/`must`, `size`,
 *   `_source: false` and `filter_path`. With `nearRealTime`, a document is seen by searches only
 *   after a refresh (`refresh()` or `POST <target>/_refresh`), as with Elasticsearch's periodic
 *   refresh, while `create` sees it at once (the id lookup reads the live version map).
 * - Every backing index has `index.creation_date` (epoch ms as a string, the cluster's `now()`).
 * - `?lazy=true` rollover (from 8.14) marks the data stream (`rollover_on_write`) and the next
 *   write rolls it over; before 8.14 the parameter is unknown: 400, as for any unrecognised one.
 * - Non-dynamic settings (`index.mode`) cannot be changed on an open index.
 * - Built-in templates: `logs-mappings`/`logs-settings` before 8.12, `logs@mappings`,
 *   `logs@settings`, `ecs@mappings` from 8.12 (elastic/elasticsearch#99975); from 9.0 a new
 *   `logs-*-*` data stream without an explicit `index.mode` gets `logsdb`
 *   (LogsdbIndexModeSettingsProvider).
 * - Security: 401 without credentials; every request is authorised as the action Elasticsearch
 *   names it, against the privilege names of IndexPrivilege / ClusterPrivilegeResolver (a subset:
 *   the ones dropship's documentation names); privileges on a data stream cover its backing
 *   indices; an API key holds the role descriptors it was created with.
 *
 * `_bulk` here is written for clarity, not speed (one JSON.parse per line, `create` only); the
 * fast stand-in for throughput and fault injection is test/helpers/bulk-server.ts.
 */

export type Json = Record<string, unknown>;

export interface RoleDescriptor {
  cluster?: string[];
  indices?: { names: string[]; privileges: string[] }[];
}

export interface EsClusterOptions {
  /** What `GET /` reports, e.g. '8.11.0'. */
  version: string;
  serverless?: boolean;
  /** Security on: requests need credentials and are authorised per action. */
  security?: boolean;
  /** Whether `POST <ds>/_rollover?lazy=true` is known; default: from 8.14. */
  lazyRollover?: boolean;
  /** Users for basic authentication; 'superuser' may do anything. */
  users?: Record<string, { password: string; roles: RoleDescriptor[] | 'superuser' }>;
  /** Searches see documents only after a refresh (default: at once). */
  nearRealTime?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Who asked (user name or `api_key:<name>`), with security on. */
  principal?: string;
}

export interface BackingIndex {
  name: string;
  dataStream: string;
  /** Flat settings, as `GET _settings?flat_settings=true` shows them. */
  settings: Map<string, string>;
  /** Mapping properties, nested. */
  properties: Json;
  docs: Map<string, Json>;
  /** Ids written since the last refresh: not yet seen by searches (with `nearRealTime`). */
  unrefreshed: Set<string>;
}

export interface DataStreamState {
  name: string;
  generation: number;
  indices: string[];
  rolloverOnWrite: boolean;
}

interface ApiKey {
  id: string;
  name: string;
  key: string;
  owner: string;
  roles: RoleDescriptor[] | 'superuser';
  invalidated: boolean;
}

interface Principal {
  name: string;
  roles: RoleDescriptor[] | 'superuser';
  /** An API key is limited by its own descriptors and by its owner's. */
  limitedBy?: RoleDescriptor[] | 'superuser';
}

class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface Answer {
  status: number;
  body: unknown;
}

/** Settings that can change on an open index (a subset of Elasticsearch's dynamic ones). */
const DYNAMIC_SETTINGS = new Set([
  'index.default_pipeline',
  'index.final_pipeline',
  'index.lifecycle.name',
  'index.number_of_replicas',
  'index.refresh_interval',
  'index.mapping.total_fields.limit',
]);

/** Parameters every endpoint accepts (BaseRestHandler's always-supported ones). */
const COMMON_PARAMS = ['pretty', 'human', 'error_trace', 'filter_path', 'format'];

/** Action name patterns of the privilege names the tests use (IndexPrivilege.java, ClusterPrivilegeResolver.java). */
const CLUSTER_PRIVILEGES: Record<string, string[]> = {
  all: ['cluster:*', 'indices:admin/template/*', 'indices:admin/index_template/*'],
  monitor: ['cluster:monitor/*'],
  manage_ilm: ['cluster:admin/ilm/*'],
  manage_pipeline: ['cluster:admin/ingest/pipeline/*'],
  manage_ingest_pipelines: ['cluster:admin/ingest/pipeline/*'],
  manage_index_templates: ['indices:admin/template/*', 'indices:admin/index_template/*', 'cluster:admin/component_template/*'],
  manage_own_api_key: ['cluster:admin/xpack/security/api_key/*'],
  manage_api_key: ['cluster:admin/xpack/security/api_key/*'],
};
const INDEX_PRIVILEGES: Record<string, string[]> = {
  all: ['indices:*'],
  manage: ['indices:monitor/*', 'indices:admin/*'],
  view_index_metadata: ['indices:admin/data_stream/get', 'indices:admin/get', 'indices:admin/mappings/get', 'indices:monitor/settings/get'],
  read: ['indices:data/read/*'],
  create_doc: ['indices:data/write/index', 'indices:data/write/index[*', 'indices:data/write/index:op_type/create', 'indices:data/write/bulk*'],
  create: ['indices:data/write/index*', 'indices:data/write/bulk*'],
  write: ['indices:data/write/*', 'indices:admin/mapping/auto_put'],
  auto_configure: ['indices:admin/mapping/auto_put', 'indices:admin/auto_create'],
};

export class EsCluster {
  readonly major: number;
  readonly minor: number;
  readonly componentTemplates = new Map<string, Json>();
  readonly indexTemplates = new Map<string, Json>();
  readonly pipelines = new Map<string, Json>();
  readonly ilmPolicies = new Map<string, Json>();
  readonly dataStreams = new Map<string, DataStreamState>();
  readonly indices = new Map<string, BackingIndex>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly recorded: RecordedRequest[] = [];
  /** The day in backing index names (`.ds-<name>-<day>-000001`); fixed so tests can name indices. */
  day = '2027.01.01';
  /** The cluster's clock (epoch ms): `index.creation_date` of new backing indices. */
  now: () => number = () => Date.now();
  /**
   * Fault injection: an answer for a request instead of the cluster's own (after authentication,
   * before routing; requests are recorded either way), or undefined.
   */
  intercept: ((request: RecordedRequest) => Answer | undefined) | undefined;
  private keySeq = 0;

  constructor(readonly options: EsClusterOptions) {
    const [major = 0, minor = 0] = options.version.split('.').map(Number);
    this.major = major;
    this.minor = minor;
    this.installBuiltIns();
  }

  atLeast(major: number, minor: number): boolean {
    return this.options.serverless === true || this.major > major || (this.major === major && this.minor >= minor);
  }

  // ---- cluster state operations (also used directly by tests to build a "before" state) ----

  /** The templates Elasticsearch itself installs for `logs-*-*` (simplified to what matters here). */
  private installBuiltIns(): void {
    const dataStreamFields = {
      data_stream: {
        properties: {
          type: { type: 'constant_keyword' },
          dataset: { type: 'constant_keyword' },
          namespace: { type: 'constant_keyword' },
        },
      },
    };
    const logsSettings = { index: { lifecycle: { name: 'logs' }, codec: 'best_compression', mapping: { ignore_malformed: true } } };
    if (!this.atLeast(9, 0)) {
      // Legacy names (still installed alongside the new ones in 8.12+).
      this.componentTemplates.set('logs-mappings', { template: { mappings: { properties: { ...dataStreamFields, '@timestamp': { type: 'date' } } } } });
      this.componentTemplates.set('logs-settings', { template: { settings: logsSettings } });
    }
    let composedOf = ['logs-mappings', 'logs-settings'];
    if (this.atLeast(8, 12)) {
      this.componentTemplates.set('logs@mappings', { template: { mappings: { properties: { ...dataStreamFields, '@timestamp': { type: 'date' } } } } });
      this.componentTemplates.set('logs@settings', {
        template: { settings: { index: { ...logsSettings.index, lifecycle: { name: 'logs@lifecycle' }, default_pipeline: 'logs@default-pipeline' } } },
      });
      this.componentTemplates.set('ecs@mappings', { template: { mappings: { dynamic_templates: [] } } });
      composedOf = ['logs@mappings', 'logs@settings', 'logs@custom', 'ecs@mappings'];
    }
    this.indexTemplates.set('logs', {
      index_patterns: ['logs-*-*'],
      priority: 100,
      data_stream: {},
      composed_of: composedOf,
      ...(this.atLeast(8, 12) ? { ignore_missing_component_templates: ['logs@custom'] } : {}),
    });
  }

  /** The index template that applies to a new index of this name (highest priority match). */
  matchingTemplate(name: string): [string, Json] | undefined {
    let best: [string, Json] | undefined;
    for (const [templateName, t] of this.indexTemplates) {
      if (!(t.index_patterns as string[]).some((p) => globMatch(p, name))) continue;
      if (!best || Number(t.priority ?? 0) > Number(best[1].priority ?? 0)) best = [templateName, t];
    }
    return best;
  }

  /** Settings (flat) and mapping properties a new index of this name would get. */
  resolveTemplate(name: string): { template: string; settings: Map<string, string>; properties: Json; lifecycle?: unknown } | undefined {
    const match = this.matchingTemplate(name);
    if (!match) return undefined;
    const [templateName, t] = match;
    const settings = new Map<string, string>();
    let properties: Json = {};
    const ignoreMissing = new Set((t.ignore_missing_component_templates as string[] | undefined) ?? []);
    const parts: Json[] = [];
    for (const c of (t.composed_of as string[] | undefined) ?? []) {
      const component = this.componentTemplates.get(c);
      if (component) parts.push((component.template as Json | undefined) ?? {});
      else if (!ignoreMissing.has(c)) throw new EsError(400, 'illegal_argument_exception', `index template [${templateName}] specifies component templates [${c}] that do not exist`);
    }
    parts.push((t.template as Json | undefined) ?? {});
    let lifecycle: unknown;
    for (const part of parts) {
      for (const [k, v] of flattenSettings((part.settings as Json | undefined) ?? {})) settings.set(k, v);
      properties = mergeProperties(properties, ((part.mappings as Json | undefined)?.properties as Json | undefined) ?? {}, '', false);
      if (part.lifecycle !== undefined) lifecycle = part.lifecycle;
    }
    // LogsdbIndexModeSettingsProvider: from 9.0, logs-*-* gets logsdb unless the template says otherwise.
    if (this.atLeast(9, 0) && globMatch('logs-*-*', name) && !settings.has('index.mode')) settings.set('index.mode', 'logsdb');
    return { template: templateName, settings, properties, lifecycle };
  }

  /** Creates the data stream as an auto-create on first write would. */
  createDataStream(name: string): DataStreamState {
    const resolved = this.resolveTemplate(name);
    if (!resolved || this.indexTemplates.get(resolved.template)?.data_stream === undefined) {
      throw new EsError(404, 'index_not_found_exception', `no such index [${name}] and no index template with data_stream matches it`);
    }
    const stream: DataStreamState = { name, generation: 0, indices: [], rolloverOnWrite: false };
    this.dataStreams.set(name, stream);
    this.addBackingIndex(stream);
    return stream;
  }

  private addBackingIndex(stream: DataStreamState): BackingIndex {
    const resolved = this.resolveTemplate(stream.name)!;
    stream.generation++;
    const name = `.ds-${stream.name}-${this.day}-${String(stream.generation).padStart(6, '0')}`;
    resolved.settings.set('index.creation_date', String(this.now()));
    const index: BackingIndex = {
      name,
      dataStream: stream.name,
      settings: resolved.settings,
      properties: mergeProperties(resolved.properties, { '@timestamp': { type: 'date' } }, '', false),
      docs: new Map(),
      unrefreshed: new Set(),
    };
    this.indices.set(name, index);
    stream.indices.push(name);
    stream.rolloverOnWrite = false;
    return index;
  }

  writeIndex(dataStream: string): BackingIndex {
    const stream = this.dataStreams.get(dataStream);
    if (!stream) throw new EsError(404, 'index_not_found_exception', `no such index [${dataStream}]`);
    return this.indices.get(stream.indices.at(-1)!)!;
  }

  /** An immediate rollover: a new write index from the templates as they are now. */
  rollover(dataStream: string): { old: string; now: string } {
    const stream = this.dataStreams.get(dataStream);
    if (!stream) throw new EsError(404, 'index_not_found_exception', `no such index [${dataStream}]`);
    const old = stream.indices.at(-1)!;
    return { old, now: this.addBackingIndex(stream).name };
  }

  /**
   * A document `create`d into a data stream, as `_bulk` would: auto-create, a pending lazy
   * rollover, the write index's id space, @timestamp and constant_keyword checks.
   */
  create(target: string, id: string, source: Json): { status: number; index: string; error?: { type: string; reason: string } } {
    try {
      const stream = this.dataStreams.get(target) ?? this.createDataStream(target);
      if (stream.rolloverOnWrite) this.rollover(target);
      const index = this.writeIndex(target);
      if (index.docs.has(id)) {
        return { status: 409, index: index.name, error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])` } };
      }
      if (source['@timestamp'] === undefined) {
        return { status: 400, index: index.name, error: { type: 'document_parsing_exception', reason: 'data stream timestamp field [@timestamp] is missing' } };
      }
      const problem = constantKeywordProblem(index.properties, source, '');
      if (problem) return { status: 400, index: index.name, error: { type: 'document_parsing_exception', reason: problem.reason } };
      for (const [path, value] of constantKeywordValues(index.properties, source, '')) setConstantValue(index.properties, path, value);
      index.docs.set(id, source);
      if (this.options.nearRealTime === true) index.unrefreshed.add(id);
      return { status: 201, index: index.name };
    } catch (err) {
      if (err instanceof EsError) return { status: err.status, index: target, error: { type: err.type, reason: err.reason } };
      throw err;
    }
  }

  /** Makes every document written so far visible to searches. */
  refresh(): void {
    for (const index of this.indices.values()) index.unrefreshed.clear();
  }

  /** Every stored document of the data streams matching `pattern`, with the backing index it is in. */
  documents(pattern: string): { index: string; id: string; source: Json }[] {
    const out: { index: string; id: string; source: Json }[] = [];
    for (const stream of this.dataStreams.values()) {
      if (!globMatch(pattern, stream.name)) continue;
      for (const name of stream.indices) for (const [id, source] of this.indices.get(name)!.docs) out.push({ index: name, id, source });
    }
    return out;
  }

  // ---- HTTP ----

  handle(method: string, url: URL, body: string, authorization: string | undefined): Answer {
    const path = decodeURIComponent(url.pathname);
    const query = Object.fromEntries(url.searchParams);
    let principal: Principal | undefined;
    try {
      principal = this.authenticate(authorization);
      let parsed: unknown;
      if (!path.endsWith('/_bulk')) {
        try {
          parsed = body.trim() === '' ? undefined : JSON.parse(body);
        } catch {
          throw new EsError(400, 'x_content_parse_exception', 'request body is not JSON');
        }
      }
      const request: RecordedRequest = { method, path, query, body: parsed, ...(principal ? { principal: principal.name } : {}) };
      if (!path.endsWith('/_bulk')) this.recorded.push(request);
      const injected = this.intercept?.(request);
      if (injected !== undefined) return injected;
      return this.route(method, path, query, parsed, body, principal);
    } catch (err) {
      if (err instanceof EsError) return errorAnswer(err);
      throw err;
    }
  }

  private route(method: string, path: string, query: Record<string, string>, body: unknown, raw: string, who: Principal | undefined): Answer {
    const parts = path.split('/').filter(Boolean);
    const json = (body ?? {}) as Json;
    const params = (...allowed: string[]) => checkParams(path, query, allowed);
    const ok = (extra: Json = {}): Answer => ({ status: 200, body: { acknowledged: true, ...extra } });

    if (method === 'GET' && parts.length === 0) {
      params();
      this.authorizeCluster(who, 'cluster:monitor/main');
      return { status: 200, body: this.rootBody() };
    }
    if (parts[0] === '_security') {
      if (method === 'GET' && parts[1] === '_authenticate') {
        params();
        if (!who) throw new EsError(400, 'illegal_argument_exception', 'security is not enabled');
        const key = who.name.startsWith('api_key:') ? [...this.apiKeys.values()].find((k) => `api_key:${k.name}` === who.name) : undefined;
        return { status: 200, body: { username: key?.owner ?? who.name, authentication_type: key ? 'api_key' : 'realm', ...(key ? { api_key: { id: key.id, name: key.name } } : {}) } };
      }
      if ((method === 'POST' || method === 'PUT') && parts[1] === 'api_key' && parts.length === 2) {
        params('refresh');
        if (!this.options.security) throw new EsError(500, 'illegal_state_exception', 'Security must be explicitly enabled when using a [basic] license. Enable security by setting [xpack.security.enabled] to [true]');
        this.authorizeCluster(who, 'cluster:admin/xpack/security/api_key/create');
        if (who!.name.startsWith('api_key:')) throw new EsError(400, 'illegal_argument_exception', 'creating derived api keys requires an explicit role descriptor that is empty (has no privileges)');
        const descriptors = json.role_descriptors as Record<string, RoleDescriptor> | undefined;
        const id = `key-${++this.keySeq}`;
        const key = `secret-${this.keySeq}-${Math.random().toString(36).slice(2)}`;
        this.apiKeys.set(id, { id, name: String(json.name), key, owner: who!.name, roles: descriptors && Object.keys(descriptors).length > 0 ? Object.values(descriptors) : who!.roles, invalidated: false });
        return { status: 200, body: { id, name: json.name, api_key: key, encoded: Buffer.from(`${id}:${key}`).toString('base64') } };
      }
    }
    if (method === 'PUT' && parts[0] === '_ilm' && parts[1] === 'policy' && parts[2]) {
      params('master_timeout', 'timeout');
      if (this.options.serverless) throw new EsError(410, 'api_not_available_exception', 'Request for uri [/_ilm/policy] with method [PUT] exists but is not available when running in serverless mode');
      this.authorizeCluster(who, 'cluster:admin/ilm/put');
      this.ilmPolicies.set(parts[2], json.policy as Json);
      return ok();
    }
    if (method === 'PUT' && parts[0] === '_ingest' && parts[1] === 'pipeline' && parts[2]) {
      params('master_timeout', 'timeout', 'if_version');
      this.authorizeCluster(who, 'cluster:admin/ingest/pipeline/put');
      this.pipelines.set(parts[2], json);
      return ok();
    }
    if (method === 'PUT' && parts[0] === '_component_template' && parts[1]) {
      params('master_timeout', 'create', 'cause');
      this.authorizeCluster(who, 'cluster:admin/component_template/put');
      this.componentTemplates.set(parts[1], json);
      return ok();
    }
    if (method === 'PUT' && parts[0] === '_index_template' && parts[1]) {
      params('master_timeout', 'create', 'cause');
      this.authorizeCluster(who, 'indices:admin/index_template/put');
      if (json.ignore_missing_component_templates !== undefined && !this.atLeast(8, 7)) {
        throw new EsError(400, 'x_content_parse_exception', '[composable_template] unknown field [ignore_missing_component_templates]');
      }
      const ignore = new Set((json.ignore_missing_component_templates as string[] | undefined) ?? []);
      const missing = ((json.composed_of as string[] | undefined) ?? []).filter((c) => !this.componentTemplates.has(c) && !ignore.has(c));
      if (missing.length > 0) throw new EsError(400, 'invalid_index_template_exception', `index_template [${parts[1]}] invalid, cause [index template [${parts[1]}] specifies component templates [${missing.join(', ')}] that do not exist]`);
      this.indexTemplates.set(parts[1], json);
      return ok();
    }
    if (method === 'POST' && parts[0] === '_index_template' && parts[1] === '_simulate_index' && parts[2]) {
      params('master_timeout', 'include_defaults');
      this.authorizeCluster(who, 'indices:admin/index_template/simulate_index');
      const resolved = this.resolveTemplate(parts[2]);
      if (!resolved) return { status: 200, body: { overlapping: [] } };
      return {
        status: 200,
        body: { template: { settings: nestSettings(resolved.settings), mappings: { properties: resolved.properties }, aliases: {}, ...(resolved.lifecycle ? { lifecycle: resolved.lifecycle } : {}) }, overlapping: [] },
      };
    }
    if (method === 'GET' && parts[0] === '_data_stream') {
      params('expand_wildcards', 'include_defaults', 'master_timeout', 'verbose');
      return { status: 200, body: { data_streams: this.getDataStreams(parts[1] ?? '*', who) } };
    }
    if (method === 'POST' && parts[0] === '_bulk' || (method === 'POST' || method === 'PUT') && parts[1] === '_bulk') {
      params('refresh', 'filter_path', 'timeout', 'pipeline', 'require_data_stream');
      return this.bulk(raw, parts[0] === '_bulk' ? undefined : parts[0], who);
    }
    if ((method === 'POST' || method === 'GET') && (parts[1] === '_search' || parts[0] === '_search')) {
      params('filter_path', 'allow_no_indices', 'ignore_unavailable', 'expand_wildcards', 'size', 'track_total_hits', 'allow_partial_search_results');
      const answer = this.search(parts[0] === '_search' ? '*' : parts[0]!, json, who);
      return query.filter_path === undefined ? answer : { status: answer.status, body: filterPath(answer.body, query.filter_path.split(',')) };
    }
    if ((method === 'POST' || method === 'GET') && parts[1] === '_refresh') {
      this.refresh();
      return { status: 200, body: { _shards: { total: 1, successful: 1, failed: 0 } } };
    }
    if (parts.length >= 2 && parts[1] === '_mapping' && (method === 'PUT' || method === 'POST')) {
      params('write_index_only', 'allow_no_indices', 'ignore_unavailable', 'expand_wildcards', 'master_timeout', 'timeout');
      return this.putMapping(parts[0]!, query, json, who);
    }
    if (parts.length >= 2 && parts[1] === '_mapping' && method === 'GET') {
      params('expand_wildcards', 'allow_no_indices', 'ignore_unavailable');
      const out: Json = {};
      for (const index of this.resolveIndices(parts[0]!, who, 'indices:admin/mappings/get')) out[index.name] = { mappings: { properties: index.properties } };
      return { status: 200, body: out };
    }
    if (parts.length >= 2 && parts[1] === '_settings' && method === 'GET') {
      params('flat_settings', 'include_defaults', 'expand_wildcards', 'allow_no_indices', 'ignore_unavailable', 'master_timeout', 'local');
      const names = parts[2]?.split(',');
      const out: Json = {};
      for (const index of this.resolveIndices(parts[0]!, who, 'indices:monitor/settings/get')) {
        const picked = new Map([...index.settings].filter(([k]) => !names || names.some((n) => globMatch(n, k))));
        out[index.name] = { settings: query.flat_settings === 'true' ? Object.fromEntries(picked) : nestSettings(picked) };
      }
      return { status: 200, body: out };
    }
    if (parts.length === 2 && parts[1] === '_settings' && method === 'PUT') {
      params('master_timeout', 'timeout', 'preserve_existing', 'reopen', 'flat_settings', 'expand_wildcards', 'allow_no_indices', 'ignore_unavailable');
      const targets = this.resolveIndices(parts[0]!, who, 'indices:admin/settings/update');
      const changes = flattenSettings((json.settings as Json | undefined) ?? json);
      const fixed = [...changes.keys()].filter((k) => !DYNAMIC_SETTINGS.has(k));
      if (fixed.length > 0) {
        throw new EsError(400, 'illegal_argument_exception', `Can't update non dynamic settings [[${fixed.join(', ')}]] for open indices [${targets.map((i) => `[${i.name}]`).join(', ')}]`);
      }
      for (const index of targets) for (const [k, v] of changes) index.settings.set(k, v);
      return ok();
    }
    if (method === 'POST' && parts.length >= 2 && parts[1] === '_rollover') {
      params('dry_run', 'master_timeout', 'timeout', 'wait_for_active_shards', ...((this.options.lazyRollover ?? this.atLeast(8, 14)) ? ['lazy'] : []));
      const name = parts[0]!;
      this.authorizeIndex(who, 'indices:admin/rollover', [name]);
      const stream = this.dataStreams.get(name);
      if (!stream) throw new EsError(404, 'index_not_found_exception', `no such index [${name}]`);
      const old = stream.indices.at(-1)!;
      const next = `.ds-${name}-${this.day}-${String(stream.generation + 1).padStart(6, '0')}`;
      if (query.lazy === 'true') {
        stream.rolloverOnWrite = true;
        return { status: 200, body: { acknowledged: true, shards_acknowledged: false, old_index: old, new_index: next, rolled_over: false, dry_run: false, lazy: true, conditions: {} } };
      }
      const { now } = this.rollover(name);
      return { status: 200, body: { acknowledged: true, shards_acknowledged: true, old_index: old, new_index: now, rolled_over: true, dry_run: false, ...(this.atLeast(8, 14) ? { lazy: false } : {}), conditions: {} } };
    }
    throw new EsError(400, 'illegal_argument_exception', `no handler found for uri [${path}] and method [${method}]`);
  }

  private rootBody(): Json {
    return {
      name: 'es-cluster',
      cluster_name: 'loopback',
      cluster_uuid: 'loopback',
      version: { number: this.options.version, build_flavor: this.options.serverless ? 'serverless' : 'default', minimum_wire_compatibility_version: '7.17.0' },
      tagline: 'You Know, for Search',
    };
  }

  private getDataStreams(expression: string, who: Principal | undefined): Json[] {
    const names = this.expand(expression, who, 'indices:admin/data_stream/get');
    return names.map((name) => {
      const stream = this.dataStreams.get(name)!;
      const write = this.indices.get(stream.indices.at(-1)!)!;
      const template = this.matchingTemplate(name)?.[0];
      const policy = write.settings.get('index.lifecycle.name');
      return {
        name,
        timestamp_field: { name: '@timestamp' },
        indices: stream.indices.map((i) => ({ index_name: i, index_uuid: `uuid-${i}` })),
        generation: stream.generation,
        status: 'GREEN',
        ...(template ? { template } : {}),
        ...(policy ? { ilm_policy: policy } : {}),
        hidden: false,
        system: false,
        allow_custom_routing: false,
        replicated: false,
        ...(this.atLeast(8, 14) ? { rollover_on_write: stream.rolloverOnWrite } : {}),
      };
    });
  }

  /**
   * Data stream names an expression (comma list, wildcards) stands for, as the caller may see
   * them. A name that does not exist is a 404; a wildcard may match nothing.
   */
  private expand(expression: string, who: Principal | undefined, action: string): string[] {
    const out = new Set<string>();
    for (const part of expression.split(',')) {
      if (part.includes('*')) {
        for (const name of [...this.dataStreams.keys()].sort()) if (globMatch(part, name) && this.allowedIndex(who, action, name)) out.add(name);
      } else {
        if (!this.dataStreams.has(part)) throw new EsError(404, 'index_not_found_exception', `no such index [${part}]`);
        this.authorizeIndex(who, action, [part]);
        out.add(part);
      }
    }
    return [...out];
  }

  /** Backing indices an expression resolves to (data streams expand to all their backing indices). */
  private resolveIndices(expression: string, who: Principal | undefined, action: string): BackingIndex[] {
    const out: BackingIndex[] = [];
    for (const part of expression.split(',')) {
      if (this.indices.has(part)) {
        this.authorizeIndex(who, action, [part]);
        out.push(this.indices.get(part)!);
        continue;
      }
      for (const name of this.expand(part, who, action)) for (const i of this.dataStreams.get(name)!.indices) out.push(this.indices.get(i)!);
    }
    return out;
  }

  /** TransportPutMappingAction.resolveIndices: with write_index_only, each expression must name exactly one write index. */
  private putMapping(expression: string, query: Record<string, string>, body: Json, who: Principal | undefined): Answer {
    const allowNoIndices = query.allow_no_indices !== 'false';
    let targets: BackingIndex[];
    if (query.write_index_only === 'true') {
      targets = [];
      for (const part of expression.split(',')) {
        if (part.includes('*') && this.options.security) {
          // IndicesAndAliasesResolver: a wildcard is replaced by the authorised matches, or by `*,-*`.
          const matches = [...this.dataStreams.keys()].filter((n) => globMatch(part, n) && this.allowedIndex(who, 'indices:admin/mapping/put', n));
          if (matches.length !== 1) throw new EsError(400, 'illegal_argument_exception', `The index expression [${matches.length === 0 ? '*,-*' : part}] and options provided did not point to a single write-index`);
          targets.push(this.writeIndex(matches[0]!));
          continue;
        }
        const names = part.includes('*') ? [...this.dataStreams.keys()].filter((n) => globMatch(part, n)) : [part];
        if (names.length === 0 && allowNoIndices) {
          // concreteWriteIndex returned null; the action then dereferences it.
          throw new EsError(500, 'null_pointer_exception', 'Cannot invoke "org.elasticsearch.index.Index.getName()" because "index" is null');
        }
        if (names.length !== 1) throw new EsError(400, 'illegal_argument_exception', `The index expression [${part}] and options provided did not point to a single write-index`);
        this.authorizeIndex(who, 'indices:admin/mapping/put', names);
        targets.push(this.writeIndex(names[0]!));
      }
    } else {
      targets = this.resolveIndices(expression, who, 'indices:admin/mapping/put');
    }
    const properties = (body.properties as Json | undefined) ?? {};
    // Validate every target first: Elasticsearch applies a mapping update to all or none.
    const merged = targets.map((index) => mergeProperties(index.properties, properties, '', true));
    targets.forEach((index, i) => (index.properties = merged[i]!));
    return { status: 200, body: { acknowledged: true } };
  }

  private bulk(raw: string, defaultIndex: string | undefined, who: Principal | undefined): Answer {
    const lines = raw.split('\n').filter((l) => l.trim() !== '');
    const items: Json[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as { create?: { _index?: string; _id?: string } };
      if (!action.create) throw new EsError(400, 'illegal_argument_exception', 'this stand-in only knows create');
      const target = action.create._index ?? defaultIndex ?? '';
      const id = action.create._id ?? `auto-${i}`;
      const source = JSON.parse(lines[i + 1] ?? '{}') as Json;
      let result: ReturnType<EsCluster['create']>;
      const denied = this.bulkDenied(who, target);
      if (denied) result = { status: 403, index: target, error: { type: 'security_exception', reason: denied } };
      else result = this.create(target, id, source);
      if (result.error) errors = true;
      items.push({ create: { _index: result.index, _id: id, status: result.status, ...(result.error ? { error: result.error } : { result: 'created', _version: 1 }) } });
    }
    return { status: 200, body: { took: 1, errors, items } };
  }

  /** Why this principal may not create into the target (item-level 403 reasons), or undefined. */
  private bulkDenied(who: Principal | undefined, target: string): string | undefined {
    if (!who) return undefined;
    const actions = ['indices:data/write/bulk[s]', 'indices:data/write/index:op_type/create'];
    if (!this.dataStreams.has(target)) actions.push('indices:admin/auto_create');
    for (const action of actions) {
      if (!this.allowedIndex(who, action, target)) return `action [${action}] is unauthorized for ${describePrincipal(who)} on indices [${target}]`;
    }
    return undefined;
  }

  private search(expression: string, body: Json, who: Principal | undefined): Answer {
    const names = this.expand(expression, who, 'indices:data/read/search');
    const size = Number(body.size ?? 10);
    // SearchService: from + size may not exceed index.max_result_window (default 10,000).
    if (size > 10_000) throw new EsError(400, 'illegal_argument_exception', `Result window is too large, from + size must be less than or equal to: [10000] but was [${size}].`);
    const matches = queryMatcher(body.query);
    const hits: Json[] = [];
    let shards = 0;
    for (const name of names) {
      for (const indexName of this.dataStreams.get(name)!.indices) {
        shards++;
        const index = this.indices.get(indexName)!;
        for (const [id, source] of index.docs) {
          if (index.unrefreshed.has(id) || !matches(id, source)) continue;
          hits.push({ _index: indexName, _id: id, _score: 0, ...(body._source === false ? {} : { _source: source }) });
        }
      }
    }
    return {
      status: 200,
      body: { took: 1, timed_out: false, _shards: { total: shards, successful: shards, skipped: 0, failed: 0 }, hits: { total: { value: hits.length, relation: 'eq' }, hits: hits.slice(0, size) } },
    };
  }

  // ---- security ----

  /** Adds a user (basic authentication). */
  addUser(name: string, password: string, roles: RoleDescriptor[] | 'superuser'): void {
    this.options.users = { ...(this.options.users ?? {}), [name]: { password, roles } };
  }

  private authenticate(header: string | undefined): Principal | undefined {
    if (!this.options.security) return undefined;
    const unauthorized = new EsError(401, 'security_exception', 'missing authentication credentials for REST request');
    if (!header) throw unauthorized;
    const [scheme, value = ''] = header.split(' ');
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [left, right] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    if (scheme === 'Basic') {
      const user = this.options.users?.[left];
      if (!user || user.password !== right) throw new EsError(401, 'security_exception', `unable to authenticate user [${left}] for REST request`);
      return { name: left, roles: user.roles };
    }
    if (scheme === 'ApiKey') {
      const key = this.apiKeys.get(left);
      if (!key || key.key !== right || key.invalidated) throw new EsError(401, 'security_exception', 'unable to authenticate with provided credentials and anonymous access is not allowed for this request');
      return { name: `api_key:${key.name}`, roles: key.roles, limitedBy: this.options.users?.[key.owner]?.roles ?? 'superuser' };
    }
    throw unauthorized;
  }

  private authorizeCluster(who: Principal | undefined, action: string): void {
    if (!who) return;
    const allowed = (roles: RoleDescriptor[] | 'superuser') =>
      roles === 'superuser' || roles.some((r) => (r.cluster ?? []).some((p) => (CLUSTER_PRIVILEGES[p] ?? []).some((pattern) => globMatch(pattern, action))));
    if (allowed(who.roles) && (!who.limitedBy || allowed(who.limitedBy))) return;
    throw new EsError(403, 'security_exception', `action [${action}] is unauthorized for ${describePrincipal(who)}`);
  }

  private allowedIndex(who: Principal | undefined, action: string, name: string): boolean {
    if (!who) return true;
    // Privileges granted on a data stream also apply to its backing indices.
    const names = [name, ...(this.indices.get(name) ? [this.indices.get(name)!.dataStream] : [])];
    const allowed = (roles: RoleDescriptor[] | 'superuser') =>
      roles === 'superuser' ||
      roles.some((r) =>
        (r.indices ?? []).some(
          (grant) => names.some((n) => grant.names.some((g) => globMatch(g, n))) && grant.privileges.some((p) => (INDEX_PRIVILEGES[p] ?? []).some((pattern) => globMatch(pattern, action))),
        ),
      );
    return allowed(who.roles) && (!who.limitedBy || allowed(who.limitedBy));
  }

  private authorizeIndex(who: Principal | undefined, action: string, names: string[]): void {
    for (const name of names) {
      if (!this.allowedIndex(who, action, name)) throw new EsError(403, 'security_exception', `action [${action}] is unauthorized for ${describePrincipal(who!)} on indices [${name}]`);
    }
  }
}

/** The cluster behind an HTTP server on 127.0.0.1. */
export class EsClusterServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly cluster: EsCluster,
  ) {}

  static async start(options: EsClusterOptions | EsCluster): Promise<EsClusterServer> {
    const cluster = options instanceof EsCluster ? options : new EsCluster(options);
    const server = createServer();
    const instance = new EsClusterServer(server, cluster);
    server.on('connection', (socket) => {
      instance.sockets.add(socket);
      socket.on('close', () => instance.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let answer: Answer;
        try {
          answer = cluster.handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost'), Buffer.concat(chunks).toString('utf8'), req.headers.authorization);
        } catch (err) {
          answer = { status: 500, body: { error: { type: 'stand_in_failure', reason: String(err) }, status: 500 } };
        }
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
        if (answer.status === 401) headers['www-authenticate'] = 'Basic realm="security", ApiKey';
        res.writeHead(answer.status, headers);
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

// ---- helpers ----

function errorAnswer(err: EsError): Answer {
  const cause = { type: err.type, reason: err.reason };
  return { status: err.status, body: { error: { root_cause: [cause], ...cause }, status: err.status } };
}

/** BaseRestHandler: a parameter the handler does not consume is a 400. */
function checkParams(path: string, query: Record<string, string>, allowed: string[]): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k) && !COMMON_PARAMS.includes(k));
  if (unknown.length > 0) {
    throw new EsError(400, 'illegal_argument_exception', `request [${path}] contains unrecognized parameter${unknown.length > 1 ? 's' : ''}: [${unknown.join('], [')}]`);
  }
}

function describePrincipal(who: Principal): string {
  return who.name.startsWith('api_key:') ? `API key [${who.name.slice(8)}]` : `user [${who.name}]`;
}

export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(name);
}

/** Nested settings → flat `index.*` keys, values as strings (Settings normalises the `index.` prefix). */
function flattenSettings(settings: Json): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: Json, prefix: string) => {
    for (const [k, v] of Object.entries(value)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Json, key);
      else out.set(key.startsWith('index.') ? key : `index.${key}`, Array.isArray(v) ? v.join(',') : String(v));
    }
  };
  walk(settings, '');
  return out;
}

function nestSettings(flat: Map<string, string>): Json {
  const out: Json = {};
  for (const [key, value] of flat) {
    const parts = key.split('.');
    let level = out;
    for (const p of parts.slice(0, -1)) level = (level[p] ??= {}) as Json;
    level[parts.at(-1)!] = value;
  }
  return out;
}

/**
 * Merge mapping properties; `strict` (a PUT _mapping) refuses what Elasticsearch refuses: a
 * type change, a change of `index` or `doc_values`, and unsetting a constant_keyword's value
 * once a document set it.
 */
function mergeProperties(base: Json, update: Json, prefix: string, strict: boolean): Json {
  const out: Json = { ...base };
  for (const [name, next] of Object.entries(update)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const before = out[name] as Json | undefined;
    const nextProp = next as Json;
    if (!before) {
      out[name] = structuredClone(nextProp);
      continue;
    }
    const beforeIsObject = before.properties !== undefined || before.type === 'object';
    const nextIsObject = nextProp.properties !== undefined || nextProp.type === 'object';
    if (beforeIsObject || nextIsObject) {
      if (beforeIsObject !== nextIsObject && strict) throw new EsError(400, 'illegal_argument_exception', `can't merge a non object mapping [${path}] with an object mapping`);
      out[name] = { ...before, properties: mergeProperties((before.properties as Json | undefined) ?? {}, (nextProp.properties as Json | undefined) ?? {}, path, strict) };
      continue;
    }
    if (strict) {
      if (before.type !== nextProp.type) throw new EsError(400, 'illegal_argument_exception', `mapper [${path}] cannot be changed from type [${String(before.type)}] to [${String(nextProp.type)}]`);
      // Parameters that cannot change on a mapped field (FieldMapper.Parameter without an updater).
      for (const [param, byDefault] of [['index', true], ['doc_values', true]] as const) {
        const was = before[param] ?? byDefault;
        const now = nextProp[param] ?? byDefault;
        if (was !== now) throw new EsError(400, 'illegal_argument_exception', `Mapper for [${path}] conflicts with existing mapper:\n\tCannot update parameter [${param}] from [${String(was)}] to [${String(now)}]`);
      }
      if (before.type === 'constant_keyword' && before.value !== undefined && before.value !== nextProp.value) {
        throw new EsError(400, 'illegal_argument_exception', `Mapper for [${path}] conflicts with existing mapper:\n\tCannot update parameter [value] from [${String(before.value)}] to [${String(nextProp.value ?? null)}]`);
      }
    }
    out[name] = { ...before, ...nextProp };
  }
  return out;
}

function* constantKeywordValues(properties: Json, source: Json, prefix: string): Generator<[string, string]> {
  for (const [name, prop] of Object.entries(properties)) {
    const p = prop as Json;
    const value = source[name];
    if (value === undefined) continue;
    if (p.properties && value !== null && typeof value === 'object') yield* constantKeywordValues(p.properties as Json, value as Json, prefix ? `${prefix}.${name}` : name);
    else if (p.type === 'constant_keyword') yield [prefix ? `${prefix}.${name}` : name, String(value)];
  }
}

function constantKeywordProblem(properties: Json, source: Json, prefix: string): { reason: string } | undefined {
  for (const [path, value] of constantKeywordValues(properties, source, prefix)) {
    const mapped = lookup(properties, path);
    if (mapped?.value !== undefined && mapped.value !== value) {
      return { reason: `[1:1] failed to parse field [${path}] of type [constant_keyword]: [constant_keyword] field [${path}] only accepts values that are equal to the value defined in the mappings [${String(mapped.value)}], but got [${value}]` };
    }
  }
  return undefined;
}

function setConstantValue(properties: Json, path: string, value: string): void {
  const mapped = lookup(properties, path);
  if (mapped && mapped.value === undefined) mapped.value = value;
}

function lookup(properties: Json, path: string): Json | undefined {
  const parts = path.split('.');
  let level: Json | undefined = properties;
  for (const p of parts.slice(0, -1)) level = (level?.[p] as Json | undefined)?.properties as Json | undefined;
  return level?.[parts.at(-1)!] as Json | undefined;
}

/**
 * The queries the stand-in knows, as a test of (id, source): `ids`, `range` on a date field
 * (`gte`/`lte`/`gt`/`lt`, epoch_millis numbers or date strings), `match_all`, and `bool` with
 * `filter`/`must` lists or single clauses. Anything else is a 400, as a query Elasticsearch could
 * not parse would be.
 */
function queryMatcher(query: unknown): (id: string, source: Json) => boolean {
  if (query === undefined) return () => true;
  const q = query as Json;
  const [kind, spec] = Object.entries(q)[0] ?? [];
  if (kind === 'match_all') return () => true;
  if (kind === 'ids') {
    const values = new Set((spec as { values?: string[] }).values ?? []);
    return (id) => values.has(id);
  }
  if (kind === 'range') {
    const [field, bounds] = Object.entries(spec as Json)[0]! as [string, Record<string, unknown>];
    const ms = (v: unknown): number => (typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v)));
    return (_id, source) => {
      const value = Date.parse(String(field.split('.').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], source)));
      if (Number.isNaN(value)) return false;
      return (bounds.gte === undefined || value >= ms(bounds.gte)) && (bounds.lte === undefined || value <= ms(bounds.lte)) &&
        (bounds.gt === undefined || value > ms(bounds.gt)) && (bounds.lt === undefined || value < ms(bounds.lt));
    };
  }
  if (kind === 'bool') {
    const b = spec as { filter?: unknown; must?: unknown };
    const clauses = [b.filter, b.must].flatMap((c) => (c === undefined ? [] : Array.isArray(c) ? c : [c])).map(queryMatcher);
    return (id, source) => clauses.every((m) => m(id, source));
  }
  throw new EsError(400, 'parsing_exception', `unknown query [${String(kind)}] (not modelled by the stand-in)`);
}

/**
 * Elasticsearch's `filter_path` for plain dotted paths with `*` segments: only the named leaves
 * are kept, arrays are filtered element by element, and objects left empty disappear.
 */
export function filterPath(value: unknown, paths: string[]): unknown {
  const filter = (v: unknown, patterns: string[][]): unknown => {
    if (Array.isArray(v)) {
      const out = v.map((e) => filter(e, patterns)).filter((e) => e !== undefined);
      return out.length > 0 ? out : undefined;
    }
    if (v === null || typeof v !== 'object') return undefined;
    const out: Json = {};
    for (const [key, child] of Object.entries(v as Json)) {
      const matching = patterns.filter((p) => p[0] === '*' || p[0] === key);
      if (matching.length === 0) continue;
      if (matching.some((p) => p.length === 1)) out[key] = child;
      else {
        const kept = filter(child, matching.map((p) => p.slice(1)));
        if (kept !== undefined) out[key] = kept;
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return filter(value, paths.map((p) => p.split('.'))) ?? {};
}
