import type { EcsDocument } from '../../src/model/document.js';
import { DATASET_AUTH, DATASET_FIREWALL } from '../../src/model/document.js';

/**
 * Realistic netfilter documents shaped like the parser's output (document.ts), cheap enough to
 * build a million of. `n` makes each one distinct (timestamp, source address, ports, line).
 */
const PORTS = [23, 22, 445, 1433, 5060, 53413, 3389, 8080, 80, 443];
const BASE_MS = Date.UTC(2026, 10, 1, 0, 0, 0);

export function netfilterDoc(n: number): EcsDocument {
  const ts = new Date(BASE_MS + n * 37).toISOString();
  const a = 1 + (n % 223);
  const b = (n >>> 8) & 255;
  const c = (n >>> 16) & 255;
  const srcIp = `${a}.${b}.${c}.${n & 255}`;
  const dstPort = PORTS[n % PORTS.length]!;
  const srcPort = 1024 + (n % 60000);
  const udp = dstPort === 5060 || dstPort === 53413;
  const transport = udp ? 'udp' : 'tcp';
  const original =
    `<4>Nov  1 00:00:00 router kernel: [${n}.123456] DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 ` +
    `SRC=${srcIp} DST=203.0.113.7 LEN=44 TOS=0x00 PREC=0x00 TTL=${40 + (n % 200)} ID=${n & 65535} ` +
    `PROTO=${transport.toUpperCase()} SPT=${srcPort} DPT=${dstPort} ${udp ? 'LEN=24' : 'WINDOW=1024 RES=0x00 SYN URGP=0'}`;
  return {
    '@timestamp': ts,
    ecs: { version: '8.17.0' },
    event: {
      kind: 'event',
      category: ['network'],
      type: ['denied', 'connection'],
      action: 'drop',
      dataset: DATASET_FIREWALL,
      original,
      created: ts,
      timezone: '+00:00',
    },
    log: { syslog: { priority: 4, facility: { code: 0, name: 'kern' }, severity: { code: 4, name: 'warning' }, hostname: 'router', appname: 'kernel' } },
    observer: { hostname: 'router', name: 'router', type: 'firewall', vendor: 'netfilter', ingress: { interface: { name: 'eth0' } } },
    source: { ip: srcIp, port: srcPort, mac: '66-77-88-99-AA-BB' },
    destination: { ip: '203.0.113.7', port: dstPort, mac: '00-11-22-33-44-55' },
    network: { transport, type: 'ipv4', iana_number: udp ? '17' : '6', direction: 'inbound', community_id: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=' },
    related: { ip: [srcIp, '203.0.113.7'] },
    iptables: {
      input_device: 'eth0',
      ether_type: 2048,
      length: 44,
      tos: 0,
      precedence_bits: 0,
      ttl: 40 + (n % 200),
      id: n & 65535,
      ...(udp ? { udp: { length: 24 } } : { tcp: { window: 1024, reserved_bits: 0, flags: ['SYN'] } }),
    },
    dropship: {
      vendor: 'generic',
      format: 'netfilter',
      service: { name: dstPort === 22 ? 'ssh' : dstPort === 23 ? 'telnet' : 'other' },
      local: { hour: new Date(BASE_MS + n * 37).getUTCHours(), weekday: new Date(BASE_MS + n * 37).getUTCDay() },
    },
  };
}

export function authDoc(n: number): EcsDocument {
  const doc = netfilterDoc(n);
  doc.event.dataset = DATASET_AUTH;
  doc.event.original = `<38>Nov  1 00:00:00 router sshd[${n}]: Failed password for root from 198.51.100.${n & 255} port 22 ssh2`;
  doc.user = { name: 'root' };
  delete doc.iptables;
  return doc;
}
