import { Option, type Command } from 'commander';
import { addConnectionOptions, connectionWarnings, createClient, describeConnection, resolveConnection, type ConnectionFlags } from '../elasticsearch/connection.js';
import { ensureShipperKey } from '../elasticsearch/api-key.js';
import { DEFAULT_RETENTION_DAYS, runSetup, type IndexMode } from '../elasticsearch/setup.js';
import { dashboardUrl, installSavedObjects, kibanaConnectionFromEnv, type InstalledObject } from '../kibana/saved-objects.js';
import { hostTimeZoneName } from '../time/zone.js';
import { UsageError } from './errors.js';
import { numericOption, parseTimeZoneOption } from './options.js';

interface SetupFlags extends ConnectionFlags {
  retention: string;
  indexMode: IndexMode;
  kibanaHost?: string;
  kibanaSpace?: string;
  kibanaPublicUrl?: string;
  timezone?: string;
  kibana: boolean;
  shipperApiKeyFile?: string;
}

/**
 * The dashboards go in through Kibana's saved-objects import. Objects that are missing are created;
 * a data view already there is only added to, a dashboard only replaced when dropship's own
 * version changed (src/kibana/install-plan.ts), so a re-run (every `docker compose up`) keeps what
 * the user changed. Without a Kibana address this step is skipped with a note, so `setup` also works
 * for users who only want the Elasticsearch side.
 */
async function setupKibana(flags: SetupFlags, timezone: string, say: (line: string) => void): Promise<void> {
  const host = flags.kibanaHost ?? process.env.KIBANA_HOST;
  if (!flags.kibana) return;
  if (host === undefined || host.trim() === '') {
    say('KIBANA_HOST not set: dashboards not imported (set KIBANA_HOST or --kibana-host to import them)');
    return;
  }
  const conn = kibanaConnectionFromEnv({ ...process.env, KIBANA_HOST: host });
  const space = flags.kibanaSpace;
  const publicUrl = flags.kibanaPublicUrl ?? process.env.KIBANA_PUBLIC_URL ?? host;
  const result = await installSavedObjects({ ...conn, ...(space ? { space } : {}), timezone, log: say });
  say(kibanaSummary(result.objects, space));
  for (const o of result.objects.filter((x) => x.action === 'updated')) say(`  updated ${o.type} "${o.title}": ${o.why}`);
  say(`Kibana: dashboards show hours and weekdays in ${timezone}`);
  for (const d of result.objects.filter((x) => x.type === 'dashboard')) say(`  ${d.title}: ${dashboardUrl(publicUrl, space, d.spaceId)}`);
}

export function kibanaSummary(objects: InstalledObject[], space: string | undefined): string {
  const n = (a: InstalledObject['action']): number => objects.filter((o) => o.action === a).length;
  return `Kibana${space && space !== 'default' ? ` (space ${space})` : ''}: ${objects.length} saved objects in place — ${n('created')} created, ${n('updated')} updated, ${n('kept')} left as they were`;
}

/**
 * The router's zone: --timezone, else the host's. A TZ that Node does not understand (the
 * compose .env placeholder, a typo) would silently be UTC for the shipper; setup runs first in the
 * stack and refuses it, so nothing ships in the wrong zone.
 */
export function routerTimeZone(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) return parseTimeZoneOption(flag);
  const tz = env.TZ;
  if (tz && !new Intl.DateTimeFormat().resolvedOptions().timeZone) {
    throw new UsageError(`TZ="${tz}" is not a time zone: set ROUTER_TIMEZONE in .env (or TZ, or --timezone) to the router's IANA zone, e.g. Europe/Berlin`);
  }
  return parseTimeZoneOption(hostTimeZoneName());
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
    .description('install or upgrade the Elasticsearch lifecycle policy, ingest pipeline and index templates, and the Kibana data views and dashboards (idempotent; safe at every start)')
    .addOption(numericOption('--retention <days>', 'delete data older than this many days', DEFAULT_RETENTION_DAYS))
    .option('--kibana-host <url>', 'Kibana to import the dashboards into (env KIBANA_HOST)')
    .option('--kibana-space <id>', 'Kibana space for the dashboards (default: the default space)')
    .option('--kibana-public-url <url>', 'Kibana address for the printed dashboard links, when users reach it differently (env KIBANA_PUBLIC_URL; default: the Kibana host)')
    .option('--timezone <IANA>', "the router's time zone, as given to the shipper: the dashboards say their hours are in it (default: the host's)")
    .option('--no-kibana', 'do not import the Kibana dashboards')
    .option('--shipper-api-key-file <path>', 'keep the API key in this file if still valid, else create one that may only write to logs-dropship.*-* (create_doc, auto_configure) and write it there (mode 0600); give it to tail/import with --es-api-key-file')
    .addOption(
      new Option('--index-mode <mode>', 'index mode of the data streams: auto = logsdb on Elasticsearch 8.17+, standard before')
        .choices(['auto', 'logsdb', 'standard'])
        .default('auto'),
    );
  addConnectionOptions(command).action(async (flags: SetupFlags) => {
    const retentionDays = parseRetentionDays(flags.retention);
    const timezone = routerTimeZone(flags.timezone);
    const settings = resolveConnection(flags);
    for (const warning of connectionWarnings(settings)) process.stderr.write(`dropship: WARNING: ${warning}\n`);
    const client = createClient(settings);
    try {
      const info = await runSetup(client, { retentionDays, indexMode: flags.indexMode }, (line) => process.stdout.write(`${line}\n`));
      if (flags.shipperApiKeyFile) await ensureShipperKey(client, settings, flags.shipperApiKeyFile, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(`Elasticsearch ${info.version} at ${describeConnection(settings)} is set up for dropship\n`);
      await setupKibana(flags, timezone, (line) => process.stdout.write(`${line}\n`));
    } finally {
      await client.close();
    }
  });
}
