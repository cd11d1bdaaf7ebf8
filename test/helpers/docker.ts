import { before, type TestContext } from 'node:test';
import { getContainerRuntimeClient } from 'testcontainers';

/**
 * Integration suites call this at module level: it finds out once whether a Docker engine is
 * reachable, and `skipWithoutDocker(t)` then skips a test with the reason printed.
 */
export function dockerGate(): { skipWithoutDocker(t: TestContext): boolean; problem(): string | undefined } {
  let problem: string | undefined;
  before(async () => {
    try {
      await getContainerRuntimeClient();
    } catch (err) {
      problem = `no Docker engine reachable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    }
  });
  return {
    problem: () => problem,
    skipWithoutDocker(t: TestContext): boolean {
      if (problem === undefined) return false;
      console.log(`skipping "${t.name}": ${problem}`);
      t.skip(problem);
      return true;
    },
  };
}
