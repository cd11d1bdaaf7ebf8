import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/**
 * What `dropship import` reads: paths, directories (walked) and globs, grouped into rotated sets
 * and ordered oldest to newest, so that documents arrive roughly in time order and each file of a
 * set can take its year anchor from the next-newer one.
 */

export interface RotatedSet {
  /** Directory + base name shared by the set, e.g. /var/log/router.log */
  key: string;
  /** Oldest first: router.log.3.gz, router.log.2.gz, router.log.1, router.log */
  files: string[];
}

export interface Discovery {
  sets: RotatedSet[];
  /** Arguments that matched nothing. */
  missing: string[];
}

interface Rotation {
  base: string;
  /** Sorts oldest first: dated files by date, then numbered ones from the highest number, then the live file. */
  order: [number, number];
}

/**
 * Splits `router.log.2.gz` into its base name and its age. Understands logrotate's numbered
 * (`.1`, `.2.gz`) and dated (`-20260101`, `-20260101.gz`) names; anything else is a live file.
 */
export function rotationOf(name: string): Rotation {
  const plain = name.endsWith('.gz') ? name.slice(0, -3) : name;
  const dated = /^(.+)-(\d{8})$/.exec(plain);
  if (dated) return { base: dated[1]!, order: [0, Number(dated[2])] };
  const numbered = /^(.+)\.(\d{1,4})$/.exec(plain);
  if (numbered) return { base: numbered[1]!, order: [1, -Number(numbered[2])] };
  return { base: plain, order: [2, 0] };
}

/** Groups files into rotated sets, each oldest to newest; sets in path order. */
export function groupRotated(paths: readonly string[]): RotatedSet[] {
  const sets = new Map<string, { path: string; order: [number, number] }[]>();
  for (const path of new Set(paths)) {
    const r = rotationOf(basename(path));
    const key = join(dirname(path), r.base);
    let members = sets.get(key);
    if (members === undefined) sets.set(key, (members = []));
    members.push({ path, order: r.order });
  }
  return [...sets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, members]) => ({
      key,
      files: members
        .sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || (a.path < b.path ? -1 : 1))
        .map((m) => m.path),
    }));
}

/** Regular files under a directory, hidden ones left out (editor swap files, our own state). */
async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out);
    else if (e.isFile()) out.push(path);
  }
}

/**
 * Expands the command-line arguments. `exclude` are paths never to import although they match
 * (dropship's own state directory and output file, when they lie among the inputs).
 */
export async function discover(args: readonly string[], exclude: readonly string[] = []): Promise<Discovery> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const arg of args) {
    if (isDynamicPattern(arg)) {
      const found = await glob(arg, { absolute: true, onlyFiles: true, dot: false });
      if (found.length === 0) missing.push(arg);
      files.push(...found);
      continue;
    }
    const path = resolve(arg);
    const st = await stat(path).catch(() => undefined);
    if (st === undefined) missing.push(arg);
    else if (st.isDirectory()) await walk(path, files);
    else files.push(path);
  }
  const skip = exclude.map((p) => resolve(p));
  const wanted = files.filter((f) => !skip.some((p) => f === p || f.startsWith(p.endsWith(sep) ? p : p + sep)));
  return { sets: groupRotated(wanted), missing };
}

export type InputKind = 'lines' | 'ndjson' | 'json';

/**
 * What a file holds, from its first bytes: `[` then `{` is a JSON array; `{` is NDJSON when the first line
 * is a whole JSON value, else one (pretty-printed or long) JSON document such as a `_search`
 * response; anything else is log lines.
 */
export function sniffKind(head: Buffer): InputKind {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3; // UTF-8 BOM
  const ws = (at: number): number => {
    while (at < head.length && (head[at] === 32 || head[at] === 9 || head[at] === 10 || head[at] === 13)) at++;
    return at;
  };
  i = ws(i);
  // An array of documents; `[ 1234.5678] kernel: …` (dmesg) and `[UFW BLOCK] …` are log lines.
  if (head[i] === 0x5b) {
    const next = head[ws(i + 1)];
    return next === 0x7b || next === 0x5d ? 'json' : 'lines';
  }
  if (head[i] !== 0x7b) return 'lines';
  const nl = head.indexOf(10, i);
  if (nl < 0) return 'json';
  try {
    JSON.parse(head.toString('utf8', i, nl));
    return 'ndjson';
  } catch {
    return 'json';
  }
}
