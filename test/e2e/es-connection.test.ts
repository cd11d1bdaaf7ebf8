import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { UsageError } from '../../src/cli/errors.js';
import { clientOptions, connectionWarnings, createClient, describeConnection, resolveConnection } from '../../src/elasticsearch/connection.js';
import { redact } from '../../src/core/redact.js';
import { ElasticsearchSink } from '../../src/elasticsearch/sink/index.js';
import { bulkBody } from '../helpers/sink-harness.js';
import { netfilterDoc } from '../helpers/netfilter-docs.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const noFile = (path: string): Buffer => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

/** A port nothing listens on: bind, note the port, close. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('connection settings', () => {
  it('defaults to localhost and reads the Elastic environment variables', () => {
    assert.deepEqual(resolveConnection({}, {}, noFile).nodes, ['http://localhost:9200']);
    const s = resolveConnection({}, { ELASTICSEARCH_HOSTS: 'https://a:9200, https://b:9200/', ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: 'pw-123456' }, noFile);
    assert.deepEqual(s.nodes, ['https://a:9200', 'https://b:9200']);
    assert.deepEqual(s.auth, { username: 'elastic', password: 'pw-123456' });
    assert.equal(s.insecure, false);
    assert.equal(clientOptions(s).tls?.rejectUnauthorized, true, 'TLS verification is on by default');
    assert.deepEqual(resolveConnection({}, { ELASTICSEARCH_HOSTS: '["http://es:9200"]' }, noFile).nodes, ['http://es:9200']);
  });

  it('lets flags win over the environment and reads secrets from files', () => {
    const files: Record<string, string> = { '/run/secrets/key': 'myid:mykey-secret\n', '/ca.pem': 'PEM' };
    const read = (p: string) => (p in files ? Buffer.from(files[p]!) : noFile(p));
    const s = resolveConnection({ esHosts: 'es.example:9200', esApiKeyFile: '/run/secrets/key', esCa: '/ca.pem', esTimeout: '5' }, { ELASTICSEARCH_HOSTS: 'http://ignored:9200' }, read);
    assert.deepEqual(s.nodes, ['http://es.example:9200']);
    assert.deepEqual(s.auth, { apiKey: Buffer.from('myid:mykey-secret').toString('base64') }, 'id:key is encoded as Elasticsearch expects');
    assert.equal(s.ca?.toString(), 'PEM');
    assert.equal(s.requestTimeoutMs, 5000);
  });

  it('refuses credentials in host URLs, naming where the URL came from but not the secret', () => {
    for (const [flags, env, from] of [
      [{ esHosts: 'https://elastic:url-pass-word@es:9200' }, {}, '--es-hosts'],
      [{}, { ELASTICSEARCH_HOSTS: 'https://es-a:9200,https://elastic:url-pass-word@es:9200' }, 'ELASTICSEARCH_HOSTS'],
      [{}, { ELASTICSEARCH_HOSTS: 'https://elastic@es:9200' }, 'ELASTICSEARCH_HOSTS'],
    ] as const) {
      assert.throws(
        () => resolveConnection(flags, env, noFile),
        (err: unknown) => err instanceof UsageError && err.message.startsWith(`${from} contains credentials in a URL (https://…@es:9200)`) && !/url-pass-word|elastic@/.test(err.message),
      );
    }
    assert.equal(redact('oops url-pass-word'), 'oops [redacted]', 'the password is registered before refusing');
  });

  it('rejects contradictory or incomplete settings with usage errors that name no secret', () => {
    const cases: [Parameters<typeof resolveConnection>[0], Record<string, string>, RegExp][] = [
      [{}, { ELASTICSEARCH_API_KEY: 'k-secret-1', ELASTICSEARCH_USERNAME: 'u' }, /choose one/],
      [{}, { ELASTICSEARCH_USERNAME: 'u' }, /password is needed/],
      [{}, { ELASTICSEARCH_PASSWORD: 'p-secret-2' }, /no username/],
      [{ esPasswordFile: '/nope' }, { ELASTICSEARCH_USERNAME: 'u' }, /cannot read the password file \/nope \(ENOENT\)/],
      [{ esHosts: 'ftp://x' }, {}, /http:\/\/ or https:\/\//],
      [{ esHosts: 'http://u:p-secret-3@[bad' }, {}, /invalid Elasticsearch host/],
      [{ esTimeout: '-1' }, {}, /--es-timeout/],
    ];
    for (const [flags, env, message] of cases) {
      assert.throws(
        () => resolveConnection(flags, env, noFile),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && !/secret/.test(err.message),
      );
    }
  });

  it('is loud about disabled verification and cleartext credentials', () => {
    const s = resolveConnection({}, { ELASTICSEARCH_SSL_VERIFICATIONMODE: 'none', ELASTICSEARCH_HOSTS: 'http://es.lan:9200', ELASTICSEARCH_API_KEY: 'abcdefgh' }, noFile);
    assert.equal(s.insecure, true);
    assert.equal(clientOptions(s).tls?.rejectUnauthorized, false);
    const warnings = connectionWarnings(s);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /DISABLED/);
    assert.match(warnings[1]!, /unencrypted to es\.lan:9200/);
  });

  it('redacts user-info in URLs and registered secrets', () => {
    assert.equal(redact('connect ECONNREFUSED http://bob:pw@h:1/x'), 'connect ECONNREFUSED http://[redacted]@h:1/x');
    resolveConnection({}, { ELASTICSEARCH_API_KEY: 'registered-key-xyz' }, noFile);
    assert.equal(redact('bad key registered-key-xyz!'), 'bad key [redacted]!');
  });
});

describe('secrets never appear in output', () => {
  const PASSWORD = 'Pa55-never-print-me';
  const API_KEY = 'QUtFWS1uZXZlci1wcmludC1tZQ==';
  let echo: Server;
  let echoUrl = '';
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dropship-secrets-'));
    // A hostile or buggy server that echoes the Authorization header back in its error.
    echo = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify({ error: { type: 'security_exception', reason: `unable to authenticate with ${req.headers.authorization}` }, status: 401 }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => echo.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const assertClean = (text: string) => {
    for (const secret of [PASSWORD, API_KEY, Buffer.from(`elastic:${PASSWORD}`).toString('base64')]) {
      assert.ok(!text.includes(secret), `output contains a secret:\n${text}`);
    }
  };

  it('setup against a refused connection: one line, exit 1, no password', async () => {
    const port = await closedPort();
    const r = await runCli(['setup'], { ELASTICSEARCH_HOSTS: `http://127.0.0.1:${port}`, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: PASSWORD });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dropship: cannot reach Elasticsearch: .*ECONNREFUSED.*\n$/);
    assertClean(r.stdout + r.stderr);
  });

  it('setup with credentials in the host URL: refused before connecting, exit 2, one line', async () => {
    const port = await closedPort();
    const r = await runCli(['setup', '--es-hosts', `http://elastic:${PASSWORD}@127.0.0.1:${port}`], {});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^dropship: --es-hosts contains credentials in a URL \(http:\/\/…@127\.0\.0\.1:\d+\); .*\n$/);
    assertClean(r.stdout + r.stderr);
  });

  it('an unknown option given with a value is reported without the value', async () => {
    for (const args of [['setup', `--es-password=${PASSWORD}`], [`--es-password=${PASSWORD}`, 'setup'], ['tail', `--es-api-key=${API_KEY}`, 'x.log']]) {
      const r = await runCli(args, {});
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /unknown option '--es-(password|api-key)=…'/);
      assertClean(r.stdout + r.stderr);
    }
  });

  it('setup against a server that echoes the API key and the basic credentials', async () => {
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, `${API_KEY}\n`);
    const withKey = await runCli(['setup', '--es-hosts', echoUrl, '--es-api-key-file', keyFile], {});
    assert.equal(withKey.code, 1);
    assert.match(withKey.stderr, /security_exception/);
    assert.match(withKey.stderr, /\[redacted\]/);
    assertClean(withKey.stdout + withKey.stderr);
    const withPassword = await runCli(['setup'], { ELASTICSEARCH_HOSTS: echoUrl, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: PASSWORD });
    assert.equal(withPassword.code, 1);
    assertClean(withPassword.stdout + withPassword.stderr);
  });

  it('--help never prints values', async () => {
    const r = await runCli(['setup', '--help'], { ELASTICSEARCH_PASSWORD: PASSWORD, ELASTICSEARCH_API_KEY: API_KEY });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--es-password-file/);
    assertClean(r.stdout + r.stderr);
  });

  it('the sink\'s logs under connection and auth errors', async () => {
    let logged = '';
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logged += String(chunk); cb(); } }));
    for (const env of [
      { ELASTICSEARCH_HOSTS: `http://127.0.0.1:${await closedPort()}`, ELASTICSEARCH_USERNAME: 'elastic', ELASTICSEARCH_PASSWORD: PASSWORD },
      { ELASTICSEARCH_HOSTS: echoUrl, ELASTICSEARCH_API_KEY: API_KEY },
    ]) {
      const client = createClient(resolveConnection({}, env, noFile));
      const sink = new ElasticsearchSink({ client, deadLetter: { write: async () => {} }, logger, flushIntervalMs: 1, backoffInitialMs: 5, backoffMaxMs: 10 });
      sink.pushBatch(bulkBody([netfilterDoc(1)]), 1, 1);
      while (sink.stats().failedRequests < 3) await new Promise((r) => setTimeout(r, 5));
      sink.abort();
      await client.close();
    }
    assert.match(logged, /ECONNREFUSED/);
    assert.match(logged, /security_exception/);
    assertClean(logged);
  });
});
