import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

/**
 * The README's commands run as written (issue 18): every `sh` block of README.md, in order, in a
 * copy of this checkout's files (what `git clone` gives), with a fresh HOME and no Elasticsearch
 * settings. A block that needs something a test cannot have is marked in the README by a comment
 * on the line before it and skipped here with its reason:
 *
 *   <!-- readme-test: skip, needs Docker -->    skipped, the reason shown in the skip summary
 *   <!-- readme-test: install -->               `npm ci`: this checkout's node_modules is linked
 *                                               and the build `prepare` runs is run
 *
 * Also: every relative link of the README and of docs/ leads to a file, and to a heading there.
 */

const ROOT = join(import.meta.dirname, '..', '..');

interface Block {
  line: number;
  code: string;
  marker: { kind: 'run' } | { kind: 'skip'; reason: string } | { kind: 'install' };
}

/** The README's shell blocks, each with the marker on the line before its fence. */
export function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(\w*)\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence[1]!) && l.trim() === fence[1]);
    assert.ok(end > i, `README line ${i + 1}: a code block that never ends`);
    if (['sh', 'bash', 'shell'].includes(fence[2]!)) {
      const m = /^<!-- readme-test: (skip, (.+?)|install) -->$/.exec(lines[i - 1]?.trim() ?? '');
      const marker: Block['marker'] = m === null ? { kind: 'run' } : m[1] === 'install' ? { kind: 'install' } : { kind: 'skip', reason: m[2]! };
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), marker });
    }
    i = end;
  }
  return blocks;
}

/** Why the copy cannot be made here, if it cannot. */
function gitProblem(): string | false {
  try {
    execFileSync('git', ['-C', ROOT, 'rev-parse', '--is-inside-work-tree'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'needs git and a git checkout, to copy the files a clone has';
  }
}

const skip = gitProblem();
if (skip && process.env.CI) throw new Error(`CI is set but the README test ${skip}`);

describe('the README, run as written on a fresh checkout', { skip }, () => {
  const blocks = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  let work: string;
  let tree: string;
  let home: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'dropship-readme-'));
    tree = join(work, 'dropship');
    home = join(work, 'home');
    mkdirSync(home);
    // What a clone has: the tracked files, plus new ones not yet committed (not ignored ones such
    // as node_modules, dist or .env), as they are in this working tree.
    const files = execFileSync('git', ['-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
      .split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isFile());
    for (const f of files) {
      mkdirSync(dirname(join(tree, f)), { recursive: true });
      cpSync(join(ROOT, f), join(tree, f));
      chmodSync(join(tree, f), statSync(join(ROOT, f)).mode & 0o777);
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('has shell blocks that run here, and none unmarked that needs Docker or Elasticsearch', () => {
    assert.ok(blocks.some((b) => b.marker.kind === 'run'));
    assert.ok(blocks.some((b) => b.marker.kind === 'install'), 'the install step is marked');
    for (const b of blocks.filter((x) => x.marker.kind === 'run')) {
      assert.doesNotMatch(b.code, /docker|ELASTICSEARCH_|dropship (setup|tail)\b/, `README line ${b.line} needs a stack: mark it <!-- readme-test: skip, … -->`);
    }
  });

  for (const b of blocks) {
    const title = `README line ${b.line}: ${b.code.split('\n')[0]}`;
    if (b.marker.kind === 'skip') {
      test(title, { skip: b.marker.reason }, () => undefined);
      continue;
    }
    test(title, () => {
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TZ: 'UTC', LANG: 'C.UTF-8',
        // npx finds the project's own command; nothing may come from the network.
        npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false',
      };
      if (b.marker.kind === 'install') {
        assert.match(b.code.trim(), /^npm ci\b/, 'the install block is `npm ci`');
        symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
        const built = spawnSync('npm', ['run', 'build'], { cwd: tree, env, encoding: 'utf8' });
        assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
        return;
      }
      const r = spawnSync('sh', ['-e', '-c', b.code], { cwd: tree, env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout.slice(0, 4000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`);
      assert.doesNotMatch(r.stderr, /^dropship: /m, `a dropship error or warning:\n${r.stderr}`);
    });
  }

  test('what the README says the commands write is there', () => {
    const report = join(tree, 'report.html');
    assert.ok(existsSync(report), 'report.html');
    assert.match(readFileSync(report, 'utf8'), /^<!doctype html>/i);
    const ndjson = readFileSync(join(tree, 'demo.ndjson'), 'utf8').trim().split('\n');
    assert.ok(ndjson.length > 1000, `${ndjson.length} documents in demo.ndjson`);
    assert.equal(typeof (JSON.parse(ndjson[0]!) as { '@timestamp': unknown })['@timestamp'], 'string');
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) inCode = !inCode;
    const h = inCode ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (h === null) continue;
    const base = slug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links outside code: [text](target), with the line they are on. */
function links(markdown: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  let inCode = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^```/.test(text)) inCode = !inCode;
    if (inCode) return;
    for (const m of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/i.test(m[1]!)) out.push({ target: m[1]!, line: i + 1 });
    }
  });
  return out;
}

test('every relative link of the README and of docs/ leads to a file and heading that exist', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const problems: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const { target, line } of links(text)) {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path);
      if (!existsSync(file)) {
        problems.push(`${page}:${line}: ${target}: no ${relative(ROOT, file)}`);
        continue;
      }
      if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        problems.push(`${page}:${line}: ${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the README leads: at most 200 lines, with a picture', () => {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(text.split('\n').length <= 200, `${text.split('\n').length} lines`);
  assert.match(text, /!\[[^\]]+\]\(docs\/images\/[\w-]+\.png\)/);
});
