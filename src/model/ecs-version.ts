/**
 * The ECS version documents declare (`ecs.version`): the version of the `@elastic/ecs` package
 * the field definitions are checked against (test/unit/ecs-version.test.ts keeps the two equal).
 *
 * A literal rather than an import: that package's entry point also loads every ECS field
 * definition (megabytes of JSON), which parser worker threads must not pay for in memory and
 * start-up time.
 */
export const ECS_VERSION = '9.4.0';
