import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';

/**
 * A real full disk for tests: a small tmpfs. Mounting one needs privileges, so there are two
 * ways in:
 * - `mountSmallDisk` mounts it in this process's namespace (root, or CAP_SYS_ADMIN): for tests
 *   of modules in this process;
 * - `inOwnMountNamespace` wraps a command in `unshare -Urm` (an unprivileged user namespace,
 *   where mounting a tmpfs is allowed) and mounts it there: for the CLI as a child process. This
 *   process reaches the mount through `/proc/<child pid>/root/...`.
 * Both return a reason to skip when the system allows neither.
 */

export function mountSmallDisk(dir: string, bytes: number): { unmount(): void } | string {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}); run as root for this test`;
  }
  return { unmount: () => execFileSync('umount', ['-l', dir]) };
}

/** Whether `unshare -Urm` can mount a tmpfs (unprivileged user namespaces allowed). */
export function canMountInUserNamespace(): true | string {
  try {
    execFileSync('unshare', ['-Urm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { stdio: 'pipe' });
    return true;
  } catch (err) {
    return `unshare -Urm cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`;
  }
}

/** The argv that runs `argv` with a `bytes`-sized tmpfs mounted on `dir` (see above). */
export function inOwnMountNamespace(dir: string, bytes: number, argv: string[]): string[] {
  return ['unshare', '-Urm', 'sh', '-c', 'mount -t tmpfs -o "size=$1,mode=0700" tmpfs "$2" && shift 2 && exec "$@"', 'sh', String(bytes), dir, ...argv];
}

/** Fills the file system holding `path` (a file there takes every free byte); returns its size. */
export function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 0x78);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return n;
}

export function unfill(path: string): void {
  rmSync(path, { force: true });
}
