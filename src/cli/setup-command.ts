import { Option, type Command } from 'commander';
import { addConnectionOptions, connectionWarnings, createClient, describeConnection, resolveConnection, type ConnectionFlags } from '../elasticsearch/connection.js';
import { ensureShipperKey } from '../elasticsearch/api-key.js';
import { DEFAULT_RETENTION_DAYS, runSetup, type IndexMode } from '../elasticsearch/setup.js';
import { importSavedObjects, kibanaConnectionFromEnv } from '../kibana/saved-objects.js';
import { UsageError } from './errors.js';

interface SetupFlags extends ConnectionFlags {
  retention: string;
  indexMode: IndexMode;
  kibanaHost?: string;
  kibanaSpace?: string;
  kibana: boolean;
  shipperApiKeyFile?: string;
}

/**
 * The dashboards go in through Kibana's saved-objects import (overwrite, so upgrades are clean).
 * Without a Kibana address this step is skipped with a note, so `setup` also works for users
 * who only want the Elasticsearch side.
 */
async function setupKibana(flags: SetupFlags, say: (line: string) => void): Promise<void> {
  const host = flags.kibanaHost ?? process.env.KIBANA_HOST;
  if (!flags.kibana) return;
  if (host === undefined || host.trim() === '') {
    say('KIBANA_HOST not set: dashboards not imported (set KIBANA_HOST or --kibana-host to import them)');
    return;
  }
  const conn = kibanaConnectionFromEnv({ ...process.env, KIBANA_HOST: host });
  const result = await importSavedObjects({ ...conn, ...(flags.kibanaSpace ? { space: flags.kibanaSpace } : {}), log: say });
  if (result.errors.length > 0) {
    const first = result.errors.slice(0, 3).map((e) => `${e.type} ${e.id}: ${e.error.type}`).join('; ');
    throw new Error(`Kibana rejected ${result.errors.length} saved object(s): ${first}`);
  }
  say(`Kibana: imported ${result.successCount} saved objects (dashboards "dropship — Firewall overview", "dropship — SSH login attempts")`);
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
    .option('--kibana-host <url>', 'Kibana to import the dashboards into (env KIBANA_HOST)')
    .option('--kibana-space <id>', 'Kibana space for the dashboards (default: the default space)')
    .option('--no-kibana', 'do not import the Kibana dashboards')
    .option('--shipper-api-key-file <path>', 'keep the API key in this file if still valid, else create one that may only write to logs-dropship.*-* (create_doc, auto_configure) and write it there (mode 0600); give it to tail/import with --es-api-key-file')
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
      if (flags.shipperApiKeyFile) await ensureShipperKey(client, settings, flags.shipperApiKeyFile, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(`Elasticsearch ${info.version} at ${describeConnection(settings)} is set up for dropship\n`);
      await setupKibana(flags, (line) => process.stdout.write(`${line}\n`));
    } finally {
      await client.close();
    }
  });
}
