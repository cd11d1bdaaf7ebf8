import { Option, type Command } from 'commander';
import { addConnectionOptions, connectionWarnings, createClient, describeConnection, resolveConnection, type ConnectionFlags } from '../es/connection.js';
import { DEFAULT_RETENTION_DAYS, runSetup, type IndexMode } from '../es/setup.js';
import { UsageError } from './errors.js';

interface SetupFlags extends ConnectionFlags {
  retention: string;
  indexMode: IndexMode;
}

export function parseRetentionDays(text: string): number {
  const match = /^\s*(\d+)\s*d?\s*$/i.exec(text);
  const days = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(days) || days < 1) throw new UsageError(`--retention must be a whole number of days (e.g. 180 or 180d), got "${text}"`);
  return days;
}

export function registerSetup(program: Command): void {
  const command = program
    .command('setup')
    .description('install or upgrade the Elasticsearch lifecycle policy, ingest pipeline and index templates (idempotent; safe at every start)')
    .option('--retention <days>', 'delete data older than this many days', String(DEFAULT_RETENTION_DAYS))
    .addOption(
      new Option('--index-mode <mode>', 'index mode of the data streams: auto = logsdb on Elasticsearch 8.17+, standard before')
        .choices(['auto', 'logsdb', 'standard'])
        .default('auto'),
    );
  addConnectionOptions(command).action(async (flags: SetupFlags) => {
    const retentionDays = parseRetentionDays(flags.retention);
    const settings = resolveConnection(flags);
    for (const warning of connectionWarnings(settings)) process.stderr.write(`dropship: WARNING: ${warning}\n`);
    const client = createClient(settings);
    try {
      const info = await runSetup(client, { retentionDays, indexMode: flags.indexMode }, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(`Elasticsearch ${info.version} at ${describeConnection(settings)} is set up for dropship\n`);
    } finally {
      await client.close();
    }
  });
}
