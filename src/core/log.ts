import { ecsFormat } from '@elastic/ecs-pino-format';
import pino from 'pino';

/**
 * dropship's own logs: ECS JSON on stderr (stdout may carry `--output stdout` documents), so
 * they can be shipped to the same Elasticsearch and read next to the router's.
 */
export type Logger = pino.Logger;

export function createLogger(level = process.env.DROPSHIP_LOG_LEVEL ?? 'info'): Logger {
  return pino({ ...ecsFormat({ convertErr: true }), level, base: { 'service.name': 'dropship' } }, pino.destination({ dest: 2, sync: true }));
}
