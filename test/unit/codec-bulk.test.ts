import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bulkEncoder, bulkEntries, bulkSpans, createAction, CreateActionReader, decodeAction, decodeDocument, idOfDocument } from '../../src/codec/bulk.js';
import { createEncoder } from '../../src/codec/encoder.js';
import { stringifyDocument } from '../../src/model/serialize.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';

test('the bulk encoder writes a create into the data stream of the document\'s dataset, with its deterministic id', () => {
  const encoder = bulkEncoder({ namespace: 'home' });
  const fw = netfilterDoc(1);
  const auth = authDoc(2);
  const odd = { ...netfilterDoc(3), event: { ...netfilterDoc(3).event, dataset: 'someone.else' } };
  const body = Buffer.from([fw, auth, odd].map((d) => encoder.encode(d, stringifyDocument(d), idOfDocument(d))).join(''));
  const docs = bulkSpans(body).map((span) => decodeDocument(body, span));
  assert.deepEqual(docs.map((d) => d.index), ['logs-dropship.firewall-home', 'logs-dropship.auth-home', 'logs-dropship.firewall-home']);
  assert.deepEqual(docs.map((d) => d.id), [fw, auth, odd].map(idOfDocument));
  assert.deepEqual(docs.map((d) => JSON.parse(d.source!) as unknown), [fw, auth, odd].map((d) => JSON.parse(JSON.stringify(d)) as unknown));
  assert.equal(createEncoder({ format: 'ndjson' }).encode(fw, '{"a":1}', ''), '{"a":1}\n');
});

test('a namespace Elasticsearch would refuse is refused when the encoder is made', () => {
  for (const namespace of ['My-Home', 'a-b', '', 'x'.repeat(101), 'a b']) assert.throws(() => bulkEncoder({ namespace }), RangeError);
});

test('action lines round-trip, escaped where they must be; anything else is not an action', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (index, id) => {
      const line = createAction(index, id);
      assert.deepEqual(JSON.parse(line), { create: { _index: index, _id: id } });
      assert.deepEqual(decodeAction(line), { op: 'create', index, id });
      const reader = new CreateActionReader();
      const bytes = Buffer.from(`${line}\n`, 'utf8');
      // The byte reader takes only the plain form, and then agrees with the general decoder.
      if (reader.parse(bytes, 0)) {
        assert.equal(reader.index, index);
        assert.equal(bytes.toString('latin1', reader.idStart, reader.idEnd), id);
        assert.equal(reader.end, bytes.length);
      }
    }),
    { numRuns: 500 },
  );
  assert.deepEqual(decodeAction('{"index":{"_index":"x"}}'), { op: 'index', index: 'x', id: undefined });
  for (const bad of ['', 'not json', '[]', '{}', '{"a":1,"b":2}', '{"create":5}', 'null']) assert.equal(decodeAction(bad), undefined, bad);
});

test('bulkSpans finds every document of a body, and a body cut short keeps what is there', () => {
  const encoder = bulkEncoder({ namespace: 'default' });
  const docs = Array.from({ length: 5 }, (_, n) => netfilterDoc(n));
  const body = Buffer.from(docs.map((d) => encoder.encode(d, stringifyDocument(d), idOfDocument(d))).join(''));
  const spans = bulkSpans(body);
  assert.equal(spans.length, 5);
  assert.equal(spans.at(-1)!.end, body.length);
  const cut = body.subarray(0, spans[4]!.start + 20);
  const last = decodeDocument(cut, bulkSpans(cut).at(-1)!);
  assert.deepEqual(last, { index: '', id: '', source: null });
});

test('bulkEntries reads index, id and @timestamp of every document, in the plain form from bytes and otherwise as JSON', () => {
  const plain = netfilterDoc(4);
  const encoder = bulkEncoder({ namespace: 'home' });
  const body = Buffer.from(
    encoder.encode(plain, stringifyDocument(plain), idOfDocument(plain)) +
      // An escaped id, an action written another way, @timestamp not first, no @timestamp, no source.
      `${createAction('logs-x-y', 'quo"te')}\n{"message":"m","@timestamp":"2027-01-02T03:04:05.678+01:00"}\n` +
      `{ "create" : { "_id" : "sp ace", "_index" : "logs-x-y" } }\n{"@timestamp":"2027-01-02T03:04:05Z","a":1}\n` +
      `${createAction('logs-x-y', 'none')}\n{"message":"no time","nested":{"@timestamp":"2020-01-01T00:00:00Z"}}\n` +
      `${createAction('logs-x-y', 'cut')}\n`,
  );
  const entries = bulkEntries(body);
  assert.deepEqual(entries.map(({ index, id, timestamp }) => ({ index, id, timestamp })), [
    { index: 'logs-dropship.firewall-home', id: idOfDocument(plain), timestamp: plain['@timestamp'] },
    { index: 'logs-x-y', id: 'quo"te', timestamp: '2027-01-02T03:04:05.678+01:00' },
    { index: 'logs-x-y', id: 'sp ace', timestamp: '2027-01-02T03:04:05Z' },
    { index: 'logs-x-y', id: 'none', timestamp: undefined },
    { index: 'logs-x-y', id: 'cut', timestamp: undefined },
  ]);
  assert.deepEqual(entries.map(({ start, end }) => ({ start, end })), bulkSpans(body));
});
