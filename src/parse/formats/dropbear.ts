import type { EcsDocument } from '../../model/document.js';
import { DATASET_AUTH } from '../../model/document.js';
import { drop, newAuthRecord, type AuthRecord } from '../../model/records.js';
import { applyAuth } from '../../normalize/auth.js';
import { programMessage, splitHostPort } from '../endpoint.js';
import type { SyslogHeader } from '../syslog.js';
import type { Format } from './format.js';

/**
 * Dropbear, the SSH server of OpenWrt, UniFi consoles and many other routers (router_formats.md
 * §5, mkj/dropbear svr-auth*.c). Its login outcomes are written in the vocabulary of OpenSSH's
 * (system.auth.ssh.event Failed / Invalid / Accepted, method password / publickey) so that one
 * dashboard counts both.
 *
 * Quirks: the peer is `ip:port` and deployed versions print IPv6 unbracketed (`2001:db8::5:51234`:
 * the port is after the last colon); pre-2011 versions and some vendor forks write the messages in
 * lower case; user names are attacker-controlled, so a quoted name runs to the quote before
 * ` from `, wherever other quotes are.
 */

const PROGRAMS = ['dropbear'];
const MAX_MESSAGE = 2048;

const BAD_PASSWORD = /^bad password attempt for '(.*)' from (\S+)$/i;
const NO_SUCH_USER = /^login attempt for nonexistent user(?: '(.*)')? from (\S+)$/i;
const PASSWORD_OK = /^password auth succeeded for '(.*)' from (\S+)$/i;
const PUBKEY_OK = /^pubkey auth succeeded for '(.*)' with (.*) from (\S+)$/i;
const EXIT_BEFORE_AUTH = /^exit before auth from <([^>]*)>: (?:\(user '(.*)', (\d+) fails\): )?(.*)$/i;
/** Some vendor builds name the user they refused. */
const WRONG_USER = /^login attempt with wrong user (.*) from (\S+)$/i;
const EXIT_USER = /^exit \((.*)\) from <([^>]*)>/i;
const PEER = /\bfrom <?([^\s>]+)>?/i;

function source(rec: AuthRecord, text: string): void {
  const hp = splitHostPort(text, true);
  rec.srcIp = hp.host;
  rec.srcPort = hp.port;
  if (hp.badPort !== undefined) drop(rec, `port ${hp.badPort} (not a port)`);
}

export function parseDropbear(message: string): AuthRecord {
  const rec = newAuthRecord('dropbear', 'dropbear');
  if (message.length > MAX_MESSAGE) return rec;
  let m = BAD_PASSWORD.exec(message);
  if (m !== null) {
    rec.kind = 'failed';
    rec.event = 'Failed';
    rec.method = 'password';
    rec.user = m[1];
    source(rec, m[2]!);
    return rec;
  }
  m = WRONG_USER.exec(message);
  if (m !== null) {
    rec.kind = 'invalid';
    rec.event = 'Invalid';
    rec.user = m[1];
    source(rec, m[2]!);
    return rec;
  }
  m = NO_SUCH_USER.exec(message);
  if (m !== null) {
    rec.kind = 'invalid';
    rec.event = 'Invalid';
    if (m[1] !== undefined) rec.user = m[1];
    source(rec, m[2]!);
    return rec;
  }
  m = PASSWORD_OK.exec(message);
  if (m !== null) {
    rec.kind = 'accepted';
    rec.event = 'Accepted';
    rec.method = 'password';
    rec.user = m[1];
    source(rec, m[2]!);
    return rec;
  }
  m = PUBKEY_OK.exec(message);
  if (m !== null) {
    rec.kind = 'accepted';
    rec.event = 'Accepted';
    rec.method = 'publickey';
    rec.user = m[1];
    rec.signature = m[2];
    source(rec, m[3]!);
    return rec;
  }
  m = EXIT_BEFORE_AUTH.exec(message);
  if (m !== null) {
    // `(user 'x', N fails)`: a try at logging in that ended without one — cut off at the
    // maximum, or closed by the client. Without it, a connection that ended before anyone tried
    // (uncategorised, as sshd's `Connection closed by <ip>`).
    if (m[2] !== undefined) {
      rec.kind = /max auth tries/i.test(m[4] ?? '') ? 'max_attempts' : 'disconnect';
      rec.user = m[2];
    }
    source(rec, m[1]!);
    return rec;
  }
  m = EXIT_USER.exec(message);
  if (m !== null) {
    rec.user = m[1];
    source(rec, m[2]!);
    return rec;
  }
  m = PEER.exec(message);
  if (m !== null) source(rec, m[1]!);
  return rec;
}

export const dropbear: Format = {
  name: 'dropbear',
  dataset: DATASET_AUTH,
  programs: PROGRAMS,
  find(line: string, header: SyslogHeader): number {
    return programMessage(line, header, PROGRAMS);
  },
  read(doc: EcsDocument, line: string, at: number): EcsDocument {
    return applyAuth(doc, parseDropbear(line.slice(at)));
  },
};
