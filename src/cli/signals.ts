import type { Logger } from '../log.js';

/**
 * The first SIGINT/SIGTERM asks the command to finish what it has read (its sources stop via
 * `abort`, the output settles, checkpoints are written); a second one exits at once. Returns
 * the function that removes the handlers.
 */
export function stopOnSignals(abort: AbortController, log: Logger, whatHappensOnForce: string): () => void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting; ${whatHappensOnForce}`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing what was read, then exiting`);
    abort.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}
