/**
 * MOCKED: the importer over HTTPS against a loopback server with a throw-away self-signed
 * certificate (made with openssl): verification is on by default and fails at once with a
 * hint, and trusting the certificate through the CA option makes the same call succeed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForKibana } from '../../src/kibana/saved-objects.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = hasOpenssl ? false : 'openssl is not installed';
if (skip && process.env.CI) throw new Error(`CI is set but ${skip} (.ci/apt-packages.txt lists it)`);
if (skip) console.log(`skipping TLS checks: ${skip}`);

async function tlsKibana(): Promise<{ url: string; cert: string; connections: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-tls-'));
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: { overall: { level: 'available' } } }));
  });
  rmSync(dir, { recursive: true, force: true });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  after(() => new Promise<void>((ok) => server.close(() => ok())));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, cert, connections: () => connections };
}

test('mocked Kibana over TLS: an untrusted certificate fails at once, naming the fix', { skip }, async () => {
  const k = await tlsKibana();
  await assert.rejects(waitForKibana({ host: k.url }, { timeoutMs: 10_000, pollIntervalMs: 10 }),
    /^KibanaError: TLS connection to Kibana at https:\/\/127\.0\.0\.1:\d+ failed \(\w+\); set KIBANA_CA or ELASTICSEARCH_CA/);
  // At once: one connection, not a poll every 10 ms until the timeout.
  assert.equal(k.connections(), 1, 'did not wait for the timeout');
});

test('mocked Kibana over TLS: the CA option makes the certificate trusted', { skip }, async () => {
  const k = await tlsKibana();
  await waitForKibana({ host: k.url, ca: k.cert }, { timeoutMs: 5000, pollIntervalMs: 10 });
});
