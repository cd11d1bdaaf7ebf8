import type { EcsDocument } from '../../model/document.js';
import { DATASET_AUTH } from '../../model/document.js';
import { drop, newAuthRecord, type AuthRecord } from '../../model/records.js';
import { applyAuth } from '../../normalize/auth.js';
import { programMessage } from '../endpoint.js';
import { portAt } from '../numbers.js';
import type { SyslogHeader } from '../syslog.js';
import type { Format } from './format.js';

/**
 * OpenSSH's sshd (and `sshd-session` since 9.8): login attempts and their companions
 * (router_formats.md §5; format strings of portable OpenSSH auth.c). Every line of the program
 * goes to the auth dataset; the ones that say how a login went are categorised (normalize/auth.ts).
 *
 * User names are attacker-controlled (spaces, empty, quotes), so each pattern is anchored on what
 * sshd prints after the name: ` from <address> port <n>` and the fixed tail.
 */

const PROGRAMS = ['sshd', 'sshd-session'];

/** sshd's messages are short (the user name is cut at 100 characters); longer text is not matched against the patterns. */
const MAX_MESSAGE = 2048;

// `%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s` (auth.c): Failed/Accepted/Postponed/Partial.
const ATTEMPT = /^(Failed|Accepted|Postponed|Partial) (\S+) for (invalid user )?(.*) from (\S+) port (\S+) ssh2(?:: (.*))?$/;
const INVALID_USER = /^Invalid user (.*) from (\S+)(?: port (\S+))?$/;
const MAX_ATTEMPTS = /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(.*) from (\S+) port (\S+) ssh2$/;
const CLOSED_BY_USER = /^(?:Connection closed|Disconnected|Connection reset) (?:by|from) (?:authenticating|invalid) user (.*) (\S+) port (\S+)$/;
const PAM_FAILURE = /\brhost=(\S+)(?:\s+user=(.*))?$/;
/** Any other message naming its peer: `… from <address> port <n>`, `… by <address> port <n>`, `with <address> port <n>`. */
const PEER = /\b(?:from|by|with) (\S+) port (\d+)/;
const NO_IDENTIFICATION = /^Did not receive identification string from (\S+)/;

const PREAUTH = ' [preauth]';

function source(rec: AuthRecord, address: string, port: string | undefined): void {
  rec.srcIp = address;
  if (port === undefined) return;
  const n = portAt(port, 0, port.length);
  if (n === undefined) drop(rec, `port ${port} (not a port)`);
  else rec.srcPort = n;
}

/** What an sshd message says; the record is left empty for messages about nothing dropship reads. */
export function parseOpenSsh(message: string): AuthRecord {
  const rec = newAuthRecord('openssh', 'sshd');
  if (message.length > MAX_MESSAGE) return rec;
  const text = message.endsWith(PREAUTH) ? message.slice(0, -PREAUTH.length) : message;
  let m = ATTEMPT.exec(text);
  if (m !== null) {
    rec.event = m[1];
    rec.kind = m[1] === 'Accepted' ? 'accepted' : m[1] === 'Failed' ? 'failed' : undefined;
    rec.method = m[2];
    rec.user = m[4];
    source(rec, m[5]!, m[6]);
    if (m[7] !== undefined) rec.signature = m[7];
    return rec;
  }
  m = INVALID_USER.exec(text);
  if (m !== null) {
    rec.event = 'Invalid';
    rec.kind = 'invalid';
    rec.user = m[1];
    source(rec, m[2]!, m[3]);
    return rec;
  }
  m = MAX_ATTEMPTS.exec(text);
  if (m !== null) {
    rec.kind = 'max_attempts';
    rec.user = m[2];
    source(rec, m[3]!, m[4]);
    return rec;
  }
  m = CLOSED_BY_USER.exec(text);
  if (m !== null) {
    rec.kind = 'disconnect';
    rec.user = m[1];
    source(rec, m[2]!, m[3]);
    return rec;
  }
  m = NO_IDENTIFICATION.exec(text);
  if (m !== null) {
    source(rec, m[1]!, undefined);
    return rec;
  }
  m = PAM_FAILURE.exec(text);
  if (m !== null && text.includes('authentication failure')) {
    source(rec, m[1]!, undefined);
    if (m[2] !== undefined) rec.user = m[2];
    return rec;
  }
  m = PEER.exec(text);
  if (m !== null) source(rec, m[1]!, m[2]);
  return rec;
}

export const openssh: Format = {
  name: 'sshd',
  dataset: DATASET_AUTH,
  programs: PROGRAMS,
  find(line: string, header: SyslogHeader): number {
    return programMessage(line, header, PROGRAMS);
  },
  read(doc: EcsDocument, line: string, at: number): EcsDocument {
    return applyAuth(doc, parseOpenSsh(line.slice(at)));
  },
};
