/**
 * `dropship setup`'s Kibana step: wait for Kibana, then put dropship's saved objects
 * (kibana/dropship.ndjson) into a space without undoing what the user changed there.
 *
 * 1. Import everything with overwrite=false. On a fresh Kibana (or space) that creates it all.
 * 2. If objects already exist, Kibana reports each as a `conflict` and writes nothing at all
 *    (it creates nothing while a conflict or missing reference is unresolved). Export the
 *    existing ones, decide per object (install-plan.ts), and import only what must change, with
 *    overwrite=true.
 * Kibana behaviour relied on, with the source read: docs/kibana.md.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KibanaError, type KibanaAuth, type KibanaConnection } from './http.js';
import { UsageError } from '../core/errors.js';
import { exportObjects, importObjects, parseNdjson, spacePrefix, toNdjson, type ImportFailure, type ImportResponse, type RawObject } from './api.js';
import { keyOf, planInstall, stampRevision, type Decision } from './install-plan.js';
import { waitForKibana, type StatusLevel } from './status.js';
import { labelTimeZone } from './time-zone-label.js';

export { KibanaError, type KibanaAuth, type KibanaConnection } from './http.js';
export { waitForKibana } from './status.js';
export type { ImportFailure, RawObject } from './api.js';

export const DEFAULT_NDJSON_PATH = fileURLToPath(new URL('../../kibana/dropship.ndjson', import.meta.url));

export interface InstallOptions extends KibanaConnection {
  /** NDJSON text to install; default: the bundled kibana/dropship.ndjson. */
  ndjson?: string;
  /** Kibana space id; default: the default space. */
  space?: string;
  /** IANA zone the shipper computes hour and weekday in; written where the objects say "router time". */
  timezone?: string;
  /** How long to wait for Kibana to become ready (default 180 s). */
  waitTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Progress lines (never contain secrets). */
  log?: (line: string) => void;
}

export interface InstalledObject {
  type: string;
  /** The id in the bundle. */
  id: string;
  /** The id in this space: differs from `id` when the object was first imported into another space. */
  spaceId: string;
  title: string;
  action: 'created' | 'updated' | 'kept';
  why?: string;
}

export interface InstallResult { level: StatusLevel; objects: InstalledObject[] }

/** Thrown when Kibana refuses objects; `errors` are the import API's own entries. */
export class KibanaImportError extends KibanaError {
  constructor(readonly errors: ImportFailure[]) {
    super(`Kibana rejected ${errors.length} saved object(s): ${errors.slice(0, 3).map((e) => `${e.type} ${e.id}: ${e.error.type}`).join('; ')}`);
  }
}

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

/** The bundle as this setup installs it: the zone in its labels, a revision on each dashboard. */
export function prepareObjects(objects: RawObject[], timezone: string | undefined): RawObject[] {
  return (timezone === undefined ? objects : labelTimeZone(objects, timezone)).map(stampRevision);
}

const titleOf = (o: RawObject): string => {
  const t = o.attributes.title;
  return typeof t === 'string' ? t : o.id;
};

/** Where each written object ended up in this space, from the import's successResults. */
function spaceIds(res: ImportResponse): Map<string, string> {
  return new Map(res.successResults.map((s) => [keyOf(s), s.destinationId ?? s.id]));
}

export async function installSavedObjects(o: InstallOptions): Promise<InstallResult> {
  spacePrefix(o.space); // a bad space id is a usage error before any waiting
  const bundle = prepareObjects(parseNdjson(o.ndjson ?? readFileSync(DEFAULT_NDJSON_PATH, 'utf8')), o.timezone);
  const level = await waitForKibana(o, {
    ...(o.waitTimeoutMs !== undefined ? { timeoutMs: o.waitTimeoutMs } : {}),
    ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}),
    ...(o.log ? { log: o.log } : {}),
  });

  const first = await importObjects(o, o.space, toNdjson(bundle), { overwrite: false });
  const refused = first.errors.filter((e) => e.error.type !== 'conflict');
  if (refused.length > 0) throw new KibanaImportError(refused);
  if (first.errors.length === 0) {
    const ids = spaceIds(first);
    return { level, objects: bundle.map((b) => ({ type: b.type, id: b.id, spaceId: ids.get(keyOf(b)) ?? b.id, title: titleOf(b), action: 'created' })) };
  }

  // Some exist (a conflict's destinationId is the object's id in this space when it differs).
  const existing = new Map(first.errors.map((e) => [keyOf(e), e.error.destinationId ?? e.id]));
  const stored = await exportObjects(o, o.space, [...existing].map(([key, id]) => ({ type: key.slice(0, key.indexOf(':')), id })));
  const byStoredKey = new Map(stored.map((s) => [keyOf(s), s]));
  const installed = new Map<string, RawObject>();
  for (const [key, id] of existing) {
    const s = byStoredKey.get(`${key.slice(0, key.indexOf(':'))}:${id}`);
    if (s) installed.set(key, s);
  }

  const decisions: Decision[] = planInstall(bundle, installed);
  const writes = decisions.flatMap((d) => (d.action === 'keep' ? [] : [d.object]));
  let written = new Map<string, string>();
  if (writes.length > 0) {
    const second = await importObjects(o, o.space, toNdjson(writes), { overwrite: true });
    if (second.errors.length > 0) throw new KibanaImportError(second.errors);
    written = spaceIds(second);
  }
  return {
    level,
    objects: decisions.map((d): InstalledObject => {
      const b = d.action === 'keep' ? d.bundled : d.object;
      const key = keyOf(b);
      return {
        type: b.type, id: b.id, title: titleOf(b),
        spaceId: written.get(key) ?? existing.get(key) ?? b.id,
        action: d.action === 'create' ? 'created' : d.action === 'update' ? 'updated' : 'kept',
        ...(d.action === 'create' ? {} : { why: d.why }),
      };
    }),
  };
}

/** The URL that opens a dashboard, in its space, under the Kibana base URL users open. */
export function dashboardUrl(base: string, space: string | undefined, id: string): string {
  return `${base.replace(/\/+$/, '')}${spacePrefix(space)}/app/dashboards#/view/${encodeURIComponent(id)}`;
}
