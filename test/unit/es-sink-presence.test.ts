import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bulkEntries, createAction } from '../../src/codec/bulk.js';
import type { Chunk } from '../../src/elasticsearch/sink/acks.js';
import type { Batch, Part } from '../../src/elasticsearch/sink/batcher.js';
import {
  backingIndicesOf, CLOCK_AHEAD_MARGIN_MS, mayBeInOlderIndex, planCheck, presenceAnswer, presenceSearch, PRESENCE_FILTER_PATH, withoutPresent,
} from '../../src/elasticsearch/sink/presence.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';
import { bulkBody } from '../helpers/sink-harness.js';

/**
 * The presence check's pure parts (src/elasticsearch/sink/presence.ts) on literal Elasticsearch
 * answers, in the shapes docs/elasticsearch.md "Deduplication across rollover" gives with their
 * sources: `GET <data stream>/_settings/index.creation_date?flat_settings=true` and a `_search`
 * with `filter_path=hits.hits._id,_shards.failed,timed_out`.
 */

const chunkOf = (docs: number, seq = 0): Chunk<number> => ({ seq, token: seq, docs, unsettled: docs, bytes: 0, release: undefined });
const DAY = 86_400_000;
const CREATED = Date.UTC(2027, 0, 1);

test('the check is needed only where a document can be in a backing index other than the write index', () => {
  const two = { kind: 'known', count: 2, newestCreatedMs: CREATED } as const;
  const now = CREATED + 30 * DAY;
  const at = (ms: number) => ({ earliestMs: ms, latestMs: ms });
  assert.equal(mayBeInOlderIndex({ kind: 'none' }, at(0), now), false, 'no data stream: nothing is stored');
  assert.equal(mayBeInOlderIndex({ kind: 'known', count: 1, newestCreatedMs: CREATED }, at(0), now), false, 'one backing index is the write index: create answers 409');
  assert.equal(mayBeInOlderIndex(two, at(CREATED - 365 * DAY), now), true, 'older than the write index');
  assert.equal(mayBeInOlderIndex(two, at(CREATED + CLOCK_AHEAD_MARGIN_MS - 1), now), true, 'within the margin of a clock running ahead');
  assert.equal(mayBeInOlderIndex(two, at(CREATED + CLOCK_AHEAD_MARGIN_MS), now), false, 'logged after the write index existed: only there');
  assert.equal(mayBeInOlderIndex(two, { earliestMs: CREATED + 2 * DAY, latestMs: now + CLOCK_AHEAD_MARGIN_MS + 1 }, now), true, 'stamped in the future: its time says nothing');
  assert.equal(mayBeInOlderIndex(two, { earliestMs: undefined, latestMs: undefined }, now), true, 'a document without a usable @timestamp can be anywhere');
  assert.equal(mayBeInOlderIndex({ kind: 'unknown' }, at(CREATED + 20 * DAY), now), true, 'backing indices unknown: always');
});

test('backing indices are read from the settings answer: how many, and the newest creation date', () => {
  // GET logs-dropship.firewall-home/_settings/index.creation_date?flat_settings=true
  const answer = {
    '.ds-logs-dropship.firewall-home-2026.11.01-000001': { settings: { 'index.creation_date': '1793491200000' } },
    '.ds-logs-dropship.firewall-home-2026.12.01-000002': { settings: { 'index.creation_date': '1796083200000' } },
  };
  assert.deepEqual(backingIndicesOf(answer), { kind: 'known', count: 2, newestCreatedMs: 1796083200000 });
  assert.deepEqual(backingIndicesOf({}), { kind: 'none' });
  // A date that is not a number cannot narrow the check by time.
  assert.deepEqual(backingIndicesOf({ a: { settings: {} }, b: { settings: { 'index.creation_date': '5' } } }), { kind: 'known', count: 2, newestCreatedMs: Number.POSITIVE_INFINITY });
});

test('a request is planned per data stream: ids and time span of the documents not checked yet', () => {
  const fw = [netfilterDoc(0), netfilterDoc(1000)];
  const auth = [authDoc(5)];
  const parts: Part<number>[] = [
    { chunk: chunkOf(2), body: bulkBody(fw, 'home'), docs: 2 },
    { chunk: chunkOf(1, 1), body: bulkBody(auth, 'home'), docs: 1 },
    { chunk: chunkOf(1, 2), body: bulkBody([netfilterDoc(9)], 'home'), docs: 1, checked: true },
  ];
  const batch: Batch<number> = { parts, bytes: 0, docs: 4 };
  const plan = planCheck(batch);
  const ids = (body: Buffer) => bulkEntries(body).map((e) => e.id);
  assert.deepEqual([...plan.streams.keys()], ['logs-dropship.firewall-home', 'logs-dropship.auth-home']);
  assert.deepEqual(plan.streams.get('logs-dropship.firewall-home'), { ids: ids(parts[0]!.body), earliestMs: Date.parse(fw[0]!['@timestamp']), latestMs: Date.parse(fw[1]!['@timestamp']) });
  assert.deepEqual(plan.streams.get('logs-dropship.auth-home')!.ids, ids(parts[1]!.body));
  assert.equal(plan.parts[2]!.entries, undefined, 'a checked part is not read');

  // A document without a usable @timestamp: no time span for its data stream.
  const odd = Buffer.from(`${createAction('logs-dropship.firewall-home', 'x1')}\n{"message":"no time"}\n`);
  const untimed = planCheck({ parts: [{ chunk: chunkOf(1), body: Buffer.concat([parts[0]!.body, odd]), docs: 3 }], bytes: 0, docs: 3 });
  assert.deepEqual(untimed.streams.get('logs-dropship.firewall-home'), { ids: [...ids(parts[0]!.body), 'x1'], earliestMs: undefined, latestMs: undefined });
});

test('the search asks for ids in the time span, without source, score or count, and fails rather than answer from some shards', () => {
  const request = presenceSearch('logs-dropship.firewall-home', ['a', 'b'], { earliestMs: 1_000_000, latestMs: 2_000_000 });
  assert.deepEqual(request, {
    index: 'logs-dropship.firewall-home',
    size: 2,
    _source: false,
    track_total_hits: false,
    sort: ['_doc'],
    query: { bool: { filter: [{ ids: { values: ['a', 'b'] } }, { range: { '@timestamp': { gte: 999_000, lte: 2_001_000, format: 'epoch_millis' } } }] } },
    allow_partial_search_results: false,
    filter_path: ['hits.hits._id', '_shards.failed', 'timed_out'],
  });
  assert.deepEqual(presenceSearch('d', ['a'], { earliestMs: undefined, latestMs: undefined }).query, { bool: { filter: [{ ids: { values: ['a'] } }] } });
  assert.deepEqual(PRESENCE_FILTER_PATH, request.filter_path);
});

test('search answers: the ids of the hits, and whether every shard answered in time', () => {
  assert.deepEqual(presenceAnswer({ _shards: { failed: 0 }, timed_out: false, hits: { hits: [{ _id: 'a' }, { _id: 'c' }] } }), { ids: ['a', 'c'], complete: true });
  // filter_path drops `hits` when nothing matched.
  assert.deepEqual(presenceAnswer({ _shards: { failed: 0 }, timed_out: false }), { ids: [], complete: true });
  assert.deepEqual(presenceAnswer({ _shards: { failed: 1 }, timed_out: false, hits: { hits: [{ _id: 'a' }] } }).complete, false);
  assert.deepEqual(presenceAnswer({ _shards: { failed: 0 }, timed_out: true }).complete, false);
});

test('documents found are dropped; the rest stays slices of the bodies, marked checked, with every document accounted for', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (sizes, foundMask) => {
      let n = 0;
      const parts: Part<number>[] = sizes.map((size, i) => {
        const docs = Array.from({ length: size }, () => (n % 3 === 0 ? authDoc(n++) : netfilterDoc(n++)));
        return { chunk: chunkOf(size, i), body: bulkBody(docs, 'home'), docs: size };
      });
      const plan = planCheck<number>({ parts, bytes: 0, docs: n });
      const all = parts.flatMap((p) => bulkEntries(p.body));
      const present = new Map<string, Set<string>>();
      all.forEach((e, i) => {
        if (foundMask[i]) (present.get(e.index) ?? present.set(e.index, new Set()).get(e.index)!).add(e.id);
      });
      const { rest, present: found, presentDocs } = withoutPresent(plan, present);
      const kept = rest.parts.flatMap((p) => bulkEntries(p.body).map((e) => e.id));
      assert.deepEqual(kept, all.filter((_, i) => !foundMask[i]).map((e) => e.id), 'the others, in order');
      assert.equal(presentDocs, all.filter((_, i) => foundMask[i]).length);
      assert.equal(rest.docs + presentDocs, n);
      assert.equal(rest.bytes, rest.parts.reduce((s, p) => s + p.body.length, 0));
      for (const p of rest.parts) {
        assert.equal(p.checked, true);
        assert.equal(p.body.buffer, parts.find((q) => q.chunk === p.chunk)!.body.buffer, 'a slice, not a copy');
        assert.equal(bulkEntries(p.body).length, p.docs);
      }
      for (const part of parts) {
        const dropped = found.find((f) => f.chunk === part.chunk)?.docs ?? 0;
        const remaining = rest.parts.filter((p) => p.chunk === part.chunk).reduce((s, p) => s + p.docs, 0);
        assert.equal(dropped + remaining, part.docs, 'per chunk: found + still to send = its documents');
      }
    }),
    { numRuns: 60 },
  );
});
