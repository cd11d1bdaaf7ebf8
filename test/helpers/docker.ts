import { before, type TestContext } from 'node:test';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';

/**
 * Integration suites call this at module level: it finds out once whether a Docker engine is
 * reachable, and `skipWithoutDocker(t)` then skips a test with the reason (the reporters print it
 * with the skipped test; test/helpers/skip-summary.mjs lists it again at the end).
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
      t.skip(`needs Docker: ${problem}`);
      return true;
    },
  };
}

/** A single-node Elasticsearch without security, up (cluster yellow) and reachable at `url`. */
export async function startElasticsearch(version: string): Promise<{ container: StartedTestContainer; url: string }> {
  const container = await new GenericContainer(`docker.elastic.co/elasticsearch/elasticsearch:${version}`)
    .withEnvironment({ 'discovery.type': 'single-node', 'xpack.security.enabled': 'false', ES_JAVA_OPTS: '-Xms512m -Xmx512m' })
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=60s', 9200).forStatusCode(200))
    .withStartupTimeout(240_000)
    .start();
  return { container, url: `http://${container.getHost()}:${container.getMappedPort(9200)}` };
}
