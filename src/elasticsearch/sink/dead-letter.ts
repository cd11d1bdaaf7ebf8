import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A document Elasticsearch refused for a reason retrying cannot fix (mapping, parsing, ...). */
export interface DeadLetter {
  reason: string;
  status: number;
  index: string;
  id: string;
  /** The document exactly as it was sent (serialized JSON), or null if there was none. */
  document: string | null;
}

export interface DeadLetterQueue {
  /** Must resolve only once the records are stored: the sink acknowledges them afterwards. */
  write(records: readonly DeadLetter[], now?: Date): Promise<void>;
}

/** One NDJSON line. The document is embedded as-is, so it is never parsed and re-serialized. */
export function formatDeadLetter(record: DeadLetter, now: Date): string {
  return (
    `{"@timestamp":${JSON.stringify(now.toISOString())},"reason":${JSON.stringify(record.reason)},` +
    `"status":${record.status},"index":${JSON.stringify(record.index)},"id":${JSON.stringify(record.id)},` +
    `"document":${record.document ?? 'null'}}\n`
  );
}

/**
 * Appends to an NDJSON file, creating it (and its directory) on first use. Dead letters are
 * whole documents of the router's traffic: the file is readable by its owner only (0600, also
 * when an older release left it 0644), and so is its directory when it is created here.
 */
export class FileDeadLetterQueue implements DeadLetterQueue {
  private ready: Promise<unknown> | undefined;

  constructor(readonly path: string) {}

  async write(records: readonly DeadLetter[], now = new Date()): Promise<void> {
    if (records.length === 0) return;
    this.ready ??= this.prepare();
    try {
      await this.ready;
    } catch (err) {
      // Tried again with the next write (a directory made writable meanwhile, space freed).
      this.ready = undefined;
      throw err;
    }
    await appendFile(this.path, records.map((r) => formatDeadLetter(r, now)).join(''), { mode: 0o600 });
  }

  private async prepare(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await appendFile(this.path, '', { mode: 0o600 });
    await chmod(this.path, 0o600);
  }
}
