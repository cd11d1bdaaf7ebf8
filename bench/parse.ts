/**
 * Parse benchmark on one core (this process's main thread), over ≥ 1M generated mixed-vendor
 * lines (BENCH_LINES to change):
 *   1. parse + normalize + JSON serialization (src/model/serialize.ts, as the pipeline) — the parse path;
 *   2. the same with enrichment on (bundled GeoIP country database, known scanners, service
 *      names, local time), and the enrichment's own cost per line relative to the parse path.
 * Run: npm run bench:parse   (compiled with tsc first, so it measures what `dropship` runs)
 */
import { createEnricher } from '../src/enrich/index.js';
import type { EcsDocument } from '../src/model/document.js';
import { stringifyDocument } from '../src/model/serialize.js';
import { createParser } from '../src/parse/index.js';
import { timeZone } from '../src/time/zone.js';
import { generateLines } from './generate.js';

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
