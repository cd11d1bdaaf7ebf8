/**
 * The panels of the committed saved objects (kibana/dropship.ndjson) show the right rows: each
 * Lens layer is run over real dropship documents (the demo logs, parsed and enriched) with a
 * model of how Kibana tabifies a Lens query (test/helpers/lens-model.ts, written from Kibana's
 * source; docs/kibana.md lists what was read where), and the heatmap axes are sorted the way
 * Kibana 8.11 … 9.2 and 9.4+ sort them. No Kibana is involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NDJSON_PATH } from '../../kibana/src/build.js';
import { DEMO_DIR } from '../../scripts/make-demo-log.js';
import { createParser } from '../../src/parse/index.js';
import { createEnricher } from '../../src/enrich/index.js';
import { DEFAULT_USER_SCANNER_NAME } from '../../src/enrich/scanners.js';
import { timeZone } from '../../src/time/zone.js';
import { at } from '../helpers/doc.js';
import { kql, rows, type LensColumn, type LensLayer, type Row } from '../helpers/lens-model.js';

interface Panel {
  id: string; title: string; type: string; layer: LensLayer; query: string;
  visualization: Record<string, unknown>;
  /** The data view's index pattern, e.g. logs-dropship.*-* */
  indexPattern: string;
}
interface Raw { type: string; id: string; attributes: Record<string, unknown>; references: { name: string; type: string; id: string }[] }

const objects = readFileSync(NDJSON_PATH, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Raw);

function panelsOf(dashboardId: string): Panel[] {
  const d = objects.find((o) => o.type === 'dashboard' && o.id === dashboardId);
  assert.ok(d, dashboardId);
  return (JSON.parse(d.attributes.panelsJSON as string) as {
    panelIndex: string;
    embeddableConfig: { attributes: { title: string; visualizationType: string; state: {
      datasourceStates: { formBased: { layers: Record<string, LensLayer> } };
      query: { query: string }; visualization: Record<string, unknown>;
    } } };
  }[]).map((p) => {
    const a = p.embeddableConfig.attributes;
    const [layerId, layer] = Object.entries(a.state.datasourceStates.formBased.layers)[0]!;
    const ref = d.references.find((r) => r.name === `${p.panelIndex}:indexpattern-datasource-layer-${layerId}`);
    const view = objects.find((o) => o.type === 'index-pattern' && o.id === ref?.id);
    assert.ok(view, `${p.panelIndex}: data view`);
    return {
      id: p.panelIndex, title: a.title, type: a.visualizationType, query: a.state.query.query,
      layer, visualization: a.state.visualization, indexPattern: view.attributes.title as string,
    };
  });
}

/** Documents of the data streams a data view's pattern matches (`logs-<dataset>-default`). */
function inView(pattern: string, set: unknown[]): unknown[] {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return set.filter((d) => re.test(`logs-${String(at(d, 'event.dataset'))}-default`));
}

const firewall = panelsOf('dropship-firewall-overview');
const ssh = panelsOf('dropship-ssh-logins');
const all = [...firewall, ...ssh];
const panel = (id: string): Panel => {
  const p = all.find((x) => x.id === id);
  assert.ok(p, `panel ${id}`);
  return p;
};
const columns = (p: Panel): [string, LensColumn][] => p.layer.columnOrder.map((id) => [id, p.layer.columns[id]!]);
const columnOn = (p: Panel, field: string): string | undefined => columns(p).find(([, c]) => c.sourceField === field)?.[0];

// ---- documents ------------------------------------------------------------------------------

const zone = timeZone('Asia/Tokyo');
const parse = createParser({ zone, now: () => Date.parse('2026-12-01T00:00:00Z') });
const enricher = await createEnricher({ geoip: undefined, timezone: zone });
const demo = readFileSync(`${DEMO_DIR}router.log`, 'utf8').trimEnd().split('\n').map((line) => {
  const d = parse(line);
  enricher.enrich(d);
  return d;
});

/** What the data view's runtime field `dropship.local.hour_label` emits (its Painless script, in JS). */
function withRuntimeFields(doc: object): object {
  const hour = at(doc, 'dropship.local.hour');
  if (typeof hour !== 'number') return doc;
  const d = structuredClone(doc) as { dropship: { local: Record<string, unknown> } };
  d.dropship.local.hour_label = String(hour).padStart(2, '0');
  return d;
}

// Documents of every kind the data view covers besides firewall events (shapes as the formats
// work decides them: docs/kibana.md "What counts as an attempt").
const stamp = '2026-11-02T03:04:05.000Z';
const unreadable = Array.from({ length: 7 }, (_, i) => ({
  '@timestamp': stamp, event: { kind: 'pipeline_error', dataset: 'dropship.firewall', original: `garbled ${i}` },
  tags: ['_dropship_parse_failure'], error: { message: 'no format could read it' },
}));
const unclaimed = Array.from({ length: 5 }, (_, i) => ({
  '@timestamp': stamp, event: { kind: 'event', dataset: 'dropship.syslog', original: `dnsmasq[1]: query ${i}` },
}));
const logins = Array.from({ length: 9 }, (_, i) => ({
  '@timestamp': stamp,
  event: { kind: 'event', dataset: 'dropship.auth', category: ['authentication'], action: 'ssh_login', outcome: i === 0 ? 'success' : 'failure' },
  user: { name: i % 2 ? 'root' : 'admin' }, source: { ip: `203.0.113.${i + 1}` },
}));
// The end of an attempt already counted ("maximum authentication attempts", a disconnect before
// login): authentication events too, but not another attempt.
const attemptEnds = ['ssh_max_attempts', 'ssh_disconnect'].map((action, i) => ({
  '@timestamp': stamp,
  event: { kind: 'event', dataset: 'dropship.auth', category: ['authentication'], type: ['end'], action, outcome: 'failure' },
  user: { name: 'root' }, source: { ip: `203.0.113.${i + 1}` },
}));
// A user-listed scanner (`--scanner-list`) carries a name and no operator.
const listed = demo.slice(0, 4).map((d) => ({ ...structuredClone(d), dropship: { ...d.dropship, scanner: { name: DEFAULT_USER_SCANNER_NAME } } }));

const attempts = [...demo, ...listed].map(withRuntimeFields);
const docs = [...attempts, ...unreadable, ...unclaimed, ...logins, ...attemptEnds];
const isAttempt = (d: unknown): boolean => at(d, 'event.dataset') === 'dropship.firewall' && at(d, 'event.kind') === 'event';

const run = (p: Panel): Row[] => rows(p.layer, inView(p.indexPattern, docs), p.query);
const counted = (p: Panel): unknown[] => inView(p.indexPattern, docs).filter(kql(p.query));

// ---- label columns --------------------------------------------------------------------------

test('no label column can drop a row: no size-1 terms column, nested table buckets keep documents without the field', () => {
  for (const p of all) {
    const buckets = columns(p).filter(([, c]) => c.isBucketed);
    for (const [id, c] of buckets) {
      if (c.operationType === 'terms') assert.notEqual(c.params?.size, 1, `${p.id}.${id}: a size-1 terms column drops rows without ${c.sourceField}`);
    }
    if (p.type !== 'lnsDatatable') continue;
    for (const [id, c] of buckets.slice(1)) {
      assert.equal(c.params?.missingBucket, true, `${p.id}.${id}: a nested bucket on ${c.sourceField} drops rows where it is missing`);
    }
  }
});

test('top targeted ports: ports without an IANA name are listed, with the service note', () => {
  const p = panel('fw-top-ports');
  const port = columnOn(p, 'destination.port')!;
  const transport = columnOn(p, 'network.transport')!;
  const note = columnOn(p, 'dropship.service.note');
  assert.ok(note, 'a column shows dropship.service.note');
  const got = run(p);
  const find = (n: number, t: string): Row | undefined => got.find((r) => r[port] === n && r[transport] === t);
  // The seed posts' device-flaw ports; 53413/udp has no IANA name at all.
  for (const [n, t] of [[53413, 'udp'], [37215, 'tcp'], [52869, 'tcp']] as const) {
    const demoCount = attempts.filter((d) => at(d, 'destination.port') === n).length;
    assert.ok(demoCount > 0, `the demo targets ${n}`);
    const row = find(n, t);
    assert.ok(row, `${n}/${t} is in "${p.title}"`);
    assert.equal(typeof row[note], 'string', `${n}/${t} shows its note`);
  }
  assert.equal(find(53413, 'udp')![note], 'Netis/Netcore router backdoor');
});

test('top source addresses: listed without an ASN database (the demo has countries, no AS data)', () => {
  assert.ok(attempts.every((d) => at(d, 'source.as.number') === undefined), 'demo documents carry no ASN');
  const got = run(panel('fw-top-sources'));
  assert.equal(got.length, 20);
});

test('known scanners: a user-listed scanner (name only) is listed beside NICT', () => {
  const p = panel('fw-scanners');
  const name = columnOn(p, 'dropship.scanner.name')!;
  const names = run(p).map((r) => r[name]);
  assert.ok(names.includes(DEFAULT_USER_SCANNER_NAME), `${names.join(', ')}`);
  assert.ok(names.some((n) => typeof n === 'string' && /NICT/.test(n)), `${names.join(', ')}`);
});

// ---- countries ------------------------------------------------------------------------------

test('a panel besides the map ranks the source countries, most attempts first', () => {
  const ranked = firewall.filter((p) => p.type !== 'lnsChoropleth' && p.type !== 'lnsHeatmap').filter((p) => {
    const [first] = columns(p).filter(([, c]) => c.isBucketed);
    return first !== undefined && /^source\.geo\.country_(name|iso_code)$/.test(first[1].sourceField ?? '')
      && first[1].params?.orderBy?.type === 'column' && first[1].params.orderDirection === 'desc';
  });
  assert.ok(ranked.length > 0, 'no ranked country panel');
  const p = ranked[0]!;
  const country = columnOn(p, 'source.geo.country_name') ?? columnOn(p, 'source.geo.country_iso_code')!;
  const counts = new Map<unknown, number>();
  for (const d of attempts) counts.set(at(d, p.layer.columns[country]!.sourceField!), (counts.get(at(d, p.layer.columns[country]!.sourceField!)) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  assert.equal(run(p)[0]![country], top);
});

test('rare countries: every country counted (descending fetch), shown fewest first', () => {
  const p = panel('fw-rare-countries');
  const [id, c] = columns(p).find(([, col]) => col.isBucketed)!;
  assert.equal(c.params?.orderDirection, 'desc', 'ascending terms order has unbounded count error');
  assert.ok((c.params?.size ?? 0) >= 249, 'fewer buckets than countries: the rarest could be cut off');
  const sorting = p.visualization.sorting as { columnId: string; direction: string } | undefined;
  assert.ok(sorting && sorting.direction === 'asc' && !p.layer.columns[sorting.columnId]!.isBucketed, 'the table sorts by a count, ascending');
  const shown = run(p).sort((a, b) => Number(a[sorting.columnId]) - Number(b[sorting.columnId]));
  const countries = new Set(attempts.map((d) => at(d, 'source.geo.country_name')).filter((x) => x !== undefined));
  assert.equal(shown.length, countries.size, 'every country of the range is in the table');
  const fewest = Math.min(...[...countries].map((k) => attempts.filter((d) => at(d, 'source.geo.country_name') === k).length));
  assert.equal(shown[0]![sorting.columnId], fewest);
  assert.ok(shown[0]![id] !== undefined);
});

// ---- what counts ----------------------------------------------------------------------------

test('no firewall panel counts parse failures, unclaimed lines or logins; "Attempts" is the firewall events', () => {
  const expected = docs.filter(isAttempt).length;
  const n = run(panel('fw-attempts'))[0]!;
  assert.equal(n[Object.keys(n)[0]!], expected);
  for (const p of firewall.filter((x) => x.id !== 'fw-not-counted')) {
    assert.ok(counted(p).every(isAttempt), `${p.id} ("${p.title}") counts documents that are not attempts`);
  }
  const others = run(panel('fw-not-counted'));
  const lines = others.reduce((s, r) => s + Number(r[columns(panel('fw-not-counted')).find(([, c]) => c.operationType === 'count')![0]]), 0);
  assert.equal(lines, unreadable.length + unclaimed.length);
});

test('SSH panels count login attempts of the auth data view only, not the end of an attempt', () => {
  for (const p of ssh) assert.ok(counted(p).every((d) => at(d, 'event.dataset') === 'dropship.auth'), p.id);
  const n = run(panel('ssh-attempts'))[0]!;
  assert.equal(n[Object.keys(n)[0]!], logins.length);
});

test('the all-datasets data view covers every dropship data stream', () => {
  const titles = objects.filter((o) => o.type === 'index-pattern').map((o) => o.attributes.title);
  assert.ok(titles.includes('logs-dropship.*-*'), titles.join(', '));
});

// ---- heatmap axes ---------------------------------------------------------------------------

type SortPredicate = 'alphaAsc' | 'alphaDesc' | 'numAsc' | 'numDesc' | 'dataIndex';

/** 8.11 … 9.2: the predicate follows the terms column (expression_heatmap helpers.ts getSortPredicate). */
function predicateUpTo92(c: LensColumn): SortPredicate {
  if (c.operationType !== 'terms') return 'dataIndex';
  const byKey = c.params?.orderBy?.type !== 'column';
  const asc = c.params?.orderDirection === 'asc';
  if (byKey) return asc ? 'alphaAsc' : 'alphaDesc';
  return asc ? 'numAsc' : 'numDesc';
}

/** 9.4+: the grid's x/ySortPredicate, else data order (same helpers.ts, newer version). */
function predicateFrom94(c: LensColumn, predicate: unknown): SortPredicate {
  if (predicate !== 'asc' && predicate !== 'desc') return 'dataIndex';
  const numeric = (c as { dataType?: string }).dataType === 'number';
  return numeric ? (predicate === 'asc' ? 'numAsc' : 'numDesc') : (predicate === 'asc' ? 'alphaAsc' : 'alphaDesc');
}

/** elastic-charts getPredicateFn (packages/charts/src/common/predicate.ts): text compares with localeCompare. */
function sortAxis(values: (Row[string] | undefined)[], predicate: SortPredicate): (Row[string] | undefined)[] {
  const distinct = [...new Set(values)];
  switch (predicate) {
    case 'alphaAsc': return distinct.sort((a, b) => String(a).localeCompare(String(b)));
    case 'alphaDesc': return distinct.sort((a, b) => String(b).localeCompare(String(a)));
    case 'numAsc': return distinct.sort((a, b) => Number(a) - Number(b));
    case 'numDesc': return distinct.sort((a, b) => Number(b) - Number(a));
    case 'dataIndex': return distinct;
  }
}

const heatmaps = firewall.filter((p) => p.type === 'lnsHeatmap');

test('hour × weekday heatmap: hours 00 … 23 and weekdays Mon … Sun on Kibana 8.11 … 9.2 and 9.4+', () => {
  assert.ok(heatmaps.length > 0);
  // A sparse week: hour 00 sees only Wednesday, hour 01 only Monday, so data order alone would
  // put Wednesday first on the weekday axis.
  const base = attempts[0] as { '@timestamp': string };
  const sparse = [[0, 3], [1, 1], [10, 7], [2, 5], [23, 2]].map(([hour, weekday]) => withRuntimeFields({
    ...structuredClone(base), dropship: { local: { hour, weekday } },
  }));
  for (const p of heatmaps) {
    const v = p.visualization as { xAccessor: string; yAccessor: string; gridConfig: { xSortPredicate?: string; ySortPredicate?: string } };
    const x = p.layer.columns[v.xAccessor]!;
    const y = p.layer.columns[v.yAccessor]!;
    for (const set of [inView(p.indexPattern, docs), sparse]) {
      const got = rows(p.layer, set, p.query);
      const xs = got.map((r) => r[v.xAccessor]);
      const ys = got.map((r) => r[v.yAccessor]);
      for (const [name, xp, yp] of [
        ['8.11 … 9.2', predicateUpTo92(x), predicateUpTo92(y)],
        ['9.4+', predicateFrom94(x, v.gridConfig.xSortPredicate), predicateFrom94(y, v.gridConfig.ySortPredicate)],
      ] as const) {
        const hours = sortAxis(xs, xp);
        assert.deepEqual(hours.map(Number), [...new Set(xs.map(Number))].sort((a, b) => a - b), `${p.id} hours on ${name}: ${hours.join(',')}`);
        for (const h of hours) assert.match(String(h), /^\d\d$/, `${p.id}: hour label "${h}" on ${name}`);
        const days = sortAxis(ys, yp);
        assert.deepEqual(days.map(Number), [...new Set(ys.map(Number))].sort((a, b) => a - b), `${p.id} weekdays on ${name}: ${days.join(',')}`);
      }
    }
  }
});

test('hour of day panels read 00 … 23 in order', () => {
  for (const p of firewall.filter((x) => /hour/i.test(x.title))) {
    const v = p.visualization as { xAccessor?: string; layers?: { xAccessor: string }[] };
    const xId = v.xAccessor ?? v.layers![0]!.xAccessor;
    const labels = run(p).map((r) => r[xId]);
    assert.deepEqual([...new Set(labels)], Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')), p.id);
  }
});

test('hour panels say which zone their hours are in', () => {
  for (const p of firewall.filter((x) => /hour|time of day/i.test(x.title))) assert.match(p.title, /router time/, p.id);
});
