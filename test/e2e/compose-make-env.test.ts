/**
 * scripts/make-env.sh, the documented way to write the compose stack's .env: every variable of
 * .env.example, no placeholder left, secrets that docker/stack-init.sh accepts, the router's time
 * zone, 0600, no secret printed, an existing .env kept.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts', 'make-env.sh');
const work = mkdtempSync(join(tmpdir(), 'dropship-env-'));
after(() => rmSync(work, { recursive: true, force: true }));

const variables = (text: string) => new Map(text.split('\n').filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

function makeEnv(args: string[], env: Record<string, string> = {}) {
  return spawnSync('sh', [SCRIPT, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
}

test('writes every variable of .env.example, generating each placeholder, 0600, printing no secret', () => {
  const out = join(work, 'a.env');
  const r = makeEnv(['--out', out, '--timezone', 'Asia/Tokyo']);
  assert.equal(r.status, 0, r.stderr);
  const example = variables(readFileSync(join(ROOT, '.env.example'), 'utf8'));
  const written = variables(readFileSync(out, 'utf8'));
  assert.deepEqual([...written.keys()], [...example.keys()], 'the same variables, in the same order');
  assert.equal(written.get('ROUTER_TIMEZONE'), 'Asia/Tokyo');
  assert.match(r.stdout, /ROUTER_TIMEZONE=Asia\/Tokyo \(from --timezone\)/);
  const generated = [...example].filter(([k, v]) => v === 'CHANGE_ME' && k !== 'ROUTER_TIMEZONE').map(([k]) => k);
  assert.ok(generated.includes('ELASTIC_PASSWORD') && generated.includes('KIBANA_ENCRYPTION_KEY'));
  for (const [k, v] of written) {
    assert.ok(!/change_?me/i.test(v), `${k} still a placeholder`);
    if (!generated.includes(k) && k !== 'ROUTER_TIMEZONE') assert.equal(v, example.get(k), `${k} copied as it is`);
  }
  const secrets = generated.map((k) => written.get(k)!);
  assert.equal(new Set(secrets).size, secrets.length, 'every secret is different');
  for (const s of secrets) {
    assert.match(s, /^[A-Za-z0-9]{32}$/);
    assert.ok(!(r.stdout + r.stderr).includes(s), 'a secret was printed');
  }
  assert.equal(statSync(out).mode & 0o777, 0o600);
  // The stack's own check accepts them.
  const check = spawnSync('bash', [join(ROOT, 'docker', 'stack-init.sh'), 'check'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...Object.fromEntries(written) } });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  // Two runs never share a secret.
  const again = join(work, 'b.env');
  assert.equal(makeEnv(['--out', again], { TZ: 'Europe/Berlin' }).status, 0);
  assert.equal(variables(readFileSync(again, 'utf8')).get('ROUTER_TIMEZONE'), 'Europe/Berlin', "without --timezone: this machine's zone");
  assert.notEqual(variables(readFileSync(again, 'utf8')).get('ELASTIC_PASSWORD'), written.get('ELASTIC_PASSWORD'));
});

test('keeps an existing .env unless --force, and reads any example it is given', () => {
  const out = join(work, 'kept.env');
  writeFileSync(out, 'MINE=1\n');
  const r = makeEnv(['--out', out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /exists; keeping it/);
  assert.equal(readFileSync(out, 'utf8'), 'MINE=1\n');
  const example = join(work, 'example');
  copyFileSync(join(ROOT, '.env.example'), example);
  writeFileSync(example, `${readFileSync(example, 'utf8')}# added later by someone\nNEW_TOKEN=CHANGE_ME\nPLAIN=value`);
  const forced = makeEnv(['--force', '--example', example, '--out', out, '--timezone', 'UTC']);
  assert.equal(forced.status, 0, forced.stderr);
  const written = variables(readFileSync(out, 'utf8'));
  assert.match(written.get('NEW_TOKEN')!, /^[A-Za-z0-9]{32}$/);
  assert.equal(written.get('PLAIN'), 'value', 'a last line without a newline is kept');
  // A placeholder that is no secret is not invented.
  writeFileSync(example, 'ROUTER_NAME=CHANGE_ME\n');
  const refused = makeEnv(['--force', '--example', example, '--out', out, '--timezone', 'UTC']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /ROUTER_NAME has no value/);
  assert.equal(readFileSync(out, 'utf8').includes('NEW_TOKEN'), true, 'the previous file is untouched');
});
