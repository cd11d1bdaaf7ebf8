/**
 * Output fingerprint of the compiled parse → enrich → JSON path, for optimizing it without
 * changing what it produces: hashes the serialized documents of generated lines, the sample
 * logs, every string literal in the tests (most are not log lines: failure documents count too)
 * and seeded mutations of all of those (cut, dropped, swapped and altered tokens), parsed in two
 * zones, with and without enrichment. The clock is fixed, so event.created is stable.
 *
 * Documents are serialized as the pipeline does (src/model/serialize.ts), and each is also
 * compared with JSON.stringify, which the serializer must match byte for byte: any difference is
 * reported and fails the run.
 *
 *   tsc -p tsconfig.bench.json && node .bench-build/bench/output-hash.js [--corpus file] [--dump file]
 *
 * Run before and after a change: the printed hashes must not move. --dump writes every document
 * (one per line) for diffing when they do.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createEnricher } from '../src/enrich/index.js';
import { serializerStats, stringifyDocument } from '../src/model/serialize.js';
import { createParser } from '../src/parse/index.js';
import { timeZone } from '../src/time/zone.js';
import { generateLines, prng } from './generate.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\.bench-build\/$/, '');
const GENERATED = Number(process.env.HASH_LINES ?? 200_000);
const NOW = Date.UTC(2026, 5, 17, 12, 34, 56, 789);

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

function sampleLines(): string[] {
  return filesUnder(join(root, 'samples'), '.log').flatMap((f) => readFileSync(f, 'utf8').split('\n'));
}

/** String literals of the test sources (log lines among them), unescaped the simple way. */
function testLiterals(): string[] {
  const out: string[] = [];
  const files = [...filesUnder(join(root, 'test'), '.ts')].filter((f) => !f.includes('/integration/'));
  const re = /'((?:[^'\\\n]|\\.){8,})'|"((?:[^"\\\n]|\\.){8,})"|`((?:[^`\\$]|\\.){8,})`/g;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(re)) {
      const raw = m[1] ?? m[2] ?? m[3]!;
      out.push(raw.replace(/\\(u\{?[0-9a-fA-F]+\}?|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
        if (e[0] === 'u') return String.fromCodePoint(parseInt(e.replace(/[u{}]/g, ''), 16));
        if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
        return e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '0' ? '\0' : e;
      }));
    }
  }
  return out;
}

const ALPHABET = ' =:[]()"\\-.0123456789abcdefABCDEFxXINOUTSRCDSTPROTOLENSYNACK\u00e9\u0000\t';

function mutations(base: string[], seed: number): string[] {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const out: string[] = [];
  for (const line of base) {
    if (line.length === 0) continue;
    const tokens = line.split(' ');
    out.push(line.slice(0, int(line.length + 1)));
    const drop = [...tokens];
    drop.splice(int(drop.length), 1);
    out.push(drop.join(' '));
    const swap = [...tokens];
    const a = int(swap.length), b = int(swap.length);
    [swap[a], swap[b]] = [swap[b]!, swap[a]!];
    out.push(swap.join(' '));
    const dup = [...tokens];
    const d = int(dup.length);
    dup.splice(d, 0, dup[int(dup.length)]!);
    out.push(dup.join(' '));
    let s = line;
    for (let k = 1 + int(3); k > 0; k--) {
      const at = int(s.length);
      s = s.slice(0, at) + ALPHABET[int(ALPHABET.length)] + s.slice(at + int(2));
    }
    out.push(s);
    out.push(rnd() < 0.5 ? line.toLowerCase() : line.toUpperCase());
  }
  return out;
}

/**
 * The input sets. `--corpus file` freezes them: an existing file is read instead (so new tests
 * or samples do not move the hashes between a baseline and a later run), a missing one written.
 */
function inputSets(): [string, string[]][] {
  const at = process.argv.indexOf('--corpus');
  const file = at > 0 ? process.argv[at + 1]! : undefined;
  if (file !== undefined && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as [string, string[]][];
  const generated = generateLines(GENERATED, 11);
  const samples = sampleLines();
  const literals = testLiterals();
  const sets: [string, string[]][] = [
    ['generated', generated],
    ['samples', samples],
    ['test literals', literals],
    ['mutations', mutations([...generated.slice(0, 20_000), ...samples, ...literals], 5)],
  ];
  if (file !== undefined) writeFileSync(file, JSON.stringify(sets));
  return sets;
}
const sets = inputSets();

const dumpAt = process.argv.indexOf('--dump');
const dump = dumpAt > 0 ? openSync(process.argv[dumpAt + 1]!, 'w') : -1;
const all = createHash('sha256');
let mismatches = 0;
for (const zoneName of ['UTC', 'Europe/Berlin']) {
  const zone = timeZone(zoneName);
  const parse = createParser({ zone, now: () => NOW });
  const enricher = await createEnricher({ geoip: undefined, timezone: zone });
  for (const [name, lines] of sets) {
    for (const enrich of [false, true]) {
      const h = createHash('sha256');
      for (let i = 0; i < lines.length; i++) {
        // Every seventh line with explicit metadata, as imports pass it.
        const meta = i % 7 === 3 ? { receivedMs: NOW - i * 1000, referenceMs: NOW - 86_400_000 * (i % 400) } : undefined;
        const doc = parse(lines[i]!, meta);
        if (enrich) enricher.enrich(doc);
        const json = stringifyDocument(doc);
        if (json !== JSON.stringify(doc)) {
          if (mismatches++ < 3) console.error(`serializer differs from JSON.stringify for ${JSON.stringify(lines[i])}:\n  ${json}\n  ${JSON.stringify(doc)}`);
        }
        h.update(json).update('\n');
        if (dump >= 0) writeSync(dump, json + '\n');
      }
      const digest = h.digest('hex');
      all.update(digest);
      console.log(`${zoneName.padEnd(14)} ${name.padEnd(14)} ${String(lines.length).padStart(7)} lines ${enrich ? 'enriched' : 'parsed  '} ${digest.slice(0, 16)}`);
    }
  }
}
console.log(`overall ${all.digest('hex')}`);
const stats = serializerStats();
console.log(`serializer: ${mismatches} documents differ from JSON.stringify, ${stats.fallbacks} written by JSON.stringify, ${stats.nodes} trie nodes`);
if (dump >= 0) closeSync(dump);
if (mismatches > 0) process.exitCode = 1;
