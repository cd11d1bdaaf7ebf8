/**
 * Wording and number formats the text and HTML outputs share, so they say the same thing.
 */
import { timeZone } from '../time/zone.js';
import type { Distinct, LineCounts, PortRow, ReportData } from './data.js';
import { localMinute } from './time-tally.js';

export const num = (v: number): string => v.toLocaleString('en-US');

/**
 * Control characters (C0 but tab and newline, DEL, C1) as `\xNN`: log content is
 * attacker-controlled, and an escape sequence must reach neither a terminal nor a page.
 */
export function showControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function pct(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const p = (100 * part) / whole;
  return p > 0 && p < 0.1 ? '<0.1%' : `${p.toFixed(1)}%`;
}

/** An instant of the report (ISO, UTC) as local wall-clock time of its zone: `2026-10-26 13:05`. */
export function localTime(data: ReportData, isoUtc: string | null): string {
  if (isoUtc === null) return '–';
  const ms = Date.parse(isoUtc);
  return Number.isFinite(ms) ? localMinute(timeZone(data.timezone), ms) : '–';
}

export function periodText(data: ReportData): string {
  if (data.period.first === null) return 'no dated events';
  return `${localTime(data, data.period.first)} – ${localTime(data, data.period.last)}`;
}

export function distinctText(d: Distinct): string {
  switch (d.kind) {
    case 'exact': return num(d.value);
    case 'at-least': return `more than ${num(d.value)}`;
    case 'estimate': return `about ${num(d.value)}`;
  }
}

export function portText(r: Pick<PortRow, 'port' | 'transport'>): string {
  return r.port === null ? (r.transport ?? 'unknown') : `${r.port}/${r.transport ?? '?'}`;
}

/** What was read, in one line: "router.log, router.log.1.gz (2 files)" / "stdin" / "index logs-dropship.*". */
export function inputText(data: ReportData): string {
  const input = data.input;
  if (input.kind === 'index') return `Elasticsearch index ${input.pattern}`;
  const names = input.files.map((f) => (f.path === '-' ? 'stdin' : f.path));
  if (names.length <= 3) return names.join(', ') || 'stdin';
  return `${names.slice(0, 2).join(', ')} and ${num(names.length - 2)} more files`;
}

/** The line counts as a sentence; parse failures are always named, even when there are none. */
export function linesText(l: LineCounts, fromIndex: boolean): string {
  const read = fromIndex ? `${num(l.read)} documents` : `${num(l.read)} lines read`;
  const parts = [
    `${num(l.attempts)} firewall attempts (${num(l.denied)} denied, ${num(l.allowed)} allowed)`,
    `${num(l.auth)} authentication events`,
    `${num(l.parseFailures)} parse failures`,
  ];
  if (l.other > 0) parts.push(`${num(l.other)} other`);
  if (l.blank > 0) parts.push(`${num(l.blank)} blank`);
  if (l.truncated > 0) parts.push(`${num(l.truncated)} cut at the line limit`);
  return `${read}: ${parts.join(', ')}`;
}

/** Inputs that could not be read, each with its reason. */
export function unreadable(data: ReportData): { path: string; error: string }[] {
  return data.input.kind === 'files' ? data.input.files.flatMap((f) => (f.error === undefined ? [] : [{ path: f.path, error: f.error }])) : [];
}

/** Why a table's counts may be low, when they may. */
export function undercountNote(what: string, rows: { undercount: number }[]): string | undefined {
  const most = rows.reduce((m, r) => Math.max(m, r.undercount), 0);
  return most > 0 ? `${what}: more distinct keys than the report keeps; each count may be low by at most ${num(most)}` : undefined;
}
