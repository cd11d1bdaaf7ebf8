import { randomBytes } from 'node:crypto';
import { link, stat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { errorText, StateError } from './checkpoints.js';

/**
 * One shipper per state directory. Two of them would overwrite each other's checkpoints and
 * write one spool twice.
 *
 * The lock is a Unix socket in the state directory that the holder listens on: whether it is
 * held is whether something answers it, which the kernel decides. A holder killed with -9 leaves
 * a socket nobody answers (taken over at once, no stale-lock timeout), and two containers that
 * share the directory as a volume see each other. The socket is bound under a temporary name and
 * hard-linked to the lock name, which fails if the name exists: two starting at once cannot both
 * win.
 */

export interface StateLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes `<dir>/<name>.lock`; a StateError names the holder's pid if another process has it, or
 * says why the directory cannot be used (EACCES, a read-only file system...).
 */
export async function lockStateDir(dir: string, name: string): Promise<StateLock> {
  const path = join(dir, `${name}.lock`);
  const tmp = join(dir, `.${name}.lock.${process.pid}.${randomBytes(4).toString('hex')}`);
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.end(`${process.pid}\n`);
  });
  server.unref(); // the lock never keeps the process alive
  try {
    await listen(server, dir, tmp);
  } catch (err) {
    throw new StateError(`cannot use state directory ${dir}: ${errorText(err)}`);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw new StateError(`cannot lock state directory ${dir}: ${errorText(err)}`);
      }
      const holder = await answer(dir, path);
      if (holder !== undefined) {
        throw new StateError(`state directory ${dir} is in use by another dropship (pid ${holder}); stop it, or give this one its own --state-dir`);
      }
      await unlink(path).catch(() => undefined); // nobody answers: left by a process that died
    }
  } catch (err) {
    await close(server);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await unlink(tmp).catch(() => undefined); // reachable through the lock name from now on
  const ino = (await stat(path)).ino;
  return {
    path,
    async release(): Promise<void> {
      // Only our own socket: after a takeover the name may be someone else's.
      const now = await stat(path).catch(() => undefined);
      if (now?.ino === ino) await unlink(path).catch(() => undefined);
      await close(server);
    },
  };
}

/**
 * A socket address holds ~100 bytes of path (and Node cuts longer ones silently): a longer one
 * is bound and connected relative to its directory, which both do synchronously.
 */
const MAX_SOCKET_PATH = 100;

function socketPath<T>(dir: string, path: string, use: (p: string) => T): T {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return use(path);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return use(basename(path));
  } finally {
    process.chdir(cwd);
  }
}

function listen(server: Server, dir: string, path: string): Promise<void> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.once('listening', () => {
      server.off('error', fail);
      server.on('error', () => undefined);
      ok();
    });
    socketPath(dir, path, (p) => server.listen(p));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((ok) => server.close(() => ok()));
}

/** The pid a live holder answers with; undefined when nobody listens. */
function answer(dir: string, path: string): Promise<string | undefined> {
  return new Promise((ok) => {
    const s = socketPath(dir, path, (p) => connect(p));
    let text = '';
    const timer = setTimeout(() => finish(text.trim() || 'unknown'), 2000);
    const finish = (v: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      ok(v);
    };
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('end', () => finish(text.trim() || 'unknown'));
    s.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? undefined : 'unknown'));
  });
}
