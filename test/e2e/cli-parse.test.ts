import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';

const CLI = [process.execPath, '--import', 'tsx', join(import.meta.dirname, '../..', 'src', 'cli', 'main.ts')];

function run(args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(CLI[0]!, [...CLI.slice(1), ...args], { input, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LINES = [
  '<4>Nov 16 00:12:34 kernel: DROP IN=ppp0 OUT= MAC= SRC=203.0.113.45 DST=198.51.100.20 LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=51234 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0',
  '',
  'not a firewall line',
  '<4>Nov 16 00:12:40 kernel: DROP IN=eth0 OUT= MAC= SRC=203.0.113.77 DST=198.51.100.20 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=0 DF PROTO=UDP SPT=53211 DPT=5060 LEN=20',
];

const dir = mkdtempSync(join(tmpdir(), 'dropship-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('parse: a plain file, a gzip file and stdin give one document per non-empty line, in order', () => {
  const plain = join(dir, 'router.log');
  const gz = join(dir, 'router.log.1.gz');
  writeFileSync(plain, LINES.join('\n') + '\n');
  writeFileSync(gz, gzipSync(LINES.join('\r\n')));
  for (const r of [run(['parse', '--year', '2024', plain]), run(['parse', '--year', '2024', gz]), run(['parse', '--year', '2024'], LINES.join('\n'))]) {
    assert.equal(r.status, 0, r.stderr);
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination?: { port: number }; event: { dataset: string }; '@timestamp': string });
    assert.equal(docs.length, 3);
    assert.equal(docs[0]!.destination?.port, 23);
    assert.equal(docs[0]!['@timestamp'], '2024-11-16T00:12:34.000Z');
    assert.equal(docs[1]!.event.dataset, 'dropship.syslog'); // kept, not a firewall attempt
    assert.equal(docs[2]!.destination?.port, 5060);
  }
});

test('parse: year-less lines of a file are dated from its modification time, as import dates them', () => {
  const file = join(dir, 'old.log');
  writeFileSync(file, ['Dec 30 10:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23',
    'Jan  2 10:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23'].join('\n'));
  const mtime = new Date('2021-01-05T00:00:00Z');
  utimesSync(file, mtime, mtime);
  const r = run(['parse', file]);
  assert.equal(r.status, 0, r.stderr);
  const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { '@timestamp': string; event: { created: string } });
  assert.deepEqual(docs.map((d) => d['@timestamp']), ['2020-12-30T10:00:00.000Z', '2021-01-02T10:00:00.000Z']);
  assert.equal(docs[0]!.event.created, '2021-01-05T00:00:00.000Z');
});

test('parse: --timezone applies to offset-less timestamps', () => {
  const r = run(['parse', '--year', '2024', '--timezone', 'Asia/Tokyo'], LINES[0]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout)['@timestamp'], '2024-11-15T15:12:34.000Z');
});

test('usage errors exit 2 with one line; runtime errors exit 1 with one line', () => {
  const tz = run(['parse', '--timezone', 'Mars/Olympus'], '');
  assert.equal(tz.status, 2);
  assert.match(tz.stderr, /^dropship: unknown time zone "Mars\/Olympus"/);
  assert.equal(tz.stderr.trim().split('\n').length, 1);
  const year = run(['parse', '--year', '24'], '');
  assert.equal(year.status, 2);
  const missing = run(['parse', join(dir, 'nope.log')]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr.trim(), `dropship: cannot read ${join(dir, 'nope.log')}: ENOENT`);
  const unknown = run(['frobnicate']);
  assert.equal(unknown.status, 2);
});

test('--help lists the commands and options', () => {
  const r = run(['parse', '--help']);
  assert.equal(r.status, 0);
  for (const opt of ['--timezone', '--year', '--observer']) assert.match(r.stdout, new RegExp(opt));
});

test('binary garbage and a huge line do not crash the command', () => {
  const bin = Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 10]), Buffer.alloc(200_000, 0x41), Buffer.from('\nok\n')]);
  const r = run(['parse'], bin);
  assert.equal(r.status, 0, r.stderr);
  const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { tags?: string[]; event: { original: string } });
  assert.equal(docs.length, 3);
  assert.ok(docs[1]!.tags?.includes('dropship_truncated'));
  assert.equal(docs[2]!.event.original, 'ok');
});

test('parse: enrichment on by default (bundled country database, services, scanners, local time), --no-geoip, --scanner-list', () => {
  const line = '2018-11-16T09:02:11+09:00 router.asus.com kernel: DROP IN=ppp0 OUT= MAC= SRC=210.150.186.238 DST=198.51.100.20 LEN=40 TOS=0x00 PREC=0x00 TTL=243 ID=1 PROTO=TCP SPT=41230 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0';
  type Doc = { source: { geo?: { country_iso_code: string } }; dropship: { service?: { name: string }; scanner?: { name: string }; local?: { hour: number; weekday: number } }; tags?: string[] };
  const on = JSON.parse(run(['parse', '--timezone', 'Asia/Tokyo'], line).stdout) as Doc;
  assert.equal(on.source.geo?.country_iso_code, 'JP');
  assert.equal(on.dropship.service?.name, 'ssh');
  assert.equal(on.dropship.scanner?.name, 'NICT NOTICE');
  assert.deepEqual(on.dropship.local, { hour: 9, weekday: 5 });
  assert.deepEqual(on.tags, ['known_scanner']);
  const off = JSON.parse(run(['parse', '--no-geoip'], line).stdout) as Doc;
  assert.equal(off.source.geo, undefined);
  const list = join(dir, 'scanners.txt');
  writeFileSync(list, '198.51.100.0/24 my-lab\n');
  const own = JSON.parse(run(['parse', '--scanner-list', list], line.replace('SRC=210.150.186.238', 'SRC=198.51.100.9')).stdout) as Doc;
  assert.equal(own.dropship.scanner?.name, 'my-lab');
  const missing = run(['parse', '--geoip', join(dir, 'none.mmdb')], line);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^dropship: cannot read GeoIP database/);
});

test('the built bin is executable and runs (what npx dropship runs after npm ci)', (t) => {
  const bin = join(import.meta.dirname, '../..', 'dist', 'cli', 'main.js');
  if (!existsSync(bin)) {
    if (process.env.CI) assert.fail('dist/cli/main.js missing: npm ci should have built it');
    t.skip('dist/ not built (run npm run build)');
    return;
  }
  assert.ok((statSync(bin).mode & 0o111) !== 0, 'dist/cli/main.js is executable');
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /parse \[options\]/);
  // A named command loads only its own module; its options are all there.
  const tail = spawnSync(bin, ['tail', '--help'], { encoding: 'utf8' });
  assert.equal(tail.status, 0, tail.stderr);
  assert.match(tail.stdout, /--bulk-max-bytes/);
  assert.match(tail.stdout, /--syslog-udp/);
});
