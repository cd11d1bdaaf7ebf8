/**
 * The two dashboards. Each panel answers one question from the product brief / seed posts;
 * docs/dashboards.md describes them for users, docs/kibana.md what each relies on.
 *
 * Rules every panel follows (test/unit/kibana-panels.test.ts checks them):
 * - a column that only labels a row (service of a port, country of an address) is a last-value
 *   metric, never a nested terms bucket, which would drop the row where the label is missing;
 * - firewall panels count attempts with ATTEMPTS_QUERY and nothing else;
 * - hour and weekday axes sort 00 … 23 and Mon … Sun on every supported Kibana.
 */
import { ROUTER_TIME_LABEL } from '../../src/kibana/time-zone-label.js';
import { dashboard, type Panel } from './dashboard.js';
import { ATTEMPTS_QUERY, DATA_VIEW_ALL, DATA_VIEW_AUTH, LOGINS_QUERY, NOT_COUNTED_QUERY } from './data-views.js';
import {
  choropleth, count, datatable, dateExtreme, dateHistogram, heatmap, lastValue, layer, lens, metric,
  ratioFormula, terms, uniqueCount, xy, type Layer, type Visualization,
} from './lens.js';
import type { SavedObject } from './saved-object.js';

export const FIREWALL_DASHBOARD = 'dropship-firewall-overview';
export const SSH_DASHBOARD = 'dropship-ssh-logins';

type Box = { x: number; y: number; w: number; h: number };

function panelFor(dataViewId: string, query: string) {
  return (id: string, box: Box, title: string, l: Layer, vis: (l: Layer) => Visualization, description?: string, panelQuery = query): Panel => ({
    id, ...box,
    lens: lens({ title, dataViewId, layer: l, vis: vis(l), query: panelQuery, ...(description === undefined ? {} : { description }) }),
  });
}

const ATTEMPTS = 'Attempts';

/**
 * More buckets than there are countries (ISO 3166-1 has 249 codes): every shard returns every
 * country it has, so each count is exact, whatever the order the table shows them in.
 */
const ALL_COUNTRIES = 300;

const hourAxis = () => terms('hour', 'dropship.local.hour_label', { size: 24, orderBy: 'term', direction: 'asc', label: `Hour (${ROUTER_TIME_LABEL})` });
const weekdayAxis = () => terms('weekday', 'dropship.local.weekday', { size: 7, orderBy: 'term', direction: 'asc', label: `Weekday (${ROUTER_TIME_LABEL})` });

function firewallPanels(): Panel[] {
  const p = panelFor(DATA_VIEW_ALL, ATTEMPTS_QUERY);
  return [
    p('fw-attempts', { x: 0, y: 0, w: 16, h: 6 }, 'Attempts', layer('l', [count('n', { label: ATTEMPTS })]), (l) => metric(l, 'n'),
      'Firewall log lines dropship read; lines it could not read are counted in "Lines not counted as attempts".'),
    p('fw-sources', { x: 16, y: 0, w: 16, h: 6 }, 'Distinct source addresses',
      layer('l', [uniqueCount('n', 'source.ip', 'Distinct sources')]), (l) => metric(l, 'n')),
    p('fw-blocked', { x: 32, y: 0, w: 16, h: 6 }, 'Blocked share',
      layer('l', [ratioFormula('share', 'Blocked share', { filter: 'event.type : "denied"' }, { id: 'percent', decimals: 1 })]),
      (l) => metric(l, 'share'), 'Share of logged packets the router dropped, rejected or blocked.'),

    p('fw-map', { x: 0, y: 6, w: 28, h: 16 }, 'Attempts by source country',
      layer('l', [
        terms('country', 'source.geo.country_iso_code', { size: ALL_COUNTRIES, orderBy: { column: 'n' } }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => choropleth(l, { region: 'country', value: 'n' }),
      'Country shapes come from Elastic Maps Service through your browser; offline, see "Top source countries".'),
    p('fw-top-countries', { x: 28, y: 6, w: 20, h: 16 }, 'Top source countries',
      layer('l', [
        terms('country', 'source.geo.country_name', { size: 25, orderBy: { column: 'n' }, label: 'Country' }),
        count('n', { label: ATTEMPTS }),
        uniqueCount('sources', 'source.ip', 'Addresses'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' }, 10)),

    p('fw-top-ports', { x: 0, y: 22, w: 28, h: 16 }, 'Top targeted ports',
      layer('l', [
        terms('port', 'destination.port', { size: 15, orderBy: { column: 'n' }, label: 'Port' }),
        terms('transport', 'network.transport', { size: 3, orderBy: { column: 'n' }, label: 'Transport', missingBucket: true }),
        lastValue('service', 'dropship.service.name', 'Service'),
        lastValue('note', 'dropship.service.note', 'Note'),
        count('n', { label: ATTEMPTS }),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' }),
      'IANA service name, and a note for ports attacked because of a known device flaw.'),
    p('fw-scanners', { x: 28, y: 22, w: 20, h: 16 }, 'Known scanners',
      layer('l', [
        terms('name', 'dropship.scanner.name', { size: 20, orderBy: { column: 'n' }, label: 'Scanner' }),
        lastValue('operator', 'dropship.scanner.operator', 'Operator'),
        count('n', { label: ATTEMPTS }),
        uniqueCount('sources', 'source.ip', 'Addresses'),
        dateExtreme('last', 'max', '@timestamp', 'Last seen'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' }),
      'Research and commercial scanners recognised by address, e.g. NICT NOTICE, and your own list.'),

    p('fw-hour-weekday', { x: 0, y: 38, w: 30, h: 13 }, `Time of day × weekday (${ROUTER_TIME_LABEL})`,
      layer('l', [hourAxis(), weekdayAxis(), count('n', { label: ATTEMPTS })]),
      (l) => heatmap(l, { x: 'hour', y: 'weekday', value: 'n' })),
    p('fw-hour', { x: 30, y: 38, w: 18, h: 13 }, `Attempts by hour of day (${ROUTER_TIME_LABEL})`,
      layer('l', [hourAxis(), count('n', { label: ATTEMPTS })]),
      (l) => xy(l, { seriesType: 'bar', x: 'hour', y: ['n'] })),

    p('fw-time-ports', { x: 0, y: 51, w: 24, h: 13 }, 'Attempts over time by port',
      layer('l', [
        dateHistogram('t'),
        terms('port', 'destination.port', { size: 8, orderBy: { column: 'n' }, label: 'Port' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => xy(l, { seriesType: 'bar_stacked', x: 't', y: ['n'], split: 'port' })),
    p('fw-time-countries', { x: 24, y: 51, w: 24, h: 13 }, 'Attempts over time by country',
      layer('l', [
        dateHistogram('t'),
        terms('country', 'source.geo.country_name', { size: 8, orderBy: { column: 'n' }, label: 'Country' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => xy(l, { seriesType: 'bar_stacked', x: 't', y: ['n'], split: 'country' })),

    p('fw-top-sources', { x: 0, y: 64, w: 28, h: 16 }, 'Top source addresses',
      layer('l', [
        terms('ip', 'source.ip', { size: 20, orderBy: { column: 'n' }, label: 'Source' }),
        lastValue('country', 'source.geo.country_name', 'Country'),
        lastValue('asn', 'source.as.number', 'ASN'),
        lastValue('org', 'source.as.organization.name', 'Network'),
        count('n', { label: ATTEMPTS }),
        uniqueCount('ports', 'destination.port', 'Distinct ports'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' })),
    p('fw-top-networks', { x: 28, y: 64, w: 20, h: 16 }, 'Top source networks (ASN)',
      layer('l', [
        terms('asn', 'source.as.number', { size: 15, orderBy: { column: 'n' }, label: 'ASN' }),
        lastValue('org', 'source.as.organization.name', 'Network'),
        count('n', { label: ATTEMPTS }),
        uniqueCount('sources', 'source.ip', 'Addresses'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' }),
      'Needs an ASN database (dropship --geoip, or the Elasticsearch geoip pipeline).'),

    // Descending is the order Elasticsearch counts exactly; the table shows it ascending.
    p('fw-rare-countries', { x: 0, y: 80, w: 24, h: 14 }, 'Rare countries',
      layer('l', [
        terms('country', 'source.geo.country_name', { size: ALL_COUNTRIES, orderBy: { column: 'n' }, direction: 'desc', label: 'Country' }),
        count('n', { label: ATTEMPTS }),
        dateExtreme('first', 'min', '@timestamp', 'First seen'),
        uniqueCount('sources', 'source.ip', 'Addresses'),
      ]), (l) => datatable(l, { column: 'n', direction: 'asc' }, 10),
      'Countries with the fewest attempts in the time range, with when each first appeared.'),
    p('fw-not-counted', { x: 24, y: 80, w: 24, h: 14 }, 'Lines not counted as attempts',
      layer('l', [
        terms('dataset', 'event.dataset', { size: 5, orderBy: { column: 'n' }, label: 'Dataset', missingBucket: true }),
        terms('kind', 'event.kind', { size: 3, orderBy: { column: 'n' }, label: 'Kind', missingBucket: true }),
        count('n', { label: 'Lines' }),
        dateExtreme('last', 'max', '@timestamp', 'Last seen'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' }),
      'Firewall lines dropship could not read (pipeline_error) and lines no format claims (dropship.syslog), kept with event.original.',
      NOT_COUNTED_QUERY),
  ];
}

function sshPanels(): Panel[] {
  const p = panelFor(DATA_VIEW_AUTH, LOGINS_QUERY);
  return [
    p('ssh-attempts', { x: 0, y: 0, w: 12, h: 6 }, 'Login attempts', layer('l', [count('n', { label: 'Attempts' })]), (l) => metric(l, 'n')),
    p('ssh-failed', { x: 12, y: 0, w: 12, h: 6 }, 'Failed logins',
      layer('l', [count('n', { label: 'Failed', filter: 'event.outcome : "failure"' })]), (l) => metric(l, 'n')),
    p('ssh-users', { x: 24, y: 0, w: 12, h: 6 }, 'Distinct usernames tried',
      layer('l', [uniqueCount('n', 'user.name', 'Usernames')]), (l) => metric(l, 'n')),
    p('ssh-sources', { x: 36, y: 0, w: 12, h: 6 }, 'Distinct source addresses',
      layer('l', [uniqueCount('n', 'source.ip', 'Sources')]), (l) => metric(l, 'n')),

    p('ssh-over-time', { x: 0, y: 6, w: 48, h: 12 }, 'Login attempts over time by outcome',
      layer('l', [
        dateHistogram('t'),
        terms('outcome', 'event.outcome', { size: 3, orderBy: { column: 'n' }, label: 'Outcome', missingBucket: true }),
        count('n', { label: 'Attempts' }),
      ]), (l) => xy(l, { seriesType: 'bar_stacked', x: 't', y: ['n'], split: 'outcome' })),

    p('ssh-usernames', { x: 0, y: 18, w: 20, h: 16 }, 'Usernames tried',
      layer('l', [
        terms('user', 'user.name', { size: 25, orderBy: { column: 'n' }, label: 'Username' }),
        count('n', { label: 'Attempts' }),
        uniqueCount('sources', 'source.ip', 'Sources'),
        dateExtreme('last', 'max', '@timestamp', 'Last tried'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' })),
    p('ssh-top-sources', { x: 20, y: 18, w: 28, h: 16 }, 'Top sources',
      layer('l', [
        terms('ip', 'source.ip', { size: 20, orderBy: { column: 'n' }, label: 'Source' }),
        lastValue('country', 'source.geo.country_name', 'Country'),
        lastValue('org', 'source.as.organization.name', 'Network'),
        count('n', { label: 'Attempts' }),
        uniqueCount('users', 'user.name', 'Usernames'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' })),
    p('ssh-users-over-time', { x: 0, y: 34, w: 48, h: 12 }, 'Top usernames over time',
      layer('l', [
        dateHistogram('t'),
        terms('user', 'user.name', { size: 6, orderBy: { column: 'n' }, label: 'Username' }),
        count('n', { label: 'Attempts' }),
      ]), (l) => xy(l, { seriesType: 'line', x: 't', y: ['n'], split: 'user' })),
  ];
}

export const dashboards = (): SavedObject[] => [
  dashboard({
    id: FIREWALL_DASHBOARD,
    title: 'dropship — Firewall overview',
    description: `Where blocked connection attempts come from, which ports they target, and when. Hours and weekdays are in ${ROUTER_TIME_LABEL}.`,
    panels: firewallPanels(),
  }),
  dashboard({
    id: SSH_DASHBOARD,
    title: 'dropship — SSH login attempts',
    description: 'SSH logins seen in auth logs: usernames tried, sources, and when.',
    panels: sshPanels(),
  }),
];
