/**
 * Bench: `dropship import` of a rotated set of .gz files to the loopback `_bulk` server (in its
 * own process, bench/bulk-server-child.ts).
 *
 *   node --import tsx bench/import.ts [gzBytes=1000000000] [dir=<tmp>/dropship-bench-import] [workers]
 *
 * Generates (once, reused when present) `router.log.4.gz` … `router.log.1.gz` of realistic,
 * time-ordered lines spanning New Year, streamed through gzip level 1 until the set reaches
 * `gzBytes` compressed, and reports how long that took. Then imports the set and prints MB/s of
 * compressed input, MB/s of log text, lines/s and peak memory. BENCH_YEAR=<yyyy> forces the year
 * (no first pass), to show what dating the files from themselves costs.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { runImport } from '../src/cli/import-command.js';
import { createLineGenerator } from './generate.js';

const gzBytes = Number(process.argv[2] ?? 1e9);
const dir = process.argv[3] ?? join(tmpdir(), 'dropship-bench-import');
const workers = process.argv[4];
const FILES = 4;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** The generator's timestamp, with or without a `<4>` priority in front. */
const TIMESTAMP = /^(<\d+>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d/;

interface SetInfo { lines: number; textBytes: number; seconds: number }

/** Streams lines into FILES gzip files (oldest first), each about gzBytes / FILES compressed. */
async function generate(): Promise<SetInfo> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const next = createLineGenerator(7);
  // About 60 days of simulated time whatever the size (~40 gzip bytes per line at level 1),
  // New Year three quarters of the way through, so the dating has a rollover to handle.
  const perFile = gzBytes / FILES;
  const stepMs = Math.max(1, Math.floor((60 * 86_400_000) / Math.max(1, gzBytes / 40)));
  const startMs = Date.UTC(2027, 0, 1) - 45 * 86_400_000;
  let lines = 0;
  let textBytes = 0;
  let t = 0;
  const files: { path: string; lastMs: number }[] = [];
  for (let f = FILES; f >= 1; f--) {
    const path = join(dir, `router.log.${f}.gz`);
    const out = createWriteStream(path);
    const gzip = createGzip({ level: 1 });
    gzip.pipe(out);
    let written = 0;
    gzip.on('data', (c: Buffer) => (written += c.length));
    while (written < perFile) {
      let chunk = '';
      for (let i = 0; i < 2000; i++) {
        const d = new Date(startMs + t);
        t += stepMs;
        const ts = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
        const line = next().replace(TIMESTAMP, (_m, pri: string | undefined) => `${pri ?? ''}${ts}`);
        chunk += line + '\n';
      }
      lines += 2000;
      textBytes += Buffer.byteLength(chunk);
      if (!gzip.write(chunk)) await once(gzip, 'drain');
    }
    gzip.end();
    await once(out, 'finish');
    files.push({ path, lastMs: startMs + t });
  }
  // mtimes just after each file's last line, as logrotate leaves them.
  for (const f of files) utimesSync(f.path, new Date(f.lastMs + 60_000), new Date(f.lastMs + 60_000));
  const seconds = (performance.now() - started) / 1000;
  const info: SetInfo = { lines, textBytes, seconds };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, '.set.json'), JSON.stringify({ ...info, gzBytes }));
  return info;
}

async function existing(): Promise<SetInfo | undefined> {
  const meta = join(dir, '.set.json');
  if (!existsSync(meta)) return undefined;
  const { readFileSync } = await import('node:fs');
  const info = JSON.parse(readFileSync(meta, 'utf8')) as SetInfo & { gzBytes: number };
  return info.gzBytes === gzBytes ? info : undefined;
}

const reused = await existing();
const set = reused ?? (await generate());
const gzTotal = readdirSync(dir).filter((f) => f.endsWith('.gz')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
console.log(`set             ${FILES} files, ${(gzTotal / 1e6).toFixed(1)} MB gzip (level 1), ${(set.textBytes / 1e6).toFixed(1)} MB of text, ${set.lines.toLocaleString('en')} lines`);
console.log(`generation      ${reused ? 'reused from an earlier run, took' : 'took'} ${set.seconds.toFixed(1)} s`);

// The server keeps every id (tens of millions at 1 GB): room beyond V8's default heap limit.
const child = fork(fileURLToPath(new URL('./bulk-server-child.ts', import.meta.url)), [], { execArgv: ['--max-old-space-size=8192', '--import', 'tsx'] });
const [ready] = (await once(child, 'message')) as [{ port: number }];
const state = join(dir, '.state');
rmSync(state, { recursive: true, force: true });

const started = performance.now();
const summary = await runImport([dir], {
  output: 'elasticsearch', namespace: 'bench', stateDir: state, progressInterval: '30', timezone: 'UTC',
  esHosts: `http://127.0.0.1:${ready.port}`, ...(workers === undefined ? {} : { workers }),
  ...(process.env.BENCH_YEAR ? { year: process.env.BENCH_YEAR } : {}),
});
const seconds = (performance.now() - started) / 1000;
child.send('stats');
const [server] = (await once(child, 'message')) as [{ items: number; stored: number; rss: number }];
child.send('stop');

console.log(`import          ${seconds.toFixed(1)} s${process.env.BENCH_YEAR ? ` (--year ${process.env.BENCH_YEAR}: no first pass)` : ' (two passes: dating, then import)'}`);
console.log(`throughput      ${(gzTotal / 1e6 / seconds).toFixed(1)} MB/s gzip, ${(set.textBytes / 1e6 / seconds).toFixed(1)} MB/s text, ${Math.round(summary.lines / seconds).toLocaleString('en')} lines/s`);
console.log(`documents       ${summary.indexed.toLocaleString('en')} indexed, ${summary.alreadyPresent} present, ${summary.unparsed} unparsed, ${summary.deadLettered} dead-lettered; server stored ${server.stored.toLocaleString('en')}`);
console.log(`peak RSS        ${Math.round(summary.peakRssBytes / 2 ** 20)} MiB importer (all threads), ${Math.round(server.rss / 2 ** 20)} MiB server`);
if (summary.lines !== set.lines || server.stored !== set.lines) {
  console.error(`MISMATCH: ${set.lines} lines generated, ${summary.lines} read, ${server.stored} stored`);
  process.exitCode = 1;
}
