#!/usr/bin/env node
/**
 * Replays the demo logs as recent: every timestamp moves forward by the same whole number of
 * days, so the newest line falls within the last day and the last 7 days (the range the
 * dashboards open on) show a full week of it; hours of the day and gaps stay as generated. Then
 * runs `dropship import` on the moved copies. The compose `demo` profile runs it; see
 * samples/demo/README.md.
 *
 *   node samples/demo/replay.mjs [logs…] [-- import options…]
 *
 * DROPSHIP_BIN: the dropship command (default `dropship`). DROPSHIP_DEMO_NOW: "now" (ISO) for tests.
 * Re-running on the same day moves by the same amount, so the import finds its documents already
 * present (same ids); a later day adds another, newer copy.
 *
 * Plain JavaScript on purpose: it runs from the mounted samples/ folder in the dropship image,
 * which holds the compiled CLI but no TypeScript tooling.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DAY_MS = 86_400_000;
/** Demo lines start with an RFC 3339 timestamp with offset, as rsyslog writes for remote hosts. */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d|Z)/;

function offsetMs(offset) {
  if (offset === 'Z') return 0;
  const sign = offset[0] === '-' ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
}

/** The instant of a line's leading timestamp, or undefined. */
export function lineTime(line) {
  const m = STAMP.exec(line);
  return m ? Date.parse(`${m[1]}${m[2] ?? ''}${m[3]}`) : undefined;
}

/** The line with its leading timestamp moved by `shiftMs`, written in the same offset. */
export function shiftLine(line, shiftMs) {
  const m = STAMP.exec(line);
  if (!m) return line;
  const local = new Date(Date.parse(`${m[1]}${m[3]}`) + shiftMs + offsetMs(m[3])).toISOString().slice(0, 19);
  return `${local}${m[2] ?? ''}${m[3]}${line.slice(m[0].length)}`;
}

/** Whole days that bring `newestMs` into [now − 1 day, now). */
export function daysToShift(newestMs, nowMs) {
  return Math.max(0, Math.ceil((nowMs - DAY_MS - newestMs) / DAY_MS));
}

function main(argv) {
  const dash = argv.indexOf('--');
  const files = dash < 0 ? argv : argv.slice(0, dash);
  const importArgs = dash < 0 ? [] : argv.slice(dash + 1);
  if (files.length === 0) {
    process.stderr.write('usage: replay.mjs <log files…> [-- dropship import options…]\n');
    return 2;
  }
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  let newest = -Infinity;
  for (const text of texts) for (const line of text.split('\n')) newest = Math.max(newest, lineTime(line) ?? -Infinity);
  if (!Number.isFinite(newest)) {
    process.stderr.write('replay.mjs: no timestamped line in the demo logs\n');
    return 1;
  }
  const now = process.env.DROPSHIP_DEMO_NOW ? Date.parse(process.env.DROPSHIP_DEMO_NOW) : Date.now();
  const days = daysToShift(newest, now);
  const shift = days * DAY_MS;
  const dir = join(tmpdir(), `dropship-demo-plus-${days}-days`);
  mkdirSync(dir, { recursive: true });
  const out = files.map((f, i) => {
    const path = join(dir, basename(f));
    writeFileSync(path, texts[i].split('\n').map((l) => shiftLine(l, shift)).join('\n'));
    return path;
  });
  let oldest = Infinity;
  for (const text of texts) for (const line of text.split('\n')) oldest = Math.min(oldest, lineTime(line) ?? Infinity);
  process.stdout.write(`demo: logs moved ${days} day(s) forward, now ${new Date(oldest + shift).toISOString().slice(0, 10)} … ${new Date(newest + shift).toISOString().slice(0, 10)}\n`);
  const bin = process.env.DROPSHIP_BIN ?? 'dropship';
  const r = spawnSync(bin, ['import', ...out, ...importArgs], { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`replay.mjs: cannot run ${bin}: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
