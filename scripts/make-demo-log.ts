/**
 * `npm run build:demo`: write samples/demo/router.log and samples/demo/auth.log, the logs the
 * compose `demo` profile imports so a newcomer sees full dashboards.
 *
 * Deterministic (seeded) so the committed files can be checked against this script. Source
 * addresses are real public addresses whose country is looked up in the same country database
 * dropship bundles, so the map shows the countries dropship will report. Timestamps are in the
 * RFC 3339 form rsyslog writes for remote hosts, in the router's zone (Asia/Tokyo, +09:00).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader, type CountryResponse } from 'maxmind';
import { readFileSync } from 'node:fs';
import { prng } from '../bench/generate.js';

export const DEMO_DIR = fileURLToPath(new URL('../samples/demo/', import.meta.url));

/** First day (local, +09:00) and length of the demo period. */
export const DEMO_START = '2026-10-26';
export const DEMO_DAYS = 14;
const OFFSET = '+09:00';
const WAN = '198.51.100.20';

/** Japan's NICT NOTICE survey addresses quoted in the seed post (150.249.227.160/28 expanded). */
export const NICT = ['210.150.186.238', '122.1.4.87', '122.1.4.88', ...Array.from({ length: 16 }, (_, i) => `150.249.227.${160 + i}`)];

/**
 * Share of attempts per source country: the usual scanning origins first, then a tail of
 * countries that appear a handful of times (the "rare countries" panel).
 */
export const COUNTRY_WEIGHTS: Record<string, number> = {
  CN: 18, US: 16, RU: 8, NL: 6, DE: 5, BR: 5, KR: 4, IN: 4, VN: 4, TW: 3, JP: 3, GB: 3, FR: 3, SG: 3,
  HK: 2, ID: 2, UA: 2, BG: 2, RO: 2, IR: 2, TR: 2, PL: 1.5, IT: 1.5, ES: 1.5, CA: 1.5, AR: 1, MX: 1,
  TH: 1, PK: 1, BD: 1, EG: 1, ZA: 1, SE: 1, CH: 1, SC: 1, PA: 1, LT: 1, MD: 1, KZ: 1, CO: 1, CL: 1,
  PH: 1, MY: 1, AU: 1, NG: 0.5, KE: 0.5, MA: 0.5, PE: 0.5, VE: 0.5, EC: 0.5, SA: 0.5, AE: 0.5, IL: 0.5,
  IS: 0.05, LU: 0.05, MN: 0.05, NP: 0.05, UY: 0.05, BO: 0.05, PY: 0.05, EE: 0.05, LV: 0.05, GE: 0.05,
  AM: 0.05, TN: 0.05, DZ: 0.05, GH: 0.05, SN: 0.05, TZ: 0.05, UG: 0.05, ZW: 0.05, FJ: 0.05, MT: 0.05,
  CY: 0.05, BH: 0.05, OM: 0.05, QA: 0.05, KW: 0.05, JO: 0.05, LB: 0.05, NZ: 0.1, IE: 0.1, PT: 0.1,
};

/** Targeted ports and how often scanners hit them (seed posts: telnet first, then ssh, smb…). */
export const PORTS: [number, 'TCP' | 'UDP', number][] = [
  [23, 'TCP', 30], [22, 'TCP', 14], [445, 'TCP', 9], [1433, 'TCP', 5], [5060, 'UDP', 5], [53413, 'UDP', 4],
  [8080, 'TCP', 5], [80, 'TCP', 4], [3389, 'TCP', 4], [2323, 'TCP', 3], [37215, 'TCP', 2], [52869, 'TCP', 2],
  [7547, 'TCP', 2], [5555, 'TCP', 2], [8291, 'TCP', 1], [443, 'TCP', 1], [81, 'TCP', 1], [6379, 'TCP', 1],
  [3306, 'TCP', 1], [5900, 'TCP', 1], [1900, 'UDP', 1], [123, 'UDP', 1], [161, 'UDP', 1],
];

/** Attempts per hour of the local day: scanning is continuous, with an evening swell. */
const HOURLY = [6, 5, 5, 4, 4, 4, 5, 6, 7, 7, 8, 8, 9, 9, 9, 10, 11, 12, 13, 13, 12, 10, 8, 7];

const FIREWALL_LINES = 1600;
const AUTH_LINES = 160;

type Rnd = () => number;

function weighted<T>(rnd: Rnd, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  let x = rnd() * total;
  for (const t of items) if ((x -= weight(t)) < 0) return t;
  return items[items.length - 1]!;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local wall-clock time of day `day`, hour `h` as an RFC 3339 timestamp with the +09:00 offset. */
function stamp(day: number, h: number, m: number, s: number): string {
  const d = new Date(`${DEMO_START}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + day);
  return `${d.toISOString().slice(0, 10)}T${pad(h)}:${pad(m)}:${pad(s)}${OFFSET}`;
}

/**
 * Real addresses per country: random public IPv4 addresses, kept when the database places them
 * in a wanted country, until each has its quota (bounded draws, so a country the database no
 * longer lists is skipped instead of looping forever).
 */
function addressesByCountry(rnd: Rnd, reader: Reader<CountryResponse & { country_code?: string }>, quota: Map<string, number>): Map<string, string[]> {
  const found = new Map<string, string[]>([...quota.keys()].map((c) => [c, []]));
  let missing = [...quota.values()].reduce((a, b) => a + b, 0);
  for (let draws = 0; draws < 4_000_000 && missing > 0; draws++) {
    const ip = `${1 + Math.floor(rnd() * 223)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
    const cc = reader.get(ip)?.country_code;
    const list = cc === undefined ? undefined : found.get(cc);
    if (list && list.length < quota.get(cc!)!) {
      list.push(ip);
      missing--;
    }
  }
  return found;
}

function openCountryDb(): Reader<CountryResponse & { country_code?: string }> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb');
  return new Reader(readFileSync(path));
}

interface Attempt { day: number; h: number; m: number; s: number; src: string; port: number; proto: 'TCP' | 'UDP' }

function firewallLine(a: Attempt, rnd: Rnd, n: number): string {
  const ts = stamp(a.day, a.h, a.m, a.s);
  const int = (k: number): number => Math.floor(rnd() * k);
  const ip = `SRC=${a.src} DST=${WAN} LEN=${a.proto === 'TCP' ? 44 : 28 + int(400)} TOS=0x00 PREC=0x00 TTL=${40 + int(200)} ID=${int(65536)}`;
  const l4 = a.proto === 'TCP'
    ? `PROTO=TCP SPT=${1024 + int(64000)} DPT=${a.port} WINDOW=${[1024, 14600, 29200, 65535][int(4)]} RES=0x00 SYN URGP=0`
    : `PROTO=UDP SPT=${1024 + int(64000)} DPT=${a.port} LEN=${8 + int(400)}`;
  const uptime = `${pad(100000 + n * 37, 6)}.${pad(int(1e6), 6)}`;
  // Three devices log to the same collector: the ASUS router (most lines), an OpenWrt access
  // router and a UFW-protected server.
  const device = rnd();
  if (device < 0.7) return `${ts} RT-AX88U kernel: DROP IN=ppp0 OUT= MAC= ${ip} ${l4}${a.proto === 'TCP' ? ' OPT (020405B4)' : ''}`;
  if (device < 0.9) return `${ts} OpenWrt kernel: [${uptime}] reject wan in: IN=eth1 OUT= MAC=00:00:5e:00:53:10:00:00:5e:00:53:11:08:00 ${ip} ${l4}`;
  return `${ts} vps kernel: [${uptime}] [UFW BLOCK] IN=eth0 OUT= MAC=00:00:5e:00:53:20:00:00:5e:00:53:21:08:00 ${ip} ${l4}`;
}

export function demoLogs(): { router: string; auth: string } {
  const rnd = prng(20181114); // the day NICT's survey started
  const reader = openCountryDb();
  const countries = Object.keys(COUNTRY_WEIGHTS);
  const total = countries.reduce((s, c) => s + COUNTRY_WEIGHTS[c]!, 0);
  // Bigger origins use more addresses; every country gets at least one.
  const quota = new Map(countries.map((c) => [c, Math.max(1, Math.round((COUNTRY_WEIGHTS[c]! / total) * 300))]));
  const pools = addressesByCountry(rnd, reader, quota);
  const present = countries.filter((c) => pools.get(c)!.length > 0);

  const attempts: Attempt[] = [];
  const when = (): Pick<Attempt, 'day' | 'h' | 'm' | 's'> => {
    const day = Math.floor(rnd() * DEMO_DAYS);
    const h = weighted(rnd, HOURLY.map((_, i) => i), (i) => HOURLY[i]! * (day % 7 === 5 || day % 7 === 6 ? 1.3 : 1));
    return { day, h, m: Math.floor(rnd() * 60), s: Math.floor(rnd() * 60) };
  };
  // Rare visitors: a few attempts each, so they are on the map and in the "rare countries" panel
  // rather than left to chance.
  for (const c of present.filter((c) => COUNTRY_WEIGHTS[c]! < 0.2)) {
    const pool = pools.get(c)!;
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      const [port, proto] = weighted(rnd, PORTS, (p) => p[2]);
      attempts.push({ ...when(), src: pool[0]!, port, proto });
    }
  }
  // Each address mostly sticks to one port, as scanners working through a list do.
  const favourite = new Map<string, (typeof PORTS)[number]>();
  for (let i = 0; i < FIREWALL_LINES; i++) {
    const pool = pools.get(weighted(rnd, present, (c) => COUNTRY_WEIGHTS[c]!))!;
    const src = pool[Math.floor(pool.length * rnd() * rnd())]!;
    if (!favourite.has(src)) favourite.set(src, weighted(rnd, PORTS, (p) => p[2]));
    const [port, proto] = rnd() < 0.7 ? favourite.get(src)! : weighted(rnd, PORTS, (p) => p[2]);
    attempts.push({ ...when(), src, port, proto });
  }
  // NICT sweeps every day from a few of its addresses, always the same ports.
  for (let day = 0; day < DEMO_DAYS; day++) {
    for (let k = 0; k < 3; k++) {
      const src = NICT[Math.floor(rnd() * NICT.length)]!;
      const h = 9 + Math.floor(rnd() * 8);
      const m = Math.floor(rnd() * 60);
      for (const [j, port] of [22, 23, 80].entries()) attempts.push({ day, h, m, s: j, src, port, proto: 'TCP' });
    }
  }
  const order = (a: Attempt): string => stamp(a.day, a.h, a.m, a.s);
  attempts.sort((a, b) => order(a).localeCompare(order(b)));
  const router = attempts.map((a, n) => firewallLine(a, rnd, n)).join('\n') + '\n';
  return { router, auth: authLog(rnd, pools, present) };
}

const USERNAMES: [string, number][] = [
  ['root', 40], ['admin', 12], ['ubuntu', 6], ['test', 5], ['user', 4], ['oracle', 3], ['postgres', 3],
  ['pi', 3], ['git', 2], ['ftpuser', 2], ['support', 2], ['guest', 1], ['deploy', 1], ['ansible', 1],
];

/** OpenSSH lines of the UFW-protected server: password guessing, mostly for root. */
function authLog(rnd: Rnd, pools: Map<string, string[]>, present: string[]): string {
  const lines: [string, string][] = [];
  for (let i = 0; i < AUTH_LINES; i++) {
    const pool = pools.get(weighted(rnd, present, (c) => COUNTRY_WEIGHTS[c]!))!;
    const src = pool[Math.floor(rnd() * pool.length)]!;
    const user = weighted(rnd, USERNAMES, (u) => u[1])[0];
    const day = Math.floor(rnd() * DEMO_DAYS);
    const ts = stamp(day, Math.floor(rnd() * 24), Math.floor(rnd() * 60), Math.floor(rnd() * 60));
    const pid = 1000 + Math.floor(rnd() * 60000);
    const port = 1024 + Math.floor(rnd() * 64000);
    const msg = user === 'root'
      ? `Failed password for root from ${src} port ${port} ssh2`
      : rnd() < 0.5
        ? `Invalid user ${user} from ${src} port ${port}`
        : `Failed password for invalid user ${user} from ${src} port ${port} ssh2`;
    lines.push([ts, `${ts} vps sshd[${pid}]: ${msg}`]);
  }
  // The owner's own key login, so the outcome split has a success.
  for (let day = 0; day < DEMO_DAYS; day += 3) {
    const ts = stamp(day, 21, 5, 0);
    lines.push([ts, `${ts} vps sshd[4242]: Accepted publickey for deploy from 192.168.1.20 port 50522 ssh2: ED25519 SHA256:demo`]);
  }
  lines.sort((a, b) => a[0].localeCompare(b[0]));
  return lines.map((l) => l[1]).join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { router, auth } = demoLogs();
  mkdirSync(dirname(`${DEMO_DIR}x`), { recursive: true });
  writeFileSync(`${DEMO_DIR}router.log`, router);
  writeFileSync(`${DEMO_DIR}auth.log`, auth);
  process.stdout.write(`wrote ${DEMO_DIR}router.log (${router.length} bytes) and auth.log (${auth.length} bytes)\n`);
}
