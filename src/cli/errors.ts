import { UsageError } from '../core/errors.js';

export { UsageError };

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** One clear line for the user; stack traces only when DROPSHIP_DEBUG is set. */
export function reportError(err: unknown): number {
  const code = err instanceof UsageError ? EXIT_USAGE : EXIT_RUNTIME;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`dropship: ${message}\n`);
  if (process.env.DROPSHIP_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return code;
}
