import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldsUsedByPanels, type Need } from '../../kibana/src/fields-used.js';
import { loadAssets } from '../../src/elasticsearch/assets.js';
import { checkMappedFields } from '../helpers/field-check.js';
import { buildMappings } from '../../src/elasticsearch/mappings.js';

/** Mapped types Kibana can use for each need (text fields cannot be aggregated). */
const ACCEPTED: Record<Need, readonly string[]> = {
  aggregatable: ['keyword', 'constant_keyword', 'ip', 'long', 'integer', 'short', 'byte', 'unsigned_long', 'double', 'float', 'date', 'boolean'],
  numeric: ['long', 'integer', 'short', 'byte', 'unsigned_long', 'double', 'float', 'scaled_float'],
  date: ['date', 'date_nanos'],
  geo_point: ['geo_point'],
};

test('every field a dashboard panel uses is mapped by dropship setup with a type the panel can use', () => {
  const uses = fieldsUsedByPanels();
  assert.ok(uses.length >= 10, `panels use ${uses.length} fields`);
  const expected: Record<string, readonly string[]> = {};
  for (const { field, needs } of uses) {
    const prior = expected[field];
    expected[field] = prior === undefined ? ACCEPTED[needs] : prior.filter((t) => ACCEPTED[needs].includes(t));
  }
  const mappings = buildMappings(loadAssets().fields);
  assert.deepEqual(checkMappedFields(mappings, expected), []);
});
