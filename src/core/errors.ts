/**
 * A mistake in how dropship was invoked or configured (an option, a setting, a file named on the
 * command line): any layer may throw it, and the CLI reports it in one line with exit code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
