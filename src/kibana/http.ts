/**
 * The few HTTP calls dropship makes to Kibana, over node:http/https rather than global fetch:
 * Node's fetch cannot take a CA per request without the undici package, and KIBANA_CA must
 * work without touching process-wide trust (NODE_EXTRA_CA_CERTS) or adding dependencies.
 */
import http from 'node:http';
import https from 'node:https';

export type KibanaAuth = { apiKey: string } | { username: string; password: string };

export interface KibanaConnection {
  /** Base URL, e.g. https://localhost:5601 (a base path such as /kibana is kept). */
  host: string;
  auth?: KibanaAuth;
  /** PEM CA certificate(s) trusted instead of the public roots (a private stack CA); verification stays on. */
  ca?: string;
}

export interface HttpResponse { status: number; body: string }

export class KibanaError extends Error {
  override readonly name = 'KibanaError';
  constructor(message: string, readonly code?: string) { super(message); }
}

const REQUEST_TIMEOUT_MS = 30_000;

export function authHeader(auth: KibanaAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if ('apiKey' in auth) return { authorization: `ApiKey ${auth.apiKey}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

/** The host as it may appear in messages: never credentials, never a query string. */
export function describeHost(host: string): string {
  try {
    const u = new URL(host);
    return `${u.origin}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return '(invalid KIBANA_HOST)';
  }
}

/** Anything secret in the connection, for scrubbing text that came back from the server. */
export function secretsOf(conn: KibanaConnection): string[] {
  const a = conn.auth;
  if (!a) return [];
  const header = authHeader(a).authorization!.split(' ')[1]!;
  return ('apiKey' in a ? [a.apiKey, header] : [a.password, header]).filter((s) => s.length > 0);
}

export function redact(text: string, secrets: string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
}

export function request(
  conn: KibanaConnection, method: 'GET' | 'POST', path: string,
  headers: Record<string, string> = {}, body?: Buffer,
): Promise<HttpResponse> {
  const url = new URL(conn.host.replace(/\/$/, '') + path);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, {
      method,
      headers: { ...headers, ...authHeader(conn.auth), ...(body ? { 'content-length': String(body.length) } : {}) },
      ...(url.protocol === 'https:' && conn.ca !== undefined ? { ca: conn.ca } : {}),
      timeout: REQUEST_TIMEOUT_MS,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new KibanaError(`no answer within ${REQUEST_TIMEOUT_MS / 1000}s`, 'ETIMEDOUT')));
    req.on('error', reject);
    req.end(body);
  });
}
