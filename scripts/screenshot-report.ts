/**
 * Screenshots of `dropship report`'s HTML page for the README and docs/report.md: the demo logs
 * reported as the CLI would, the page opened in headless Chromium (network blocked), and one PNG
 * per section in docs/images/.
 *
 *   node --import tsx scripts/screenshot-report.ts [log files…]
 *
 * Default input: samples/demo/router.log and samples/demo/auth.log (Asia/Tokyo, the demo
 * router's zone). Needs Chromium (Debian package `chromium`; DROPSHIP_CHROMIUM to use another, as the tests read it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { tallyFiles } from '../src/report/files.js';
import { renderHtml } from '../src/report/render-html.js';
import { summarize } from '../src/report/summarize.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs/images');
const args = process.argv.slice(2);
const inputs = args.length > 0 ? args : [join(ROOT, 'samples/demo/router.log'), join(ROOT, 'samples/demo/auth.log')];

/** Page section → file name. */
const SHOTS: [string, string][] = [
  ['#summary, #countries', 'report-countries.png'],
  ['#ports', 'report-ports.png'],
  ['#time', 'report-time.png'],
  ['#sources', 'report-sources.png'],
  ['#auth', 'report-auth.png'],
];

const { tally, input } = await tallyFiles({ paths: inputs, stdin: Readable.from([]), timezone: 'Asia/Tokyo', geoip: undefined });
const data = summarize(tally, { input, top: 10 });
// The page says which files it read: keep the machine's paths out of the pictures.
if (data.input.kind === 'files') for (const f of data.input.files) f.path = f.path.replace(ROOT, '');
const html = await renderHtml(data, { version: 'demo' });

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.DROPSHIP_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ offline: true, viewport: { width: 1180, height: 900 }, deviceScaleFactor: 1 });
  await context.route('**/*', (route) => route.abort());
  const page = await context.newPage();
  await page.setContent(html, { waitUntil: 'load' });
  for (const [selector, name] of SHOTS) {
    const parts = page.locator(selector);
    if ((await parts.count()) === 0) {
      console.log(`${name}: no ${selector} on the page (no such events in the input), skipped`);
      continue;
    }
    // One picture from the top of the first part to the bottom of the last. The page is never
    // scrolled, so boxes relative to the viewport are page coordinates.
    const boxes = [];
    for (let i = 0; i < (await parts.count()); i++) {
      const box = await parts.nth(i).boundingBox();
      if (box !== null) boxes.push(box);
    }
    const top = Math.min(...boxes.map((b) => b.y)) - 8;
    const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + 8;
    const left = Math.min(...boxes.map((b) => b.x)) - 8;
    const right = Math.max(...boxes.map((b) => b.x + b.width)) + 8;
    const png = await page.screenshot({ clip: { x: Math.max(0, left), y: Math.max(0, top), width: right - left, height: bottom - top }, fullPage: true });
    writeFileSync(join(OUT, name), png);
    console.log(`${name}: ${png.length.toLocaleString('en-US')} bytes`);
  }
} finally {
  await browser.close();
}
