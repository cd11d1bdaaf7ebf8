/**
 * Bench (issue 19 §6): what numbering identical lines of a second costs per document, on
 * generated netfilter lines (parsed once beforehand, so only the id work is timed), one core:
 *
 * - `id only`: the id as it was before occurrences were counted (canonical timestamp, sha256 of
 *   it and the line);
 * - `id + count`: the same plus what a parser thread now does (the second, RunCounter per batch,
 *   the id of an occurrence ≥ 1) and what the pipeline's thread does per batch (OccurrenceCarry).
 *
 * Two corpora: the generated lines as they are (a second each: a quiet router) and a scan (100
 * documents a second, each line 1–3 times in a row). Rounds alternate the two ways; the best
 * round of each is printed with the difference, and how many documents were an occurrence ≥ 1.
 *
 *   tsc -p tsconfig.bench.json && node .bench-build/bench/occurrence.js [lines] [rounds]
 */
import { baseIdOf, canonicalSecond, canonicalTimestamp, occurrenceId } from '../src/model/doc-id.js';
import { createParser } from '../src/parse/index.js';
import { OccurrenceCarry, RunCounter } from '../src/processing/occurrence.js';
import { timeZone } from '../src/time/zone.js';
import { generateLines } from './generate.js';

const LINES = Number(process.argv[2] ?? 500_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const BATCH = 1000;

const parse = createParser({ zone: timeZone('Europe/Berlin') });
const quiet = generateLines(LINES, 7).map((line) => {
  const d = parse(line);
  return { ts: d['@timestamp'] as unknown, original: d.event.original as unknown };
});
// A scan: 100 documents a second, each line 1–3 times in a row (retransmissions).
const busy: typeof quiet = [];
for (let j = 0; busy.length < LINES; j++) {
  for (let r = 0; r <= j % 3 && busy.length < LINES; r++) {
    busy.push({ ts: new Date(Date.UTC(2024, 4, 1) + Math.floor(busy.length / 100) * 1000).toISOString(), original: quiet[j]!.original });
  }
}
let docs = quiet;

let sink = 0;

function idOnly(): void {
  for (const d of docs) sink += baseIdOf(canonicalTimestamp(d.ts), d.original).length;
}

let repeats = 0;
function idAndCount(): void {
  const counter = new RunCounter();
  const carry = new OccurrenceCarry();
  const body = Buffer.alloc(0);
  repeats = 0;
  for (let from = 0; from < docs.length; from += BATCH) {
    counter.reset();
    const to = Math.min(docs.length, from + BATCH);
    for (let i = from; i < to; i++) {
      const d = docs[i]!;
      const canonical = canonicalTimestamp(d.ts);
      const base = baseIdOf(canonical, d.original);
      const k = counter.next(base, canonicalSecond(canonical), i - from);
      if (k > 0) repeats++;
      sink += (k === 0 ? base : occurrenceId(base, k)).length;
    }
    carry.apply('file', counter.result(() => -1), body, (line) => ({ offset: from + line }));
  }
}

function cpuNs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / docs.length;
}

console.log(`${LINES.toLocaleString('en-US')} documents, ${ROUNDS} rounds, best CPU per document`);
for (const [name, corpus] of [['quiet (generated, a second each)', quiet], ['scan (100 a second, lines 1-3 times)', busy]] as const) {
  docs = corpus;
  const best = { before: Infinity, after: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    best.before = Math.min(best.before, cpuNs(idOnly));
    best.after = Math.min(best.after, cpuNs(idAndCount));
  }
  console.log(`${name}: id only ${best.before.toFixed(0)} ns, id + count ${best.after.toFixed(0)} ns (+${(best.after - best.before).toFixed(0)} ns); ${repeats.toLocaleString('en-US')} occurrences ≥ 1`);
}
if (sink === 0) console.log('');
