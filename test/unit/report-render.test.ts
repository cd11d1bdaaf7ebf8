import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EcsDocument } from '../../src/model/document.js';
import { DocumentAggregator } from '../../src/report/aggregate.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderText } from '../../src/report/render-text.js';
import { summarize } from '../../src/report/summarize.js';
import { Tally } from '../../src/report/tally.js';
import { timeZone } from '../../src/time/zone.js';

/**
 * Log content is attacker-controlled: a user name tried over SSH, an AS name, a line that failed
 * reach the page and the terminal. None of it may become markup, a request, or a terminal escape.
 */

const HOSTILE_USER = '\u001b]0;pwned\u0007<img src=http://203.0.113.9/u.png onerror=alert(1)>';
const HOSTILE_AS = '"><script>alert(2)</script>';
const HOSTILE_LINE = '<svg onload=alert(3)><a href="javascript:x">\u001b[2J';

function data() {
  const tally = new Tally(timeZone('UTC'));
  const agg = new DocumentAggregator(tally);
  const ts = '2025-03-01T10:00:00.000Z';
  const event = { kind: 'event' as const, original: 'x', created: ts };
  const auth: EcsDocument = {
    '@timestamp': ts, ecs: { version: '9.4.0' }, event: { ...event, dataset: 'dropship.auth', action: 'ssh_login', outcome: 'failure' },
    user: { name: HOSTILE_USER }, source: { ip: '203.0.113.9' },
  };
  const attempt: EcsDocument = {
    '@timestamp': ts, ecs: { version: '9.4.0' }, event: { ...event, dataset: 'dropship.firewall', type: ['denied'] },
    source: { ip: '203.0.113.9', as: { number: 64500, organization: { name: HOSTILE_AS } }, geo: { country_iso_code: 'NL' } },
    destination: { port: 23 }, network: { transport: 'tcp' },
  };
  const failure: EcsDocument = { '@timestamp': ts, ecs: { version: '9.4.0' }, event: { kind: 'pipeline_error', dataset: 'dropship.firewall', original: HOSTILE_LINE, created: ts }, error: { message: HOSTILE_LINE } };
  for (const d of [auth, attempt, failure]) agg.add(d);
  tally.read = 3;
  return summarize(tally, { input: { kind: 'files', files: [{ path: '<b>evil</b>.log', lines: 3 }], stdin: false }, top: 5 });
}

test('HTML: hostile strings from the logs are escaped text, in tables and charts alike; no script, a CSP that forbids fetching', async () => {
  const html = await renderHtml(data(), { version: 'test' });
  for (const raw of ['<img', '<script', '<svg onload', '<a href="javascript', '<b>evil']) assert.ok(!html.includes(raw), `raw ${raw} in the page`);
  assert.ok(html.includes('\\x1b]0;pwned\\x07&lt;img src=http://203.0.113.9/u.png onerror=alert(1)&gt;'), 'the user name, escaped');
  assert.ok(html.includes('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;'), 'the AS name, escaped');
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(html), 'a control character reached the page');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  // No element refers to anything outside the page (in-page references are #ids). Attribute
  // values are double-quoted, and escaped log text holds no double quote.
  const refs = [...html.matchAll(/\s(?:src|href|xlink:href|action|formaction|poster|data)\s*=\s*"(?!#)[^"]*"/g)].map((m) => m[0].slice(0, 80));
  assert.deepEqual(refs, []);
  // Each chart's ids are its own: two legends never share a gradient.
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(new Set(ids).size, ids.length, 'duplicate ids');
});

test('text: control characters from the logs are shown escaped, never written to the terminal', () => {
  const text = renderText(data());
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text), 'a control character reached the output');
  assert.ok(text.includes('\\x1b]0;pwned\\x07'), 'the user name, escaped');
  assert.ok(text.includes('\\x1b[2J'), 'the failed line, escaped');
});
