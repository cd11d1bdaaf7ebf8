import { Option, type Command } from 'commander';
import { defaultStateDir } from '../shipper/shipper.js';
import type { BulkSettings } from '../shipper/output.js';
import { UsageError } from './errors.js';
import { numericOption, wholeNumber } from './options.js';

/** Bulk request tuning, for tail and import. */
export interface BulkFlags {
  bulkMaxBytes: string;
  bulkConcurrency: string;
}

export const DEFAULT_BULK_MAX_BYTES = 2_000_000;
export const DEFAULT_BULK_CONCURRENCY = 3;

export function addBulkOptions(command: Command): Command {
  return command
    .addOption(numericOption('--bulk-max-bytes <bytes>', 'largest _bulk request body', DEFAULT_BULK_MAX_BYTES))
    .addOption(numericOption('--bulk-concurrency <n>', 'most _bulk requests in flight at once (fewer while Elasticsearch pushes back)', DEFAULT_BULK_CONCURRENCY));
}

/** The bulk flags, checked (a usage error otherwise) before anything is opened. */
export function bulkSettings(flags: Partial<BulkFlags>): BulkSettings {
  return {
    maxBatchBytes: wholeNumber('--bulk-max-bytes', flags.bulkMaxBytes ?? String(DEFAULT_BULK_MAX_BYTES), 1),
    concurrency: wholeNumber('--bulk-concurrency', flags.bulkConcurrency ?? String(DEFAULT_BULK_CONCURRENCY), 1),
  };
}

/** Checks the --output value before anything is opened. */
export function checkOutputOption(output: string): void {
  if (output === 'elasticsearch' || output === 'stdout' || (output.startsWith('ndjson:') && output.length > 7)) return;
  throw new UsageError(`--output must be elasticsearch, stdout or ndjson:<file>, got "${output}"`);
}

/** `--shutdown-timeout`, shared by tail and import. */
export function addShutdownOption(command: Command): Command {
  return command.addOption(numericOption('--shutdown-timeout <seconds>', 'on SIGINT/SIGTERM, how long to wait for Elasticsearch to take what was read', 10));
}

/** `--state-dir`, whose default is described rather than shown as this machine's path. */
export function stateDirOption(description: string): Option {
  return new Option('--state-dir <dir>', description).default(defaultStateDir(), '$DROPSHIP_STATE_DIR, else $XDG_STATE_HOME/dropship or ~/.local/state/dropship');
}
