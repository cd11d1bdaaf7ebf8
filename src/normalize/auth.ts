import type { EcsDocument } from '../model/document.js';
import type { AuthRecord } from '../model/records.js';
import { applyProblems, markFailure } from './ecs.js';
import { readAddress } from './ip.js';

/**
 * An SSH login record (OpenSSH, dropbear) as ECS, following Elastic's system integration (auth
 * data stream, packages/system/data_stream/auth/elasticsearch/ingest_pipeline/default.yml): a
 * line whose system.auth.ssh.event is `Accepted` is category [authentication, session] with
 * outcome success, `Failed` or `Invalid` is [authentication] with outcome failure, both with
 * event.type [info] and event.action `ssh_login`. Other SSH messages (a connection closed by an
 * authenticating user, too many attempts) keep the user and source they name, uncategorised, so
 * that counting event.category : "authentication" counts attempts once.
 */

/** sshd names the peer by its host name when UseDNS is on: kept as source.domain (as Elastic does). */
const HOST_NAME = /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

const SUCCESS_CATEGORIES = ['authentication', 'session'];
const FAILURE_CATEGORIES = ['authentication'];

export function applyAuth(doc: EcsDocument, rec: AuthRecord): EcsDocument {
  const event = doc.event;
  if (rec.event === 'Accepted') {
    event.category = SUCCESS_CATEGORIES.slice();
    event.type = ['info'];
    event.action = 'ssh_login';
    event.outcome = 'success';
  } else if (rec.event === 'Failed' || rec.event === 'Invalid') {
    event.category = FAILURE_CATEGORIES.slice();
    event.type = ['info'];
    event.action = 'ssh_login';
    event.outcome = 'failure';
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
