/**
 * docker/stack-init.sh `check`: the first thing the stack runs. It must refuse empty,
 * placeholder, short or unquotable secrets with a message naming the variable, and never
 * print a secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SCRIPT = new URL('../../docker/stack-init.sh', import.meta.url).pathname;

/** The .env.example values, so the test follows the file users start from. */
const example = Object.fromEntries(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
  .split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const good = {
  ELASTIC_PASSWORD: 'Elastic-pw-4f9d2a7c',
  KIBANA_PASSWORD: 'Kibana-pw-8e1b3c5d',
  KIBANA_ENCRYPTION_KEY: 'a3f1c9e27b4d6f80a3f1c9e27b4d6f80',
};

function check(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync('bash', [SCRIPT, 'check'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('real-looking secrets pass', () => {
  const r = check(good);
  assert.equal(r.status, 0, r.out);
  for (const v of Object.values(good)) assert.ok(!r.out.includes(v));
});

test('the unedited .env.example is refused, naming the placeholder', () => {
  const r = check({ ELASTIC_PASSWORD: example.ELASTIC_PASSWORD!, KIBANA_PASSWORD: example.KIBANA_PASSWORD!, KIBANA_ENCRYPTION_KEY: example.KIBANA_ENCRYPTION_KEY! });
  assert.equal(r.status, 1);
  assert.equal(r.out, 'dropship stack: ELASTIC_PASSWORD still has a placeholder value; set a real secret in .env\n');
});

test('each kind of bad secret gets its own one-line reason', () => {
  const cases: [Partial<typeof good>, RegExp][] = [
    [{ ELASTIC_PASSWORD: '' }, /^dropship stack: ELASTIC_PASSWORD is empty; set it in \.env/],
    [{ KIBANA_PASSWORD: 'changeme' }, /^dropship stack: KIBANA_PASSWORD still has a placeholder value/],
    [{ KIBANA_PASSWORD: 'short-pw' }, /^dropship stack: KIBANA_PASSWORD must be at least 12 characters long/],
    [{ KIBANA_ENCRYPTION_KEY: 'x'.repeat(31) }, /^dropship stack: KIBANA_ENCRYPTION_KEY must be at least 32 characters long/],
    [{ ELASTIC_PASSWORD: 'has"quote-in-it' }, /^dropship stack: ELASTIC_PASSWORD must not contain quotes/],
    [{ KIBANA_PASSWORD: good.ELASTIC_PASSWORD }, /^dropship stack: KIBANA_PASSWORD must differ from ELASTIC_PASSWORD/],
  ];
  for (const [override, message] of cases) {
    const r = check({ ...good, ...override });
    assert.equal(r.status, 1, JSON.stringify(override));
    assert.match(r.out, message);
    assert.equal(r.out.trimEnd().split('\n').length, 1, r.out);
    for (const v of Object.values(override)) if (v) assert.ok(!r.out.includes(v), 'secret echoed');
  }
});

test('Dockerfile: multi-stage, lockfile install, non-root, only runtime artefacts in the last stage', () => {
  const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const stages = text.split(/^FROM /m).slice(1);
  assert.ok(stages.length >= 2);
  assert.match(text, /ARG NODE_IMAGE=node:24-/, 'the maintained LTS, the major CI also runs the suite on');
  assert.ok(stages.slice(0, -1).every((s) => /npm ci\b/.test(s) && !/npm install\b/.test(s)));
  const last = stages.at(-1)!;
  assert.match(last, /^USER node$/m);
  const copied = [...last.matchAll(/^COPY (?:--from=\w+ )?(\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(copied, ['/app/package.json', '/app/node_modules', '/app/dist', 'pipelines', 'kibana/dropship.ndjson', 'bin']);
  assert.match(last, /ln -s \/app\/bin\/dropship \/usr\/local\/bin\/dropship/, 'the command is the launcher');
  assert.match(stages[0]!, /--omit=dev/);
});
