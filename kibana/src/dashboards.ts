/**
 * The two dashboards. Each panel answers one question from the product brief / seed posts;
 * README.md ("The dashboards") describes them for users.
 */
import { dashboard, type Panel } from './dashboard.js';
import { DATA_VIEW_ALL, DATA_VIEW_AUTH, FIREWALL_ONLY } from './data-views.js';
import {
  choropleth, count, datatable, dateExtreme, dateHistogram, heatmap, layer, lens, metric,
  ratioFormula, terms, uniqueCount, xy, type Layer, type Visualization,
} from './lens.js';
import type { SavedObject } from './saved-object.js';

export const FIREWALL_DASHBOARD = 'dropship-firewall-overview';
export const SSH_DASHBOARD = 'dropship-ssh-logins';

type Box = { x: number; y: number; w: number; h: number };

function panelFor(dataViewId: string, query: string) {
  return (id: string, box: Box, title: string, l: Layer, vis: (l: Layer) => Visualization, description?: string): Panel => ({
    id, ...box,
    lens: lens({ title, dataViewId, layer: l, vis: vis(l), query, ...(description === undefined ? {} : { description }) }),
  });
}

const ATTEMPTS = 'Attempts';

function firewallPanels(): Panel[] {
  const p = panelFor(DATA_VIEW_ALL, FIREWALL_ONLY);
  return [
    p('fw-attempts', { x: 0, y: 0, w: 16, h: 6 }, 'Attempts', layer('l', [count('n', { label: ATTEMPTS })]), (l) => metric(l, 'n')),
    p('fw-sources', { x: 16, y: 0, w: 16, h: 6 }, 'Distinct source addresses',
      layer('l', [uniqueCount('n', 'source.ip', 'Distinct sources')]), (l) => metric(l, 'n')),
    p('fw-blocked', { x: 32, y: 0, w: 16, h: 6 }, 'Blocked share',
      layer('l', [ratioFormula('share', 'Blocked share', { filter: 'event.type : "denied"' }, { id: 'percent', decimals: 1 })]),
      (l) => metric(l, 'share'), 'Share of logged packets the router dropped, rejected or blocked.'),

    p('fw-map', { x: 0, y: 6, w: 30, h: 16 }, 'Attempts by source country',
      layer('l', [
        terms('country', 'source.geo.country_iso_code', { size: 250, orderBy: { column: 'n' } }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => choropleth(l, { region: 'country', value: 'n' })),
    p('fw-top-ports', { x: 30, y: 6, w: 18, h: 16 }, 'Top targeted ports',
      layer('l', [
        terms('port', 'destination.port', { size: 15, orderBy: { column: 'n' }, label: 'Port' }),
        terms('transport', 'network.transport', { size: 3, orderBy: { column: 'n' }, label: 'Transport' }),
        terms('service', 'dropship.service.name', { size: 1, orderBy: { column: 'n' }, label: 'Service' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' })),

    p('fw-hour-weekday', { x: 0, y: 22, w: 30, h: 13 }, 'Time of day × weekday (router time)',
      layer('l', [
        terms('hour', 'dropship.local.hour', { size: 24, orderBy: 'term', direction: 'asc', label: 'Hour' }),
        terms('weekday', 'dropship.local.weekday', { size: 7, orderBy: 'term', direction: 'asc', label: 'Weekday' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => heatmap(l, { x: 'hour', y: 'weekday', value: 'n' })),
    p('fw-hour', { x: 30, y: 22, w: 18, h: 13 }, 'Attempts by hour of day (router time)',
      layer('l', [
        terms('hour', 'dropship.local.hour', { size: 24, orderBy: 'term', direction: 'asc', label: 'Hour' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => xy(l, { seriesType: 'bar', x: 'hour', y: ['n'] })),

    p('fw-time-ports', { x: 0, y: 35, w: 24, h: 13 }, 'Attempts over time by port',
      layer('l', [
        dateHistogram('t'),
        terms('port', 'destination.port', { size: 8, orderBy: { column: 'n' }, label: 'Port' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => xy(l, { seriesType: 'bar_stacked', x: 't', y: ['n'], split: 'port' })),
    p('fw-time-countries', { x: 24, y: 35, w: 24, h: 13 }, 'Attempts over time by country',
      layer('l', [
        dateHistogram('t'),
        terms('country', 'source.geo.country_name', { size: 8, orderBy: { column: 'n' }, label: 'Country' }),
        count('n', { label: ATTEMPTS }),
      ]), (l) => xy(l, { seriesType: 'bar_stacked', x: 't', y: ['n'], split: 'country' })),

    p('fw-top-sources', { x: 0, y: 48, w: 28, h: 16 }, 'Top source addresses',
      layer('l', [
        terms('ip', 'source.ip', { size: 20, orderBy: { column: 'n' }, label: 'Source' }),
        terms('country', 'source.geo.country_name', { size: 1, orderBy: { column: 'n' }, label: 'Country' }),
        terms('asn', 'source.as.number', { size: 1, orderBy: { column: 'n' }, label: 'ASN' }),
        terms('org', 'source.as.organization.name', { size: 1, orderBy: { column: 'n' }, label: 'Network' }),
        count('n', { label: ATTEMPTS }),
        uniqueCount('ports', 'destination.port', 'Distinct ports'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' })),
    p('fw-scanners', { x: 28, y: 48, w: 20, h: 16 }, 'Known scanners',
      layer('l', [
        terms('name', 'dropship.scanner.name', { size: 20, orderBy: { column: 'n' }, label: 'Scanner' }),
        terms('operator', 'dropship.scanner.operator', { size: 1, orderBy: { column: 'n' }, label: 'Operator' }),
        count('n', { label: ATTEMPTS }),
        uniqueCount('sources', 'source.ip', 'Addresses'),
        dateExtreme('last', 'max', '@timestamp', 'Last seen'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' }),
      'Research and commercial scanners recognised by address, e.g. NICT NOTICE.'),

    p('fw-rare-countries', { x: 0, y: 64, w: 24, h: 14 }, 'Rare countries',
      layer('l', [
        terms('country', 'source.geo.country_name', { size: 15, orderBy: { column: 'n' }, direction: 'asc', label: 'Country' }),
        count('n', { label: ATTEMPTS }),
        dateExtreme('first', 'min', '@timestamp', 'First seen'),
        uniqueCount('sources', 'source.ip', 'Addresses'),
      ]), (l) => datatable(l, { column: 'n', direction: 'asc' }),
      'Countries with the fewest attempts in the time range, with when each first appeared.'),
    p('fw-top-networks', { x: 24, y: 64, w: 24, h: 14 }, 'Top source networks (ASN)',
      layer('l', [
        terms('org', 'source.as.organization.name', { size: 15, orderBy: { column: 'n' }, label: 'Network' }),
        terms('asn', 'source.as.number', { size: 1, orderBy: { column: 'n' }, label: 'ASN' }),
        count('n', { label: ATTEMPTS }),
        uniqueCount('sources', 'source.ip', 'Addresses'),
      ]), (l) => datatable(l, { column: 'n', direction: 'desc' })),
  ];
}

function sshPanels(): Panel[] {
  const p = panelFor(DATA_VIEW_AUTH, '');
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
        terms('outcome', 'event.outcome', { size: 3, orderBy: { column: 'n' }, label: 'Outcome' }),
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
        terms('country', 'source.geo.country_name', { size: 1, orderBy: { column: 'n' }, label: 'Country' }),
        terms('org', 'source.as.organization.name', { size: 1, orderBy: { column: 'n' }, label: 'Network' }),
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
    description: 'Where blocked connection attempts come from, which ports they target, and when.',
    panels: firewallPanels(),
  }),
  dashboard({
    id: SSH_DASHBOARD,
    title: 'dropship — SSH login attempts',
    description: 'SSH logins seen in auth logs: usernames tried, sources, and when.',
    panels: sshPanels(),
  }),
];
