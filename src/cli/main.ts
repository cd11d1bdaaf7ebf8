#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=64 --v8-pool-size=1 --liftoff-only --no-maglev
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_USAGE, reportError } from './errors.js';
import { DROPSHIP_ENV_HELP } from './env-help.js';

// The flags on the first line (bin/dropship starts node with them, leaving out any a Node
// rejects) size the main thread's heap for what it holds: sources, request
// bookkeeping and small short-lived garbage (documents are built in worker threads, request
// bodies live outside the heap). Left to its defaults, V8 lets a 20 MB live set grow a heap of
// 60–80 MB before collecting. 64 MB old space is over twice the largest live set measured (see
// bench/README.md); parser threads get their own limits in processing/pool.ts, whose young
// generation (maxYoungGenerationSizeMb) is the one --max-semi-space-size=2 gives here: change both.
// --liftoff-only: the HTTP client (undici) parses responses with llhttp compiled to WebAssembly,
// and V8's optimizing tier-up of that module, on the first requests, briefly took ~20 MiB of
// compiler memory: the whole difference between the steady RSS and the peak (measured 142–143
// vs 122–124 MiB over 300k lines; same throughput, since responses are a small part of the work).
// --no-maglev: Node 24's V8 adds a mid-tier optimizing compiler (Maglev; Node 20 has it but off)
// whose code and compile-time zones cost 10–25 MiB of peak RSS over 300k lines, with no CPU per
// line gained: Sparkplug and TurboFan alone run it as fast (bench/README.md, 2026-12-06 memory).

const program = new Command('dropship')
  .description('Turn home-router and small-office firewall logs into Elasticsearch data and Kibana dashboards.')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', DROPSHIP_ENV_HELP)
  // Commander quotes an unknown option whole, value included: `--es-password=…` would print the
  // very secret dropship refuses to take on a command line. Subcommands inherit this.
  .configureOutput({ outputError: (text, write) => write(withoutOptionValues(text)) })
  .exitOverride();

function withoutOptionValues(text: string): string {
  return text.replace(/(unknown option '-[^'=\s]*)=[^\n]*/g, "$1=…'");
}

type Register = (program: Command) => void;
const commands: Record<string, () => Promise<Register>> = {
  parse: async () => (await import('./parse-command.js')).registerParse,
  tail: async () => (await import('./tail-command.js')).registerTail,
  import: async () => (await import('./import-command.js')).registerImport,
  setup: async () => (await import('./setup-command.js')).registerSetup,
  report: async () => (await import('./report-command.js')).registerReport,
};
// Only the command being run is loaded: a long-running `tail` then carries neither the ECS field
// tables of `setup` nor the archive readers of `import` (tens of MB of RSS). Help, version and
// anything unrecognised load them all, in this order.
const named = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const chosen = named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands);
for (const name of chosen) (await commands[name]!())(program);

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end through exitOverride too, with code 0.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.exitCode = reportError(err);
  }
}
