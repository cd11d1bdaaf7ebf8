import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { describeError, registerSecret } from '../core/redact.js';
import { createClient, type ConnectionSettings } from './connection.js';

/**
 * The shipper's own credentials: an API key that may only add documents to dropship's data
 * streams. `create_doc` allows `_bulk` creates and nothing else (no overwrite, update or
 * delete); `auto_configure` lets the first document create its data stream from the templates
 * and add dynamic fields (IndexPrivilege: indices:admin/auto_create, indices:admin/mapping/auto_put).
 * No cluster privilege: the shipper sends nothing but `_bulk`. A leaked key can add documents
 * to logs-dropship.*-* and do nothing else.
 */
export const SHIPPER_KEY_NAME = 'dropship-shipper';

export const SHIPPER_ROLE: estypes.SecurityRoleDescriptor = {
  cluster: [],
  indices: [{ names: ['logs-dropship.*-*'], privileges: ['create_doc', 'auto_configure'] }],
};

type Status = 'kept' | 'created';

/**
 * Keep the key in `file` if Elasticsearch still accepts it, otherwise create one and write it
 * there (mode 0600, replaced atomically). The key itself is never printed.
 */
export async function ensureShipperKey(client: Client, settings: ConnectionSettings, file: string, report: (line: string) => void): Promise<Status> {
  const existing = await readKey(file);
  if (existing !== undefined) {
    registerSecret(existing);
    const name = await authenticatedKeyName(settings, existing);
    if (name !== undefined) {
      report(`the shipper's API key in ${file} (${name}) is valid: kept`);
      return 'kept';
    }
    report(`the API key in ${file} is no longer accepted: creating a new one`);
  }
  let created: estypes.SecurityCreateApiKeyResponse;
  try {
    created = await client.security.createApiKey({
      name: SHIPPER_KEY_NAME,
      role_descriptors: { dropship_shipper: SHIPPER_ROLE },
      metadata: { managed_by: 'dropship', purpose: 'dropship tail/import: create documents in logs-dropship.*-*' },
    });
  } catch (err) {
    throw new Error(`cannot create the shipper's API key: ${describeError(err)}`);
  }
  registerSecret(created.api_key);
  registerSecret(created.encoded);
  await writeSecretFile(file, `${created.encoded}\n`);
  report(`created API key ${SHIPPER_KEY_NAME} (id ${created.id}: create_doc, auto_configure on logs-dropship.*-*) and wrote it to ${file}`);
  return 'created';
}

async function readKey(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** The key's name if Elasticsearch authenticates it, undefined if it refuses it (401). */
async function authenticatedKeyName(settings: ConnectionSettings, key: string): Promise<string | undefined> {
  const probe = createClient({ ...settings, auth: { apiKey: key } });
  try {
    const me = await probe.security.authenticate();
    return me.api_key?.name ?? me.username;
  } catch (err) {
    if (err instanceof errors.ResponseError && err.statusCode === 401) return undefined;
    throw new Error(`cannot check the shipper's API key: ${describeError(err)}`);
  } finally {
    await probe.close();
  }
}

async function writeSecretFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // 'wx': never through a file or link someone else placed there; 0600 from the first byte.
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write the shipper's API key to ${file} (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`);
  }
}
