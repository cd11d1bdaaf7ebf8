import assert from 'node:assert/strict';
import type { EcsDocument } from '../../src/model/document.js';
import { createParser, type ParserOptions } from '../../src/parse/index.js';
import { timeZone } from '../../src/time/zone.js';

/** Value at a dotted path of a nested document (`source.ip`), or undefined. */
export function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Flattens a nested document into dotted paths; arrays and geo points are leaves. */
export function flatten(doc: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    out[prefix] = doc;
    return out;
  }
  const keys = Object.keys(doc as object);
  if (prefix.endsWith('location') && keys.includes('lat')) {
    out[prefix] = doc;
    return out;
  }
  for (const k of keys) flatten((doc as Record<string, unknown>)[k], prefix === '' ? k : `${prefix}.${k}`, out);
  return out;
}

/** A reference "now" for year inference: 2024-06-15T12:00:00Z. */
export const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);

export function parserFor(options: Partial<ParserOptions> = {}): (line: string) => EcsDocument {
  const parse = createParser({ zone: timeZone('UTC'), now: () => NOW, ...options });
  return (line) => parse(line);
}

/** Asserts each expected path; `undefined` means the field must be absent. */
export function expectFields(doc: EcsDocument, expected: Record<string, unknown>, label: string): void {
  for (const [path, want] of Object.entries(expected)) {
    const value = at(doc, path);
    // As serialized: members left undefined are not in the document.
    assert.deepEqual(value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value, want, `${label}: ${path}`);
  }
}

/** The smallest valid document with a source address, for enrichment tests. */
export function docWithSource(ip: string): EcsDocument {
  return {
    '@timestamp': '2026-01-05T10:00:00.000Z',
    ecs: { version: '8.17.0' },
    event: { kind: 'event', original: 'x', created: '2026-01-05T10:00:01.000Z' },
    source: { ip },
  };
}
