import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

/**
 * The layers of docs/architecture.md: a module may import its own folder's layer or a lower one,
 * never a higher one. Data flows up this list (sources → processing → sinks), and the CLI sits on
 * top of everything.
 */
const LAYERS: Record<string, number> = {
  core: 0,
  model: 1, net: 1, time: 1, state: 1,
  parse: 2, normalize: 2, enrich: 2, codec: 2,
  sources: 3,
  processing: 4,
  sinks: 5, elasticsearch: 5, kibana: 5, report: 5,
  shipper: 6,
  cli: 7,
};

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

function* modules(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* modules(path);
    else if (/\.(ts|mjs)$/.test(entry.name)) yield path;
  }
}

const topFolder = (path: string): string => relative(SRC, path).split(sep)[0]!;

test('every folder of src/ has a layer, and no module imports from a higher layer', () => {
  const violations: string[] = [];
  for (const file of modules(SRC)) {
    const from = topFolder(file);
    assert.ok(from in LAYERS, `src/${from}/ has no layer in docs/architecture.md (add it to LAYERS here too)`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(SRC + sep)) continue;
      const to = topFolder(target);
      if ((LAYERS[to] ?? Infinity) > LAYERS[from]!) violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} is below ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the layer check sees an upward import', () => {
  // Guards the regular expression above: a check that matches nothing would always pass.
  const sample = "import { x } from '../cli/errors.js';\nconst y = await import('../shipper/open.js');";
  const found = [...sample.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  assert.deepEqual(found, ['../cli/errors.js', '../shipper/open.js']);
});
