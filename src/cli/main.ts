#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, reportError } from './errors.js';
import { registerSetup } from './setup-command.js';

const program = new Command('dropship')
  .description('Turn home-router and small-office firewall logs into Elasticsearch data and Kibana dashboards.')
  .version(process.env.npm_package_version ?? '0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerSetup(program);


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
