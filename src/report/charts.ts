/**
 * The report's charts as Vega-Lite specifications, rendered to SVG here in Node: the page then
 * needs no script and no network, and opens the same in a mail client as in a browser.
 *
 * Every mark carries a description ("Mon 05:00: 1,234 attempts"): Vega writes it as the mark's
 * aria-label, and svgFor() adds it as an SVG <title>, which browsers show on hover without any
 * script. Numbers in labels are formatted here, so they are exactly the report's numbers.
 */
import { createRequire } from 'node:module';
import type { Config, TopLevelSpec } from 'vega-lite';
import type { Topology } from 'topojson-specification';
import { countryName, numericCode, alpha2Of } from './countries.js';
import { WEEKDAYS, type ReportData, type Timeline } from './data.js';
import { num, portText, showControls } from './format.js';

const require = createRequire(import.meta.url);

const attempts = (v: number): string => `${num(v)} attempt${v === 1 ? '' : 's'}`;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CONFIG: Config = {
  font: FONT,
  background: 'transparent',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eee', domainColor: '#999', tickColor: '#999' },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
};
const BAR_COLOR = '#d9480f';
const SCHEME = 'orangered';
const EMPTY = '#e9ecef';

/** Natural Earth country shapes at 1:110m from world-atlas (public domain): small enough to mail. */
export function worldTopology(): Topology {
  return require('world-atlas/countries-110m.json') as Topology;
}

/** world-atlas leaves a few shapes without an ISO code; Kosovo is the one GeoIP databases name (XK). */
const UNCODED: Readonly<Record<string, string>> = { Kosovo: 'XK' };

/** Alpha-2 codes of the countries drawn on the map. */
export function drawnCountries(topology: Topology): Set<string> {
  const drawn = new Set<string>();
  const countries = topology.objects.countries as unknown as { geometries: { id?: string; properties?: { name?: string } }[] };
  for (const g of countries.geometries) {
    const code = g.id !== undefined ? alpha2Of(g.id) : UNCODED[g.properties?.name ?? ''];
    if (code !== undefined) drawn.add(code);
  }
  return drawn;
}

export function mapSpec(data: ReportData, topology: Topology): TopLevelSpec {
  const counts = Object.entries(data.countryCounts).flatMap(([code, count]) => {
    const id = numericCode(code) ?? (code === 'XK' ? 'XK' : undefined);
    return id === undefined ? [] : [{ id, count, label: `${countryName(code)} (${code}): ${attempts(count)}` }];
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { ...CONFIG, scale: { invalid: { color: { value: EMPTY } } } },
    width: 620,
    height: 320,
    data: { values: topology as unknown as object[], format: { type: 'topojson', feature: 'countries' } },
    transform: [
      { calculate: `datum.id || (datum.properties.name === 'Kosovo' ? 'XK' : '')`, as: 'key' },
      { filter: "datum.key !== '010'" }, // Antarctica: nobody scans from there, and it takes a sixth of the map
      { lookup: 'key', from: { data: { values: counts }, key: 'id', fields: ['count', 'label'] } },
      { calculate: `datum.label || (datum.properties.name + ': no attempts')`, as: 'description' },
    ],
    projection: { type: 'equalEarth' },
    // Countries without attempts have no count: shown (invalid: 'show'), in grey rather than the
    // scale's lowest colour (config.scale.invalid).
    mark: { type: 'geoshape', stroke: '#fff', strokeWidth: 0.5, invalid: 'show' },
    encoding: {
      color: {
        condition: {
          test: 'datum.count > 0',
          field: 'count',
          type: 'quantitative',
          scale: { type: 'log', scheme: SCHEME },
          legend: { title: 'attempts', orient: 'bottom-left', gradientLength: 160, format: ',d' },
        },
        value: EMPTY,
      },
      description: { field: 'description', type: 'nominal' },
    },
  };
  return spec;
}

export function portsSpec(data: ReportData, rows = 15): TopLevelSpec {
  const values = data.ports.rows.slice(0, rows).map((r, i) => {
    const label = r.service === undefined ? portText(r) : `${portText(r)} ${r.service}`;
    return { rank: i, label, count: r.count, description: `${label}: ${attempts(r.count)}${r.note ? ` (${r.note})` : ''}` };
  });
  return horizontalBars(values, 'attempts');
}

function horizontalBars(values: { rank: number; label: string; count: number; description: string }[], title: string): TopLevelSpec {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 360,
    height: { step: 18 },
    data: { values },
    mark: { type: 'bar', color: BAR_COLOR },
    encoding: {
      // Ranked by the report's order (count, then key), not re-sorted by Vega.
      y: { field: 'label', type: 'nominal', sort: { field: 'rank', order: 'ascending' }, title: null, axis: { labelLimit: 180 } },
      x: { field: 'count', type: 'quantitative', title, axis: { format: ',d', tickMinStep: 1 } },
      description: { field: 'description', type: 'nominal' },
    },
  };
  return spec;
}

/** Hour × weekday grid; cells' descriptions read "Mon 05:00–06:00: 1,234 attempts". */
export function hourGridSpec(data: ReportData): TopLevelSpec {
  const values = data.hours.grid.flatMap((row, d) =>
    row.map((count, hour) => ({
      weekday: WEEKDAYS[d],
      hour: String(hour).padStart(2, '0'),
      count,
      description: `${WEEKDAYS[d]} ${String(hour).padStart(2, '0')}:00–${String(hour + 1).padStart(2, '0')}:00: ${attempts(count)}`,
    })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: { step: 24 },
    height: { step: 24 },
    data: { values },
    mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
    encoding: {
      x: { field: 'hour', type: 'ordinal', title: `hour of day (${data.hours.zone})`, axis: { labelAngle: 0 } },
      y: { field: 'weekday', type: 'ordinal', sort: [...WEEKDAYS], title: null },
      color: {
        condition: { test: 'datum.count > 0', field: 'count', type: 'quantitative', scale: { scheme: SCHEME }, legend: { title: 'attempts', format: ',d' } },
        value: EMPTY,
      },
      description: { field: 'description', type: 'nominal' },
    },
  };
  return spec;
}

export function hourHistogramSpec(data: ReportData): TopLevelSpec {
  const values = data.hours.byHour.map((count, hour) => ({
    hour: String(hour).padStart(2, '0'),
    count,
    description: `${String(hour).padStart(2, '0')}:00–${String(hour + 1).padStart(2, '0')}:00: ${attempts(count)}`,
  }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: { step: 24 },
    height: 140,
    data: { values },
    mark: { type: 'bar', color: BAR_COLOR },
    encoding: {
      x: { field: 'hour', type: 'ordinal', title: `hour of day (${data.hours.zone})`, axis: { labelAngle: 0 } },
      y: { field: 'count', type: 'quantitative', title: 'attempts', axis: { format: ',d', tickMinStep: 1 } },
      description: { field: 'description', type: 'nominal' },
    },
  };
  return spec;
}

/** Bucket start and end as local wall-clock time read as UTC (the chart's scale is UTC). */
function bucketRange(interval: Timeline['interval'], start: string): [number, number] {
  const [y, mo = 1, d = 1] = start.slice(0, 10).split('-').map(Number) as [number, number?, number?];
  const h = interval === 'hour' ? Number(start.slice(11, 13)) : 0;
  const from = Date.UTC(y, mo - 1, d, h);
  switch (interval) {
    case 'hour': return [from, from + 3_600_000];
    case 'day': return [from, from + 86_400_000];
    case 'week': return [from, from + 7 * 86_400_000];
    case 'month': return [from, Date.UTC(y, mo, 1)];
    case 'year': return [from, Date.UTC(y + 1, 0, 1)];
  }
}

export function timelineSpec(data: ReportData): TopLevelSpec {
  const t = data.timeline;
  const values = t.points.map((p) => {
    const [from, to] = bucketRange(t.interval, p.start);
    return { from, to, count: p.count, description: `${t.interval} of ${p.start}: ${attempts(p.count)}` };
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 900,
    height: 160,
    data: { values },
    mark: { type: 'rect', color: BAR_COLOR, stroke: '#fff', strokeWidth: values.length > 150 ? 0 : 0.5 },
    encoding: {
      x: { field: 'from', type: 'temporal', scale: { type: 'utc' }, title: `attempts per ${t.interval} (${t.zone})` },
      x2: { field: 'to' },
      y: { field: 'count', type: 'quantitative', title: 'attempts', axis: { format: ',d', tickMinStep: 1 } },
      y2: { datum: 0 },
      description: { field: 'description', type: 'nominal' },
    },
  };
  return spec;
}

export function authUsersSpec(data: ReportData, rows = 15): TopLevelSpec | undefined {
  const users = data.auth?.users.rows.slice(0, rows) ?? [];
  if (users.length === 0) return undefined;
  const values = users.flatMap((u, rank) => {
    const other = u.count - u.failure - u.success;
    // User names are whatever a scanner sent: no control characters into the SVG.
    const user = showControls(u.user);
    return ([['failure', u.failure], ['success', u.success], ['other', other]] as const)
      .filter(([, c]) => c > 0)
      .map(([outcome, count]) => ({ rank, user, outcome, count, description: `${user}: ${num(count)} ${outcome === 'other' ? 'other events' : `${outcome}${count === 1 ? '' : 's'}`}` }));
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 360,
    height: { step: 18 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'user', type: 'nominal', sort: { field: 'rank', order: 'ascending' }, title: null, axis: { labelLimit: 180 } },
      x: { field: 'count', type: 'quantitative', title: 'attempts', stack: true, axis: { format: ',d', tickMinStep: 1 } },
      color: { field: 'outcome', type: 'nominal', scale: { domain: ['failure', 'success', 'other'], range: [BAR_COLOR, '#2b8a3e', '#adb5bd'] }, legend: { title: null, orient: 'bottom' } },
      description: { field: 'description', type: 'nominal' },
    },
  };
  return spec;
}

/**
 * Renders a Vega-Lite spec to an SVG fragment for inline use. Vega names gradients and clip paths
 * `gradient_0`, `clip1`… in every chart: ids are prefixed with `idPrefix`, or the second chart's
 * legend would paint with the first chart's gradient.
 */
export async function svgFor(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg
      .replace(/\b(id=")([^"]+")/g, `$1${idPrefix}-$2`)
      .replace(/url\(#([^)]+)\)/g, `url(#${idPrefix}-$1)`)
      .replace(/(href="#)([^"]+")/g, `$1${idPrefix}-$2`)
      // A title child for every described mark: the browser's own tooltip, no script needed.
      .replace(/<path aria-label="([^"]*)" role="graphics-symbol"([^>]*?)\/>/g, '<path aria-label="$1" role="graphics-symbol"$2><title>$1</title></path>');
  } finally {
    view.finalize();
  }
}
