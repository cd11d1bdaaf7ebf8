import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { createLogger, formatLogLine } from '../../src/core/log.js';

/** dropship's log lines: ECS JSON for machines, one readable line for a person (src/core/log.ts). */

function capture(format: 'json' | 'text' | 'auto', tty: boolean): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', format, tty, destination: { write: (l: string) => lines.push(l) } });
  return { lines, log };
}

test('auto is text on a terminal and ECS JSON otherwise; an explicit format wins', () => {
  for (const [format, tty, json] of [['auto', true, false], ['auto', false, true], ['json', true, true], ['text', false, false]] as const) {
    const { lines, log } = capture(format, tty);
    log.warn({ attempt: 6 }, 'bulk request failed, retrying with backoff');
    assert.equal(lines.length, 1);
    if (json) {
      const r = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.equal(r['log.level'], 'warn');
      assert.equal(r.attempt, 6);
      assert.ok('ecs.version' in r && '@timestamp' in r);
    } else {
      assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\x1b\[33m)?WARN (\x1b\[0m)? bulk request failed, retrying with backoff {2}attempt=6\n$/);
    }
  }
});

test('text: nested fields dotted, strings quoted when needed, values already in the message left out', () => {
  const line = JSON.stringify({
    'log.level': 'info', '@timestamp': '2026-01-02T03:04:05.000Z', 'service.name': 'dropship', 'ecs.version': '8.10.0',
    file: '/var/log/a.log', output: { indexed: 3, paused: false }, reason: 'two words', tags: ['a', 'b'], none: null,
    message: '/var/log/a.log: opened',
  });
  const text = formatLogLine(line);
  assert.match(text, / INFO  \/var\/log\/a\.log: opened {2}output\.indexed=3 output\.paused=false reason="two words" tags=\["a","b"\]\n$/);
  assert.doesNotMatch(text, /file=|none=|ecs\.version|service\.name/);
});

test('text: an error adds its message; its stack only with DROPSHIP_DEBUG', () => {
  const line = JSON.stringify({ 'log.level': 'error', '@timestamp': '2026-01-02T03:04:05.000Z', message: 'cannot import x', error: { type: 'Error', message: 'EACCES', stack_trace: 'Error: EACCES\n    at f (x.js:1:1)' } });
  assert.match(formatLogLine(line), / ERROR cannot import x: EACCES\n$/);
  assert.match(formatLogLine(line, { color: false, stack: true }), /: EACCES\nError: EACCES\n {4}at f/);
  assert.match(formatLogLine(line, { color: true, stack: false }), /\x1b\[31mERROR\x1b\[0m cannot import x/);
});

test('text: anything that is not a JSON line passes through unchanged', () => {
  assert.equal(formatLogLine('not json\n'), 'not json\n');
});

test('an unknown DROPSHIP_LOG_LEVEL is a usage error naming the accepted levels', () => {
  assert.throws(() => createLogger({ level: 'loud' }), (err: unknown) => err instanceof UsageError && /trace, debug, info, warn, error, fatal, silent; got "loud"/.test(err.message));
  assert.doesNotThrow(() => createLogger({ level: 'WARN', destination: { write: () => undefined } }));
});
