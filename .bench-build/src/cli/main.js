#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_USAGE, reportError } from './errors.js';
import { registerParse } from './parse-command.js';
const program = new Command('dropship')
    .description('Turn home-router and small-office firewall logs into Elasticsearch data and Kibana dashboards.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
registerParse(program);
function packageVersion() {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return pkg.version;
}
try {
    await program.parseAsync(process.argv);
}
catch (err) {
    if (err instanceof CommanderError) {
        // --help and --version end through exitOverride too, with code 0.
        process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    else {
        process.exitCode = reportError(err);
    }
}
