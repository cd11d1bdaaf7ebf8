import type { EcsDocument, EndpointFields } from '../model/document.js';
import type { FirewallRecord } from '../model/records.js';
import { directionOf } from './address-scope.js';
import { communityIdOf } from './community-id.js';
import { addError, applyProblems, markFailure, tag, TAG_PARTIAL, TAG_REASSEMBLED } from './ecs.js';
import { normalizeIp, readAddress } from './ip.js';
import { verdictOf } from './verdict.js';

/**
 * A firewall record of any format (netfilter, filterlog, MikroTik…) as ECS, on top of the
 * envelope: addresses, direction, community ID and the event fields are derived here the same way
 * for every vendor; a vendor namespace (iptables.*, pfsense.*) is copied as the format filled it.
 */

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

/** `NAT (…)` addresses: canonical, or left out (and said) when not an address. */
function nat(ep: EndpointFields | undefined, ip: string | undefined, port: number | undefined, bad: string[], label: string): EndpointFields | undefined {
  if (ip === undefined && port === undefined) return ep;
  const out = ep ?? {};
  const n: NonNullable<EndpointFields['nat']> = {};
  if (ip !== undefined) {
    const canonical = normalizeIp(ip);
    if (canonical === undefined) bad.push(`${label} "${ip}"`);
    else n.ip = canonical;
  }
  if (port !== undefined) n.port = port;
  for (const _ in n) {
    out.nat = n;
    break;
  }
  return out;
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
  if (rec.reason !== undefined) event.reason = rec.reason;
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
  let source = endpoint(srcIp, isIcmp ? undefined : rec.srcPort, rec.srcMac);
  let destination = endpoint(dstIp, isIcmp ? undefined : rec.dstPort, rec.dstMac);
  if (rec.srcNatIp !== undefined || rec.srcNatPort !== undefined || rec.dstNatIp !== undefined || rec.dstNatPort !== undefined) {
    const badNat: string[] = [];
    source = nat(source, rec.srcNatIp, rec.srcNatPort, badNat, 'source NAT');
    destination = nat(destination, rec.dstNatIp, rec.dstNatPort, badNat, 'destination NAT');
    if (badNat.length > 0) (bad ??= []).push(...badNat);
  }
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
  if (rec.bytes !== undefined) network.bytes = rec.bytes;
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
  if (rec.iptables !== undefined) doc.iptables = rec.iptables;
  if (rec.pfsense !== undefined) doc.pfsense = rec.pfsense;
  doc.dropship = { vendor: rec.vendor, format: rec.format };
  if (rec.partial !== undefined) {
    tag(doc, TAG_PARTIAL);
    if (rec.partial !== rec.unreadable) addError(doc, rec.partial);
  }
  if (rec.reassembled === true) tag(doc, TAG_REASSEMBLED);
  applyProblems(doc, rec);
  if (bad !== undefined) markFailure(doc, `not an IP address: ${bad.join(', ')}`);
  return doc;
}
