import type { EcsDocument, EndpointFields } from '../model/document.js';
import { DATASET_FIREWALL } from '../model/document.js';
import { ECS_VERSION } from '../model/ecs-version.js';
import type { FirewallRecord } from '../model/firewall-record.js';
import type { SyslogHeader } from '../parse/syslog.js';
import { FACILITY_NAMES, SEVERITY_NAMES, facilityCode, severityCode } from '../parse/syslog.js';
import { directionOf } from './address-scope.js';
import { communityIdOf } from './community-id.js';
import { readAddress } from './ip.js';
import { verdictOf } from './verdict.js';

export { ECS_VERSION };

export const TAG_PARSE_FAILURE = 'dropship_parse_failure';
export const TAG_PARTIAL = 'dropship_partial';
export const TAG_TRUNCATED = 'dropship_truncated';

export interface DocumentBase {
  line: string;
  header: SyslogHeader;
  timestampIso: string;
  createdIso: string;
  /** IANA zone applied to a timestamp that carried no offset. */
  timezone: string | undefined;
  observerName: string | undefined;
}

/** The envelope shared by every format: time, original line, syslog header, observer. */
export function baseDocument(b: DocumentBase): EcsDocument {
  const h = b.header;
  const doc: EcsDocument = {
    '@timestamp': b.timestampIso,
    ecs: { version: ECS_VERSION },
    event: { kind: 'event', dataset: DATASET_FIREWALL, original: b.line, created: b.createdIso },
  };
  if (b.timezone !== undefined) doc.event.timezone = b.timezone;

  const syslog: NonNullable<NonNullable<EcsDocument['log']>['syslog']> = {};
  let facility = -1;
  let severity = -1;
  if (h.priority >= 0) {
    syslog.priority = h.priority;
    facility = h.priority >> 3;
    severity = h.priority & 7;
  } else if (h.facilityName !== undefined && h.severityName !== undefined) {
    facility = facilityCode(h.facilityName) ?? -1;
    severity = severityCode(h.severityName) ?? -1;
    if (facility >= 0 && severity >= 0) syslog.priority = facility * 8 + severity;
  }
  if (facility >= 0) syslog.facility = { code: facility, name: FACILITY_NAMES[facility] ?? String(facility) };
  if (severity >= 0) syslog.severity = { code: severity, name: SEVERITY_NAMES[severity] ?? String(severity) };
  if (h.hostname !== undefined) syslog.hostname = h.hostname;
  if (h.appname !== undefined) syslog.appname = h.appname;
  if (h.procid !== undefined) syslog.procid = h.procid;
  if (h.msgid !== undefined) syslog.msgid = h.msgid;
  if (h.version !== undefined) syslog.version = h.version;
  if (h.structuredData !== undefined) syslog.structured_data = h.structuredData;
  for (const _ in syslog) {
    doc.log = { syslog };
    break;
  }

  const hostname = h.hostname ?? b.observerName;
  if (hostname !== undefined || b.observerName !== undefined) {
    doc.observer = {};
    if (hostname !== undefined) doc.observer.hostname = hostname;
    const name = b.observerName ?? h.hostname;
    if (name !== undefined) doc.observer.name = name;
  }
  return doc;
}

/** A line dropship could not read: kept whole, tagged, with the reason. */
export function markFailure(doc: EcsDocument, reason: string, message: string): EcsDocument {
  doc.event.kind = 'pipeline_error';
  doc.message = message;
  (doc.tags ??= []).push(TAG_PARSE_FAILURE);
  doc.error = { message: reason };
  return doc;
}

/** network.iana_number is a keyword: its text for every protocol number, made once. */
const IANA_NUMBER_TEXT = Array.from({ length: 256 }, (_, n) => String(n));

function endpoint(ip: string | undefined, port: number | undefined, mac: string | undefined): EndpointFields | undefined {
  if (ip === undefined && port === undefined && mac === undefined) return undefined;
  const e: EndpointFields = {};
  if (ip !== undefined) e.ip = ip;
  if (port !== undefined) e.port = port;
  if (mac !== undefined) e.mac = mac;
  return e;
}

/** Normalizes a firewall record into ECS on top of the envelope. */
export function applyFirewall(doc: EcsDocument, rec: FirewallRecord): EcsDocument {
  const srcAddr = rec.srcIp === undefined ? undefined : readAddress(rec.srcIp);
  const dstAddr = rec.dstIp === undefined ? undefined : readAddress(rec.dstIp);
  const srcIp = srcAddr?.text;
  const dstIp = dstAddr?.text;
  let bad: string[] | undefined;
  if (rec.srcIp !== undefined && srcIp === undefined) (bad ??= []).push(`SRC "${rec.srcIp}"`);
  if (rec.dstIp !== undefined && dstIp === undefined) (bad ??= []).push(`DST "${rec.dstIp}"`);

  const verdict = verdictOf(rec.action);
  const connection = srcIp !== undefined && dstIp !== undefined;
  const types = verdict === undefined ? [connection ? 'connection' : 'info'] : connection ? [verdict, 'connection'] : [verdict];
  const event = doc.event;
  event.category = ['network'];
  event.type = types;
  if (rec.action !== undefined) event.action = rec.action;
  event.outcome = verdict === 'allowed' ? 'success' : verdict === 'denied' ? 'failure' : 'unknown';

  const observer = (doc.observer ??= {});
  observer.type = 'firewall';
  if (rec.inInterface !== undefined || rec.ingressZone !== undefined) {
    observer.ingress = {};
    if (rec.inInterface !== undefined) observer.ingress.interface = { name: rec.inInterface };
    if (rec.ingressZone !== undefined) observer.ingress.zone = rec.ingressZone;
  }
  if (rec.outInterface !== undefined || rec.egressZone !== undefined) {
    observer.egress = {};
    if (rec.outInterface !== undefined) observer.egress.interface = { name: rec.outInterface };
    if (rec.egressZone !== undefined) observer.egress.zone = rec.egressZone;
  }

  const isIcmp = rec.ianaNumber === 1 || rec.ianaNumber === 58;
  const source = endpoint(srcIp, isIcmp ? undefined : rec.srcPort, rec.srcMac);
  const destination = endpoint(dstIp, isIcmp ? undefined : rec.dstPort, rec.dstMac);
  if (source !== undefined) doc.source = source;
  if (destination !== undefined) doc.destination = destination;

  const network: NonNullable<EcsDocument['network']> = {};
  if (rec.transport !== undefined) network.transport = rec.transport;
  const ipForType = srcIp ?? dstIp;
  if (ipForType !== undefined) network.type = (srcAddr ?? dstAddr)!.size === 16 ? 'ipv6' : 'ipv4'; // IPv6 text
  if (rec.ianaNumber !== undefined) network.iana_number = IANA_NUMBER_TEXT[rec.ianaNumber] ?? String(rec.ianaNumber);
  const direction = directionOf(rec.inInterface, rec.outInterface, srcAddr !== undefined, dstAddr !== undefined,
    srcAddr?.internal === true, dstAddr?.internal === true);
  if (direction !== undefined) network.direction = direction;
  if (srcAddr !== undefined && dstAddr !== undefined && rec.ianaNumber !== undefined && rec.partial === undefined) {
    const cid = isIcmp
      ? communityIdOf(srcAddr, dstAddr, rec.ianaNumber, rec.icmpType, rec.icmpCode)
      : communityIdOf(srcAddr, dstAddr, rec.ianaNumber, rec.srcPort, rec.dstPort);
    if (cid !== undefined) network.community_id = cid;
  }
  for (const _ in network) {
    doc.network = network;
    break;
  }

  if (rec.ruleName !== undefined || rec.ruleId !== undefined || rec.ruleset !== undefined) {
    const rule: NonNullable<EcsDocument['rule']> = {};
    if (rec.ruleName !== undefined) rule.name = rec.ruleName;
    if (rec.ruleId !== undefined) rule.id = rec.ruleId;
    if (rec.ruleset !== undefined) rule.ruleset = rec.ruleset;
    if (rec.ruleDescription !== undefined) rule.description = rec.ruleDescription;
    doc.rule = rule;
  }
  if (srcIp !== undefined || dstIp !== undefined) {
    const related: string[] = [];
    if (srcIp !== undefined) related.push(srcIp);
    if (dstIp !== undefined && dstIp !== srcIp) related.push(dstIp);
    doc.related = { ip: related };
  }
  if (rec.iptables !== undefined && rec.format === 'netfilter') doc.iptables = rec.iptables;
  doc.dropship = { vendor: rec.vendor, format: rec.format };
  if (rec.partial !== undefined) {
    (doc.tags ??= []).push(TAG_PARTIAL);
    doc.error = { message: rec.partial };
  }
  if (bad !== undefined) {
    (doc.tags ??= []).push(TAG_PARSE_FAILURE);
    doc.error = { message: `not an IP address: ${bad.join(', ')}` };
  }
  return doc;
}
