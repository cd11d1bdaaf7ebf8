import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/import-cli.js';

/**
 * What the CLI says in the small moments of a first hour (issue 18 §5): help texts, a refused
 * year, a bad scanner-list line, a re-import into an NDJSON file. The CLI runs as a process.
 */

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dropship-messages-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const helps = new Map<string, Promise<string>>();
/** Help text with commander's wrapping undone, so a phrase split over two lines still matches. */
function help(...command: string[]): Promise<string> {
  const key = command.join(' ');
  if (!helps.has(key)) {
    helps.set(key, runCli([...command, '--help']).then((r) => {
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.replace(/\s+/g, ' ');
    }));
  }
  return helps.get(key)!;
}

const LINE = '<4>Nov 16 00:12:34 router kernel: DROP IN=ppp0 OUT= SRC=203.0.113.45 DST=198.51.100.20 LEN=44 PROTO=TCP SPT=51234 DPT=23';

describe('help', () => {
  test('numeric defaults are shown as numbers, not quoted strings', async () => {
    for (const command of ['tail', 'import', 'setup', 'report']) {
      const text = await help(command);
      assert.doesNotMatch(text, /default: "\d/, `${command} --help quotes a number`);
    }
    assert.match(await help('tail'), /--syslog-max-bytes <n> .*\(default: 65536\)/);
    assert.match(await help('import'), /--bulk-max-bytes <bytes> .*\(default: 2000000\)/);
  });

  test('the top-level setup line mentions Kibana', async () => {
    const text = await help();
    assert.match(text, /setup \[options\] [^]*?Kibana[^]*? report \[options\]/);
  });

  test('--syslog-udp and --syslog-tcp say they bind 127.0.0.1 unless a host is given', async () => {
    const text = await help('tail');
    assert.match(text, /--syslog-udp <\[host:\]port> [^]*?127\.0\.0\.1[^]*? --syslog-tcp /);
    assert.match(text, /--syslog-tcp <\[host:\]port> [^]*?127\.0\.0\.1[^]*? --syslog-allow /);
  });

  test('the environment variables the CLI reads are documented', async () => {
    for (const command of ['tail', 'import']) {
      const text = await help(command);
      for (const name of ['DROPSHIP_LOG_LEVEL', 'DROPSHIP_STATE_DIR', 'DROPSHIP_DEBUG', 'ELASTICSEARCH_HOSTS']) {
        assert.match(text, new RegExp(name), `${command} --help does not mention ${name}`);
      }
      assert.match(text, /--log-format <format>/);
    }
    const top = await help();
    for (const name of ['DROPSHIP_LOG_LEVEL', 'DROPSHIP_STATE_DIR', 'DROPSHIP_DEBUG']) assert.match(top, new RegExp(name));
    // The state directory's default is described, not this machine's home directory.
    assert.match(await help('tail'), /--state-dir <dir> .*DROPSHIP_STATE_DIR/);
  });
});

describe('messages', () => {
  test('--year 1969 says which years are accepted', async () => {
    const r = await runCli(['parse', '--year', '1969', '/dev/null']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^dropship: --year .*1970.*9999.*"1969"/);
  });

  test('a bad --scanner-list line is one dropship line, not a Node process warning', async () => {
    const list = join(dir, 'scanners.txt');
    writeFileSync(list, 'not-a-network\n192.0.2.0/24 mine\n');
    const log = join(dir, 'one.log');
    writeFileSync(log, `${LINE}\n`);
    const r = await runCli(['parse', '--timezone', 'UTC', '--scanner-list', list, log]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\(node:\d+\)|ScannerListWarning|--trace-warnings/);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^dropship: warning: .*scanners\.txt:1: ignored, .*not-a-network/);
  });

  test('the scanner-list warning is printed once also when parser threads load the list', async () => {
    const list = join(dir, 'scanners-threads.txt');
    writeFileSync(list, 'bogus\n');
    const log = join(dir, 'threads.log');
    writeFileSync(log, `${LINE}\n`);
    const r = await runCli(['import', log, '--workers', '3', '--scanner-list', list, '--output', `ndjson:${join(dir, 'threads.ndjson')}`, '--state-dir', join(dir, 'state-threads'), '--timezone', 'UTC']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.match(/scanners-threads\.txt:1: ignored/g)?.length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\(node:\d+\)/);
  });

  test('import --reimport into an NDJSON file that has documents says it appends a second copy', async () => {
    const log = join(dir, 'again.log');
    writeFileSync(log, `${LINE}\n`);
    const out = join(dir, 'again.ndjson');
    const args = ['import', log, '--output', `ndjson:${out}`, '--state-dir', join(dir, 'state-again'), '--timezone', 'UTC', '--workers', '0'];
    const first = await runCli(args);
    assert.equal(first.status, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /second copy/);
    const second = await runCli([...args, '--reimport']);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /^dropship: warning: --reimport appends to .*again\.ndjson.*second copy/m);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 2, 'appended, as said');
  });
});
