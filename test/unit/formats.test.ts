import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { FORMATS } from '../../src/parse/formats/index.js';
import { joinSplit } from '../../src/parse/formats/netfilter-fragment.js';
import { filterlogCases, mikrotikCases, mikrotikLocalCases, sshCases } from '../fixtures/format-cases.js';
import { at, expectFields, parserFor } from '../helpers/doc.js';

for (const [name, cases] of [['SSH logins (OpenSSH, dropbear)', sshCases], ['pfSense/OPNsense filterlog', filterlogCases], ['MikroTik RouterOS', [...mikrotikCases, ...mikrotikLocalCases]]] as const) {
  describe(`${name} to ECS`, () => {
    const parse = parserFor();
    for (const c of cases) {
      test(c.name, () => {
        const doc = parse(c.line);
        assert.equal(doc.event.original, c.line);
        assert.equal(doc.data_stream?.dataset, doc.event.dataset);
        expectFields(doc, c.expect, c.name);
      });
    }
  });
}

describe('the registry', () => {
  test('every format is registered once, and every program names one format', () => {
    assert.equal(new Set(FORMATS).size, FORMATS.length);
    const programs = FORMATS.flatMap((f) => f.programs ?? []);
    assert.equal(new Set(programs).size, programs.length);
  });

  test('a program claims its lines before any body test: an sshd message that looks like netfilter is an auth document', () => {
    const doc = parserFor()('Mar  1 10:00:00 vps sshd[1]: Invalid user IN=x OUT=y SRC=1.2.3.4 from 203.0.113.5 port 22');
    assert.equal(doc.event.dataset, 'dropship.auth');
    assert.equal(doc.user?.name, 'IN=x OUT=y SRC=1.2.3.4');
  });

  test('every document names its data stream with the configured namespace', () => {
    const parse = parserFor({ namespace: 'home' });
    for (const line of ['Mar  1 10:00:00 vps sshd[1]: Invalid user a from 203.0.113.5 port 22', 'garbage', sshCases[0]!.line.replace('sshd', 'kernel')]) {
      const doc = parse(line);
      assert.deepEqual(doc.data_stream, { type: 'logs', dataset: doc.event.dataset, namespace: 'home' });
      assert.ok(Object.isFrozen(doc.data_stream), 'one shared object per dataset');
    }
  });
});

describe('the demo SSH log', () => {
  test('every line of samples/demo/auth.log is an auth login document with user.name and source.ip', () => {
    const parse = parserFor();
    const lines = readFileSync(new URL('../../samples/demo/auth.log', import.meta.url), 'utf8').split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 100);
    for (const line of lines) {
      const doc = parse(line);
      assert.equal(doc.event.dataset, 'dropship.auth', line);
      assert.equal(doc.event.kind, 'event', line);
      assert.ok(typeof doc.user?.name === 'string' && doc.user.name !== '', line);
      assert.ok(typeof doc.source?.ip === 'string', line);
      assert.deepEqual(doc.event.category?.[0], 'authentication', line);
    }
  });
});

describe('UniFi lines split across syslog messages', () => {
  const head = 'May  5 20:46:45 UDM user.info kernel: [WAN_LOCAL-D-2000] IN=eth8 OUT= MAC=00:00:5e:00:53:01:00:00:5e:00:53:02:08:00 SRC=203.0.113.9 DST=198.51.100.1 LEN=52 TOS=0x00 PREC=0x00 T';
  const tail = 'May  5 20:46:45 UDM user.info kernel: TL=126 ID=15317 DF PROTO=TCP SPT=59344 DPT=443 WINDOW=8212 RES=0x00 ACK PSH URGP=0';

  test('a fragment right after its head from the same sender is the whole event; the head is not counted', () => {
    const parse = parserFor();
    const h = parse(head);
    assert.equal(h.event.kind, 'pipeline_error');
    assert.deepEqual(h.tags, ['dropship_partial', 'dropship_parse_failure']);
    const t = parse(tail);
    assert.equal(t.event.kind, 'event');
    assert.deepEqual(t.tags, ['dropship_reassembled']);
    assert.equal(t.event.original, tail);
    for (const [path, want] of Object.entries({
      'source.ip': '203.0.113.9', 'destination.ip': '198.51.100.1', 'source.port': 59344, 'destination.port': 443,
      'iptables.ttl': 126, 'iptables.id': 15317, 'event.action': 'drop', 'rule.id': '2000', 'observer.ingress.interface.name': 'eth8',
      'iptables.tcp.flags': ['ACK', 'PSH'], 'dropship.vendor': 'unifi',
    })) assert.deepEqual(at(t, path), want, path);
    assert.ok(typeof t.network?.community_id === 'string');
  });

  test('a fragment is not joined with a head from another sender, from long before, or twice', () => {
    let parse = parserFor();
    parse(head);
    assert.equal(parse(tail.replace(' UDM ', ' other ')).event.kind, 'pipeline_error');
    parse = parserFor();
    parse(head);
    assert.equal(parse(tail.replace('20:46:45', '20:46:55')).event.kind, 'pipeline_error');
    parse = parserFor();
    parse(head);
    assert.equal(parse(tail).event.kind, 'event');
    assert.equal(parse(tail).event.kind, 'pipeline_error');
  });

  test('the cut is put back wherever it fell: inside a word, between words, with or without the blank', () => {
    assert.equal(joinSplit('PREC=0x00 T', 'TL=126'), 'PREC=0x00 TTL=126');
    assert.equal(joinSplit('PREC=0x0', '0 TTL=126'), 'PREC=0x00 TTL=126');
    assert.equal(joinSplit('PREC=0x00', 'TTL=126'), 'PREC=0x00 TTL=126');
    assert.equal(joinSplit('PREC=0x00 ', 'TTL=126'), 'PREC=0x00 TTL=126');
    assert.equal(joinSplit('ID=1 D', 'F PROTO=TCP'), 'ID=1 DF PROTO=TCP');
    assert.equal(joinSplit('ID=1', 'DF PROTO=TCP'), 'ID=1 DF PROTO=TCP');
  });
});

describe('values the fields cannot hold', () => {
  const parse = parserFor();
  const line = (ttl: string, extra = ''): string =>
    `Mar  1 10:00:00 gw kernel: DROP IN=eth0 OUT= MAC= SRC=203.0.113.5 DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=${ttl} ID=1 PROTO=TCP SPT=1 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0${extra}`;

  test('numbers outside their mapping\'s range are left out and tagged (TTL, RES, FLOWLBL)', () => {
    const big = parse(line('99999999999'));
    assert.equal(big.iptables?.ttl, undefined);
    assert.deepEqual(big.tags, ['dropship_value_dropped']);
    assert.match(big.error!.message, /iptables\.ttl 99999999999/);
    assert.equal(big.event.kind, 'event');
    assert.equal(parse(line('64')).iptables?.ttl, 64);
    const res = parse(line('64').replace('RES=0x00', 'RES=0xffffffffff'));
    assert.equal(res.iptables?.tcp?.reserved_bits, undefined);
    assert.match(res.error!.message, /iptables\.tcp\.reserved_bits/);
    const v6 = parse('Mar  1 10:00:00 gw kernel: DROP IN=eth0 OUT= MAC= SRC=2001:db8::1 DST=2001:db8::2 LEN=80 TC=0 HOPLIMIT=55 FLOWLBL=99999999999 PROTO=TCP SPT=1 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0');
    assert.equal(v6.iptables?.flow_label, undefined);
    assert.ok(v6.tags?.includes('dropship_value_dropped'));
  });

  test('an invalid DPT/SPT is left out with a tag', () => {
    const doc = parse(line('64').replace('DPT=22', 'DPT=99999'));
    assert.equal(doc.destination?.port, undefined);
    assert.deepEqual(doc.tags, ['dropship_value_dropped']);
    assert.match(doc.error!.message, /DPT=99999 \(not a port\)/);
  });

  test('a NUL or other control character ends a value: PROTO=TCP\\0 is TCP, and the line is tagged', () => {
    const raw = line('64').replace('PROTO=TCP', 'PROTO=TCP\u0000').replace('DPT=22', 'DPT=22\u0007');
    const doc = parse(raw);
    assert.equal(doc.network?.transport, 'tcp');
    assert.equal(doc.network?.iana_number, '6');
    assert.ok(typeof doc.network?.community_id === 'string');
    assert.equal(doc.destination?.port, 22);
    assert.deepEqual(doc.tags, ['dropship_control_characters']);
    assert.equal(doc.event.original, raw);
  });

  test('a GATEWAY= that is no address is left out (iptables.icmp.redirect is mapped as an IP)', () => {
    const doc = parse('Mar  1 10:00:00 gw kernel: DROP IN=eth0 OUT= MAC= SRC=192.0.2.1 DST=192.0.2.2 LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=nowhere');
    assert.equal(doc.iptables?.icmp?.redirect, undefined);
    assert.ok(doc.tags?.includes('dropship_value_dropped'));
  });
});

describe('the processor', () => {
  test('passes its namespace to the parser and writes each document to its own dataset\'s data stream', async () => {
    const { createProcessor } = await import('../../src/processing/process.js');
    const process_ = await createProcessor({ timezone: 'UTC', geoip: false, namespace: 'home' }, { format: 'bulk', namespace: 'home' });
    const lines = [
      'Mar  1 10:00:00 gw kernel: DROP IN=eth0 OUT= MAC= SRC=203.0.113.5 DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=1 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0',
      'Mar  1 10:00:01 vps sshd[1]: Failed password for root from 203.0.113.5 port 4 ssh2',
      'Mar  1 10:00:02 gw dnsmasq[2]: query[A] example.org from 192.168.1.5',
    ];
    const out = process_({ lines, truncated: [] }).body.toString('utf8').trim().split('\n');
    const pairs = [0, 2, 4].map((i) => [JSON.parse(out[i]!) as { create: { _index: string } }, JSON.parse(out[i + 1]!) as { data_stream: unknown }] as const);
    assert.deepEqual(pairs.map(([action]) => action.create._index), ['logs-dropship.firewall-home', 'logs-dropship.auth-home', 'logs-dropship.syslog-home']);
    assert.deepEqual(pairs.map(([, doc]) => doc.data_stream), [
      { type: 'logs', dataset: 'dropship.firewall', namespace: 'home' },
      { type: 'logs', dataset: 'dropship.auth', namespace: 'home' },
      { type: 'logs', dataset: 'dropship.syslog', namespace: 'home' },
    ]);
  });
});
