import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { redact, registerSecret } from '../core/redact.js';

/**
 * Where Elasticsearch is and how to authenticate, following Elastic's environment conventions.
 *
 * Secrets are read from the environment or from files, never from command-line values: anything
 * on a command line is visible to every local user through `ps` and lands in shell history.
 * Every secret is registered with `redact` as soon as it is read.
 */

export interface ConnectionFlags {
  esHosts?: string;
  esUsername?: string;
  esPasswordFile?: string;
  esApiKeyFile?: string;
  esCa?: string;
  esInsecure?: boolean;
  esTimeout?: string;
}

export type Auth = { apiKey: string } | { username: string; password: string };

export interface ConnectionSettings {
  /** Node URLs without user-info. */
  nodes: string[];
  auth?: Auth;
  caPath?: string;
  ca?: Buffer;
  /** TLS certificate verification disabled: only by explicit request. */
  insecure: boolean;
  requestTimeoutMs: number;
}

export const DEFAULT_HOSTS = 'http://localhost:9200';
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

type Env = Record<string, string | undefined>;
type ReadFile = (path: string) => Buffer;

const ENV_HELP = `
Elasticsearch connection (environment; flags take precedence):
  ELASTICSEARCH_HOSTS            comma-separated URLs (default ${DEFAULT_HOSTS})
  ELASTICSEARCH_API_KEY[_FILE]   API key (encoded, or id:key), or a file holding it
  ELASTICSEARCH_USERNAME         user for basic authentication
  ELASTICSEARCH_PASSWORD[_FILE]  its password, or a file holding it
  ELASTICSEARCH_CA               CA certificate file (PEM) to verify the server
  ELASTICSEARCH_SSL_VERIFICATIONMODE=none   disable TLS verification (unsafe)
Secrets are never accepted as flag values (they would be visible in 'ps'); use the
environment or the *-file flags.`;

/** Adds the connection flags to a command. None of them carries a secret value. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--es-hosts <urls>', 'Elasticsearch URLs, comma-separated (env ELASTICSEARCH_HOSTS)'))
    .addOption(new Option('--es-username <name>', 'user for basic authentication (env ELASTICSEARCH_USERNAME)'))
    .addOption(new Option('--es-password-file <path>', 'file holding the password (env ELASTICSEARCH_PASSWORD[_FILE])'))
    .addOption(new Option('--es-api-key-file <path>', 'file holding an API key (env ELASTICSEARCH_API_KEY[_FILE])'))
    .addOption(new Option('--es-ca <path>', 'CA certificate file, PEM (env ELASTICSEARCH_CA)'))
    .addOption(new Option('--es-insecure', 'do not verify TLS certificates (unsafe; for testing only)'))
    .addOption(new Option('--es-timeout <seconds>', `request timeout (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000})`))
    .addHelpText('after', ENV_HELP);
}

export function resolveConnection(flags: ConnectionFlags, env: Env = process.env, readFile: ReadFile = readFileSync): ConnectionSettings {
  const readSecretFile = (path: string, what: string): string => {
    let text: string;
    try {
      text = readFile(path).toString('utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(`cannot read the ${what} file ${path} (${code})`);
    }
    if (!text) throw new UsageError(`the ${what} file ${path} is empty`);
    registerSecret(text);
    return text;
  };
  const secret = (value: string | undefined): string | undefined => {
    registerSecret(value);
    return value || undefined;
  };

  // Read every secret first so that nothing below can print one before it is registered.
  const envPassword = secret(env.ELASTICSEARCH_PASSWORD);
  const envApiKey = secret(env.ELASTICSEARCH_API_KEY);

  const hostsFrom = flags.esHosts !== undefined ? '--es-hosts' : env.ELASTICSEARCH_HOSTS !== undefined ? 'ELASTICSEARCH_HOSTS' : 'the default';
  const nodes = parseHosts(flags.esHosts ?? env.ELASTICSEARCH_HOSTS ?? DEFAULT_HOSTS, hostsFrom);

  let apiKey: string | undefined;
  if (flags.esApiKeyFile) apiKey = readSecretFile(flags.esApiKeyFile, 'API key');
  else if (envApiKey) apiKey = envApiKey;
  else if (env.ELASTICSEARCH_API_KEY_FILE) apiKey = readSecretFile(env.ELASTICSEARCH_API_KEY_FILE, 'API key');

  let password: string | undefined;
  if (flags.esPasswordFile) password = readSecretFile(flags.esPasswordFile, 'password');
  else if (envPassword) password = envPassword;
  else if (env.ELASTICSEARCH_PASSWORD_FILE) password = readSecretFile(env.ELASTICSEARCH_PASSWORD_FILE, 'password');

  const username = flags.esUsername ?? (env.ELASTICSEARCH_USERNAME || undefined);

  let auth: Auth | undefined;
  if (apiKey && (username || password)) {
    throw new UsageError('both an API key and a username/password are set for Elasticsearch; choose one');
  }
  if (apiKey) auth = { apiKey: encodeApiKey(apiKey) };
  else if (username && password) {
    auth = { username, password };
    // What travels in the Authorization header; a server may echo it back in an error.
    registerSecret(Buffer.from(`${username}:${password}`, 'utf8').toString('base64'));
  }
  else if (username) throw new UsageError(`a password is needed for Elasticsearch user ${username} (ELASTICSEARCH_PASSWORD or --es-password-file)`);
  else if (password) throw new UsageError('an Elasticsearch password is set but no username (ELASTICSEARCH_USERNAME or --es-username)');

  const caPath = flags.esCa ?? (env.ELASTICSEARCH_CA || undefined);
  let ca: Buffer | undefined;
  if (caPath) {
    try {
      ca = readFile(caPath);
    } catch (err) {
      throw new UsageError(`cannot read the CA certificate ${caPath} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  }

  const insecure = flags.esInsecure === true || env.ELASTICSEARCH_SSL_VERIFICATIONMODE?.toLowerCase() === 'none';

  let requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  if (flags.esTimeout !== undefined) {
    const seconds = Number(flags.esTimeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--es-timeout must be a positive number of seconds, got "${flags.esTimeout}"`);
    requestTimeoutMs = Math.round(seconds * 1000);
  }

  return { nodes, ...(auth ? { auth } : {}), ...(caPath ? { caPath } : {}), ...(ca ? { ca } : {}), insecure, requestTimeoutMs };
}

/**
 * Accepts `a,b`, and also Kibana-docker style `["a","b"]`. Credentials in a URL are refused, not
 * used: on a command line they show in `ps` and shell history, and a URL is the text most likely
 * to be printed somewhere. The message names where the URL came from, never its user-info.
 */
function parseHosts(text: string, from: string): string[] {
  const entries = text
    .replace(/^\s*\[|\]\s*$/g, '')
    .split(',')
    .map((s) => s.trim().replace(/^["']|["']$/g, ''))
    .filter(Boolean);
  if (entries.length === 0) throw new UsageError('no Elasticsearch host given');
  const nodes: string[] = [];
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `http://${entry}`);
    } catch {
      throw new UsageError(`invalid Elasticsearch host "${redact(entry)}" in ${from}`);
    }
    if (url.password) registerSecret(decodeURIComponent(url.password));
    if (url.username || url.password) {
      throw new UsageError(
        `${from} contains credentials in a URL (${url.protocol}//…@${url.host}); they are not accepted there: use ELASTICSEARCH_USERNAME with ELASTICSEARCH_PASSWORD[_FILE], or an API key (ELASTICSEARCH_API_KEY[_FILE])`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`Elasticsearch host must be http:// or https://, got "${url.protocol}"`);
    }
    nodes.push(url.toString().replace(/\/$/, ''));
  }
  return nodes;
}

/** Elasticsearch wants base64("id:key"); people often paste the raw "id:key" pair. */
function encodeApiKey(key: string): string {
  if (!key.includes(':')) return key;
  const encoded = Buffer.from(key, 'utf8').toString('base64');
  registerSecret(encoded);
  return encoded;
}

/** Safe to print: hosts and the kind of authentication, never a secret. */
export function describeConnection(settings: ConnectionSettings): string {
  const auth = !settings.auth ? 'no authentication' : 'apiKey' in settings.auth ? 'API key' : `user ${settings.auth.username}`;
  const tls = settings.insecure ? ', TLS verification DISABLED' : settings.caPath ? `, CA ${settings.caPath}` : '';
  return `${settings.nodes.join(', ')} (${auth}${tls})`;
}

/** Loud, one line each: things an operator should know before data flows. */
export function connectionWarnings(settings: ConnectionSettings): string[] {
  const warnings: string[] = [];
  if (settings.insecure) warnings.push('TLS certificate verification is DISABLED for Elasticsearch: anyone on the path can read and alter the traffic and capture credentials');
  for (const node of settings.nodes) {
    const url = new URL(node);
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    if (url.protocol === 'http:' && settings.auth && !loopback) {
      warnings.push(`credentials are sent unencrypted to ${url.host} (http://); use https://`);
    }
  }
  return warnings;
}

export function clientOptions(settings: ConnectionSettings): ClientOptions {
  return {
    nodes: settings.nodes,
    ...(settings.auth ? { auth: settings.auth } : {}),
    tls: {
      ...(settings.ca ? { ca: settings.ca } : {}),
      rejectUnauthorized: !settings.insecure,
    },
    requestTimeout: settings.requestTimeoutMs,
    name: 'dropship',
    // Errors must not carry request headers (Authorization) into anything we print. 'remove'
    // drops them; 'replace' would deep-copy the error's request through Object.entries, body
    // included: a 2 MB `_bulk` Buffer became millions of [index, byte] pairs per failed request,
    // and an unreachable Elasticsearch ran the shipper out of heap within seconds.
    redaction: { type: 'remove' },
  };
}

export function createClient(settings: ConnectionSettings): Client {
  return new Client(clientOptions(settings));
}
