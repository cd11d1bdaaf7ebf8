/**
 * Deterministic generator of realistic router log lines (mixed vendors, IPv4/IPv6, the ports
 * scanners hit), shared by the benchmarks. Seeded, so every run measures the same input.
 */

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PORTS: [number, string][] = [
  [23, 'TCP'], [22, 'TCP'], [445, 'TCP'], [1433, 'TCP'], [5060, 'UDP'], [53413, 'UDP'], [3389, 'TCP'], [8080, 'TCP'],
  [80, 'TCP'], [443, 'TCP'], [2323, 'TCP'], [37215, 'TCP'], [52869, 'TCP'], [7547, 'TCP'], [5555, 'TCP'], [8291, 'TCP'],
];

/** Lines as a reader delivers them: flat strings decoded from bytes, not concatenation ropes. */
export function generateLines(count: number, seed = 42): string[] {
  const next = createLineGenerator(seed);
  return Array.from({ length: count }, () => Buffer.from(next()).toString('utf8'));
}

export function createLineGenerator(seed = 42): () => string {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  // A pool of sources, as real scanners repeat: some addresses send many attempts.
  const pool4 = Array.from({ length: 5000 }, () => `${1 + int(222)}.${int(256)}.${int(256)}.${1 + int(254)}`);
  const pool6 = Array.from({ length: 500 }, () => `2${int(16).toString(16)}0${int(10)}:${int(65536).toString(16).padStart(4, '0')}:0000:0000:0000:0000:0000:${(1 + int(65535)).toString(16).padStart(4, '0')}`);
  const wan4 = '198.51.100.20';
  const wan6 = '2001:0db8:0000:0000:0000:0000:0000:0001';

  return () => {
    const v6 = rnd() < 0.08;
    const src = v6 ? pool6[int(pool6.length)]! : pool4[Math.floor(pool4.length * rnd() * rnd())]!;
    const dst = v6 ? wan6 : wan4;
    const [dport, proto] = PORTS[Math.floor(PORTS.length * rnd() * rnd())]!;
    const sport = 1024 + int(64000);
    const ts = `${MONTHS[int(12)]} ${String(1 + int(28)).padStart(2, ' ')} ${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}`;
    const ip = v6
      ? `SRC=${src} DST=${dst} LEN=80 TC=0 HOPLIMIT=${40 + int(200)} FLOWLBL=0`
      : `SRC=${src} DST=${dst} LEN=${40 + int(20)} TOS=0x00 PREC=0x00 TTL=${30 + int(220)} ID=${int(65536)}${rnd() < 0.3 ? ' DF' : ''}`;
    const l4 = proto === 'TCP'
      ? `PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=${1024 + int(64000)} RES=0x00 SYN URGP=0`
      : `PROTO=UDP SPT=${sport} DPT=${dport} LEN=${20 + int(400)}`;
    const mac = 'MAC=04:d9:f5:00:00:01:00:00:5e:00:53:01:08:00';
    switch (int(6)) {
      case 0:
        return `<4>${ts} kernel: DROP IN=ppp0 OUT= MAC= ${ip} ${l4}`;
      case 1:
        return `${ts} RT-AX88U kernel: DROP IN=eth0 OUT= ${mac} ${ip} ${l4} OPT (020405B4)`;
      case 2:
        return `<4>${ts} OpenWrt kernel: [${int(999999)}.${String(int(999999)).padStart(6, '0')}] drop wan in: IN=eth1 OUT= ${mac} ${ip} ${l4}`;
      case 3:
        return `${ts} ubuntu kernel: [${int(99999)}.${String(int(999999)).padStart(6, '0')}] [UFW BLOCK] IN=eth0 OUT= ${mac} ${ip} ${l4}`;
      case 4:
        return `<4>${ts} ubnt kernel: [WAN_LOCAL-default-D]IN=eth0 OUT= ${mac} ${ip} ${l4}`;
      default:
        return `${ts} UDM-Pro [WAN_LOCAL-D-2147483647] DESCR="Block All" IN=eth8 OUT= ${mac} ${ip.replace('TOS=0x00', 'TOS=00')} ${l4} MARK=1a0000`;
    }
  };
}
