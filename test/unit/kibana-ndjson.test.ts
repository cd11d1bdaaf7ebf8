/**
 * The committed saved objects (kibana/dropship.ndjson): up to date with the generator, and
 * internally consistent the way Kibana's import checks them (references, stringified JSON,
 * migration stamps) plus the Lens invariants an import does not check but the editor needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NDJSON_PATH } from '../../kibana/src/build.js';
import { renderNdjson } from '../../kibana/src/objects.js';
import { GRID_COLUMNS } from '../../kibana/src/dashboard.js';
import { KIBANA_MIN_VERSION, TYPE_MIGRATION_VERSION, CORE_MIGRATION_VERSION } from '../../kibana/src/saved-object.js';

interface Raw {
  type: string; id: string; attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
  coreMigrationVersion?: string; typeMigrationVersion?: string;
}

const text = readFileSync(NDJSON_PATH, 'utf8');
const objects: Raw[] = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Raw);
const byKey = new Map(objects.map((o) => [`${o.type}/${o.id}`, o]));

const semver = (v: string): number[] => v.split('.').map(Number);
const lte = (a: string, b: string): boolean => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if (x[i]! !== y[i]!) return x[i]! < y[i]!;
  return true;
};

/** Attributes Kibana stores as JSON text rather than objects. */
const STRINGIFIED = ['panelsJSON', 'optionsJSON', 'fieldFormatMap', 'fieldAttrs', 'runtimeFieldMap', 'fields', 'typeMeta', 'layerListJSON', 'mapStateJSON', 'uiStateJSON', 'visState'];

interface LensAttrs {
  visualizationType: string;
  state: {
    datasourceStates: { formBased: { layers: Record<string, { columns: Record<string, { operationType: string; references?: string[]; params?: { orderBy?: { type: string; columnId?: string } } }>; columnOrder: string[] }> } };
    visualization: Record<string, unknown>;
  };
  references: { name: string; type: string; id: string }[];
}
interface PanelRaw { type: string; panelIndex: string; gridData: { x: number; y: number; w: number; h: number; i: string }; embeddableConfig: { attributes: LensAttrs } }

const dashboards = objects.filter((o) => o.type === 'dashboard');
const panelsOf = (d: Raw): PanelRaw[] => JSON.parse(d.attributes.panelsJSON as string) as PanelRaw[];

test('kibana/dropship.ndjson is what `npm run build:kibana` generates', () => {
  assert.equal(text, renderNdjson(), 'stale: run `npm run build:kibana` and commit kibana/dropship.ndjson');
});

test('one object per line, unique ids, the expected dashboards', () => {
  assert.equal(byKey.size, objects.length);
  assert.deepEqual(dashboards.map((d) => d.attributes.title).sort(), ['dropship — Firewall overview', 'dropship — SSH login attempts']);
  const views = objects.filter((o) => o.type === 'index-pattern').map((o) => o.attributes.title);
  assert.ok(views.includes('logs-dropship.*-*'));
});

test('every object carries migration stamps no newer than the oldest supported Kibana', () => {
  for (const o of objects) {
    assert.equal(o.coreMigrationVersion, CORE_MIGRATION_VERSION, `${o.type}/${o.id}`);
    assert.equal(o.typeMigrationVersion, TYPE_MIGRATION_VERSION[o.type as keyof typeof TYPE_MIGRATION_VERSION], `${o.type}/${o.id}`);
    assert.ok(lte(o.typeMigrationVersion!, KIBANA_MIN_VERSION), `${o.type}/${o.id} stamped newer than ${KIBANA_MIN_VERSION}`);
  }
});

test('every reference resolves to an object in the file', () => {
  for (const o of objects) {
    for (const r of o.references) assert.ok(byKey.has(`${r.type}/${r.id}`), `${o.type}/${o.id}: ${r.name} -> ${r.type}/${r.id}`);
    assert.equal(new Set(o.references.map((r) => r.name)).size, o.references.length, `${o.id}: duplicate reference names`);
  }
});

test('stringified attributes parse as JSON', () => {
  for (const o of objects) {
    for (const k of STRINGIFIED) if (k in o.attributes) {
      assert.equal(typeof o.attributes[k], 'string', `${o.id}.${k}`);
      assert.doesNotThrow(() => JSON.parse(o.attributes[k] as string), `${o.id}.${k}`);
    }
    const meta = o.attributes.kibanaSavedObjectMeta as { searchSourceJSON?: unknown } | undefined;
    if (meta) {
      assert.equal(typeof meta.searchSourceJSON, 'string', `${o.id}.kibanaSavedObjectMeta`);
      assert.doesNotThrow(() => JSON.parse(meta.searchSourceJSON as string));
    }
  }
});

test('by-value Lens panels: references hoisted onto the dashboard, one per layer', () => {
  for (const d of dashboards) {
    const names = new Set(d.references.map((r) => r.name));
    for (const p of panelsOf(d)) {
      assert.equal(p.type, 'lens');
      const a = p.embeddableConfig.attributes;
      assert.equal(typeof a.state, 'object', `${p.panelIndex}: Lens state is an object, not a string`);
      for (const layerId of Object.keys(a.state.datasourceStates.formBased.layers)) {
        const name = `indexpattern-datasource-layer-${layerId}`;
        assert.ok(a.references.some((r) => r.name === name), `${p.panelIndex}: ${name}`);
        assert.ok(names.has(`${p.panelIndex}:${name}`), `${d.id}: missing ${p.panelIndex}:${name}`);
      }
    }
  }
});

/** Column ids a visualization state points at, wherever the Lens type keeps them. */
function accessors(v: unknown): string[] {
  const keys = new Set(['xAccessor', 'yAccessor', 'valueAccessor', 'splitAccessor', 'metricAccessor', 'regionAccessor', 'columnId']);
  const out: string[] = [];
  const walk = (x: unknown, key?: string): void => {
    if (typeof x === 'string' && key !== undefined && keys.has(key)) out.push(x);
    else if (Array.isArray(x)) x.forEach((e) => walk(e, key === 'accessors' ? 'valueAccessor' : undefined));
    else if (x && typeof x === 'object') for (const [k, e] of Object.entries(x)) walk(e, k);
  };
  walk(v);
  return out;
}

test('Lens layers are self-consistent: column order, accessors, sort and formula references', () => {
  for (const d of dashboards) for (const p of panelsOf(d)) {
    const a = p.embeddableConfig.attributes;
    const layers = Object.values(a.state.datasourceStates.formBased.layers);
    const ids = new Set(layers.flatMap((l) => Object.keys(l.columns)));
    for (const l of layers) {
      assert.deepEqual([...l.columnOrder].sort(), Object.keys(l.columns).sort(), p.panelIndex);
      for (const c of Object.values(l.columns)) {
        for (const r of c.references ?? []) assert.ok(ids.has(r), `${p.panelIndex}: reference ${r}`);
        const ob = c.params?.orderBy;
        if (ob?.type === 'column') assert.ok(ids.has(ob.columnId!), `${p.panelIndex}: orderBy ${ob.columnId}`);
      }
    }
    const used = accessors(a.state.visualization);
    assert.ok(used.length > 0, `${p.panelIndex}: visualization uses no column`);
    for (const id of used) assert.ok(ids.has(id), `${p.panelIndex}: accessor ${id}`);
  }
});

test('panels fit the 48-column grid without overlapping', () => {
  for (const d of dashboards) {
    const ps = panelsOf(d);
    assert.equal(new Set(ps.map((p) => p.panelIndex)).size, ps.length);
    for (const p of ps) {
      assert.ok(p.gridData.x >= 0 && p.gridData.x + p.gridData.w <= GRID_COLUMNS, p.panelIndex);
      assert.equal(p.gridData.i, p.panelIndex);
    }
    for (const [i, p] of ps.entries()) for (const q of ps.slice(i + 1)) {
      const g = p.gridData; const h = q.gridData;
      const overlap = g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h;
      assert.ok(!overlap, `${p.panelIndex} overlaps ${q.panelIndex}`);
    }
  }
});
