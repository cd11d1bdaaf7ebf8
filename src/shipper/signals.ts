import type { Logger } from '../core/log.js';

export interface ShutdownGrace {
  /** How long the output may take to settle what was read. */
  ms: number;
  /** Gives up on what is still unsettled (it stays unacknowledged, so it is read again next time). */
  expire: () => void;
}

/**
 * The first SIGINT/SIGTERM asks the command to finish what it has read (its sources stop via
 * `abort`, the output settles, checkpoints are written); a second one exits at once. Returns
 * the function that removes the handlers.
 */
export function stopOnSignals(abort: AbortController, log: Logger, whatHappensOnForce: string, grace: ShutdownGrace): () => void {
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting; ${whatHappensOnForce}`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing what was read, then exiting`);
    abort.abort();
    // With Elasticsearch unreachable "finishing" never ends; a service manager would kill us
    // anyway, so stop waiting first and leave cleanly with the checkpoints we can vouch for.
    timer = setTimeout(() => {
      log.warn(`output not settled ${grace.ms / 1000} s after ${signal}: exiting; ${whatHappensOnForce}`);
      grace.expire();
    }, grace.ms);
    timer.unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return () => {
    clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}
