/**
 * `--format html`: one self-contained page. Charts are inline SVG rendered by Vega in Node
 * (charts.ts), tables are HTML, the style is inline; no script, no font, no image is fetched, and
 * a Content-Security-Policy says so to the browser, so the page can be mailed and opened offline.
 *
 * Everything from the logs (user names, failed lines, AS names, file paths) is escaped.
 */
import { authUsersSpec, drawnCountries, hourGridSpec, hourHistogramSpec, mapSpec, portsSpec, svgFor, timelineSpec, worldTopology } from './charts.js';
import { countryName } from './countries.js';
import { WEEKDAYS, type ReportData, type Table } from './data.js';
import { distinctText, inputText, linesText, localTime, num, pct, periodText, portText, showControls, undercountNote, unreadable } from './format.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: markup characters escaped, control characters shown as \xNN. */
export function escapeHtml(text: string): string {
  return showControls(text).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const e = escapeHtml;

export interface HtmlOptions {
  /** dropship's version, for the footer. */
  version: string;
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

const STYLE = `
:root { color-scheme: light; --fg: #212529; --muted: #6c757d; --line: #dee2e6; --accent: #d9480f; --warn: #c92a2a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
section { margin: 28px 0; break-inside: avoid; }
.meta, .note { color: var(--muted); margin: 4px 0; }
.warn { color: var(--warn); font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 0; padding: 0; }
.cards div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.cards dt { color: var(--muted); font-size: 12px; }
.cards dd { margin: 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.cards .bad dd { color: var(--warn); }
.split { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
figure { margin: 0; max-width: 100%; overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; font-size: 12px; color: var(--muted); }
td.n, th.n { text-align: right; }
td.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
tr.other td { color: var(--muted); font-style: italic; }
pre { background: #f8f9fa; border: 1px solid var(--line); padding: 8px; overflow-x: auto; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }
`;

interface Column<R> {
  head: string;
  cell: (r: R, i: number) => string;
  num?: boolean;
  code?: boolean;
}

/** A table whose cells are escaped text; `other` adds a last row for what the rows leave out. */
function htmlTable<R>(rows: R[], cols: Column<R>[], other?: { label: string; count: number; col: number }): string {
  const cls = (c: Column<R>): string => (c.num ? ' class="n"' : c.code ? ' class="code"' : '');
  const head = `<tr>${cols.map((c) => `<th${c.num ? ' class="n"' : ''}>${e(c.head)}</th>`).join('')}</tr>`;
  const body = rows.map((r, i) => `<tr>${cols.map((c) => `<td${cls(c)}>${e(c.cell(r, i))}</td>`).join('')}</tr>`);
  if (other !== undefined && other.count > 0) {
    body.push(`<tr class="other">${cols.map((c, i) => (i === 0 ? `<td>${e(other.label)}</td>` : i === other.col ? `<td class="n">${e(num(other.count))}</td>` : '<td></td>')).join('')}</tr>`);
  }
  return `<table><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

function otherRow<R>(t: Table<R>, label: string, col: number): { label: string; count: number; col: number } {
  return { label: `other ${label}`, count: t.other, col };
}

export async function renderHtml(data: ReportData, o: HtmlOptions): Promise<string> {
  const when = (iso: string | null): string => localTime(data, iso);
  const attempts = data.lines.attempts;
  const topology = worldTopology();
  const drawn = drawnCountries(topology);
  const [mapSvg, portsSvg, gridSvg, histogramSvg, timelineSvg, usersSvg] = await Promise.all([
    svgFor(mapSpec(data, topology), 'map'),
    svgFor(portsSpec(data), 'ports'),
    svgFor(hourGridSpec(data), 'grid'),
    svgFor(hourHistogramSpec(data), 'hist'),
    svgFor(timelineSpec(data), 'time'),
    (async () => {
      const spec = authUsersSpec(data);
      return spec === undefined ? '' : svgFor(spec, 'users');
    })(),
  ]);

  const failures = data.parseFailures.count;
  const bad = unreadable(data);
  const notDrawn = Object.entries(data.countryCounts).filter(([code]) => !drawn.has(code)).sort(([, a], [, b]) => b - a);

  const cards: [string, string, boolean?][] = [
    [data.input.kind === 'index' ? 'documents' : 'lines read', num(data.lines.read)],
    ['firewall attempts', num(attempts)],
    ['parse failures', num(failures), failures > 0],
    ['source addresses', distinctText(data.sources.distinct)],
    ['countries', distinctText(data.countries.distinct)],
    ['ports', distinctText(data.ports.distinct)],
  ];
  if (data.auth !== null) cards.push(['SSH/auth events', num(data.auth.events)]);
  if (bad.length > 0) cards.push(['unreadable inputs', num(bad.length), true]);

  const html: string[] = [];
  html.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dropship ${e(o.version)}">
<title>Firewall report ${e(periodText(data))}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header id="summary">
<h1>Firewall report</h1>
<p class="meta">${e(periodText(data))} · all times in <strong>${e(data.timezone)}</strong> · ${e(inputText(data))}</p>
<p class="meta">${e(linesText(data.lines, data.input.kind === 'index'))}</p>
${bad.map((b) => `<p class="warn">Could not read ${e(b.path)}: ${e(b.error)}</p>`).join('\n')}
<dl class="cards">${cards.map(([k, v, warn]) => `<div${warn ? ' class="bad"' : ''}><dt>${e(k)}</dt><dd>${e(v)}</dd></div>`).join('')}</dl>
</header>`);

  const c = data.countries;
  html.push(`<section id="countries">
<h2>Where the attempts come from</h2>
<div class="split">
<figure id="map" aria-label="World map of attempts by source country">${mapSvg}</figure>
${htmlTable(c.rows, [
    { head: '#', cell: (_r, i) => String(i + 1), num: true },
    { head: 'country', cell: (r) => r.name },
    { head: 'attempts', cell: (r) => num(r.count), num: true },
    { head: 'share', cell: (r) => pct(r.count, attempts), num: true },
  ], otherRow(c, 'countries', 2))}
</div>
<p class="note">${num(c.unknown)} attempts (${pct(c.unknown, attempts)}) have no country: private or reserved addresses, or addresses the GeoIP database does not place.${
    notDrawn.length > 0 ? ` Too small for this map, listed here: ${e(notDrawn.map(([code, count]) => `${countryName(code)} (${num(count)})`).join(', '))}.` : ''}</p>
</section>`);

  const p = data.ports;
  html.push(`<section id="ports">
<h2>Targeted ports</h2>
<div class="split">
<figure aria-label="Top targeted ports">${portsSvg}</figure>
${htmlTable(p.rows, [
    { head: '#', cell: (_r, i) => String(i + 1), num: true },
    { head: 'port', cell: (r) => portText(r), code: true },
    { head: 'service', cell: (r) => r.service ?? '' },
    { head: 'attempts', cell: (r) => num(r.count), num: true },
    { head: 'share', cell: (r) => pct(r.count, attempts), num: true },
    { head: 'note', cell: (r) => r.note ?? '' },
  ], otherRow(p, 'ports', 3))}
</div>
</section>`);

  html.push(`<section id="time">
<h2>When: hour of day × weekday (${e(data.hours.zone)})</h2>
<figure id="hour-grid" aria-label="Attempts by hour of day and weekday">${gridSvg}</figure>
<h3>By hour of day</h3>
<figure id="hour-histogram" aria-label="Attempts by hour of day">${histogramSvg}</figure>
<details><summary>The numbers</summary>
${htmlTable(data.hours.grid.map((row, d) => ({ day: WEEKDAYS[d]!, row })), [
    { head: '', cell: (r) => r.day },
    ...Array.from({ length: 24 }, (_, h): Column<{ day: string; row: number[] }> => ({ head: String(h).padStart(2, '0'), cell: (r) => num(r.row[h]!), num: true })),
  ])}
</details>
<h3>Over time (per ${e(data.timeline.interval)})</h3>
<figure id="timeline" aria-label="Attempts over time">${timelineSvg}</figure>
</section>`);

  const s = data.sources;
  const sourceNote = undercountNote('Addresses', s.rows);
  html.push(`<section id="sources">
<h2>Top source addresses</h2>
${htmlTable(s.rows, [
    { head: '#', cell: (_r, i) => String(i + 1), num: true },
    { head: 'address', cell: (r) => r.ip, code: true },
    { head: 'attempts', cell: (r) => num(r.count), num: true },
    { head: 'country', cell: (r) => (r.country !== undefined ? `${r.countryName} (${r.country})` : '') },
    { head: 'network', cell: (r) => [r.asNumber !== undefined ? `AS${r.asNumber}` : '', r.asName ?? ''].filter(Boolean).join(' ') },
    { head: 'known scanner', cell: (r) => r.scanner ?? '' },
    { head: 'first seen', cell: (r) => when(r.first) },
    { head: 'last seen', cell: (r) => when(r.last) },
  ], otherRow(s, 'addresses', 2))}
<p class="note">${distinctText(s.distinct)} distinct addresses${s.withoutAddress > 0 ? `; ${num(s.withoutAddress)} attempts without a source address` : ''}.${sourceNote !== undefined ? ` ${e(sourceNote)}.` : ''}</p>
</section>`);

  html.push(`<section id="rare">
<h2>Rare countries</h2>
${htmlTable(data.rareCountries, [
    { head: 'country', cell: (r) => `${r.name} (${r.code})` },
    { head: 'attempts', cell: (r) => num(r.count), num: true },
    { head: 'first seen', cell: (r) => when(r.first) },
    { head: 'last seen', cell: (r) => when(r.last) },
  ])}
</section>`);

  const a = data.auth;
  if (a !== null) {
    html.push(`<section id="auth">
<h2>SSH / dropbear logins</h2>
<p>${num(a.events)} authentication events: <strong>${num(a.failure)}</strong> failures, <strong>${num(a.success)}</strong> successes${a.unknown > 0 ? `, ${num(a.unknown)} other` : ''}.</p>
<div class="split">
<div><h3>User names tried</h3>
${usersSvg !== '' ? `<figure aria-label="Top user names tried">${usersSvg}</figure>` : ''}
${htmlTable(a.users.rows, [
      { head: 'user', cell: (r) => r.user, code: true },
      { head: 'attempts', cell: (r) => num(r.count), num: true },
      { head: 'failures', cell: (r) => num(r.failure), num: true },
      { head: 'successes', cell: (r) => num(r.success), num: true },
    ], otherRow(a.users, 'user names', 1))}</div>
<div><h3>Sources</h3>
${htmlTable(a.sources.rows, [
      { head: 'address', cell: (r) => r.ip, code: true },
      { head: 'attempts', cell: (r) => num(r.count), num: true },
      { head: 'failures', cell: (r) => num(r.failure), num: true },
      { head: 'successes', cell: (r) => num(r.success), num: true },
      { head: 'country', cell: (r) => r.country ?? '' },
      { head: 'first seen', cell: (r) => when(r.first) },
      { head: 'last seen', cell: (r) => when(r.last) },
    ], otherRow(a.sources, 'addresses', 1))}</div>
</div>
</section>`);
  }

  const pf = data.parseFailures;
  html.push(`<section id="failures">
<h2>Lines dropship could not parse: ${num(failures)}</h2>
${failures === 0 ? '<p>None.</p>' : `${htmlTable(pf.reasons, [
    { head: 'reason', cell: (r) => r.reason },
    { head: 'lines', cell: (r) => num(r.count), num: true },
  ])}
<h3>The first of them</h3>
<pre>${pf.samples.map((x) => e(x.line)).join('\n')}</pre>`}
</section>`);

  if (data.input.kind === 'files') {
    html.push(`<section id="inputs">
<h2>Inputs</h2>
${htmlTable(data.input.files, [
      { head: 'input', cell: (f) => (f.path === '-' ? 'stdin' : f.path), code: true },
      { head: 'lines', cell: (f) => num(f.lines), num: true },
      { head: 'problem', cell: (f) => f.error ?? '' },
    ])}
</section>`);
  }

  html.push(`<footer>
<p>An attempt is a firewall log line dropship parsed (event.dataset dropship.firewall, event.kind event); lines it could not parse are counted above, never dropped. Country: the GeoIP database given to dropship (by default the bundled CC0 country database); service names: IANA. Generated by dropship ${e(o.version)} at ${e(data.generatedAt)}; charts by Vega-Lite, country shapes from Natural Earth (world-atlas).</p>
</footer>
</main>
</body>
</html>
`);
  return html.join('\n');
}
