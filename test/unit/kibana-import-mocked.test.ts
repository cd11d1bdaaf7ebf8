/**
 * MOCKED: installSavedObjects against the loopback Kibana of test/helpers/kibana-mock.ts, which
 * answers the status, import and export APIs the way Kibana's source does (spaces, conflicts,
 * origin ids, nothing written while a conflict is pending). No real Kibana is involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_NDJSON_PATH, dashboardUrl, installSavedObjects, kibanaConnectionFromEnv, KibanaError, KibanaImportError, waitForKibana,
} from '../../src/kibana/saved-objects.js';
import { parseNdjson, toNdjson, type RawObject } from '../../src/kibana/api.js';
import { mergeDataView, revisionOf } from '../../src/kibana/install-plan.js';
import { UsageError } from '../../src/cli/errors.js';
import { mockKibana, type Stored } from '../helpers/kibana-mock.js';

const bundledText = readFileSync(DEFAULT_NDJSON_PATH, 'utf8');
const bundled = parseNdjson(bundledText);
const fast = { pollIntervalMs: 10, waitTimeoutMs: 5000 };
const imports = (k: { seen: { method: string; url: string }[] }): string[] => k.seen.filter((s) => s.method === 'POST' && s.url.includes('_import')).map((s) => s.url);
const dataView = (store: Map<string, Stored>, id = 'dropship-logs'): Stored => store.get(`index-pattern:${id}`)!;
const json = (v: unknown): Record<string, unknown> => JSON.parse(v as string) as Record<string, unknown>;

test('mocked Kibana: waits until ready, then imports the bundle as multipart with kbn-xsrf; a fresh Kibana gets everything', async () => {
  const k = await mockKibana({ notReadyFor: 2 });
  const logs: string[] = [];
  const r = await installSavedObjects({ host: k.url, auth: { apiKey: 'a2V5OnNlY3JldA==' }, ...fast, log: (l) => logs.push(l) });
  assert.equal(r.level, 'available');
  assert.deepEqual(r.objects.map((o) => o.action), bundled.map(() => 'created'));
  assert.equal(k.seen.filter((s) => s.url === '/api/status').length, 3);
  const imp = k.seen.find((s) => s.method === 'POST')!;
  assert.equal(imp.url, '/api/saved_objects/_import?overwrite=false');
  assert.equal(imp.headers['kbn-xsrf'], 'dropship');
  assert.equal(imp.headers.authorization, 'ApiKey a2V5OnNlY3JldA==');
  assert.equal(imp.file!.filename, 'dropship.ndjson');
  assert.equal(imp.file!.contentType, 'application/ndjson');
  assert.equal(parseNdjson(imp.file!.text).length, bundled.length);
  assert.equal(k.store.size, bundled.length);
  assert.match(logs[0]!, /waiting for Kibana at http:\/\/127\.0\.0\.1:\d+ \(HTTP 503, unavailable\)/);
});

test('mocked Kibana: "degraded" with HTTP 200 is ready (Kibana imports then); unavailable is not', async () => {
  const k = await mockKibana({ readyLevel: 'degraded' });
  const logs: string[] = [];
  assert.equal(await waitForKibana({ host: k.url }, { timeoutMs: 2000, pollIntervalMs: 10, log: (l) => logs.push(l) }), 'degraded');
  assert.match(logs.join('\n'), /reports "degraded"/);
  const r = await installSavedObjects({ host: k.url, ...fast });
  assert.equal(r.level, 'degraded');
  assert.equal(k.store.size, bundled.length);
});

test('mocked Kibana: a re-run writes nothing when nothing changed (no overwrite import at all)', async () => {
  const k = await mockKibana();
  await installSavedObjects({ host: k.url, ...fast });
  const before = JSON.stringify([...k.store]);
  const again = await installSavedObjects({ host: k.url, ...fast });
  assert.deepEqual(again.objects.map((o) => o.action), bundled.map(() => 'kept'));
  assert.deepEqual(imports(k), ['/api/saved_objects/_import?overwrite=false', '/api/saved_objects/_import?overwrite=false']);
  assert.equal(JSON.stringify([...k.store]), before);
});

test("mocked Kibana: a user's changes to a data view survive re-runs and upgrades; what a new version needs is added", async () => {
  const k = await mockKibana({ migrateTo: { 'index-pattern': '10.2.0' } });
  await installSavedObjects({ host: k.url, ...fast });
  // The user picks another format for ports, adds a runtime field and a label, and bumps a count.
  const dv = dataView(k.store);
  const formats = json(dv.attributes.fieldFormatMap);
  formats['destination.port'] = { id: 'string', params: {} };
  dv.attributes.fieldFormatMap = JSON.stringify(formats);
  const runtime = json(dv.attributes.runtimeFieldMap);
  runtime['my.field'] = { type: 'keyword', script: { source: "emit('x')" } };
  dv.attributes.runtimeFieldMap = JSON.stringify(runtime);
  dv.attributes.fieldAttrs = JSON.stringify({ ...json(dv.attributes.fieldAttrs), 'source.ip': { count: 7, customLabel: 'Attacker' } });
  const edited = structuredClone(dv.attributes);

  const rerun = await installSavedObjects({ host: k.url, ...fast });
  assert.equal(rerun.objects.find((o) => o.id === 'dropship-logs')!.action, 'kept');
  assert.deepEqual(dataView(k.store).attributes, edited);

  // An upgrade that needs a new runtime field and a new format, and changes a dashboard.
  const upgraded = bundled.map((o): RawObject => {
    if (o.type === 'index-pattern' && o.id === 'dropship-logs') {
      return { ...o, attributes: { ...o.attributes,
        runtimeFieldMap: JSON.stringify({ ...json(o.attributes.runtimeFieldMap), 'dropship.new': { type: 'keyword', script: { source: "emit('n')" } } }),
        fieldFormatMap: JSON.stringify({ ...json(o.attributes.fieldFormatMap), 'source.port': { id: 'number', params: { pattern: '0' } } }) } };
    }
    if (o.type === 'dashboard' && o.id === 'dropship-firewall-overview') return { ...o, attributes: { ...o.attributes, title: 'dropship — Firewall overview v2' } };
    return o;
  });
  const up = await installSavedObjects({ host: k.url, ndjson: toNdjson(upgraded), ...fast });
  const action = (id: string): string => up.objects.find((o) => o.id === id)!.action;
  assert.equal(action('dropship-logs'), 'updated');
  assert.equal(action('dropship-firewall-overview'), 'updated');
  assert.equal(action('dropship-ssh-logins'), 'kept');
  assert.equal(action('dropship-auth'), 'kept');
  const after = dataView(k.store);
  assert.deepEqual(json(after.attributes.fieldFormatMap)['destination.port'], { id: 'string', params: {} }, 'the user\'s format stays');
  assert.ok(json(after.attributes.fieldFormatMap)['source.port'], 'the new format is added');
  assert.ok(json(after.attributes.runtimeFieldMap)['my.field'], 'the user\'s runtime field stays');
  assert.ok(json(after.attributes.runtimeFieldMap)['dropship.new'], 'the new runtime field is added');
  assert.deepEqual(json(after.attributes.fieldAttrs)['source.ip'], { count: 7, customLabel: 'Attacker' });
  assert.equal(k.store.get('dashboard:dropship-firewall-overview')!.attributes.title, 'dropship — Firewall overview v2');
  assert.deepEqual(imports(k).at(-1), '/api/saved_objects/_import?overwrite=true');
});

test('mocked Kibana: a second space gets its own copies; links and re-runs use the ids Kibana gave them there', async () => {
  const k = await mockKibana();
  await installSavedObjects({ host: k.url, ...fast });
  const first = await installSavedObjects({ host: k.url, space: 'ops-team', ...fast });
  const ops = k.model.space('ops-team');
  assert.equal(ops.size, bundled.length);
  for (const o of first.objects) {
    assert.equal(o.action, 'created');
    assert.notEqual(o.spaceId, o.id, `${o.id} exists in the default space, so Kibana gave the copy a new id`);
    assert.ok(ops.has(`${o.type}:${o.spaceId}`), o.id);
  }
  const dash = first.objects.find((o) => o.id === 'dropship-firewall-overview')!;
  assert.equal(dashboardUrl('https://kibana.example:5601/', 'ops-team', dash.spaceId), `https://kibana.example:5601/s/ops-team/app/dashboards#/view/${dash.spaceId}`);
  // The copy's panels point at the copy's data view.
  const copy = ops.get(`dashboard:${dash.spaceId}`)!;
  const dv = first.objects.find((o) => o.id === 'dropship-logs')!;
  assert.ok(copy.references.some((r) => r.id === dv.spaceId));

  const again = await installSavedObjects({ host: k.url, space: 'ops-team', ...fast });
  assert.deepEqual(again.objects.map((o) => [o.id, o.spaceId, o.action]), first.objects.map((o) => [o.id, o.spaceId, 'kept']));
  assert.equal(ops.size, bundled.length, 'no further copies');
  // An upgrade in that space replaces the copy, not a new one.
  const changed = bundled.map((o) => (o.id === 'dropship-ssh-logins' ? { ...o, attributes: { ...o.attributes, title: 'SSH v2' } } : o));
  const up = await installSavedObjects({ host: k.url, space: 'ops-team', ndjson: toNdjson(changed), ...fast });
  const ssh = up.objects.find((o) => o.id === 'dropship-ssh-logins')!;
  assert.equal(ssh.action, 'updated');
  assert.equal(ssh.spaceId, first.objects.find((o) => o.id === 'dropship-ssh-logins')!.spaceId);
  assert.equal(ops.get(`dashboard:${ssh.spaceId}`)!.attributes.title, 'SSH v2');
  assert.equal(ops.size, bundled.length);
});

test('the router zone replaces "router time"; a new zone is a new dashboard revision', async () => {
  const k = await mockKibana();
  await installSavedObjects({ host: k.url, timezone: 'Asia/Tokyo', ...fast });
  const fw = k.store.get('dashboard:dropship-firewall-overview')!;
  const text = JSON.stringify(fw.attributes);
  assert.ok(text.includes('Time of day × weekday (Asia/Tokyo)'), 'heatmap title names the zone');
  assert.ok(!text.includes('router time'));
  const r1 = revisionOf(fw as RawObject);
  const moved = await installSavedObjects({ host: k.url, timezone: 'Europe/Berlin', ...fast });
  assert.equal(moved.objects.find((o) => o.id === 'dropship-firewall-overview')!.action, 'updated');
  const fw2 = k.store.get('dashboard:dropship-firewall-overview')!;
  assert.ok(JSON.stringify(fw2.attributes).includes('(Europe/Berlin)'));
  assert.notEqual(revisionOf(fw2 as RawObject), r1);
});

test('mergeDataView keeps title and time field in line with the bundle, everything else the user set', () => {
  const b = bundled.find((o) => o.id === 'dropship-logs')!;
  const old: RawObject = { ...b, attributes: { ...b.attributes, title: 'logs-dropship.*', fieldFormatMap: '{}', runtimeFieldMap: '{}', fieldAttrs: '{}' } };
  const m = mergeDataView(old, b);
  assert.equal(m.object.attributes.title, 'logs-dropship.*-*');
  assert.ok(m.additions.some((a) => a.startsWith('title')));
  assert.ok(m.additions.includes('runtime field dropship.local.hour_label'));
  assert.deepEqual(mergeDataView(m.object, b).additions, []);
});

test('mocked Kibana: objects Kibana refuses are an error naming them; nothing is written', async () => {
  const k = await mockKibana();
  const orphan = JSON.stringify({ type: 'dashboard', id: 'x', attributes: { title: 'x' }, references: [{ name: 'r', type: 'index-pattern', id: 'gone' }] });
  await assert.rejects(installSavedObjects({ host: k.url, ndjson: `${orphan}\n`, ...fast }), (e: Error) => {
    assert.ok(e instanceof KibanaImportError);
    assert.equal(e.errors[0]!.error.type, 'missing_references');
    assert.match(e.message, /^Kibana rejected 1 saved object\(s\): dashboard x: missing_references$/);
    return true;
  });
  assert.equal(k.store.size, 0);
});

test('mocked Kibana: never ready → one-line timeout error naming the host and the last state', async () => {
  const k = await mockKibana({ notReadyFor: Infinity });
  await assert.rejects(installSavedObjects({ host: k.url, pollIntervalMs: 10, waitTimeoutMs: 200 }), (e: Error) => {
    assert.ok(e instanceof KibanaError);
    assert.match(e.message, /^Kibana at http:\/\/127\.0\.0\.1:\d+ did not report available or degraded within 0.2s \(last: HTTP 503, unavailable\)$/);
    return true;
  });
  assert.ok(!k.seen.some((s) => s.method === 'POST'));
});

test('nothing listening → timeout error with the connection error code', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(installSavedObjects({ host: `http://127.0.0.1:${port}`, pollIntervalMs: 10, waitTimeoutMs: 100 }),
    /did not report available or degraded within 0.1s \(last: ECONNREFUSED\)/);
});

test('mocked Kibana: rejected credentials fail at once, without the secret; a bad space id is a usage error', async () => {
  const k = await mockKibana({ statusCode: 401 });
  await assert.rejects(installSavedObjects({ host: k.url, auth: { username: 'elastic', password: 's3cr3t-pw' }, ...fast }), (e: Error) => {
    assert.match(e.message, /rejected the credentials \(HTTP 401\)/);
    assert.ok(!e.message.includes('s3cr3t-pw'));
    return true;
  });
  // At once: one request, no polling until the wait's timeout.
  assert.equal(k.seen.length, 1, JSON.stringify(k.seen));
  await assert.rejects(installSavedObjects({ host: k.url, space: '../api', ...fast }), UsageError);
});

test('mocked Kibana: an HTTP error that echoes the credentials is reported redacted', async () => {
  const secret = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
  const k = await mockKibana({ importStatus: 500, importBody: (s) => JSON.stringify({ statusCode: 500, message: `boom: ${s.headers.authorization}` }) });
  await assert.rejects(installSavedObjects({ host: k.url, auth: { apiKey: secret }, ...fast }), (e: Error) => {
    assert.match(e.message, /^saved-objects import at http:\/\/127\.0\.0\.1:\d+ failed: HTTP 500: boom: ApiKey \[redacted\]$/);
    assert.ok(!e.message.includes(secret));
    return true;
  });
});

test('connection settings from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-ca-'));
  try {
    const ca = join(dir, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    assert.deepEqual(kibanaConnectionFromEnv({ KIBANA_HOST: 'https://kb:5601', ELASTICSEARCH_API_KEY: 'k', ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD: 'p', ELASTICSEARCH_CA: ca }),
      { host: 'https://kb:5601', auth: { apiKey: 'k' }, ca: '-----BEGIN CERTIFICATE-----\n' });
    assert.deepEqual(kibanaConnectionFromEnv({ KIBANA_HOST: 'http://kb:5601', ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD: 'p' }),
      { host: 'http://kb:5601', auth: { username: 'u', password: 'p' } });
    assert.equal(kibanaConnectionFromEnv({ KIBANA_HOST: 'https://kb', KIBANA_CA: ca, ELASTICSEARCH_CA: '/nonexistent' }).ca, '-----BEGIN CERTIFICATE-----\n');
    assert.throws(() => kibanaConnectionFromEnv({}), UsageError);
    assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'kb:5601x' }), UsageError);
    assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'http://kb', ELASTICSEARCH_USERNAME: 'u' }), UsageError);
    assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'http://kb', KIBANA_CA: join(dir, 'missing') }), /cannot read CA file .*ENOENT/);
    assert.throws(() => kibanaConnectionFromEnv({ KIBANA_HOST: 'http://u:hunter2@kb' }), (e: Error) => !e.message.includes('hunter2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle parses as the objects build:kibana wrote', () => {
  assert.equal(toNdjson(bundled), bundledText);
});
