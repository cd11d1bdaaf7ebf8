/**
 * bin/dropship, the installed command: it starts dist/cli/main.js with the Node flags of that
 * file's first line, and still starts when a Node rejects one of them. The flags themselves are
 * checked against the Node running this suite (CI runs it on the image's Node 24 and on this
 * machine's Node).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const LAUNCHER = join(ROOT, 'bin', 'dropship');
const SHEBANG = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').split('\n', 1)[0]!;
const FLAGS = /^#!\/usr\/bin\/env -S node (.+)$/.exec(SHEBANG)?.[1]?.split(' ') ?? [];
const work = mkdtempSync(join(tmpdir(), 'dropship-bin-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the launcher next to a stub dist/cli/main.js with the real first line. */
function install(name: string, body: string): string {
  const root = join(work, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  copyFileSync(LAUNCHER, join(root, 'bin', 'dropship'));
  chmodSync(join(root, 'bin', 'dropship'), 0o755);
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), `${SHEBANG}\n${body}\n`);
  return join(root, 'bin', 'dropship');
}

test('main.ts names its Node flags on its first line, and this Node accepts every one', () => {
  assert.ok(FLAGS.length >= 4, SHEBANG);
  for (const flag of FLAGS) {
    const r = spawnSync(process.execPath, [flag, '-e', ''], { encoding: 'utf8' });
    assert.equal(r.status, 0, `node ${process.version} rejects ${flag}: ${r.stderr}`);
  }
});

test('with this Node the launcher passes every flag, the arguments and stdio through', () => {
  const bin = install('real', 'console.log(JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2) }));');
  const r = spawnSync(bin, ['parse', '--timezone', 'UTC'], { encoding: 'utf8', env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { execArgv: FLAGS, argv: ['parse', '--timezone', 'UTC'] });
  assert.equal(r.stderr, '');
});

test('a Node that rejects a flag still starts dropship, without that flag, saying so once', () => {
  const bin = install('future', '');
  // A stand-in `node` from a future major that no longer knows --liftoff-only.
  const fakeBin = join(work, 'fake-node');
  mkdirSync(fakeBin, { recursive: true });
  const record = join(work, 'exec-args');
  writeFileSync(
    join(fakeBin, 'node'),
    `#!/bin/sh
if [ "$1" = "--version" ]; then echo v99.0.0; exit 0; fi
for a in "$@"; do
  if [ "$a" = "--liftoff-only" ]; then echo "node: bad option: --liftoff-only" >&2; exit 9; fi
done
case " $* " in *" -e "*) exit 0 ;; esac
printf '%s\\n' "$@" > ${JSON.stringify(record)}
`,
  );
  chmodSync(join(fakeBin, 'node'), 0o755);
  const r = spawnSync(bin, ['tail', '/logs/*.log'], { encoding: 'utf8', env: { PATH: `${fakeBin}:/usr/bin:/bin` } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'dropship: this Node (v99.0.0) rejects --liftoff-only; running without it\n');
  const args = readFileSync(record, 'utf8').trimEnd().split('\n');
  assert.deepEqual(args, [...FLAGS.filter((f) => f !== '--liftoff-only'), join(dirname(dirname(bin)), 'dist', 'cli', 'main.js'), 'tail', '/logs/*.log']);
});

test('the real bin runs the built CLI (when dist/ is built)', (t) => {
  const r = spawnSync(LAUNCHER, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 && /No such file|cannot open/.test(r.stderr) && !process.env.CI) {
    t.skip('dist/ not built (npm run build)');
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});
