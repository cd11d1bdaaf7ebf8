/**
 * Graceful shutdown for a process that ships through the sink: the first SIGINT/SIGTERM asks
 * for a drain (settle everything, acknowledge, then exit); a second one gives up at once. What
 * was not acknowledged is replayed from the sources' checkpoints at the next start, and the
 * deterministic ids turn any overlap into 409s.
 */
export interface Drainable {
  close(): Promise<void>;
  abort(): void;
}

export function onShutdownSignals(
  sink: Drainable,
  notify: (message: string) => void = (m) => process.stderr.write(`dropship: ${m}\n`),
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): () => void {
  let draining = false;
  const handler = (signal: NodeJS.Signals) => {
    if (draining) {
      notify(`${signal} again: stopping without waiting; unacknowledged documents will be re-sent at the next start`);
      sink.abort();
      return;
    }
    draining = true;
    notify(`${signal}: sending what is buffered before exiting (repeat to stop at once)`);
    void sink.close();
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
