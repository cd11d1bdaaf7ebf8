/**
 * Temporary directories for a test file, all removed when the file's tests end, whether they passed,
 * failed or timed out. The `after` hook is registered when this module is imported, on the file's
 * root, so it runs once for the whole file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
});

/** A new empty directory `dropship-<prefix>-XXXXXX` under the system temporary directory. */
export function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `dropship-${prefix}-`));
  dirs.push(d);
  return d;
}
