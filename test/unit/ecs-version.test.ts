import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EcsVersion } from '@elastic/ecs';
import { ECS_VERSION } from '../../src/model/ecs-version.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('ecs.version is the version of the installed @elastic/ecs definitions', () => {
  assert.equal(ECS_VERSION, EcsVersion);
});

/** Every module reachable from `entry` through static and dynamic imports (relative ones followed). */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    // Type-only imports are erased by the compiler and load nothing.
    const specifiers = [...source.matchAll(/(?:^|\n)\s*(import|export)(\s+type)?\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)]
      .filter((m) => m[2] === undefined)
      .map((m) => m[3] ?? m[4]!);
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) pending.push(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return graph;
}

test('the per-line processing modules never load @elastic/ecs (megabytes of field JSON per worker)', () => {
  const graph = importGraph(resolve(root, 'src/processing/process.ts'));
  assert.ok(graph.size > 10, 'the import graph walk found the parser and enricher modules');
  for (const [file, specifiers] of graph) {
    assert.ok(!specifiers.some((s) => s.startsWith('@elastic/ecs')), `${file.slice(root.length + 1)} imports @elastic/ecs`);
  }
});
