/**
 * The two saved-objects endpoints dropship uses, both public and stable from 8.x to 9.x:
 * POST [/s/<space>]/api/saved_objects/_import (multipart NDJSON, `overwrite`) and
 * POST [/s/<space>]/api/saved_objects/_export (JSON body with `objects`, NDJSON answer).
 * How Kibana answers them is in docs/kibana.md ("Saved-objects import").
 */
import { UsageError } from '../core/errors.js';
import { describeHost, KibanaError, redact, request, secretsOf, type KibanaConnection } from './http.js';

export interface Reference { name: string; type: string; id: string }

/** A saved object in Kibana's raw export form (stringified JSON attributes stay strings). */
export interface RawObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: Reference[];
  originId?: string;
  coreMigrationVersion?: string;
  typeMigrationVersion?: string;
  managed?: boolean;
}

/** One entry of the import API's `errors`. */
export interface ImportFailure {
  id: string;
  type: string;
  title?: string;
  meta?: { title?: string; icon?: string };
  error: { type: string; destinationId?: string; [detail: string]: unknown };
}

/** One entry of `successResults`; `destinationId` when Kibana stored the object under another id. */
export interface ImportSuccess { type: string; id: string; destinationId?: string; overwrite?: boolean }

export interface ImportResponse {
  /** False when any error was reported; then, if a conflict or missing reference was among them, nothing was written. */
  success: boolean;
  successCount: number;
  successResults: ImportSuccess[];
  errors: ImportFailure[];
}

/** Kibana space ids: lower-case letters, digits, '_' and '-' (Kibana's own rule). */
const SPACE_ID = /^[a-z0-9_-]+$/;

export function spacePrefix(space: string | undefined): string {
  if (space === undefined || space === 'default') return '';
  if (!SPACE_ID.test(space)) throw new UsageError(`invalid Kibana space id "${space}" (lower-case letters, digits, _ and -)`);
  return `/s/${space}`;
}

export function toNdjson(objects: RawObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

/** Objects of an NDJSON export; the export-details line (`exportedCount`) is not an object. */
export function parseNdjson(text: string): RawObject[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RawObject & { exportedCount?: number })
    .filter((o) => o.exportedCount === undefined && typeof o.type === 'string' && typeof o.id === 'string');
}

/** The multipart body the import API expects, built by the platform's own FormData encoder. */
async function multipart(ndjson: string): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('file', new Blob([ndjson], { type: 'application/ndjson' }), 'dropship.ndjson');
  const encoded = new Request('http://multipart.invalid/', { method: 'POST', body: form });
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failure(conn: KibanaConnection, what: string, status: number, body: string): KibanaError {
  const parsed = parseJson(body) as { message?: unknown } | undefined;
  const message = typeof parsed?.message === 'string' ? parsed.message : body;
  const detail = redact(message.replace(/\s+/g, ' ').slice(0, 300), secretsOf(conn));
  return new KibanaError(`${what} at ${describeHost(conn.host)} failed: HTTP ${status}: ${detail}`);
}

async function post(conn: KibanaConnection, what: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  try {
    return await request(conn, 'POST', path, { 'kbn-xsrf': 'dropship', ...headers }, body);
  } catch (e) {
    throw new KibanaError(`${what} at ${describeHost(conn.host)} failed: ${(e as NodeJS.ErrnoException).code ?? 'connection error'}`);
  }
}

export async function importObjects(conn: KibanaConnection, space: string | undefined, ndjson: string, o: { overwrite: boolean }): Promise<ImportResponse> {
  const { body, contentType } = await multipart(ndjson);
  const res = await post(conn, 'saved-objects import', `${spacePrefix(space)}/api/saved_objects/_import?overwrite=${o.overwrite}`, { 'content-type': contentType }, body);
  const parsed = parseJson(res.body) as Partial<ImportResponse> | undefined;
  if (res.status !== 200 || typeof parsed?.successCount !== 'number') throw failure(conn, 'saved-objects import', res.status, res.body);
  return {
    success: parsed.success === true,
    successCount: parsed.successCount,
    successResults: parsed.successResults ?? [],
    errors: parsed.errors ?? [],
  };
}

/** The stored objects, by type and id. Kibana refuses the whole export if one does not exist. */
export async function exportObjects(conn: KibanaConnection, space: string | undefined, objects: { type: string; id: string }[]): Promise<RawObject[]> {
  if (objects.length === 0) return [];
  const body = Buffer.from(JSON.stringify({ objects, includeReferencesDeep: false, excludeExportDetails: true }));
  const res = await post(conn, 'saved-objects export', `${spacePrefix(space)}/api/saved_objects/_export`, { 'content-type': 'application/json' }, body);
  if (res.status !== 200) throw failure(conn, 'saved-objects export', res.status, res.body);
  try {
    return parseNdjson(res.body);
  } catch {
    throw new KibanaError(`saved-objects export at ${describeHost(conn.host)} answered something that is not NDJSON`);
  }
}
