import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyslogHeader, TS_ABSOLUTE, TS_NONE, TS_WALL } from '../../src/parse/syslog.js';
import { NOW, at, parserFor } from '../helpers/doc.js';

describe('syslog header', () => {
  test('RFC3164 with PRI and hostname', () => {
    const h = parseSyslogHeader('<134>Aug 20 20:25:28 fw.example filterlog[97178]: 4,,,1000000103');
    assert.equal(h.priority, 134);
    assert.equal(h.tsKind, TS_WALL);
    assert.deepEqual([h.month, h.day, h.hour, h.minute, h.second, h.year], [8, 20, 20, 25, 28, 0]);
    assert.equal(h.hostname, 'fw.example');
    assert.equal(h.appname, 'filterlog');
    assert.equal(h.procid, '97178');
    assert.equal(h.message, '4,,,1000000103');
  });

  test('space-padded day, no PRI, no hostname (busybox/pfSense BSD)', () => {
    const h = parseSyslogHeader('Jun  3 12:46:56 filterlog: 9,,,1000000103');
    assert.equal(h.priority, -1);
    assert.equal(h.day, 3);
    assert.equal(h.hostname, undefined);
    assert.equal(h.appname, 'filterlog');
    assert.equal(h.message, '9,,,1000000103');
  });

  test('year appended after the time (RFC3164 §5.1)', () => {
    const h = parseSyslogHeader('Dec 31 23:59:59 2023 gw kernel: x');
    assert.equal(h.year, 2023);
    assert.equal(h.hostname, 'gw');
  });

  test('a hostname that merely starts with digits is not taken for a year', () => {
    const h = parseSyslogHeader('Dec 31 23:59:59 2023router kernel: x');
    assert.equal(h.year, 0);
    assert.equal(h.hostname, '2023router');
  });

  test('ISO-8601 in the RFC3164 slot, with and without offset', () => {
    const a = parseSyslogHeader('2018-11-16T00:12:34+09:00 router.asus.com kernel: DROP IN=');
    assert.equal(a.tsKind, TS_ABSOLUTE);
    assert.equal(new Date(a.tsMs).toISOString(), '2018-11-15T15:12:34.000Z');
    assert.equal(a.hostname, 'router.asus.com');
    const b = parseSyslogHeader('2018-11-16T00:12:34.5 router kernel: x');
    assert.equal(b.tsKind, TS_WALL);
    assert.equal(b.millis, 500);
    const c = parseSyslogHeader('2023-03-14T01:28:08-0400 host x: y');
    assert.equal(new Date(c.tsMs).toISOString(), '2023-03-14T05:28:08.000Z');
  });

  test('RFC5424 with nil fields, structured data with escapes, BOM', () => {
    const h = parseSyslogHeader('<134>1 2020-12-29T17:30:17.897251+00:00 heimdall-fw.localnet filterlog 35553 - [a@1 x="q\\"uote\\]" y="2"][b z=""] \uFEFFmsg here');
    assert.equal(h.version, '1');
    assert.equal(new Date(h.tsMs).toISOString(), '2020-12-29T17:30:17.897Z');
    assert.equal(h.hostname, 'heimdall-fw.localnet');
    assert.equal(h.appname, 'filterlog');
    assert.equal(h.procid, '35553');
    assert.equal(h.msgid, undefined);
    assert.deepEqual(h.structuredData, { 'a@1': { x: 'q"uote]', y: '2' }, b: { z: '' } });
    assert.equal(h.message, 'msg here');
  });

  test('RFC5424 with nil timestamp and no structured data', () => {
    const h = parseSyslogHeader('<13>1 - host app - - - hello');
    assert.equal(h.tsKind, TS_NONE);
    assert.equal(h.hostname, 'host');
    assert.equal(h.structuredData, undefined);
    assert.equal(h.message, 'hello');
  });

  test('OpenWrt remote format: uptime before the hostname', () => {
    const h = parseSyslogHeader('<4>Mar  2 10:11:12 [ 8123.456] OpenWrt kernel: [ 8123.456789] msg');
    assert.equal(h.hostname, 'OpenWrt');
    assert.equal(h.appname, 'kernel');
    assert.equal(h.message, 'msg');
  });

  test('PRI above 191 is not a PRI', () => {
    const h = parseSyslogHeader('<192>Mar  2 10:11:12 host x: y');
    assert.equal(h.priority, -1);
    assert.equal(h.tsKind, TS_NONE);
  });

  test('MikroTik default remote format: PRI, no timestamp, topics', () => {
    const h = parseSyslogHeader('<28>firewall,info input: in:ether1 out:(unknown 0)');
    assert.equal(h.priority, 28);
    assert.equal(h.tsKind, TS_NONE);
    assert.equal(h.hostname, undefined);
    assert.equal(h.message, 'firewall,info input: in:ether1 out:(unknown 0)');
  });

  test('invalid clock values are not a timestamp', () => {
    assert.equal(parseSyslogHeader('Jan 10 25:00:00 host x: y').tsKind, TS_NONE);
    assert.equal(parseSyslogHeader('Foo 10 10:00:00 host x: y').tsKind, TS_NONE);
  });
});

describe('timestamps in ECS', () => {
  test('year inference: a date more than a day ahead belongs to the previous year', () => {
    const parse = parserFor(); // NOW = 2024-06-15T12:00Z
    assert.equal(parse('Jun 16 11:59:59 h x: y')['@timestamp'], '2024-06-16T11:59:59.000Z'); // < 1 day ahead
    assert.equal(parse('Jun 16 12:00:01 h x: y')['@timestamp'], '2023-06-16T12:00:01.000Z');
    assert.equal(parse('Dec 31 23:00:00 h x: y')['@timestamp'], '2023-12-31T23:00:00.000Z');
    assert.equal(parse('Jan  1 00:00:00 h x: y')['@timestamp'], '2024-01-01T00:00:00.000Z');
  });

  test('New Year rollover seen on Jan 1 from a December line', () => {
    const parse = parserFor({ now: () => Date.UTC(2025, 0, 1, 0, 5) });
    assert.equal(parse('Dec 31 23:59:58 h x: y')['@timestamp'], '2024-12-31T23:59:58.000Z');
  });

  test('Feb 29 goes to the latest leap year', () => {
    const parse = parserFor({ now: () => Date.UTC(2025, 5, 1) });
    assert.equal(parse('Feb 29 10:00:00 h x: y')['@timestamp'], '2024-02-29T10:00:00.000Z');
  });

  test('--year forces the year', () => {
    const parse = parserFor({ year: 2019 });
    assert.equal(parse('Dec 31 23:00:00 h x: y')['@timestamp'], '2019-12-31T23:00:00.000Z');
  });

  test('--timezone applies to offset-less timestamps only, including DST', async () => {
    const { timeZone } = await import('../../src/time/zone.js');
    const tokyo = parserFor({ zone: timeZone('Asia/Tokyo') });
    const d = tokyo('Nov 16 00:12:34 h x: y');
    assert.equal(d['@timestamp'], '2023-11-15T15:12:34.000Z');
    assert.equal(d.event.timezone, 'Asia/Tokyo');
    assert.equal(tokyo('2018-11-16T00:12:34Z h x: y')['@timestamp'], '2018-11-16T00:12:34.000Z');
    const berlin = parserFor({ zone: timeZone('Europe/Berlin') });
    assert.equal(berlin('Jan 15 12:00:00 h x: y')['@timestamp'], '2024-01-15T11:00:00.000Z'); // CET
    assert.equal(berlin('Jun 10 12:00:00 h x: y')['@timestamp'], '2024-06-10T10:00:00.000Z'); // CEST
    // 2023-10-29 02:30 happened twice in Berlin; the earlier (CEST) instant is chosen.
    assert.equal(berlin('Oct 29 02:30:00 h x: y')['@timestamp'], '2023-10-29T00:30:00.000Z');
    // 2024-03-31 02:30 never happened in Berlin (clocks jumped 02:00→03:00).
    assert.equal(berlin('Mar 31 02:30:00 h x: y')['@timestamp'], '2024-03-31T01:30:00.000Z');
  });

  test('no timestamp: receive time, which is also event.created', () => {
    const d = parserFor()('DROP IN=eth0 OUT= SRC=203.0.113.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=2');
    assert.equal(d['@timestamp'], new Date(NOW).toISOString());
    assert.equal(d.event.created, new Date(NOW).toISOString());
  });

  test('--observer names headerless input; a header hostname wins for observer.hostname', () => {
    const parse = parserFor({ observer: 'home-router' });
    const a = parse('<4>Nov 16 00:12:34 kernel: DROP IN=ppp0 OUT= SRC=203.0.113.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=2');
    assert.equal(at(a, 'observer.name'), 'home-router');
    assert.equal(at(a, 'observer.hostname'), 'home-router');
    const b = parse('<4>Nov 16 00:12:34 gw kernel: DROP IN=ppp0 OUT= SRC=203.0.113.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=2');
    assert.equal(at(b, 'observer.hostname'), 'gw');
    assert.equal(at(b, 'observer.name'), 'home-router');
  });
});

describe('bad input', () => {
  const parse = parserFor();
  test('a line no format claims is kept whole in the syslog dataset, not as a firewall attempt', () => {
    const d = parse('Mar  1 10:00:00 gw dnsmasq[123]: query[A] example.org from 192.168.1.5');
    assert.equal(d.event.original, 'Mar  1 10:00:00 gw dnsmasq[123]: query[A] example.org from 192.168.1.5');
    assert.equal(d.message, 'gw dnsmasq[123]: query[A] example.org from 192.168.1.5');
    assert.equal(d.event.dataset, 'dropship.syslog');
    assert.deepEqual(d.data_stream, { type: 'logs', dataset: 'dropship.syslog', namespace: 'default' });
    assert.equal(d.event.kind, 'event');
    assert.equal(d.event.category, undefined);
    assert.equal(d.tags, undefined);
    assert.equal(d['@timestamp'], '2024-03-01T10:00:00.000Z');
    assert.equal(at(d, 'observer.hostname'), 'gw');
    assert.equal(at(d, 'log.syslog.appname'), 'dnsmasq');
  });

  test('lines over 64 KiB are cut and tagged', () => {
    const d = parse('x'.repeat(70_000));
    assert.equal(d.event.original.length, 64 * 1024);
    assert.ok(d.tags?.includes('dropship_truncated'));
  });

  test('trailing CR/LF/NUL from transports are removed', () => {
    assert.equal(parse('hello\r\n\0').event.original, 'hello');
  });
});
