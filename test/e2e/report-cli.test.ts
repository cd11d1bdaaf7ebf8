import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { createLineGenerator } from '../../bench/generate.js';
import type { ReportData } from '../../src/report/data.js';
import { CHROMIUM_PATH, chromiumProblem, launchChromium, skipWithoutChromium } from '../helpers/chromium.js';

/**
 * `dropship report` as a process on a generated 50,000-line log (six router formats, IPv4/IPv6,
 * garbage and hostile lines), the HTML opened in headless Chromium with every request aborted:
 * the page must load without any request or console error, the map must have the country shapes,
 * the hour-grid cells and the top port must equal what this test counts from the lines itself,
 * and text and JSON must give the same numbers as the page.
 */

const CLI = [process.execPath, '--import', 'tsx', join(import.meta.dirname, '../..', 'src', 'cli', 'main.ts')];
const LINES = 50_000;
const ZONE = 'Asia/Tokyo';
const YEAR = 2025;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOSTILE_VALUE = '<script>fetch("http://203.0.113.9/x")</script><img src="http://203.0.113.9/y.png">';
/** A firewall line whose source address is markup: claimed by the netfilter format, not readable. */
const HOSTILE = `Mar  1 10:00:00 gw kernel: DROP \u001b[31m IN=eth0 OUT= SRC=${HOSTILE_VALUE} DST=192.0.2.1 LEN=40 PROTO=TCP SPT=1 DPT=22`;

interface Run { status: number | null; stdout: string; stderr: string }

interface PageFacts {
  scripts: number;
  csp: string;
  map: string[];
  fills: Record<string, string>;
  grid: string[];
  hist: string[];
  ports: string[][];
  countries: string[][];
  sources: string[][];
  failures: string;
  heading: string;
  mapBox: number;
}

/**
 * What the test reads from the page, run inside Chromium. A string, not a function: tsx would
 * compile a function with helpers (__name) that do not exist in the page.
 */
const READ_PAGE = `(() => {
  // Data marks: Vega's axes and legends are graphics-symbols too.
  const marks = (sel) => document.querySelectorAll(sel + ' [role="graphics-symbol"]:not([aria-roledescription="axis"]):not([aria-roledescription="legend"])');
  const labels = (sel) => [...marks(sel)].map((e) => e.getAttribute('aria-label') || '');
  const table = (sel) => [...document.querySelectorAll(sel + ' table tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent || ''));
  const fills = {};
  for (const e of marks('#map')) fills[e.getAttribute('aria-label') || ''] = e.getAttribute('fill') || '';
  const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
  const svg = document.querySelector('#map svg');
  return {
    scripts: document.querySelectorAll('script').length,
    csp: csp ? csp.getAttribute('content') : '',
    map: labels('#map'),
    fills,
    grid: labels('#hour-grid'),
    hist: labels('#hour-histogram'),
    ports: table('#ports'),
    countries: table('#countries'),
    sources: table('#sources'),
    failures: (document.querySelector('#failures pre') || {}).textContent || '',
    heading: (document.querySelector('#time h2') || {}).textContent || '',
    mapBox: svg ? svg.getBoundingClientRect().width : 0,
  };
})()`;

function run(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI[0]!, [...CLI.slice(1), ...args], { env: { ...process.env, TZ: 'UTC' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** What the report must say, counted here from the lines with nothing of dropship's. */
interface Expected { grid: number[][]; ports: Map<string, number>; attempts: number; failures: number; other: number }

function makeLog(): { text: string; expected: Expected } {
  const next = createLineGenerator(2024);
  const lines: string[] = [];
  const expected: Expected = { grid: WEEKDAYS.map(() => new Array<number>(24).fill(0)), ports: new Map(), attempts: 0, failures: 0, other: 0 };
  for (let i = 0; i < LINES; i++) {
    if (i % 1000 === 500) {
      // Lines no format claims go to the syslog dataset ("other"); a firewall line that cannot be
      // read is a parse failure.
      if (i % 2000 === 500) {
        lines.push(HOSTILE);
        expected.failures++;
      } else {
        lines.push(`garbage ${i} \u001b[31m`);
        expected.other++;
      }
      continue;
    }
    const line = next();
    lines.push(line);
    const m = /^(?:<\d+>)?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):\d\d:\d\d /.exec(line)!;
    // The line's wall-clock time is Tokyo time (--timezone), in --year: its weekday by the calendar.
    const day = new Date(Date.UTC(YEAR, MONTHS.indexOf(m[1]!), Number(m[2]!.trim()))).getUTCDay();
    expected.grid[(day + 6) % 7]![Number(m[3])]!++;
    const port = `${/ DPT=(\d+)/.exec(line)![1]}/${/ PROTO=(\w+)/.exec(line)![1]!.toLowerCase()}`;
    expected.ports.set(port, (expected.ports.get(port) ?? 0) + 1);
    expected.attempts++;
  }
  return { text: `${lines.join('\n')}\n`, expected };
}

const dir = mkdtempSync(join(tmpdir(), 'dropship-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('report on a generated 50,000-line log', () => {
  const log = join(dir, 'router.log');
  const html = join(dir, 'report.html');
  let expected: Expected;
  let json: ReportData;
  let text: string;
  let browser: Browser | undefined;

  before(async () => {
    const made = makeLog();
    expected = made.expected;
    writeFileSync(log, made.text);
    const common = [log, '--year', String(YEAR), '--timezone', ZONE];
    const [h, j, t] = await Promise.all([run(['report', ...common, '--out', html]), run(['report', ...common, '--format', 'json']), run(['report', ...common, '--format', 'text'])]);
    for (const r of [h, j, t]) assert.equal(r.status, 0, r.stderr);
    assert.match(h.stderr, /wrote .*report\.html \(html, [\d,]+ bytes\): 50,000 lines, 49,950 attempts, 25 parse failures/);
    json = JSON.parse(j.stdout) as ReportData;
    text = t.stdout;
    if (chromiumProblem() === undefined) browser = await launchChromium();
  });
  after(async () => browser?.close());

  test('the JSON counts every line: attempts, parse failures, the hour grid and the ports equal the test\'s own counts', () => {
    assert.equal(json.lines.read, LINES);
    assert.equal(json.lines.attempts, expected.attempts);
    assert.equal(json.lines.parseFailures, expected.failures);
    assert.equal(json.parseFailures.count, expected.failures);
    assert.equal(json.lines.other, expected.other);
    assert.equal(json.timezone, ZONE);
    assert.deepEqual(json.hours.grid, expected.grid);
    const truePorts = [...expected.ports].sort((a, b) => b[1] - a[1]);
    assert.deepEqual(json.ports.rows.map((r) => [`${r.port}/${r.transport}`, r.count]), truePorts.slice(0, json.top));
  });

  test('the page loads in Chromium with the network blocked: no request, no console error, no script', async (t) => {
    if (skipWithoutChromium(t)) return;
    assert.ok(browser !== undefined, `Chromium at ${CHROMIUM_PATH} did not start`);
    const context = await browser.newContext({ offline: true, javaScriptEnabled: true, viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    await context.route('**/*', async (route) => {
      requests.push(route.request().url());
      await route.abort();
    });
    const page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    // setContent: the page is not even navigated to, so any request at all would be its own.
    await page.setContent(readFileSync(html, 'utf8'), { waitUntil: 'load' });
    const seen = (await page.evaluate(READ_PAGE)) as PageFacts;
    await context.close();
    assert.deepEqual(requests, []);
    assert.deepEqual(problems, []);
    assert.equal(seen.scripts, 0);
    assert.match(seen.csp, /default-src 'none'/);

    // The map: Natural Earth's countries (177 shapes, Antarctica left out), drawn and described.
    assert.ok(seen.map.length >= 170, `${seen.map.length} country shapes`);
    assert.ok(seen.mapBox > 400);
    const top = json.countries.rows[0]!;
    const topLabel = `${top.name} (${top.code}): ${top.count.toLocaleString('en-US')} attempts`;
    assert.ok(seen.map.includes(topLabel), `no shape labelled "${topLabel}"`);
    assert.notEqual(seen.fills[topLabel], '#e9ecef');
    const empty = seen.map.find((l) => l.endsWith(': no attempts'));
    // The generated log reaches far fewer than 177 countries: an empty one is always there to check.
    assert.ok(empty !== undefined, 'no shape labelled ": no attempts"');
    assert.equal(seen.fills[empty], '#e9ecef');

    // The hour grid's 168 cells equal the counts made from the lines.
    assert.equal(seen.grid.length, 168);
    for (const label of seen.grid) {
      const m = /^(\w{3}) (\d\d):00–\d\d:00: ([\d,]+) attempts?$/.exec(label);
      assert.ok(m, label);
      assert.equal(Number(m[3]!.replaceAll(',', '')), expected.grid[WEEKDAYS.indexOf(m[1]!)]![Number(m[2])], label);
    }
    assert.match(seen.heading, /Asia\/Tokyo/);
    const byHour = seen.hist.map((l) => Number(/: ([\d,]+) attempts?$/.exec(l)![1]!.replaceAll(',', '')));
    assert.deepEqual(byHour, expected.grid.reduce((sum, row) => sum.map((v, h) => v + row[h]!), new Array<number>(24).fill(0)));

    // The top port is the true top port; the ranked tables are the JSON's.
    const [truePort, trueCount] = [...expected.ports].sort((a, b) => b[1] - a[1])[0]!;
    assert.equal(seen.ports[0]![1], truePort);
    assert.equal(seen.ports[0]![3], trueCount.toLocaleString('en-US'));
    const rows = (t: string[][], col: number): string[] => t.filter((r) => /^\d+$/.test(r[0]!)).map((r) => r[col]!);
    assert.deepEqual(rows(seen.ports, 3), json.ports.rows.map((r) => r.count.toLocaleString('en-US')));
    assert.deepEqual(rows(seen.countries, 1), json.countries.rows.map((r) => r.name));
    assert.deepEqual(rows(seen.countries, 2), json.countries.rows.map((r) => r.count.toLocaleString('en-US')));
    assert.deepEqual(rows(seen.sources, 1), json.sources.rows.map((r) => r.ip));
    assert.deepEqual(rows(seen.sources, 2), json.sources.rows.map((r) => r.count.toLocaleString('en-US')));

    // Hostile log content is shown as text.
    assert.ok(seen.failures.includes(HOSTILE_VALUE));
  });

  test('--format text gives the same numbers as the JSON (and so as the page)', () => {
    const section = (title: string): string[] => {
      const lines = text.split('\n');
      const start = lines.findIndex((l) => l.startsWith(title));
      assert.ok(start >= 0, title);
      const end = lines.findIndex((l, i) => i > start && l === '');
      return lines.slice(start + 2, end); // after the title and the column header
    };
    // Columns may be empty (a port without a service name): read rows by pattern, not by splitting.
    const rows = (title: string, re: RegExp): string[][] => section(title).flatMap((l) => {
      const m = re.exec(l);
      return m === null ? [] : [m.slice(1)];
    });
    const n = (v: number): string => v.toLocaleString('en-US');
    assert.deepEqual(rows('Top targeted ports', /^\s+\d+\s+(\S+)\s.*?\s([\d,]+)\s+[<\d.]+%/), json.ports.rows.map((r) => [`${r.port}/${r.transport}`, n(r.count)]));
    assert.deepEqual(rows('Top source countries', /\s([A-Z]{2})\s+([\d,]+)\s+[<\d.]+%/), json.countries.rows.map((r) => [r.code, n(r.count)]));
    assert.deepEqual(rows('Top source addresses', /^\s+\d+\s+(\S+)\s+([\d,]+)\s/), json.sources.rows.map((r) => [r.ip, n(r.count)]));
    const hourLines = text.split('\n');
    const from = hourLines.findIndex((l) => l.startsWith('Attempts by hour of day'));
    const hours = hourLines.slice(from + 1, from + 25).map((l) => Number(/^ {2}\d\d +([\d,]+)/.exec(l)![1]!.replaceAll(',', '')));
    assert.deepEqual(hours, json.hours.byHour);
    assert.match(text, /50,000 lines read: 49,950 firewall attempts .* 25 parse failures, 25 other/);
    assert.match(text, /times in Asia\/Tokyo/);
    // A control character from the log is shown escaped, never sent to the terminal.
    assert.ok(!text.includes('\u001b'));
    assert.ok(text.includes('\\x1b[31m'));
  });
});

describe('report: inputs and errors', () => {
  const line = '<4>Nov 16 00:12:34 kernel: DROP IN=ppp0 OUT= MAC= SRC=203.0.113.45 DST=198.51.100.20 LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=51234 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0';

  test('stdin, a .gz file and an unreadable file: the report is written, the unreadable one named, exit 1', async () => {
    const gz = join(dir, 'old.log.1.gz');
    writeFileSync(gz, gzipSync(`${line}\n${line}\n`));
    const out = join(dir, 'mixed.json');
    const r = await run(['report', '-', gz, join(dir, 'missing.log'), '--year', '2024', '--out', out], `${line}\nnot a firewall line\n`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read \S*missing\.log: no such file/);
    assert.match(r.stderr.trim().split('\n').at(-1)!, /^dropship: 1 input\(s\) could not be read completely .*missing\.log$/);
    const data = JSON.parse(readFileSync(out, 'utf8')) as ReportData;
    assert.equal(data.lines.attempts, 3);
    assert.equal(data.lines.parseFailures, 0);
    assert.equal(data.lines.other, 1, 'a line no format claims is "other", not an attempt');
    assert.ok(data.input.kind === 'files');
    assert.deepEqual(data.input.files.map((f) => [f.path.endsWith('missing.log') ? 'missing' : f.path === '-' ? '-' : 'gz', f.lines, f.error !== undefined]),
      [['missing', 0, true], ['gz', 2, false], ['-', 2, false]]);
  });

  test('--out to something that is not a file (a FIFO, as /dev/null is a device) writes into it and leaves it what it was', async () => {
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    // The reader is a process, so a run that never opens the FIFO cannot leave this one blocked.
    const reader = spawn('cat', [fifo]);
    let received = '';
    reader.stdout.setEncoding('utf8').on('data', (d: string) => (received += d));
    const readerDone = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    const r = await run(['report', '--year', '2024', '--format', 'json', '--out', fifo], `${line}\n`);
    const timer = setTimeout(() => reader.kill(), 5000);
    await readerDone;
    clearTimeout(timer);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(statSync(fifo).isFIFO(), 'the FIFO was replaced by a file');
    assert.equal((JSON.parse(received) as ReportData).lines.attempts, 1);
  });

  test('usage errors exit 2 with one line', async () => {
    const both = await run(['report', 'x.log', '--from-index', 'logs-*']);
    assert.equal(both.status, 2);
    assert.equal(both.stderr.trim(), 'dropship: give files to report on or --from-index, not both');
    const format = await run(['report', '--format', 'pdf'], line);
    assert.equal(format.status, 2);
    assert.match(format.stderr, /^dropship: --format must be html, text or json/);
  });
});
