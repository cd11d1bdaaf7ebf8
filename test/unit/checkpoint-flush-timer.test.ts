import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { CheckpointStore, flushEvery } from '../../src/state/checkpoints.js';

test('flushEvery: a write slower than the interval reports the recovery once, not once per tick it outlasted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dropship-flush-timer-'));
  try {
    const store = await CheckpointStore.open(dir);
    store.set({ dev: 1, ino: 2, path: '/x', offset: 0, generation: 1, fingerprint: '', fingerprintLength: 0, updated: '' });
    // The disk fails once, then takes writes again, each one slower than five ticks.
    let writes = 0;
    (store as unknown as { write(): Promise<void> }).write = async () => {
      if (writes++ === 0) throw Object.assign(new Error('full'), { code: 'ENOSPC' });
      await delay(60);
    };
    const events: string[] = [];
    const timer = flushEvery(store, 10, {
      failed: () => events.push('failed'),
      recovered: (n) => events.push(`recovered after ${n}`),
    });
    try {
      for (let i = 0; i < 100 && !events.includes('recovered after 1'); i++) await delay(10);
      await delay(150); // ticks that were queued behind the slow write have settled by now
    } finally {
      timer.stop();
    }
    assert.deepEqual(events, ['failed', 'recovered after 1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
