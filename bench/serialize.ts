/**
 * Document serialization: JSON.stringify against the pipeline's serializer (src/model/serialize.ts)
 * on generated lines, in ns per document.
 *
 *  1. alone: over documents parsed and enriched beforehand, with and without encoding the text
 *     into a Buffer (the processor encodes every document into its batch buffer; a string made
 *     by concatenation is flattened there, so that part is where its pieces cost);
 *  2. in the pipeline: parse → enrich → serialize → encode per line, minus the same loop without
 *     serializing in the same round, which is what the choice costs where it is used (caches are
 *     cold for the serializer's remembered shapes after a line's parsing, unlike in 1). Measured
 *     first, before the documents of 1 are kept alive.
 * Configurations alternate in rounds; min, median and max over rounds are printed. Every document
 * is also checked to serialize exactly as JSON.stringify does.
 *
 *   tsc -p tsconfig.bench.json && node .bench-build/bench/serialize.js [docs] [rounds]
 */
import { createEnricher } from '../src/enrich/index.js';
import type { EcsDocument } from '../src/model/document.js';
import { serializerStats, stringifyDocument } from '../src/model/serialize.js';
import { createParser } from '../src/parse/index.js';
import { timeZone } from '../src/time/zone.js';
import { generateLines } from './generate.js';

const count = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 9);
const zone = timeZone('Europe/Berlin');
const parse = createParser({ zone });
const enricher = await createEnricher({ geoip: undefined, timezone: zone });
const lines = generateLines(Math.max(count, 100_000), 7);

const out = Buffer.allocUnsafeSlow(1 << 24);
let at = 0;
let sink = 0;
function emit(text: string, write: boolean): void {
  if (!write) {
    sink += text.length;
    return;
  }
  if (at + text.length * 3 > out.length) at = 0;
  at += out.write(text, at);
}

const stringify = (doc: EcsDocument): string => JSON.stringify(doc);
const none = (): string => '';

function alone(serialize: (doc: EcsDocument) => string, write: boolean): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < docs.length; i++) emit(serialize(docs[i]!), write);
  return Number(process.hrtime.bigint() - t0) / docs.length;
}

let next = 0;
function pipeline(serialize: (doc: EcsDocument) => string, n = 20_000): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const doc = parse(lines[next++ % lines.length]!);
    enricher.enrich(doc);
    emit(serialize(doc), true);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

interface Config {
  name: string;
  run: () => number;
  /** Index of the configuration whose time, in the same round, is subtracted to get the serialization's. */
  base?: number;
}

/** Runs configurations alternately, rounds times after a warm-up; times per configuration. */
function measure(configs: Config[]): number[][] {
  for (const c of configs) c.run();
  const times = configs.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) configs.forEach((c, i) => times[i]!.push(c.run()));
  return times;
}

// The pipeline first, while no other documents are kept alive (they would slow its collections).
const pipelineConfigs: Config[] = [
  { name: 'pipeline: parse+enrich only', run: () => pipeline(none) },
  { name: 'pipeline: JSON.stringify + Buffer', run: () => pipeline(stringify), base: 0 },
  { name: 'pipeline: serializer + Buffer', run: () => pipeline(stringifyDocument), base: 0 },
];
const pipelineTimes = measure(pipelineConfigs);

const docs: EcsDocument[] = lines.slice(0, count).map((line) => {
  const doc = parse(line);
  enricher.enrich(doc);
  return doc;
});
let mismatches = 0;
const before = serializerStats().fallbacks;
for (const doc of docs) if (stringifyDocument(doc) !== JSON.stringify(doc)) mismatches++;
const fellBack = serializerStats().fallbacks - before;

const aloneConfigs: Config[] = [
  { name: 'alone: JSON.stringify', run: () => alone(stringify, false) },
  { name: 'alone: serializer', run: () => alone(stringifyDocument, false) },
  { name: 'alone: JSON.stringify + Buffer', run: () => alone(stringify, true) },
  { name: 'alone: serializer + Buffer', run: () => alone(stringifyDocument, true) },
];
const aloneTimes = measure(aloneConfigs);

console.log(`node ${process.version}, ${count.toLocaleString('en')} enriched generated documents, ${rounds} rounds; ` +
  `${mismatches} differ from JSON.stringify, ${fellBack} fell back to it, ${serializerStats().nodes} trie nodes`);
const stat = (t: number[]): string => {
  const s = [...t].sort((a, b) => a - b);
  return `min ${s[0]!.toFixed(0).padStart(5)}  median ${s[s.length >> 1]!.toFixed(0).padStart(5)}  max ${s[s.length - 1]!.toFixed(0).padStart(5)}`;
};
for (const [configs, times] of [[aloneConfigs, aloneTimes], [pipelineConfigs, pipelineTimes]] as const) {
  for (const [i, c] of configs.entries()) {
    const own = c.base === undefined ? '' : `   serialization ${stat(times[i]!.map((t, r) => t - times[c.base!]![r]!))}`;
    console.log(`${c.name.padEnd(34)} ${stat(times[i]!)} ns/doc${own}`);
  }
}
if (sink < 0) console.log(sink);
if (mismatches > 0) process.exitCode = 1;
