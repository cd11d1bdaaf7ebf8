/**
 * Import dropship's saved objects (kibana/dropship.ndjson) through Kibana's saved-objects
 * import API, after waiting for Kibana to report itself available. Used by `dropship setup`.
 *
 * Always `overwrite=true`: the objects have fixed ids, so re-running setup after an upgrade
 * replaces them in place instead of failing on conflicts or creating copies.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import {
  describeHost, KibanaError, redact, request, secretsOf, type KibanaAuth, type KibanaConnection,
} from './http.js';

export { KibanaError, type KibanaAuth, type KibanaConnection } from './http.js';

export const DEFAULT_NDJSON_PATH = fileURLToPath(new URL('../../kibana/dropship.ndjson', import.meta.url));

export interface ImportOptions extends KibanaConnection {
  /** NDJSON text to import; default: the bundled kibana/dropship.ndjson. */
  ndjson?: string;
  /** Kibana space id; default: the default space. */
  space?: string;
  /** How long to wait for Kibana to become available (default 180 s). */
  waitTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Progress lines (never contain secrets). */
  log?: (line: string) => void;
}

/** One entry of the import API's `errors` array. */
export interface ImportError {
  id: string;
  type: string;
  title?: string;
  meta?: { title?: string; icon?: string };
  error: { type: string; [detail: string]: unknown };
}

export interface ImportResult { successCount: number; errors: ImportError[] }

/** Kibana space ids: lower-case letters, digits, '_' and '-' (Kibana's own rule). */
const SPACE_ID = /^[a-z0-9_-]+$/;

export function kibanaConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): KibanaConnection {
  const host = env.KIBANA_HOST?.trim();
  if (!host) throw new UsageError('KIBANA_HOST is not set (e.g. https://localhost:5601)');
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new UsageError('KIBANA_HOST is not a URL (e.g. https://localhost:5601)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('KIBANA_HOST must start with http:// or https://');
  if (url.username || url.password) {
    throw new UsageError('KIBANA_HOST must not contain credentials; use ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD');
  }
  const caPath = env.KIBANA_CA || env.ELASTICSEARCH_CA;
  let ca: string | undefined;
  if (caPath) {
    try {
      ca = readFileSync(caPath, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read CA file ${caPath}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const auth = authFromEnv(env);
  return { host, ...(auth ? { auth } : {}), ...(ca !== undefined ? { ca } : {}) };
}

function authFromEnv(env: NodeJS.ProcessEnv): KibanaAuth | undefined {
  if (env.ELASTICSEARCH_API_KEY) return { apiKey: env.ELASTICSEARCH_API_KEY };
  const { ELASTICSEARCH_USERNAME: username, ELASTICSEARCH_PASSWORD: password } = env;
  if (username && password) return { username, password };
  if (username || password) throw new UsageError('set both ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD (or ELASTICSEARCH_API_KEY)');
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Errors that waiting will not fix: say so at once instead of after the timeout. */
function fatalNetworkError(e: NodeJS.ErrnoException): boolean {
  const code = e.code ?? '';
  return code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'EPROTO';
}

export async function waitForKibana(conn: KibanaConnection, o: { timeoutMs?: number; pollIntervalMs?: number; log?: (l: string) => void } = {}): Promise<void> {
  const where = describeHost(conn.host);
  const timeoutMs = o.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  let announced = false;
  for (;;) {
    try {
      const res = await request(conn, 'GET', '/api/status');
      if (res.status === 401 || res.status === 403) {
        throw new KibanaError(`Kibana at ${where} rejected the credentials (HTTP ${res.status}); check ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD`);
      }
      const level = statusLevel(res.body);
      if (res.status === 200 && level === 'available') return;
      last = `HTTP ${res.status}${level ? `, ${level}` : ''}`;
    } catch (e) {
      if (e instanceof KibanaError && e.code === undefined) throw e;
      const err = e as NodeJS.ErrnoException;
      if (fatalNetworkError(err)) {
        throw new KibanaError(`TLS connection to Kibana at ${where} failed (${err.code}); set KIBANA_CA or ELASTICSEARCH_CA to the CA that signed its certificate`);
      }
      last = err.code ?? 'connection failed';
    }
    if (Date.now() >= deadline) {
      throw new KibanaError(`Kibana at ${where} did not report available within ${+(timeoutMs / 1000).toFixed(1)}s (last: ${last})`);
    }
    if (!announced) o.log?.(`waiting for Kibana at ${where} (${last})`);
    announced = true;
    await sleep(Math.min(o.pollIntervalMs ?? 2000, Math.max(0, deadline - Date.now())));
  }
}

/** `status.overall.level` (8.x/9.x); older answers have no level and are treated as not ready. */
function statusLevel(body: string): string | undefined {
  try {
    const level = (JSON.parse(body) as { status?: { overall?: { level?: unknown } } }).status?.overall?.level;
    return typeof level === 'string' ? level : undefined;
  } catch {
    return undefined;
  }
}

/** The multipart body the import API expects, built by the platform's own FormData encoder. */
async function multipart(ndjson: string): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('file', new Blob([ndjson], { type: 'application/ndjson' }), 'dropship.ndjson');
  const encoded = new Request('http://multipart.invalid/', { method: 'POST', body: form });
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

export async function importSavedObjects(opts: ImportOptions): Promise<ImportResult> {
  if (opts.space !== undefined && !SPACE_ID.test(opts.space)) {
    throw new UsageError(`invalid Kibana space id "${opts.space}" (lower-case letters, digits, _ and -)`);
  }
  const ndjson = opts.ndjson ?? readFileSync(DEFAULT_NDJSON_PATH, 'utf8');
  await waitForKibana(opts, {
    ...(opts.waitTimeoutMs !== undefined ? { timeoutMs: opts.waitTimeoutMs } : {}),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });

  const { body, contentType } = await multipart(ndjson);
  const prefix = opts.space && opts.space !== 'default' ? `/s/${opts.space}` : '';
  const where = describeHost(opts.host);
  let res;
  try {
    res = await request(opts, 'POST', `${prefix}/api/saved_objects/_import?overwrite=true`,
      { 'kbn-xsrf': 'dropship', 'content-type': contentType }, body);
  } catch (e) {
    throw new KibanaError(`saved-objects import to ${where} failed: ${(e as NodeJS.ErrnoException).code ?? 'connection error'}`);
  }
  const parsed = parseJson(res.body);
  if (res.status !== 200 || !isImportResponse(parsed)) {
    const message = typeof (parsed as { message?: unknown } | undefined)?.message === 'string'
      ? (parsed as { message: string }).message : res.body;
    const detail = redact(message.replace(/\s+/g, ' ').slice(0, 300), secretsOf(opts));
    throw new KibanaError(`saved-objects import to ${where} failed: HTTP ${res.status}: ${detail}`);
  }
  return { successCount: parsed.successCount, errors: parsed.errors ?? [] };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isImportResponse(x: unknown): x is { successCount: number; errors?: ImportError[] } {
  return typeof x === 'object' && x !== null && typeof (x as { successCount?: unknown }).successCount === 'number';
}
