import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { NDJSON } from '../codec/encoder.js';
import { createProcessor } from '../processing/process.js';
import { openMaybeGzip, readLineBatches } from '../sources/framing/lines.js';
import { addProcessingOptions, checkScannerList, DROPSHIP_ENV_HELP, processorConfig, type ProcessingOptions } from './options.js';

/** Writes with backpressure; resolves false once stdout is gone (e.g. `| head`). */
function writer(out: NodeJS.WritableStream): (s: string | Uint8Array) => Promise<boolean> {
  let closed = false;
  out.on('error', () => {
    closed = true;
  });
  return (s) =>
    new Promise((resolve) => {
      if (closed) return resolve(false);
      if (out.write(s)) return resolve(true);
      const done = (): void => {
        out.off('drain', done);
        out.off('error', done);
        resolve(!closed);
      };
      out.once('drain', done);
      out.once('error', done);
    });
}

export async function runParse(files: string[], options: ProcessingOptions): Promise<void> {
  const config = processorConfig(options);
  await checkScannerList(config.scannerList);
  const process_ = await createProcessor(config, NDJSON);
  const write = writer(process.stdout);
  for (const file of files.length === 0 ? ['-'] : files) {
    let stream: Readable;
    // A file's lines were received when it was last written: year-less timestamps are dated from
    // there, as `import` dates them (docs/formats.md), and event.created says so. stdin's are now.
    let receivedMs: number | undefined;
    try {
      if (file !== '-') receivedMs = (await stat(file)).mtimeMs;
      stream = file === '-' ? process.stdin : await openMaybeGzip(file);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      for await (const batch of readLineBatches(stream)) {
        const out = process_(receivedMs === undefined ? batch : { ...batch, receivedMs });
        if (out.docs > 0 && !(await write(out.body))) return;
      }
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

export function registerParse(program: Command): void {
  addProcessingOptions(
    program
      .command('parse')
      .description('read log lines (files, .gz files or stdin) and print one ECS JSON document per line (NDJSON); needs no Elasticsearch')
      .argument('[files...]', 'files to read (plain or gzip); none or "-" reads stdin'),
  ).addHelpText('after', DROPSHIP_ENV_HELP).action(async (files: string[], options: ProcessingOptions) => runParse(files, options));
}
