/**
 * docker-compose.yml as Compose itself resolves it (`docker-compose config`, Debian package
 * docker-compose), in a temporary copy with .env.example as .env: valid with and without the
 * demo profile, Elasticsearch/Kibana published on 127.0.0.1 only, no secret literal in the file.
 * Without docker-compose the tests skip with the reason, unless CI is set (then they fail).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const COMPOSE = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const ENV_EXAMPLE = readFileSync(join(ROOT, '.env.example'), 'utf8');

const available = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
const skip = available ? false : 'docker-compose is not installed (apt-get install docker-compose)';
if (skip) {
  if (process.env.CI) throw new Error(`CI is set but ${skip}`);
  console.log(`skipping docker-compose checks: ${skip}`);
}

/** .env.example with some values replaced, written next to a copy of the compose file. */
function project(overrides: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-compose-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  let env = ENV_EXAMPLE;
  for (const [k, v] of Object.entries(overrides)) env = env.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
  writeFileSync(join(dir, '.env'), env);
  return dir;
}

function compose(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  // A clean environment: only .env may feed the interpolation, not the caller's shell.
  return spawnSync('docker-compose', args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
}

interface Resolved {
  services: Record<string, {
    ports?: (string | { target: number; published?: number | string; host_ip?: string; protocol?: string })[];
    build?: unknown;
    command?: string[];
    environment?: Record<string, string>;
    volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  }>;
  volumes?: Record<string, unknown>;
}

/** `docker-compose config` prints YAML; Debian's docker-compose is Python and brings PyYAML. */
function resolved(dir: string, profiles: string[] = []): Resolved {
  const out = compose(dir, [...profiles.flatMap((p) => ['--profile', p]), 'config']);
  assert.equal(out.status, 0, out.stderr);
  const json = spawnSync('python3', ['-c', 'import json,sys,yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: out.stdout, encoding: 'utf8' });
  assert.equal(json.status, 0, json.stderr);
  return JSON.parse(json.stdout) as Resolved;
}

interface Published { service: string; host: string; port: string; target: string; protocol: string }

/** Every published port, from either the short ("ip:host:container/proto") or long syntax. */
function published(cfg: Resolved): Published[] {
  const out: Published[] = [];
  for (const [service, s] of Object.entries(cfg.services)) {
    for (const p of s.ports ?? []) {
      if (typeof p === 'string') {
        const m = /^(?:(.+):)?(\d+):(\d+)(?:\/(\w+))?$/.exec(p);
        assert.ok(m, `unparsed port ${p}`);
        out.push({ service, host: m[1] ?? '0.0.0.0', port: m[2]!, target: m[3]!, protocol: m[4] ?? 'tcp' });
      } else {
        out.push({ service, host: p.host_ip ?? '0.0.0.0', port: String(p.published ?? ''), target: String(p.target), protocol: p.protocol ?? 'tcp' });
      }
    }
  }
  return out;
}

test('docker-compose config -q accepts the file with .env.example, with and without --profile demo', { skip }, () => {
  const dir = project();
  for (const args of [['config', '-q'], ['--profile', 'demo', 'config', '-q']]) {
    const r = compose(dir, args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  // (Compose v1 lists every service under `config --services` whatever the profile, so the
  // profile membership is read from the resolved file instead.)
  const services = resolved(dir).services as Record<string, { profiles?: string[] }>;
  for (const [name, svc] of Object.entries(services)) {
    assert.deepEqual(svc.profiles ?? [], name === 'demo' ? ['demo'] : [], name);
  }
  for (const s of ['certs', 'elasticsearch', 'kibana-password', 'kibana', 'setup', 'shipper', 'demo']) assert.ok(s in services, s);
});

test('only the syslog port can leave 127.0.0.1, and only when SYSLOG_BIND says so', { skip }, () => {
  for (const [bind, profiles] of [[undefined, []], ['0.0.0.0', ['demo']], ['192.168.1.10', []]] as const) {
    const ports = published(resolved(project(bind === undefined ? {} : { SYSLOG_BIND: bind }), [...profiles]));
    const es = ports.filter((p) => p.target === '9200' || p.target === '5601');
    assert.deepEqual(es.map((p) => p.service).sort(), ['elasticsearch', 'kibana']);
    for (const p of ports) {
      const expected = p.target === '5514' ? (bind ?? '127.0.0.1') : '127.0.0.1';
      assert.equal(p.host, expected, `${p.service} publishes ${p.target}/${p.protocol} on ${p.host}`);
    }
    const syslog = ports.filter((p) => p.target === '5514').map((p) => `${p.service}:${p.protocol}`).sort();
    assert.deepEqual(syslog, ['shipper:tcp', 'shipper:udp']);
  }
});

test('a secret missing from .env stops compose with a message naming it', { skip }, () => {
  const r = compose(project({ KIBANA_PASSWORD: '' }), ['config', '-q']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /set KIBANA_PASSWORD in \.env/);
});

test('no password, key or token literal in docker-compose.yml', () => {
  const secretKey = /(password|passwd|secret|token|api_?key|encryption_?key)/i;
  for (const [i, line] of COMPOSE.split('\n').entries()) {
    const code = line.replace(/\s+#.*$/, '');
    const m = /^\s*-?\s*"?([\w.]+)"?\s*[:=]\s*(.+)$/.exec(code);
    // *_FILE names a file holding the secret: a path is no secret.
    if (!m || !secretKey.test(m[1]!) || (m[1]!.endsWith('_FILE') && /^\/[\w./-]+$/.test(m[2]!.trim()))) continue;
    assert.match(m[2]!.trim(), /^"?\$\{[A-Z_]+(:[?-][^}]*)?\}"?$/, `line ${i + 1}: ${m[1]} must come from .env`);
  }
  for (const word of ['changeme', 'CHANGE_ME']) assert.ok(!COMPOSE.includes(word), word);
});

/** Named volumes a service mounts: [volume, target, read-only]. */
function namedMounts(cfg: Resolved, service: string): [string, string, boolean][] {
  return (cfg.services[service]!.volumes ?? []).flatMap((v): [string, string, boolean][] => {
    if (typeof v === 'string') {
      const [source = '', target = '', mode = 'rw'] = v.split(':');
      return source in (cfg.volumes ?? {}) ? [[source, target, mode === 'ro']] : [];
    }
    return v.type === 'volume' && v.source ? [[v.source, v.target, v.read_only === true]] : [];
  });
}

test('only setup logs in as elastic; the shipper and the demo use the API key setup writes', { skip }, () => {
  const cfg = resolved(project(), ['demo']);
  const setup = cfg.services.setup!;
  const keyArg = setup.command!.indexOf('--shipper-api-key-file');
  assert.ok(keyArg > 0, 'setup creates the shipper key');
  const keyFile = setup.command![keyArg + 1]!;
  assert.equal(setup.environment!.ELASTICSEARCH_USERNAME, 'elastic');
  for (const name of ['shipper', 'demo']) {
    const env = cfg.services[name]!.environment!;
    assert.equal(env.ELASTICSEARCH_API_KEY_FILE, keyFile, name);
    assert.equal(env.ELASTICSEARCH_USERNAME, undefined, name);
    assert.equal(env.ELASTICSEARCH_PASSWORD, undefined, name);
    const keyVolume = namedMounts(cfg, 'setup').find(([, target]) => keyFile.startsWith(`${target}/`));
    assert.ok(keyVolume && !keyVolume[2], 'setup writes the key into a named volume');
    assert.ok(namedMounts(cfg, name).some(([volume, target, ro]) => volume === keyVolume[0] && keyFile.startsWith(`${target}/`) && ro), `${name} mounts it read-only`);
  }
});

test('every named volume a dropship service writes to is created in the Dockerfile, owned by the image user', { skip }, () => {
  const cfg = resolved(project(), ['demo']);
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const last = dockerfile.split(/^FROM /m).at(-1)!;
  const user = /^USER (\S+)$/m.exec(last)?.[1];
  assert.ok(user, 'the image runs as a named user');
  const created = new Set([...last.matchAll(/mkdir -p ([^&\n]+)/g)].flatMap((m) => m[1]!.trim().split(/\s+/)));
  const owned = new Set([...last.matchAll(new RegExp(`chown ${user}:${user} ([^&\\n]+)`, 'g'))].flatMap((m) => m[1]!.trim().split(/\s+/)));
  const writable = Object.keys(cfg.services)
    .filter((name) => cfg.services[name]!.build !== undefined)
    .flatMap((name) => namedMounts(cfg, name).filter(([, , ro]) => !ro).map(([volume, target]) => `${name}: ${volume} → ${target}`));
  assert.ok(writable.length >= 2, writable.join(', '));
  for (const mount of writable) {
    const target = mount.split(' → ')[1]!;
    assert.ok(created.has(target) && owned.has(target), `${mount}: not created and chowned to ${user} in the Dockerfile`);
  }
});

test('the shipper reads host logs through the group LOG_GID (0640 root:adm files)', { skip }, () => {
  const services = resolved(project({ LOG_GID: '123' })).services as Record<string, { group_add?: (string | number)[] }>;
  assert.deepEqual(services.shipper!.group_add?.map(String), ['123']);
});
