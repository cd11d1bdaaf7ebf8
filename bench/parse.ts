/**
 * Parse benchmark on one core (this process's main thread), over ≥ 1M generated mixed-vendor
 * netfilter lines (BENCH_LINES to change):
 *   1. parse + normalize + JSON serialization (src/model/serialize.ts, as the pipeline) — the parse path;
 *   2. the same with enrichment on (bundled GeoIP country database, known scanners, service
 *      names, local time), and the enrichment's own cost per line relative to the parse path;
 *   3. the parse path per format (netfilter, filterlog, MikroTik, OpenSSH, dropbear), on generated
 *      lines of each (BENCH_FORMAT_LINES each), CPU time and document size.
 * Run: npm run bench:parse   (compiled with tsc first, so it measures what `dropship` runs)
 */
import { createEnricher } from '../src/enrich/index.js';
import type { EcsDocument } from '../src/model/document.js';
import { stringifyDocument } from '../src/model/serialize.js';
import { createParser } from '../src/parse/index.js';
import { timeZone } from '../src/time/zone.js';
import { generateLines, prng } from './generate.js';

const total = Number(process.env.BENCH_LINES ?? 1_000_000);
const lines = generateLines(total, 7);
const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
const zone = timeZone(process.env.BENCH_TZ ?? 'Europe/Berlin');
const parse = createParser({ zone });
const enricher = await createEnricher({ geoip: undefined, timezone: zone });

interface Result {
  /** Wall-clock time per line. */
  nsPerLine: number;
  /**
   * CPU time per line (this process, all threads: includes the GC's helper threads). On a shared
   * machine this moves less than wall time when other processes compete for the cores.
   */
  cpuNsPerLine: number;
}

function run(label: string, n: number, enrich: boolean, serialize: boolean): Result {
  let out = 0;
  let failures = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const doc: EcsDocument = parse(lines[i]!);
    if (enrich) enricher.enrich(doc);
    if (doc.tags !== undefined && !doc.tags.every((t) => t === 'known_scanner')) failures++;
    if (doc.source?.ip === undefined || doc.network?.community_id === undefined) failures++; // every line has a full tuple
    if (serialize) out += stringifyDocument(doc).length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const cpuNs = ((cpu.user + cpu.system) * 1000) / n;
  if (failures > 0) throw new Error(`${failures} generated lines failed to parse: the benchmark input or the parser is broken`);
  const ns = (s * 1e9) / n;
  if (label !== '') {
    console.log(`${label.padEnd(34)} ${Math.round(n / s).toLocaleString('en').padStart(9)} lines/s  ${String(Math.round(ns)).padStart(6)} ns/line` +
      `  cpu ${String(Math.round(cpuNs)).padStart(6)} ns/line` +
      (serialize ? `  input ${(bytes / 1e6 / s).toFixed(1)} MB/s, output ${(out / n).toFixed(0)} B/doc` : ''));
  }
  return { nsPerLine: ns, cpuNsPerLine: cpuNs };
}

/** A machine-speed reference: native JSON serialization of a fixed 1 KB object. */
function calibrate(): number {
  const probe = { a: 'x'.repeat(900), b: { c: [1, 2, 3], d: 'yyyy' } };
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  let len = 0;
  for (let i = 0; i < n; i++) len += JSON.stringify(probe).length;
  return (Number(process.hrtime.bigint() - t0) / n / len) * n;
}

console.log(`node ${process.version}, ${total.toLocaleString('en')} generated lines (${(bytes / 1e6).toFixed(0)} MB), one core, zone ${zone.name}`);
console.log(`machine reference: JSON.stringify at ${(1 / calibrate()).toFixed(2)} bytes/ns`);
run('', Math.min(100_000, total), true, true); // warm-up
run('parse+normalize+JSON', total, false, true);
run('parse+normalize+enrich+JSON', total, true, true);
// The enrichment's cost is a difference of two runs, so noise from other processes matters:
// alternate the configurations and keep each one's best, in wall and in CPU time.
const sample = Math.min(300_000, total);
const configs = [
  { name: 'parse+normalize', enrich: false, serialize: false },
  { name: '+enrich', enrich: true, serialize: false },
  { name: 'parse path (with JSON)', enrich: false, serialize: true },
  { name: 'parse+enrich+JSON', enrich: true, serialize: true },
];
const best = configs.map(() => ({ nsPerLine: Infinity, cpuNsPerLine: Infinity }));
for (let round = 0; round < 3; round++) {
  configs.forEach((c, i) => {
    const r = run('', sample, c.enrich, c.serialize);
    best[i]!.nsPerLine = Math.min(best[i]!.nsPerLine, r.nsPerLine);
    best[i]!.cpuNsPerLine = Math.min(best[i]!.cpuNsPerLine, r.cpuNsPerLine);
  });
}
for (const [unit, key] of [['wall', 'nsPerLine'], ['cpu ', 'cpuNsPerLine']] as const) {
  console.log(`best of 3 over ${sample.toLocaleString('en')} lines, ${unit}: ` + configs.map((c, i) => `${c.name} ${Math.round(best[i]![key])} ns`).join(', '));
}
const [parseOnly, parseEnrich, parsePath] = best.map((b) => b.cpuNsPerLine) as [number, number, number];
const enrichNs = parseEnrich - parseOnly;
console.log(`enrichment (cpu): ${Math.round(enrichNs)} ns/line = ${((enrichNs / parsePath) * 100).toFixed(0)}% of the parse path (target < 50%)`);

// ---- 3. per format ----

/** Lines of each format, seeded: pfSense/OPNsense filterlog, MikroTik, OpenSSH and dropbear. */
function formatLines(n: number, seed: number): [string, string[]][] {
  const rnd = prng(seed);
  const int = (k: number): number => Math.floor(rnd() * k);
  const ip = (): string => `${1 + int(222)}.${int(256)}.${int(256)}.${1 + int(254)}`;
  const ts = (): string => `Jun ${String(1 + int(28)).padStart(2, ' ')} ${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}`;
  const ports = [22, 23, 445, 1433, 3389, 5060, 8080, 80, 443, 53413];
  const users = ['root', 'admin', 'ubnt', 'test', 'oracle', 'pi', 'user', 'guest', 'postgres', 'git'];
  const make = (f: () => string): string[] => Array.from({ length: n }, () => Buffer.from(f()).toString('utf8'));
  return [
    ['netfilter', generateLines(n, seed)],
    ['filterlog', make(() => rnd() < 0.8
      ? `<134>${ts()} filterlog[97178]: 9,,,1000000103,igb3,match,block,in,4,0x0,,${30 + int(220)},${int(65536)},0,none,6,tcp,40,${ip()},198.51.100.20,${1024 + int(64000)},${ports[int(ports.length)]},0,S,${int(4e9)},,${1024 + int(64000)},,mss`
      : `<134>${ts()} filterlog[97178]: 5,,,1000000103,igb3,match,block,in,4,0x0,,${30 + int(220)},${int(65536)},0,none,17,udp,${40 + int(400)},${ip()},198.51.100.20,${1024 + int(64000)},5060,${20 + int(400)}`)],
    ['mikrotik', make(() => rnd() < 0.8
      ? `<28>${ts()} RB4011 firewall,info drop-wan input: in:ether1 out:(unknown 0), src-mac 02:00:5e:aa:bb:cc, proto TCP (SYN), ${ip()}:${1024 + int(64000)}->198.51.100.1:${ports[int(ports.length)]}, len ${40 + int(20)}`
      : `<28>${ts()} RB4011 firewall,info drop-wan input: in:ether1 out:(unknown 0), proto UDP, ${ip()}:${1024 + int(64000)}->198.51.100.1:5060, len ${40 + int(400)}`)],
    ['sshd', make(() => {
      const r = rnd();
      const head = `${ts()} vps sshd[${int(65536)}]: `;
      if (r < 0.5) return `${head}Failed password for ${rnd() < 0.5 ? '' : 'invalid user '}${users[int(users.length)]} from ${ip()} port ${1024 + int(64000)} ssh2`;
      if (r < 0.95) return `${head}Invalid user ${users[int(users.length)]} from ${ip()} port ${1024 + int(64000)}`;
      return `${head}Accepted publickey for deploy from ${ip()} port ${1024 + int(64000)} ssh2: ED25519 SHA256:abc`;
    })],
    ['dropbear', make(() => rnd() < 0.8
      ? `${ts()} OpenWrt dropbear[${int(65536)}]: Bad password attempt for '${users[int(users.length)]}' from ${ip()}:${1024 + int(64000)}`
      : `${ts()} OpenWrt dropbear[${int(65536)}]: Login attempt for nonexistent user from ${ip()}:${1024 + int(64000)}`)],
  ];
}

const perFormat = Number(process.env.BENCH_FORMAT_LINES ?? 200_000);
console.log(`per format, ${perFormat.toLocaleString('en')} generated lines each, parse+normalize+JSON, best of 3 (CPU):`);
for (const [name, sample] of formatLines(perFormat, 13)) {
  let best = Infinity;
  let bytes = 0;
  for (let round = 0; round < 3; round++) {
    let out = 0;
    let bad = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < sample.length; i++) {
      const doc = parse(sample[i]!);
      if (doc.event.kind !== 'event' || doc.tags !== undefined) bad++;
      out += stringifyDocument(doc).length;
    }
    const cpu = process.cpuUsage(c0);
    if (bad > 0) throw new Error(`${bad} generated ${name} lines were not read: the benchmark input or the parser is broken`);
    best = Math.min(best, ((cpu.user + cpu.system) * 1000) / sample.length);
    bytes = out / sample.length;
  }
  console.log(`  ${name.padEnd(10)} ${String(Math.round(best)).padStart(6)} ns/line  ${bytes.toFixed(0).padStart(5)} B/doc`);
}
