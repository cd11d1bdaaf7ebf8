import { execFileSync } from 'node:child_process';

/** Whether a command-line tool the tests drive (logrotate, logger…) is installed. */
export function hasTool(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
