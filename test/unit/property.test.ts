import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readLineBatches } from '../../src/sources/framing/lines.js';
import { at, parserFor } from '../helpers/doc.js';

const parse = parserFor();

function assertSane(line: string): void {
  const doc = parse(line);
  assert.equal(typeof doc['@timestamp'], 'string');
  assert.ok(!Number.isNaN(Date.parse(doc['@timestamp'])), `bad @timestamp for ${JSON.stringify(line)}`);
  assert.ok(!(doc.error?.message ?? '').startsWith('internal parser error'), doc.error?.message);
  assert.ok(doc.event.original.length <= 64 * 1024);
  JSON.parse(JSON.stringify(doc));
}

test('arbitrary text never throws and always keeps the line', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), assertSane), { numRuns: 3000 });
});

test('netfilter-shaped noise never throws', () => {
  const token = fc.oneof(
    fc.constantFrom('IN=', 'OUT=', 'MAC=', 'SRC=', 'DST=', 'LEN=', 'PROTO=', 'SPT=', 'DPT=', 'ID=', 'TYPE=', 'CODE=',
      'DF', 'SYN', 'ACK', 'FRAG:', 'OPT (', ')', '[', ']', 'INCOMPLETE', 'DESCR="', '"', '<4>', 'kernel:', 'Jan  1 00:00:00',
      '[WAN-1-D]', '[UFW BLOCK]', 'Shorewall:a-b:DROP:', '1 ', '-', '2001:db8::1', '203.0.113.1', '65536', '0x', '=', ':'),
    fc.string({ maxLength: 8 }),
  );
  const noise = fc.tuple(fc.array(token, { maxLength: 40 }), fc.constantFrom(' ', '')).map(([t, sep]) => t.join(sep));
  fc.assert(fc.property(noise, assertSane), { numRuns: 3000 });
});

test('arbitrary bytes through the line reader and parser never throw', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), async (chunks) => {
      async function* source(): AsyncGenerator<Buffer> {
        for (const c of chunks) yield Buffer.from(c);
      }
      let total = 0;
      for await (const batch of readLineBatches(source(), 64)) {
        for (const line of batch.lines) {
          assert.ok(Buffer.byteLength(line) <= 64 * 3); // 64 bytes decoded (replacement chars are 3 bytes)
          assertSane(line);
          total++;
        }
      }
      const newlines = chunks.reduce((n, c) => n + c.filter((b) => b === 10).length, 0);
      assert.ok(total >= newlines, 'every complete line is delivered');
    }),
    { numRuns: 500 },
  );
});

const octet = fc.integer({ min: 1, max: 254 });
const ipv4 = fc.tuple(fc.constantFrom(203, 198, 192), octet, octet, octet).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`);
const group = fc.integer({ min: 0, max: 0xffff });
const ipv6 = fc.array(group, { minLength: 6, maxLength: 6 }).map((g) => ['2001', '0db8', ...g.map((x) => x.toString(16).padStart(4, '0'))]);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const vendors: [prefix: string, action: string, vendor: string][] = [
  ['DROP ', 'drop', 'asuswrt'], ['ACCEPT ', 'accept', 'asuswrt'], ['[UFW BLOCK] ', 'block', 'ufw'],
  ['reject wan in: ', 'reject', 'openwrt'], ['[WAN_LOCAL-default-D]', 'drop', 'edgeos'],
  ['[WAN_LAN-D-10001] DESCR="x y" ', 'drop', 'unifi'], ['Shorewall:net-fw:DROP:', 'drop', 'shorewall'],
  ['FINAL_REJECT: ', 'reject', 'firewalld'],
];

test('generated netfilter lines round-trip to the fields they were built from', () => {
  fc.assert(
    fc.property(
      fc.record({
        v6: fc.boolean(), src4: ipv4, dst4: ipv4, src6: ipv6, dst6: ipv6,
        sport: fc.integer({ min: 0, max: 65535 }), dport: fc.integer({ min: 0, max: 65535 }),
        proto: fc.constantFrom('TCP', 'UDP'), vendor: fc.constantFrom(...vendors),
        month: fc.integer({ min: 0, max: 11 }), day: fc.integer({ min: 1, max: 28 }),
        hh: fc.integer({ min: 0, max: 23 }), mm: fc.integer({ min: 0, max: 59 }), ss: fc.integer({ min: 0, max: 59 }),
        host: fc.option(fc.constantFrom('gw', 'RT-AX88U', 'OpenWrt'), { nil: undefined }),
        pri: fc.boolean(),
      }),
      (r) => {
        const src = r.v6 ? r.src6.join(':') : r.src4;
        const dst = r.v6 ? r.dst6.join(':') : r.dst4;
        const ts = `${MONTHS[r.month]} ${String(r.day).padStart(2, ' ')} ${[r.hh, r.mm, r.ss].map((n) => String(n).padStart(2, '0')).join(':')}`;
        const ipPart = r.v6 ? 'LEN=80 TC=0 HOPLIMIT=55 FLOWLBL=0' : 'LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF';
        const l4 = r.proto === 'TCP' ? `SPT=${r.sport} DPT=${r.dport} WINDOW=1024 RES=0x00 SYN URGP=0` : `SPT=${r.sport} DPT=${r.dport} LEN=20`;
        const line = `${r.pri ? '<4>' : ''}${ts}${r.host ? ` ${r.host}` : ''} kernel: ${r.vendor[0]}IN=eth0 OUT= MAC= SRC=${src} DST=${dst} ${ipPart} PROTO=${r.proto} ${l4}`;
        const doc = parse(line);
        const canon = (a: string): string => (r.v6 ? a.split(':').map((g) => g.replace(/^0+(?=.)/, '')).join(':') : a);
        const compressed = (a: string): string => new URL(`http://[${a}]/`).hostname.slice(1, -1);
        assert.equal(at(doc, 'source.ip'), r.v6 ? compressed(canon(src)) : src, line);
        assert.equal(at(doc, 'destination.ip'), r.v6 ? compressed(canon(dst)) : dst, line);
        assert.equal(at(doc, 'source.port'), r.sport);
        assert.equal(at(doc, 'destination.port'), r.dport);
        assert.equal(at(doc, 'network.transport'), r.proto.toLowerCase());
        assert.equal(at(doc, 'event.action'), r.vendor[1]);
        assert.equal(at(doc, 'dropship.vendor'), r.vendor[2]);
        assert.equal(at(doc, 'observer.hostname'), r.host);
        const t = new Date(doc['@timestamp']);
        assert.deepEqual([t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()], [r.month, r.day, r.hh, r.mm, r.ss]);
        assert.equal(doc.tags, undefined);
      },
    ),
    { numRuns: 2000 },
  );
});
