/**
 * Fields the panels use: derived by walking the generated objects, and each one checked against
 * the typed catalog kibana/src/fields.ts, whose keys the compiler checks against the emitted
 * document's shape (src/model/document.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldsUsedBy, fieldsUsedByPanels, kqlFields, type Need } from '../../kibana/src/fields-used.js';
import { FIELDS, isField, type EsType } from '../../kibana/src/fields.js';
import { dashboard } from '../../kibana/src/dashboard.js';
import { count, layer, lens, terms } from '../../kibana/src/lens.js';

const SATISFIES: Record<Need, EsType[]> = {
  aggregatable: ['keyword', 'long', 'ip', 'date'],
  date: ['date'],
  numeric: ['long'],
  geo_point: ['geo_point'],
};

test('every field a panel uses is a document field with a type that serves the use', () => {
  const uses = fieldsUsedByPanels();
  assert.ok(uses.length > 0);
  for (const { field, needs } of uses) {
    assert.ok(isField(field), `${field} is not in kibana/src/fields.ts (so not checked against document.ts)`);
    assert.ok(SATISFIES[needs].includes(FIELDS[field]), `${field} is ${FIELDS[field]} but a panel needs ${needs}`);
  }
});

test('the issue\'s views are built on the fields the issue names', () => {
  const used = new Set(fieldsUsedByPanels().map((u) => u.field));
  for (const f of ['source.geo.country_iso_code', 'destination.port', 'network.transport', 'dropship.service.name',
    'dropship.local.hour', 'dropship.local.weekday', 'dropship.scanner.name', 'source.as.number', 'user.name', '@timestamp']) {
    assert.ok(used.has(f), f);
  }
});

test('the walk finds fields in new panels, column filters and panel queries', () => {
  const d = dashboard({
    id: 'd', title: 't', description: '',
    panels: [{
      id: 'p', x: 0, y: 0, w: 8, h: 8,
      lens: lens({
        title: 'x', dataViewId: 'v', query: 'observer.hostname : "gw"',
        layer: layer('l', [terms('a', 'dropship.service.note', { size: 3, orderBy: 'term' }), count('n', { filter: 'event.action : "drop"' })]),
        vis: { type: 'lnsMetric', state: {} },
      }),
    }],
  });
  assert.deepEqual(fieldsUsedBy([d]), [
    { field: 'dropship.service.note', needs: 'aggregatable' },
    { field: 'event.action', needs: 'aggregatable' },
    { field: 'observer.hostname', needs: 'aggregatable' },
  ]);
});

test('kqlFields reads the field names of simple KQL', () => {
  assert.deepEqual(kqlFields('event.type : "denied" and (source.ip: 1.2.3.4 or @timestamp >= 0)'), ['event.type', 'source.ip']);
  assert.deepEqual(kqlFields(''), []);
});
