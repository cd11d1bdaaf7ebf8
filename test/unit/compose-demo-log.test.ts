/**
 * The sample logs the compose `demo` profile imports (samples/demo/*.log): exactly what the
 * committed generator writes, parsed by dropship without error, and rich enough for every panel
 * (many countries as the database places them, the seed posts' ports, NICT sweeps, every day).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { daysToShift, lineTime, shiftLine } from '../../samples/demo/replay.mjs';
import { createRequire } from 'node:module';
import { Reader, type CountryResponse } from 'maxmind';
import { COUNTRY_WEIGHTS, DEMO_DAYS, DEMO_DIR, DEMO_START, NICT, PORTS, demoLogs } from '../../scripts/make-demo-log.js';
import { parserFor, at } from '../helpers/doc.js';
import { timeZone } from '../../src/time/zone.js';

const router = readFileSync(`${DEMO_DIR}router.log`, 'utf8');
const auth = readFileSync(`${DEMO_DIR}auth.log`, 'utf8');
const parse = parserFor({ zone: timeZone('Asia/Tokyo') });
const docs = router.trimEnd().split('\n').map((l) => parse(l));

test('samples/demo/*.log are what `npm run build:demo` generates', () => {
  const fresh = demoLogs();
  assert.ok(fresh.router === router, 'router.log is stale: run `npm run build:demo`');
  assert.ok(fresh.auth === auth, 'auth.log is stale: run `npm run build:demo`');
});

test('small enough to ship in the repository', () => {
  assert.ok(Buffer.byteLength(router) + Buffer.byteLength(auth) < 512 * 1024);
});

test('every firewall line parses as a denied netfilter event, in the demo period', () => {
  const first = Date.parse(`${DEMO_START}T00:00:00+09:00`);
  const days = new Set<string>();
  for (const d of docs) {
    assert.equal(d.tags, undefined, d.event.original);
    assert.equal(d.dropship?.format, 'netfilter');
    assert.ok(d.event.type?.includes('denied'), d.event.original);
    const t = Date.parse(d['@timestamp']);
    assert.ok(t >= first && t < first + DEMO_DAYS * 86_400_000, d['@timestamp']);
    days.add(new Date(t + 9 * 3_600_000).toISOString().slice(0, 10));
  }
  assert.equal(days.size, DEMO_DAYS);
  assert.deepEqual(new Set(docs.map((d) => d.dropship?.vendor)), new Set(['asuswrt', 'openwrt', 'ufw']));
});

test('sources cover every listed country, as the bundled country database reports them', () => {
  const require = createRequire(import.meta.url);
  const db = new Reader<CountryResponse & { country_code?: string }>(readFileSync(
    require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb')));
  const countries = new Set(docs.map((d) => db.get(d.source!.ip!)?.country_code));
  assert.ok(!countries.has(undefined), 'every source is a public address the database knows');
  for (const c of Object.keys(COUNTRY_WEIGHTS)) assert.ok(countries.has(c), c);
});

test('the seed posts\' ports are all targeted, telnet most', () => {
  const counts = new Map<string, number>();
  for (const d of docs) {
    const k = `${at(d, 'destination.port')}/${at(d, 'network.transport')}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [port, proto] of PORTS) assert.ok(counts.has(`${port}/${proto.toLowerCase()}`), `${port}/${proto}`);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  assert.equal(top, '23/tcp');
});

test('NICT NOTICE addresses sweep 22/23/80 every day', () => {
  const nict = docs.filter((d) => NICT.includes(d.source!.ip!));
  assert.deepEqual(new Set(nict.map((d) => d.destination!.port)), new Set([22, 23, 80]));
  assert.equal(new Set(nict.map((d) => d['@timestamp'].slice(0, 10))).size >= DEMO_DAYS - 1, true);
});

test('auth.log holds OpenSSH failures for root and invalid users, and an accepted key login', () => {
  const lines = auth.trimEnd().split('\n');
  assert.ok(lines.some((l) => /sshd\[\d+\]: Failed password for root from \S+ port \d+ ssh2$/.test(l)));
  assert.ok(lines.some((l) => /sshd\[\d+\]: Invalid user admin from \S+ port \d+$/.test(l)));
  assert.ok(lines.some((l) => /sshd\[\d+\]: Accepted publickey for /.test(l)));
  for (const l of lines) assert.match(l, /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00 vps sshd\[\d+\]: /);
});

// ---- replay.mjs: the demo dated relative to its import ---------------------------------------

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const REPLAY = `${DEMO_DIR}replay.mjs`;

test('replay: whole days that put the newest line within the last day, never into the future', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 3e11 }), (newest, ahead) => {
    const now = newest + ahead;
    const moved = newest + daysToShift(newest, now) * DAY;
    return moved <= now && moved >= now - DAY;
  }));
  assert.equal(daysToShift(Date.parse('2026-12-01T12:00:00Z'), Date.parse('2026-12-02T00:00:00Z')), 0);
});

test('replay: a moved line keeps its offset, its time of day and the rest of the line', () => {
  const line = router.split('\n')[0]!;
  const moved = shiftLine(line, 38 * DAY);
  assert.equal(lineTime(moved)! - lineTime(line)!, 38 * DAY);
  assert.equal(moved.slice(19), line.slice(19), 'offset and message unchanged');
  assert.equal(moved.slice(11, 19), line.slice(11, 19), 'same wall-clock time');
  assert.equal(moved.slice(0, 10), '2026-12-03', 'the date moved across a month end');
  assert.equal(shiftLine('no timestamp here', DAY), 'no timestamp here');
});

test('replay: moves both demo logs to end within the last day and runs dropship import on the copies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-replay-'));
  try {
    const record = join(dir, 'args.json');
    const fake = join(dir, 'fake-dropship.mjs');
    writeFileSync(fake, `#!/usr/bin/env node\nimport { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`, { mode: 0o755 });
    const now = '2026-12-06T01:00:00Z';
    const r = spawnSync(process.execPath, [REPLAY, `${DEMO_DIR}router.log`, `${DEMO_DIR}auth.log`, '--', '--timezone', 'Asia/Tokyo'], {
      // TMPDIR: the script writes its moved copies under the temporary directory; here, under ours.
      encoding: 'utf8', env: { ...process.env, DROPSHIP_BIN: fake, DROPSHIP_DEMO_NOW: now, TMPDIR: dir },
    });
    assert.equal(r.status, 0, r.stderr);
    const args = JSON.parse(readFileSync(record, 'utf8')) as string[];
    assert.equal(args[0], 'import');
    assert.deepEqual(args.slice(-2), ['--timezone', 'Asia/Tokyo']);
    const [movedRouter, movedAuth] = args.slice(1, 3) as [string, string];
    assert.match(movedRouter, /router\.log$/);
    assert.match(movedAuth, /auth\.log$/);
    const times = (text: string): number[] => text.trimEnd().split('\n').map((l) => lineTime(l)!);
    const moved = [...times(readFileSync(movedRouter, 'utf8')), ...times(readFileSync(movedAuth, 'utf8'))];
    const newest = Math.max(...moved);
    assert.ok(newest <= Date.parse(now) && newest >= Date.parse(now) - DAY, new Date(newest).toISOString());
    const shift = newest - Math.max(...times(router), ...times(auth));
    assert.equal(shift % DAY, 0, 'whole days');
    // The range the dashboards open on (last 7 days) holds a full week of the demo.
    assert.ok(moved.filter((t) => t >= Date.parse(now) - WEEK).length > moved.length / 3);
    assert.equal(readFileSync(movedRouter, 'utf8').split('\n').length, router.split('\n').length, 'every line');
    assert.match(r.stdout, /^demo: logs moved \d+ day\(s\) forward, now \d{4}-\d\d-\d\d … \d{4}-\d\d-\d\d$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the compose stack: demo profile and the router's zone ----------------------------------

const ROOT = join(import.meta.dirname, '..', '..');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');

/** The lines of one top-level service block of docker-compose.yml. */
function service(name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  assert.ok(start >= 0, name);
  const rest = compose.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}[a-z][\w-]*:\n|\n[a-z][\w-]*:\n/);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

test('compose demo profile: replays the demo logs dated to the last days, in the router zone of .env', () => {
  const demo = service('demo');
  assert.match(demo, /entrypoint: \["node", "\/demo\/replay\.mjs"\]/);
  assert.match(demo, /- \.\/samples\/demo:\/demo:ro/);
  assert.doesNotMatch(demo, /\bTZ:/, 'the demo uses ROUTER_TIMEZONE like the shipper and setup');
});

test('compose asks for the router zone as it asks for secrets: required in compose, a placeholder setup refuses', () => {
  assert.match(compose, /^ {4}TZ: \$\{ROUTER_TIMEZONE:\?[^}]+\}$/m);
  assert.match(envExample, /^ROUTER_TIMEZONE=CHANGE_ME$/m);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'setup'], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '', TZ: 'CHANGE_ME', ELASTICSEARCH_HOSTS: 'http://127.0.0.1:9' },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /ROUTER_TIMEZONE/);
});
