/**
 * Parse benchmark: parse + normalize + JSON serialization of ≥ 1M generated mixed-vendor lines on
 * one core (this process's main thread). Prints lines/s and ns/line. Run: npm run bench:parse
 *   BENCH_LINES=2000000 npm run bench:parse
 */
import { createParser } from '../src/parse/index.js';
import { timeZone } from '../src/time/zone.js';
import { generateLines } from './generate.js';

const total = Number(process.env.BENCH_LINES ?? 1_000_000);
const lines = generateLines(total, 7);
const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
const parse = createParser({ zone: timeZone(process.env.BENCH_TZ ?? 'Europe/Berlin') });

function run(label: string, n: number): void {
  let out = 0;
  let failures = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const doc = parse(lines[i]!);
    if (doc.tags !== undefined) failures++;
    out += JSON.stringify(doc).length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (label !== 'warm-up') {
    console.log(`${label}: ${n.toLocaleString('en')} lines in ${s.toFixed(2)} s → ${Math.round(n / s).toLocaleString('en')} lines/s, ` +
      `${Math.round((s * 1e9) / n)} ns/line, input ${(bytes / 1e6 / s).toFixed(1)} MB/s, output ${(out / 1e6).toFixed(0)} MB, unparsed ${failures}`);
  }
  if (failures > 0) throw new Error(`${failures} generated lines failed to parse: the benchmark input or the parser is broken`);
}

console.log(`node ${process.version}, ${total.toLocaleString('en')} generated lines (${(bytes / 1e6).toFixed(0)} MB), one core`);
run('warm-up', Math.min(100_000, total));
run('parse+normalize+JSON', total);
