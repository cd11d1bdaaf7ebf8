import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import fc from 'fast-check';
import type { DeadLetter } from '../../src/elasticsearch/sink/dead-letter.js';
import { ElasticsearchSink, type SinkOptions } from '../../src/elasticsearch/sink/index.js';
import { BACKING_INDICES_TTL_MS } from '../../src/elasticsearch/sink/presence-check.js';
import type { EcsDocument } from '../../src/model/document.js';
import { EsCluster, EsClusterServer, type Answer, type RecordedRequest, type RoleDescriptor } from '../helpers/es-cluster.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';
import { bulkBody } from '../helpers/sink-harness.js';

/**
 * The sink with the presence check (import) against the cluster-state stand-in (MOCKED
 * Elasticsearch, test/helpers/es-cluster.ts: backing indices, rollover, `_id` unique per backing
 * index, searches across backing indices, near-real-time search, privileges): what was stored
 * before a rollover is not stored again, and every document ends up stored exactly once. Each
 * "run" is a new sink, as each `dropship import` is a new process.
 */

const FIREWALL = 'logs-dropship.firewall-home';
const AUTH = 'logs-dropship.auth-home';
/** The stand-in's clock: backing indices are created on 2027-01-01, after every test document (2026-11). */
const CREATED = Date.UTC(2027, 0, 1);

/** Documents n in [from, from + count): every third an auth document, the others firewall. */
function docs(from: number, count: number): EcsDocument[] {
  return Array.from({ length: count }, (_, i) => ((from + i) % 3 === 0 ? authDoc(from + i) : netfilterDoc(from + i)));
}

interface Logged { level: string; msg: string }

interface Run {
  sink: ElasticsearchSink<number>;
  logs: Logged[];
  dead: DeadLetter[];
  /** Pushes the documents as one processed batch and waits until everything is settled. */
  send(batch: EcsDocument[]): Promise<void>;
}

class Fixture {
  private readonly clients: Client[] = [];
  private token = 0;
  /** Added to the sink's clock: lets a test move past the backing-indices cache. */
  offsetMs = 0;

  private constructor(
    readonly cluster: EsCluster,
    readonly server: EsClusterServer,
  ) {}

  static async start(options: Partial<ConstructorParameters<typeof EsCluster>[0]> = {}): Promise<Fixture> {
    const cluster = new EsCluster({ version: '8.17.0', ...options });
    cluster.now = () => CREATED;
    return new Fixture(cluster, await EsClusterServer.start(cluster));
  }

  run(options: Partial<SinkOptions<number>> = {}, auth?: { username: string; password: string }): Run {
    const client = new Client({ node: this.server.url, resurrectStrategy: 'none', ...(auth ? { auth } : {}) });
    this.clients.push(client);
    const logs: Logged[] = [];
    const dead: DeadLetter[] = [];
    const log = (level: string) => (_obj: object, msg?: string) => logs.push({ level, msg: msg ?? '' });
    const sink = new ElasticsearchSink<number>({
      client,
      deadLetter: { write: async (records) => void dead.push(...records) },
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      backoffInitialMs: 5, backoffMaxMs: 40, itemRetryMs: 5, flushIntervalMs: 5, initialConcurrency: 3,
      clock: { now: () => Date.now() + this.offsetMs, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      presenceCheck: true,
      ...options,
    });
    return {
      sink, logs, dead,
      send: async (batch) => {
        sink.pushBatch(bulkBody(batch, 'home'), batch.length, this.token++);
        await sink.flush();
      },
    };
  }

  /** Per id, how many times it is stored (across every backing index of dropship's data streams). */
  copies(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { id } of this.cluster.documents('logs-dropship.*-*')) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }

  searches(): RecordedRequest[] {
    return this.cluster.recorded.filter((r) => r.path.endsWith('/_search'));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await this.server.close();
  }
}

/** Every id of `expected` stored exactly once, and nothing else. */
function assertExactlyOnce(f: Fixture, expected: EcsDocument[]): void {
  const copies = f.copies();
  const ids = new Set(bulkIds(expected));
  const wrong = [...copies].filter(([id, n]) => n !== 1 || !ids.has(id));
  assert.deepEqual(wrong, [], 'ids stored more than once, or not expected');
  assert.equal(copies.size, ids.size, 'every expected id stored');
}

function bulkIds(batch: EcsDocument[]): string[] {
  return bulkBody(batch, 'home').toString('utf8').split('\n').filter((_, i) => i % 2 === 0).filter(Boolean).map((l) => (JSON.parse(l) as { create: { _id: string } }).create._id);
}

describe('the sink\'s presence check against the cluster stand-in', () => {
  const fixtures: Fixture[] = [];
  const fixture = async (options?: Partial<ConstructorParameters<typeof EsCluster>[0]>) => {
    const f = await Fixture.start(options);
    fixtures.push(f);
    return f;
  };
  after(async () => {
    for (const f of fixtures) await f.dispose();
  });

  it('import, rollover, import again: nothing is added, the documents are found and not sent', async () => {
    const f = await fixture();
    const first = f.run();
    await first.send(docs(0, 300));
    assert.equal(first.sink.stats().indexed, 300);
    assert.equal(first.sink.stats().presenceSearches, 0, 'no data stream yet: nothing to ask');
    f.cluster.rollover(FIREWALL);
    f.cluster.rollover(AUTH);

    const second = f.run();
    await second.send(docs(0, 300));
    const s = second.sink.stats();
    assert.deepEqual({ indexed: s.indexed, duplicates: s.duplicates, presenceFound: s.presenceFound, requests: s.requests }, { indexed: 0, duplicates: 300, presenceFound: 300, requests: 0 });
    assert.equal(s.presenceSearches, 2, 'one search per data stream and request');
    assertExactlyOnce(f, docs(0, 300));

    // The same without the check: the rollover's new id space takes every document again.
    const unchecked = f.run({ presenceCheck: false });
    await unchecked.send(docs(0, 30));
    assert.equal(unchecked.sink.stats().indexed, 30, 'the limit the check removes (elastic/elasticsearch#44794)');
  });

  it('a request spanning the rollover: found in the old backing index, 409 in the write index, the rest stored', async () => {
    const f = await fixture();
    await f.run().send(docs(0, 100));
    f.cluster.rollover(FIREWALL);
    // Firewall documents 50..99 are in the old backing index; 100..149 go to the new write index.
    const middle = f.run();
    await middle.send(docs(50, 100));
    const m = middle.sink.stats();
    const oldFirewall = docs(50, 50).filter((d) => d.event.dataset !== 'dropship.auth').length;
    assert.equal(m.presenceFound, oldFirewall, 'found in the old backing index');
    // Auth has one backing index: not asked; its replays are 409s.
    assert.equal(m.duplicates - m.presenceFound, 50 - oldFirewall);
    assert.equal(f.searches().filter((r) => r.path.startsWith(`/${AUTH}/`)).length, 0);

    const last = f.run();
    await last.send(docs(0, 200));
    const l = last.sink.stats();
    assert.equal(l.indexed, 50);
    assert.equal(l.duplicates, 150);
    assertExactlyOnce(f, docs(0, 200));
  });

  it('what a search cannot see yet (near-real-time) is in the write index, where create answers 409', async () => {
    const f = await fixture({ nearRealTime: true });
    await f.run().send([netfilterDoc(1000)]); // creates the data stream
    f.cluster.rollover(FIREWALL);
    const first = f.run();
    await first.send(docs(1, 60).filter((d) => d.event.dataset !== 'dropship.auth'));
    const again = f.run();
    await again.send(docs(1, 60).filter((d) => d.event.dataset !== 'dropship.auth'));
    const s = again.sink.stats();
    assert.ok(s.presenceSearches > 0, 'asked');
    assert.equal(s.presenceFound, 0, 'nothing refreshed yet');
    assert.equal(s.indexed, 0);
    assertExactlyOnce(f, [netfilterDoc(1000), ...docs(1, 60).filter((d) => d.event.dataset !== 'dropship.auth')]);
  });

  it('a rollover during a run is seen once the backing indices are read again', async () => {
    const f = await fixture();
    const run = f.run();
    await run.send(docs(0, 90));
    f.cluster.rollover(FIREWALL);
    f.offsetMs += BACKING_INDICES_TTL_MS;
    await run.send(docs(0, 90));
    assert.equal(run.sink.stats().indexed, 90);
    assert.equal(run.sink.stats().presenceFound, docs(0, 90).filter((d) => d.event.dataset !== 'dropship.auth').length);
    assertExactlyOnce(f, docs(0, 90));
  });

  it('only where a rollover can matter: one backing index, or documents newer than the write index, send no search', async () => {
    const f = await fixture();
    // Backing indices created before the documents were logged (plus the margin).
    f.cluster.now = () => Date.UTC(2026, 0, 1);
    const run = f.run();
    await run.send(docs(0, 60));
    await run.send(docs(0, 60));
    assert.equal(run.sink.stats().presenceSearches, 0);
    assert.equal(run.sink.stats().duplicates, 60, '409s from the write index');
    f.cluster.rollover(FIREWALL);
    const later = f.run();
    await later.send(docs(60, 60));
    assert.equal(later.sink.stats().presenceSearches, 0);
    assert.equal(later.sink.stats().indexed, 60);
  });

  it('documents stamped more than a day in the future are checked whatever the write index\'s age', async () => {
    const f = await fixture();
    f.cluster.now = () => Date.UTC(2026, 0, 1);
    // The importer's clock says 1 October 2026: the documents (November 2026) are from the future.
    f.offsetMs = Date.UTC(2026, 9, 1) - Date.now();
    await f.run().send(docs(0, 60));
    f.cluster.rollover(FIREWALL);
    const again = f.run();
    await again.send(docs(0, 60));
    assert.ok(again.sink.stats().presenceSearches > 0);
    assert.equal(again.sink.stats().indexed, 0);
    assertExactlyOnce(f, docs(0, 60));
  });

  it('ids stored twice before (in two backing indices) do not crowd others out of the answer', async () => {
    const f = await fixture();
    const fw = (from: number, count: number) => docs(from, count * 2).filter((d) => d.event.dataset !== 'dropship.auth').slice(0, count);
    const all = fw(0, 20);
    const unchecked = f.run({ presenceCheck: false });
    await unchecked.send(all.slice(0, 10));
    f.cluster.rollover(FIREWALL);
    await unchecked.send(all.slice(0, 15)); // 0..9 a second time, 10..14 once
    f.cluster.rollover(FIREWALL);
    const run = f.run();
    await run.send(all);
    // 25 hits for 20 ids: a full first page, then the ids not seen yet are asked again.
    assert.equal(run.sink.stats().presenceSearches, 2);
    assert.equal(run.sink.stats().presenceFound, 15);
    const copies = f.copies();
    for (const id of bulkIds(all.slice(10))) assert.equal(copies.get(id), 1, id);
  });

  it('a 503 (settings and search), a 429 and an answer missing a shard are retried with backoff; nothing is sent unchecked', async () => {
    const f = await fixture();
    await f.run().send(docs(0, 120));
    f.cluster.rollover(FIREWALL);
    const sequence: string[] = [];
    const faults: Answer[] = [
      { status: 503, body: { error: { type: 'search_phase_execution_exception', reason: 'all shards failed' }, status: 503 } },
      { status: 429, body: { error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of TimedRunnable' }, status: 429 } },
      { status: 200, body: { _shards: { failed: 1 }, timed_out: false } },
    ];
    let settingsRefused = false;
    f.cluster.intercept = (r) => {
      const kind = r.path.endsWith('/_search') ? 'search' : r.path.endsWith('/_bulk') ? 'bulk' : 'other';
      sequence.push(kind);
      if (kind === 'other' && r.path.includes('/_settings/') && !settingsRefused) {
        settingsRefused = true;
        return { status: 503, body: { error: { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];' }, status: 503 } };
      }
      return kind === 'search' ? faults.shift() : undefined;
    };
    const run = f.run();
    await run.send(docs(0, 150));
    const s = run.sink.stats();
    assert.equal(s.presenceFailures, 4);
    assert.equal(sequence.slice(0, sequence.indexOf('bulk')).filter((k) => k === 'search').length, 4, 'three failures, then the answer (auth has one backing index: not asked), then _bulk');
    assert.equal(s.indexed, 30);
    assert.equal(run.logs.filter((l) => l.msg.startsWith('presence check failed, retrying with backoff')).length, 4);
    assertExactlyOnce(f, docs(0, 150));
  });

  it('a 401 on the search pauses delivery as a 401 on _bulk does; it resumes when the credentials work', async () => {
    const f = await fixture();
    await f.run().send(docs(0, 30));
    f.cluster.rollover(FIREWALL);
    let refusals = 4;
    f.cluster.intercept = (r) =>
      r.path.endsWith('/_search') && refusals-- > 0 ? { status: 401, body: { error: { type: 'security_exception', reason: 'unable to authenticate' }, status: 401 } } : undefined;
    const run = f.run();
    await run.send(docs(0, 60));
    assert.equal(run.sink.stats().pauses, 1);
    assert.equal(run.logs.filter((l) => l.msg.startsWith('delivery PAUSED')).length, 1);
    assert.equal(run.dead.length, 0);
    assertExactlyOnce(f, docs(0, 60));
  });

  describe('with security on', () => {
    const roles = (...privileges: string[]): RoleDescriptor[] => [{ indices: [{ names: ['logs-dropship.*-*'], privileges }] }];
    const users = {
      elastic: { password: 'pw-elastic', roles: 'superuser' as const },
      shipper: { password: 'pw-shipper', roles: roles('create_doc', 'auto_configure') },
      noread: { password: 'pw-noread', roles: roles('create_doc', 'auto_configure', 'view_index_metadata') },
      nometa: { password: 'pw-nometa', roles: roles('create_doc', 'auto_configure', 'read') },
    };
    const as = (user: keyof typeof users) => ({ username: user, password: users[user].password });

    it('without read: one warning naming the privilege and the consequence, and every document is delivered', async () => {
      for (const user of ['noread', 'shipper'] as const) {
        const f = await fixture({ security: true, users });
        await f.run({}, as('elastic')).send(docs(0, 60));
        f.cluster.rollover(FIREWALL);
        const run = f.run({}, as(user));
        await run.send(docs(0, 30));
        await run.send(docs(30, 30));
        await run.send(docs(60, 30));
        const warnings = run.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('presence check OFF'));
        assert.equal(warnings.length, 1, user);
        assert.match(warnings[0]!.msg, /lack the index privilege read on logs-dropship\.\*-\*.*indexed again \(duplicates\)/);
        assert.equal(run.dead.length, 0);
        assert.equal(run.sink.stats().pauses, 0);
        assert.equal(f.searches().filter((r) => r.principal === user).length, 1, 'asked once, then not again');
        // Delivered: every line is stored; those from before the rollover a second time (the consequence warned of).
        const copies = f.copies();
        for (const id of bulkIds(docs(0, 90))) assert.ok((copies.get(id) ?? 0) >= 1);
      }
    });

    it('with read but without view_index_metadata: every request is checked, said once', async () => {
      const f = await fixture({ security: true, users });
      await f.run({}, as('elastic')).send(docs(0, 60));
      f.cluster.rollover(FIREWALL);
      const run = f.run({}, as('nometa'));
      await run.send(docs(0, 60));
      await run.send(docs(60, 30));
      assert.equal(run.logs.filter((l) => l.level === 'info' && /view_index_metadata/.test(l.msg)).length, 1);
      assert.equal(run.logs.filter((l) => l.level === 'warn').length, 0);
      assertExactlyOnce(f, docs(0, 90));
    });
  });

  it('model: any sequence of imports and rollovers stores every line exactly once', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('import' as const), from: fc.integer({ min: 0, max: 80 }), count: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('rollover' as const), stream: fc.constantFrom(FIREWALL, AUTH) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const f = await Fixture.start();
        try {
          const written: EcsDocument[] = [];
          for (const s of steps) {
            if (s.kind === 'rollover') {
              if (f.cluster.dataStreams.has(s.stream)) f.cluster.rollover(s.stream);
              continue;
            }
            await f.run().send(docs(s.from, s.count));
            written.push(...docs(s.from, s.count));
          }
          const unique = [...new Map(written.map((d) => [bulkIds([d])[0], d])).values()];
          assertExactlyOnce(f, unique);
        } finally {
          await f.dispose();
        }
      }),
      { numRuns: 12 },
    );
  });
});
