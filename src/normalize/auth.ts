import type { EcsDocument } from '../model/document.js';
import type { AuthRecord } from '../model/records.js';
import { applyProblems, markFailure } from './ecs.js';
import { readAddress } from './ip.js';

/**
 * An SSH login record (OpenSSH, dropbear) as ECS, following Elastic's system integration (auth
 * data stream, packages/system/data_stream/auth/elasticsearch/ingest_pipeline/default.yml): a
 * login attempt — system.auth.ssh.event `Accepted`, `Failed` or `Invalid` — is event.action
 * `ssh_login`, category [authentication] (plus session when accepted), type [info], outcome
 * success or failure. Counting event.action : "ssh_login" counts attempts once.
 *
 * Two other kinds of message close a try without a login, and Elastic leaves them uncategorised;
 * here they are category [authentication], type [end], outcome failure, with an action of their
 * own so they are not counted as attempts again: `ssh_max_attempts` (sshd's "maximum
 * authentication attempts exceeded", dropbear's "Exit before auth … N fails") and
 * `ssh_disconnect` (a connection closed by an authenticating or invalid user before
 * authenticating). Anything else keeps the user and source it names, uncategorised.
 */

/** sshd names the peer by its host name when UseDNS is on: kept as source.domain (as Elastic does). */
const HOST_NAME = /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** What a kind of message means: categories, types, action, outcome. */
interface Meaning {
  readonly category: readonly string[];
  readonly type: readonly string[];
  readonly action: string;
  readonly outcome: 'success' | 'failure';
}

/** event.action of a login attempt, accepted or failed: what SSH views count. */
export const LOGIN_ACTION = 'ssh_login';

const LOGIN_ACCEPTED: Meaning = { category: ['authentication', 'session'], type: ['info'], action: LOGIN_ACTION, outcome: 'success' };
const LOGIN_FAILED: Meaning = { category: ['authentication'], type: ['info'], action: LOGIN_ACTION, outcome: 'failure' };
const MAX_ATTEMPTS: Meaning = { category: ['authentication'], type: ['end'], action: 'ssh_max_attempts', outcome: 'failure' };
const DISCONNECT: Meaning = { category: ['authentication'], type: ['end'], action: 'ssh_disconnect', outcome: 'failure' };

/** The kinds of message an AuthRecord's `kind` names. */
export const AUTH_MEANINGS: Readonly<Record<string, Meaning>> = {
  accepted: LOGIN_ACCEPTED, failed: LOGIN_FAILED, invalid: LOGIN_FAILED, max_attempts: MAX_ATTEMPTS, disconnect: DISCONNECT,
};

export function applyAuth(doc: EcsDocument, rec: AuthRecord): EcsDocument {
  const meaning = rec.kind === undefined ? undefined : AUTH_MEANINGS[rec.kind];
  if (meaning !== undefined) {
    const event = doc.event;
    event.category = meaning.category.slice();
    event.type = meaning.type.slice();
    event.action = meaning.action;
    event.outcome = meaning.outcome;
  }

  let badIp: string | undefined;
  if (rec.srcIp !== undefined || rec.srcPort !== undefined) {
    const addr = rec.srcIp === undefined ? undefined : readAddress(rec.srcIp);
    const source: NonNullable<EcsDocument['source']> = {};
    if (addr !== undefined) source.ip = addr.text;
    else if (rec.srcIp !== undefined && HOST_NAME.test(rec.srcIp)) source.domain = rec.srcIp;
    else if (rec.srcIp !== undefined) badIp = rec.srcIp;
    if (rec.srcPort !== undefined) source.port = rec.srcPort;
    for (const _ in source) {
      doc.source = source;
      break;
    }
  }
  if (rec.user !== undefined) doc.user = { name: rec.user };
  const ip = doc.source?.ip;
  if (rec.user !== undefined || ip !== undefined) {
    doc.related = {};
    if (ip !== undefined) doc.related.ip = [ip];
    if (rec.user !== undefined) doc.related.user = [rec.user];
  }
  if (rec.event !== undefined || rec.method !== undefined || rec.signature !== undefined) {
    const ssh: NonNullable<NonNullable<NonNullable<EcsDocument['system']>['auth']>['ssh']> = {};
    if (rec.event !== undefined) ssh.event = rec.event;
    if (rec.method !== undefined) ssh.method = rec.method;
    if (rec.signature !== undefined) ssh.signature = rec.signature;
    doc.system = { auth: { ssh } };
  }
  doc.dropship = { vendor: rec.vendor, format: rec.format };
  applyProblems(doc, rec);
  if (badIp !== undefined) markFailure(doc, `not an IP address: "${badIp}"`);
  return doc;
}
