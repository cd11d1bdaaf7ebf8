/**
 * `--format text`: the report's tables for a terminal, e.g. `ssh router logread | dropship report
 * --format text`. Aligned columns, the top rows of each table with an "other" line, the hours as
 * a histogram and the hour × weekday grid in shades.
 *
 * Log content (user names, lines that failed, AS names) is attacker-controlled: control
 * characters are shown escaped, never sent to the terminal.
 */
import { WEEKDAYS, type ReportData, type Table } from './data.js';
import { distinctText, inputText, linesText, localTime, num, pct, periodText, portText, showControls, undercountNote, unreadable } from './format.js';

const BAR = '█';
const SHADES = [' ', '░', '▒', '▓', '█'];
const SPARK = '▁▂▃▄▅▆▇█';
const MAX_CELL = 40;

/** Control characters (newlines and tabs too: they would break the columns) as \xNN; long cells cut. */
export function safe(text: string, max = MAX_CELL): string {
  const clean = showControls(text).replace(/[\t\n]/g, (c) => (c === '\t' ? '\\x09' : '\\x0a'));
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

type Align = 'l' | 'r';

/** Columns padded to their widest cell; `align` per column. */
export function columns(header: string[], rows: string[][], align: Align[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}

function otherLine<R>(t: Table<R>, label: string): string[] {
  return t.other > 0 ? [`  … ${label}: ${num(t.other)} more`] : [];
}

export function renderText(data: ReportData): string {
  const out: string[] = [];
  const when = (iso: string | null): string => localTime(data, iso);
  const fromIndex = data.input.kind === 'index';
  const attempts = data.lines.attempts;

  out.push(`dropship report: ${safe(inputText(data), 200)}`);
  out.push(`  period  ${periodText(data)} (times in ${data.timezone})`);
  out.push(`  ${linesText(data.lines, fromIndex)}`);
  for (const u of unreadable(data)) out.push(`  UNREADABLE  ${safe(u.path, 200)}: ${safe(u.error, 200)}`);
  out.push('');

  out.push(`Parse failures: ${num(data.parseFailures.count)}`);
  if (data.parseFailures.count > 0) {
    out.push(...columns(['count', 'reason'], data.parseFailures.reasons.map((r) => [num(r.count), safe(r.reason, 100)]), ['r', 'l']));
    out.push('  first lines that failed:');
    for (const s of data.parseFailures.samples) out.push(`    ${safe(s.line, 160)}`);
  }
  out.push('');

  const c = data.countries;
  out.push(`Top source countries (${distinctText(c.distinct)} countries; ${num(c.unknown)} attempts without a country)`);
  out.push(...columns(['#', 'country', 'code', 'attempts', 'share', 'first seen', 'last seen'],
    c.rows.map((r, i) => [String(i + 1), safe(r.name, 30), r.code, num(r.count), pct(r.count, attempts), when(r.first), when(r.last)]),
    ['r', 'l', 'l', 'r', 'r', 'l', 'l']));
  out.push(...otherLine(c, 'other countries'));
  out.push('');

  const p = data.ports;
  out.push(`Top targeted ports (${distinctText(p.distinct)} distinct)`);
  out.push(...columns(['#', 'port', 'service', 'attempts', 'share', 'note'],
    p.rows.map((r, i) => [String(i + 1), portText(r), r.service ?? '', num(r.count), pct(r.count, attempts), safe(r.note ?? '', 60)]),
    ['r', 'l', 'l', 'r', 'r', 'l']));
  out.push(...otherLine(p, 'other ports'));
  out.push('');

  const s = data.sources;
  out.push(`Top source addresses (${distinctText(s.distinct)} distinct${s.withoutAddress > 0 ? `; ${num(s.withoutAddress)} attempts without an address` : ''})`);
  out.push(...columns(['#', 'address', 'attempts', 'country', 'network', 'known scanner', 'first seen', 'last seen'],
    s.rows.map((r, i) => [
      String(i + 1), safe(r.ip, 45), num(r.count), r.country ?? '',
      safe([r.asNumber !== undefined ? `AS${r.asNumber}` : '', r.asName ?? ''].filter(Boolean).join(' '), 30),
      safe(r.scanner ?? '', 30), when(r.first), when(r.last),
    ]),
    ['r', 'l', 'r', 'l', 'l', 'l', 'l', 'l']));
  out.push(...otherLine(s, 'other addresses'));
  const sourceNote = undercountNote('addresses', s.rows);
  if (sourceNote !== undefined) out.push(`  (${sourceNote})`);
  out.push('');

  out.push('Rare countries (fewest attempts)');
  out.push(...columns(['country', 'code', 'attempts', 'first seen'],
    data.rareCountries.map((r) => [safe(r.name, 30), r.code, num(r.count), when(r.first)]), ['l', 'l', 'r', 'l']));
  out.push('');

  out.push(...hours(data));
  out.push('');
  out.push(...timeline(data));

  const a = data.auth;
  if (a !== null) {
    out.push('');
    out.push(`SSH / authentication: ${num(a.events)} events, ${num(a.failure)} failures, ${num(a.success)} successes${a.unknown > 0 ? `, ${num(a.unknown)} other` : ''}`);
    out.push('  Top user names tried');
    out.push(...columns(['#', 'user', 'attempts', 'failures', 'successes'],
      a.users.rows.map((r, i) => [String(i + 1), safe(r.user, 32), num(r.count), num(r.failure), num(r.success)]), ['r', 'l', 'r', 'r', 'r']));
    out.push(...otherLine(a.users, 'other user names'));
    out.push('  Top sources');
    out.push(...columns(['#', 'address', 'attempts', 'failures', 'successes', 'country', 'first seen', 'last seen'],
      a.sources.rows.map((r, i) => [String(i + 1), safe(r.ip, 45), num(r.count), num(r.failure), num(r.success), r.country ?? '', when(r.first), when(r.last)]),
      ['r', 'l', 'r', 'r', 'r', 'l', 'l', 'l']));
    out.push(...otherLine(a.sources, 'other addresses'));
  }
  return `${out.join('\n')}\n`;
}

function hours(data: ReportData): string[] {
  const out: string[] = [];
  const byHour = data.hours.byHour;
  const most = Math.max(1, ...byHour);
  const width = Math.max(...byHour.map((v) => num(v).length));
  out.push(`Attempts by hour of day (${data.hours.zone})`);
  byHour.forEach((v, h) => out.push(`  ${String(h).padStart(2, '0')}  ${num(v).padStart(width)}  ${BAR.repeat(Math.round((40 * v) / most))}`.trimEnd()));
  out.push('');
  // Shades spread over the cells' own range, as the HTML grid's colour scale does: a flat week
  // still shows its busier hours.
  const cells = data.hours.grid.flat().filter((v) => v > 0);
  const low = cells.length > 0 ? Math.min(...cells) : 0;
  const high = cells.length > 0 ? Math.max(...cells) : 0;
  const shade = (v: number): string => (v === 0 ? ' ' : SHADES[high === low ? 4 : 1 + Math.min(3, Math.floor((4 * (v - low)) / (high - low)))]!);
  out.push(`Hour × weekday (${data.hours.zone}; ░ ${num(low)} … █ ${num(high)} attempts, blank: none)`);
  out.push(`       ${Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(' ')}`);
  data.hours.grid.forEach((row, d) => out.push(`  ${WEEKDAYS[d]}  ${row.map((v) => shade(v).repeat(2)).join(' ')}`));
  return out;
}

/** The timeline as one line of bars, adjacent buckets summed to fit the terminal. */
function timeline(data: ReportData, width = 72): string[] {
  const t = data.timeline;
  if (t.points.length === 0) return ['Attempts over time: none'];
  const per = Math.ceil(t.points.length / width);
  const sums: number[] = [];
  for (let i = 0; i < t.points.length; i += per) sums.push(t.points.slice(i, i + per).reduce((a, p) => a + p.count, 0));
  const most = Math.max(1, ...sums);
  const bars = sums.map((v) => (v === 0 ? ' ' : SPARK[Math.min(7, Math.floor((7.999 * v) / most))]!)).join('');
  const unit = per === 1 ? t.interval : `${per} ${t.interval}s`;
  return [
    `Attempts over time (one bar per ${unit}, ${t.zone}; highest ${num(most)})`,
    `  ${t.points[0]!.start} ${bars} ${t.points[t.points.length - 1]!.start}`,
  ];
}
