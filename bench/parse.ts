/**
 * Parse benchmark on one core (this process's main thread), over ≥ 1M generated mixed-vendor
 * lines (BENCH_LINES to change):
 *   1. parse + normalize + JSON serialization — the parse path;
 *   2. the same with enrichment on (bundled GeoIP country database, known scanners, service
 *      names, local time), and the enrichment's own cost per line relative to the parse path.
 * Run: npm run bench:parse   (compiled with tsc first, so it measures what `dropship` runs)
 */
import { createEnricher } from '../src/enrich/index.js';
import type { EcsDocument } from '../src/model/document.js';
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
  nsPerLine: number;
}

function run(label: string, n: number, enrich: boolean, serialize: boolean): Result {
  let out = 0;
  let failures = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const doc: EcsDocument = parse(lines[i]!);
    if (enrich) enricher.enrich(doc);
    if (doc.tags !== undefined && !doc.tags.every((t) => t === 'known_scanner')) failures++;
    if (serialize) out += JSON.stringify(doc).length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (failures > 0) throw new Error(`${failures} generated lines failed to parse: the benchmark input or the parser is broken`);
  const ns = (s * 1e9) / n;
  if (label !== '') {
    console.log(`${label.padEnd(34)} ${Math.round(n / s).toLocaleString('en').padStart(9)} lines/s  ${String(Math.round(ns)).padStart(6)} ns/line` +
      (serialize ? `  input ${(bytes / 1e6 / s).toFixed(1)} MB/s, output ${(out / n).toFixed(0)} B/doc` : ''));
  }
  return { nsPerLine: ns };
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
// alternate the two configurations and keep each one's best.
const sample = Math.min(300_000, total);
let parseOnly = Infinity;
let parseEnrich = Infinity;
let parsePath = Infinity;
for (let round = 0; round < 3; round++) {
  parseOnly = Math.min(parseOnly, run('', sample, false, false).nsPerLine);
  parseEnrich = Math.min(parseEnrich, run('', sample, true, false).nsPerLine);
  parsePath = Math.min(parsePath, run('', sample, false, true).nsPerLine);
}
const enrichNs = parseEnrich - parseOnly;
console.log(`best of 3 over ${sample.toLocaleString('en')} lines: parse+normalize ${Math.round(parseOnly)} ns, +enrich ${Math.round(parseEnrich)} ns, parse path (with JSON) ${Math.round(parsePath)} ns`);
console.log(`enrichment: ${Math.round(enrichNs)} ns/line = ${((enrichNs / parsePath) * 100).toFixed(0)}% of the parse path (target < 50%)`);
