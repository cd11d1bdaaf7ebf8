import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SCANNER_NETWORKS, SCANNERS_COMPILED } from '../../src/enrich/data/scanners.js';
import { KNOWN_SCANNER_TAG, createEnricher, scannerListProblems } from '../../src/enrich/index.js';
import { parseIp } from '../../src/net/ip.js';
import { DEFAULT_USER_SCANNER_NAME, ScannerIndex, addScannerListFile, builtinScanners, parseScannerList } from '../../src/enrich/scanners.js';
import { timeZone } from '../../src/time/zone.js';
import { docWithSource } from '../helpers/doc.js';

// An independent oracle: addresses as BigInts and a linear scan over the published list.
interface Net { v: 4 | 6; first: bigint; last: bigint; name: string; operator: string }

function toBig(text: string): { v: 4 | 6; n: bigint } {
  if (!text.includes(':')) return { v: 4, n: text.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n) };
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { v: 6, n: groups.reduce((a, g) => (a << 16n) | BigInt(`0x${g}`), 0n) };
}

function fromBig(v: 4 | 6, n: bigint): string {
  if (v === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - i * 16)) & 0xffffn).toString(16)).join(':');
}

const nets: Net[] = SCANNER_NETWORKS.map((s) => {
  const [addr, len] = s.cidr.split('/') as [string, string];
  const { v, n } = toBig(addr);
  const hostBits = BigInt((v === 4 ? 32 : 128) - Number(len));
  const first = (n >> hostBits) << hostBits;
  return { v, first, last: first + (1n << hostBits) - 1n, name: s.name, operator: s.operator };
});

function oracle(v: 4 | 6, n: bigint): Net | undefined {
  let best: Net | undefined;
  for (const net of nets) {
    if (net.v === v && n >= net.first && n <= net.last && (!best || net.last - net.first < best.last - best.first)) best = net;
  }
  return best;
}

const index = builtinScanners();
const words = new Uint32Array(4);
function match(ip: string, idx: ScannerIndex = index) {
  const v = parseIp(ip, words);
  assert.ok(v !== 0, `parses ${ip}`);
  return idx.match(v, words);
}

const doc = docWithSource;

describe('known scanners', () => {
  it('is dated and sourced', () => {
    assert.match(SCANNERS_COMPILED, /^\d{4}-\d{2}-\d{2}$/);
    for (const s of SCANNER_NETWORKS) assert.match(s.source, /^https:\/\//, s.cidr);
  });

  it('lists the NICT NOTICE addresses named in the seed post', () => {
    for (const ip of ['210.150.186.238', '122.1.4.87', '122.1.4.88', '150.249.227.160', '150.249.227.175']) {
      assert.equal(match(ip)?.name, 'NICT NOTICE', ip);
    }
  });

  it('matches every built-in network at its first and last address, and agrees with a linear scan one outside', () => {
    let v4 = 0;
    let v6 = 0;
    for (const net of nets) {
      const max = (1n << (net.v === 4 ? 32n : 128n)) - 1n;
      for (const n of [net.first, net.last]) {
        assert.deepEqual(match(fromBig(net.v, n)), { name: net.name, operator: net.operator }, fromBig(net.v, n));
      }
      for (const n of [net.first - 1n, net.last + 1n]) {
        if (n < 0n || n > max) continue;
        const expected = oracle(net.v, n);
        const got = match(fromBig(net.v, n));
        assert.equal(got?.name, expected?.name, fromBig(net.v, n));
      }
      if (net.v === 4) v4++;
      else v6++;
    }
    assert.ok(v4 > 0 && v6 > 0, 'both families are exercised');
  });

  it('stops exactly at the edges of a /28 and an IPv6 /80', () => {
    assert.equal(match('150.249.227.159'), undefined);
    assert.equal(match('150.249.227.176'), undefined);
    assert.equal(match('2602:80d:1000:b0cc:e::')?.name, 'Censys');
    assert.equal(match('2602:80d:1000:b0cc:e:ffff:ffff:ffff')?.name, 'Censys');
    assert.equal(match('2602:80d:1000:b0cc:d:ffff:ffff:ffff'), undefined);
    assert.equal(match('2602:80d:1000:b0cc:f::'), undefined);
  });

  it('agrees with a linear scan for addresses around every network', () => {
    const near = fc.tuple(fc.integer({ min: 0, max: nets.length - 1 }), fc.bigInt({ min: -300n, max: 300n }), fc.boolean());
    fc.assert(
      fc.property(near, ([i, delta, fromEnd]) => {
        const net = nets[i]!;
        const n = (fromEnd ? net.last : net.first) + delta;
        if (n < 0n || n >= 1n << (net.v === 4 ? 32n : 128n)) return;
        assert.equal(match(fromBig(net.v, n))?.name, oracle(net.v, n)?.name);
      }),
      { numRuns: 2000 },
    );
  });

  it('tags and names a matching source, once', async () => {
    const enricher = await createEnricher({ geoip: false, timezone: timeZone('UTC') });
    const d = doc('162.142.125.9');
    d.tags = ['existing'];
    enricher.enrich(d);
    enricher.enrich(d);
    assert.deepEqual(d.tags, ['existing', KNOWN_SCANNER_TAG]);
    assert.deepEqual(d.dropship?.scanner, { name: 'Censys', operator: 'Censys, Inc.' });
    const other = doc('8.8.8.8');
    enricher.enrich(other);
    assert.equal(other.tags, undefined);
    assert.equal(other.dropship?.scanner, undefined);
  });
});

describe('user scanner lists', () => {
  const text = [
    '# my scanners',
    '192.0.2.0/24   lab scanner   # trailing comment',
    '198.51.100.7',
    '  2001:db8:1::/48\tv6 research',
    '',
    '192.0.2.300/24 typo',
    'not-an-address',
    '10.0.0.0/33',
    '::ffff:203.0.113.0/120 mapped',
    '\r',
  ].join('\r\n');

  it('parses names, bare addresses, IPv6, comments and CRLF, and reports bad lines', () => {
    const parsed = parseScannerList(text);
    assert.deepEqual(
      parsed.entries.map((e) => [e.cidr, e.info.name]),
      [
        ['192.0.2.0/24', 'lab scanner'],
        ['198.51.100.7', DEFAULT_USER_SCANNER_NAME],
        ['2001:db8:1::/48', 'v6 research'],
        ['::ffff:203.0.113.0/120', 'mapped'],
      ],
    );
    assert.deepEqual(parsed.problems.map((p) => p.line), [6, 7, 8]);
    for (const p of parsed.problems) assert.match(p.reason, /not an IPv4\/IPv6 address or CIDR/);
  });

  it('matches user entries at their edges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dropship-scanners-'));
    try {
      const file = join(dir, 'list.txt');
      writeFileSync(file, text);
      const idx = new ScannerIndex();
      const problems = await addScannerListFile(idx, file);
      assert.equal(problems.length, 3);
      assert.equal(match('192.0.2.0', idx)?.name, 'lab scanner');
      assert.equal(match('192.0.2.255', idx)?.name, 'lab scanner');
      assert.equal(match('192.0.3.0', idx), undefined);
      assert.equal(match('198.51.100.7', idx)?.name, DEFAULT_USER_SCANNER_NAME);
      assert.equal(match('198.51.100.8', idx), undefined);
      assert.equal(match('2001:db8:1:ffff:ffff:ffff:ffff:ffff', idx)?.name, 'v6 research');
      assert.equal(match('2001:db8:2::', idx), undefined);
      assert.equal(match('203.0.113.255', idx)?.name, 'mapped');
      await assert.rejects(addScannerListFile(idx, join(dir, 'missing.txt')), /missing\.txt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is applied by createEnricher without a word (each parser thread loads it); scannerListProblems names its bad lines once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dropship-scanners-'));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const file = join(dir, 'list.txt');
      writeFileSync(file, '8.8.8.0/24 resolver-probe\nbogus line\n');
      const enricher = await createEnricher({ geoip: false, scannerList: file, timezone: timeZone('UTC') });
      const d = doc('8.8.8.8');
      enricher.enrich(d);
      assert.deepEqual(d.dropship?.scanner, { name: 'resolver-probe' });
      assert.ok(d.tags?.includes(KNOWN_SCANNER_TAG));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, [], 'no process warning');
      const problems = await scannerListProblems(file);
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: ignored, .*bogus`));
      writeFileSync(file, Array.from({ length: 25 }, (_, i) => `bad-${i}`).join('\n'));
      const many = await scannerListProblems(file);
      assert.equal(many.length, 21, 'twenty named, the rest counted');
      assert.match(many[20]!, /5 more bad lines ignored/);
    } finally {
      process.off('warning', onWarning);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
