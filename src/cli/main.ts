#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_USAGE, reportError } from './errors.js';
import { registerImport } from './import-command.js';
import { registerParse } from './parse-command.js';
import { registerSetup } from './setup-command.js';
import { registerTail } from './tail-command.js';

const program = new Command('dropship')
  .description('Turn home-router and small-office firewall logs into Elasticsearch data and Kibana dashboards.')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerParse(program);
registerTail(program);
registerImport(program);
registerSetup(program);

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
