/**
 * The dashboard check of the integration suite (test/helpers/kibana-browser.ts), run here in real
 * headless Chromium against local static pages that carry the DOM markers Kibana puts on a
 * dashboard: a container with the panel count, panels that finish rendering later, a Lens error
 * panel, a panel error, an error toast. NOT Kibana: it shows that the helper waits, finds and
 * reports what it should, so a real Kibana run can only pass when Kibana draws every panel.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumProblem, launchChromium } from '../helpers/chromium.js';
import { checkDashboard, problems } from '../helpers/kibana-browser.js';

const skip = chromiumProblem() ?? false;
if (skip) console.log(`skipping browser checks: ${skip}`);

/** A panel as Kibana marks it up; `done` after `delayMs` (never when negative). */
function panel(title: string, delayMs: number, inner = '<canvas></canvas>'): string {
  return `<div data-test-subj="embeddablePanel"><figcaption data-test-subj="embeddablePanelTitle">${title}</figcaption>`
    + `<div data-shared-item data-title="${title}" data-render-complete="false" data-delay="${delayMs}">${inner}</div></div>`;
}

function page(panels: string[], extra = ''): string {
  return `<!doctype html><html><body><div data-shared-items-container data-shared-items-count="${panels.length}">${panels.join('')}</div>${extra}
<script>
  // Dashboards attach panels after the app loads, and each panel reports when it is drawn.
  for (const el of document.querySelectorAll('[data-delay]')) {
    const ms = Number(el.getAttribute('data-delay'));
    if (ms >= 0) setTimeout(() => el.setAttribute('data-render-complete', 'true'), ms);
  }
</script></body></html>`;
}

const PAGES: Record<string, string> = {
  '/good': page([panel('Attempts', 50), panel('Top targeted ports', 400), panel('Time of day × weekday', 900)]),
  '/lens-error': page([
    panel('Attempts', 50),
    panel('Top targeted ports', 100, '<div data-test-subj="embeddable-lens-failure"><p>Field dropship.service.note was not found.</p></div>'),
  ]),
  '/panel-error': page([
    panel('Attempts', 50),
    '<div data-test-subj="embeddablePanel" data-title="Rare countries"><div data-test-subj="embeddableStackError"><div data-test-subj="errorMessageMarkdown">Could not locate that index-pattern (id: dropship-logs)</div></div></div>',
  ]),
  '/never': page([panel('Attempts', 50), panel('Known scanners', -1)]),
  '/toast': page([panel('Attempts', 10)], '<div data-test-subj="globalToastList"><div class="euiToast euiToast--danger">Unable to load data view</div></div>'),
  '/empty': '<!doctype html><html><body><h1>Kibana is not ready</h1></body></html>',
};

let server: http.Server;
let base = '';
let browser: Browser | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const body = PAGES[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' }).end(body ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!skip) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise<void>((r) => server.close(() => r()));
});

test('a dashboard whose panels all render has no problems, and the check waited for the slowest', { skip }, async () => {
  const r = await checkDashboard(browser!, `${base}/good`, { timeoutMs: 10_000 });
  assert.deepEqual(problems(r), []);
  assert.equal(r.expectedPanels, 3);
  // The slowest panel marks itself drawn 900 ms after the page loads: seen drawn, so the check
  // waited for it (read from the page, not from a clock here).
  assert.deepEqual(r.panels.map((p) => [p.title, p.rendered]), [['Attempts', true], ['Top targeted ports', true], ['Time of day × weekday', true]]);
});

test('a Lens error in a panel is reported with the panel title and message', { skip }, async () => {
  const r = await checkDashboard(browser!, `${base}/lens-error`, { timeoutMs: 10_000 });
  assert.deepEqual(problems(r), ['panel "Top targeted ports": [data-test-subj="embeddable-lens-failure"]: Field dropship.service.note was not found.']);
});

test('a panel replaced by an error is reported', { skip }, async () => {
  const r = await checkDashboard(browser!, `${base}/panel-error`, { timeoutMs: 3000 });
  assert.deepEqual(problems(r), ['panel "Rare countries": [data-test-subj="embeddableStackError"]: Could not locate that index-pattern (id: dropship-logs)']);
});

test('a panel that never finishes rendering is reported after the timeout', { skip }, async () => {
  const r = await checkDashboard(browser!, `${base}/never`, { timeoutMs: 1500 });
  assert.deepEqual(problems(r), ['panel "Known scanners": did not finish rendering']);
});

test('an error toast, or a page without a dashboard, is a problem', { skip }, async () => {
  assert.deepEqual(problems(await checkDashboard(browser!, `${base}/toast`, { timeoutMs: 3000 })), ['error toast: Unable to load data view']);
  assert.deepEqual(problems(await checkDashboard(browser!, `${base}/empty`, { timeoutMs: 1000 })), ['no dashboard on the page (no data-shared-items-container)']);
});
