/**
 * Waiting for Kibana before importing: GET /api/status until it says the saved-objects service can
 * take an import.
 *
 * What Kibana answers (src/core/packages/status/server-internal/src/routes/status.ts): HTTP 503 while
 * its core services (Elasticsearch, saved objects) are `unavailable` or `critical`, HTTP 200
 * otherwise; `status.overall.level` is one of available, degraded, unavailable, critical
 * (@kbn/core-status-common ServiceStatusLevels). `degraded` ("some features may not be working",
 * e.g. a plugin) still imports: waiting for `available` alone can wait forever on a healthy stack.
 * An unauthenticated request gets the same code with a redacted body that keeps the level.
 */
import { describeHost, KibanaError, request, type KibanaConnection } from './http.js';

export const STATUS_LEVELS = ['available', 'degraded', 'unavailable', 'critical'] as const;
export type StatusLevel = (typeof STATUS_LEVELS)[number];

/** Levels at which an import goes ahead (with HTTP 200). */
const READY: readonly StatusLevel[] = ['available', 'degraded'];

export function statusLevel(body: string): StatusLevel | undefined {
  try {
    const level = (JSON.parse(body) as { status?: { overall?: { level?: unknown } } }).status?.overall?.level;
    return STATUS_LEVELS.find((l) => l === level);
  } catch {
    return undefined;
  }
}

export function isReady(httpStatus: number, level: StatusLevel | undefined): boolean {
  return httpStatus === 200 && level !== undefined && READY.includes(level);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Errors that waiting will not fix: say so at once instead of after the timeout. */
function fatalNetworkError(e: NodeJS.ErrnoException): boolean {
  const code = e.code ?? '';
  return code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'EPROTO';
}

export interface WaitOptions { timeoutMs?: number; pollIntervalMs?: number; log?: (l: string) => void }

/** Resolves with the level Kibana reported once it is ready. */
export async function waitForKibana(conn: KibanaConnection, o: WaitOptions = {}): Promise<StatusLevel> {
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
      if (isReady(res.status, level)) {
        if (level === 'degraded') o.log?.(`Kibana at ${where} reports "degraded" (some features are not working); importing anyway`);
        return level!;
      }
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
      throw new KibanaError(`Kibana at ${where} did not report available or degraded within ${+(timeoutMs / 1000).toFixed(1)}s (last: ${last})`);
    }
    if (!announced) o.log?.(`waiting for Kibana at ${where} (${last})`);
    announced = true;
    await sleep(Math.min(o.pollIntervalMs ?? 2000, Math.max(0, deadline - Date.now())));
  }
}
