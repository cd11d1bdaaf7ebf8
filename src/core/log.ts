import { ecsFormat } from '@elastic/ecs-pino-format';
import pino from 'pino';
import { UsageError } from './errors.js';

/**
 * dropship's own logs, on stderr (stdout may carry `--output stdout` documents): ECS JSON, so they
 * can be shipped to the same Elasticsearch and read next to the router's; or, for a person at a
 * terminal, one readable line per event. The text is made from the JSON line pino writes, on the
 * main thread and synchronously: a handful of lines a minute is not worth a transport thread.
 */
export type Logger = pino.Logger;

/** `auto`: text when stderr is a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'text';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LoggerOptions {
  /** Default: DROPSHIP_LOG_LEVEL, else info. */
  level?: string;
  format?: LogFormat;
  /** Where lines go; default: file descriptor 2, written synchronously. */
  destination?: { write(line: string): unknown };
  /** Whether stderr is a terminal (decides `auto`, and colours); default: process.stderr.isTTY. */
  tty?: boolean;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const level = (o.level ?? process.env.DROPSHIP_LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!LEVELS.includes(level)) throw new UsageError(`DROPSHIP_LOG_LEVEL must be one of ${LEVELS.join(', ')}; got "${o.level ?? process.env.DROPSHIP_LOG_LEVEL}"`);
  const tty = o.tty ?? process.stderr.isTTY === true;
  const format = o.format === undefined || o.format === 'auto' ? (tty ? 'text' : 'json') : o.format;
  const out = o.destination ?? pino.destination({ dest: 2, sync: true });
  const destination = format === 'json' ? out : textDestination(out, { color: tty && process.env.NO_COLOR === undefined, stack: process.env.DROPSHIP_DEBUG !== undefined });
  return pino({ ...ecsFormat({ convertErr: true }), level, base: { 'service.name': 'dropship' } }, destination);
}

interface TextOptions {
  color: boolean;
  /** Print an error's stack trace (DROPSHIP_DEBUG). */
  stack: boolean;
}

function textDestination(out: { write(line: string): unknown }, o: TextOptions): { write(line: string): void } {
  return { write: (line) => void out.write(formatLogLine(line, o)) };
}

/** Fields every line carries, or that the text shows in its own place. */
const SHOWN_APART = new Set(['@timestamp', 'log.level', 'message', 'ecs.version', 'service.name', 'process.pid', 'host.hostname', 'error']);

const COLOURS: Record<string, string> = { trace: '2', debug: '2', warn: '33', error: '31', fatal: '1;31' };

/**
 * One pino JSON line as `HH:MM:SS LEVEL message key=value …` (local time; nested fields dotted;
 * a value written out in the message is not repeated). Anything that is not such a line is
 * passed through as it is.
 */
export function formatLogLine(json: string, o: TextOptions = { color: false, stack: false }): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = String(record['log.level'] ?? 'info');
  const message = String(record.message ?? '');
  const time = typeof record['@timestamp'] === 'string' ? localTime(record['@timestamp']) : '';
  const word = level.toUpperCase().padEnd(5);
  const colour = o.color ? COLOURS[level] : undefined;
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (!SHOWN_APART.has(key)) flatten(key, value, pairs, message);
  }
  let text = `${time} ${colour === undefined ? word : `\x1b[${colour}m${word}\x1b[0m`} ${message}`;
  const error = record.error as { message?: unknown; stack_trace?: unknown } | undefined;
  if (error !== undefined && typeof error.message === 'string' && !message.includes(error.message)) text += `: ${error.message}`;
  if (pairs.length > 0) text += `  ${pairs.join(' ')}`;
  if (o.stack && error !== undefined && typeof error.stack_trace === 'string') text += `\n${error.stack_trace}`;
  return `${text}\n`;
}

function flatten(key: string, value: unknown, into: string[], message: string): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(`${key}.${k}`, v, into, message);
    return;
  }
  if (typeof value === 'string') {
    if (value === '' || message.includes(value)) return;
    into.push(`${key}=${/^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value)}`);
    return;
  }
  into.push(`${key}=${typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)}`);
}

const two = (n: number): string => String(n).padStart(2, '0');

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
