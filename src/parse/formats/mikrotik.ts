import type { EcsDocument } from '../../model/document.js';
import { DATASET_FIREWALL } from '../../model/document.js';
import { drop, newFirewallRecord, type FirewallRecord } from '../../model/records.js';
import { forgetProgram } from '../../normalize/ecs.js';
import { applyFirewall } from '../../normalize/firewall.js';
import { normalizeMac } from '../../normalize/mac.js';
import { findVerdictWord } from '../../normalize/verdict.js';
import { splitHostPort } from '../endpoint.js';
import { intOf } from '../numbers.js';
import { readProtocol } from '../protocols.js';
import { ROUTEROS_TOPICS, type SyslogHeader } from '../syslog.js';
import type { Format } from './format.js';

/**
 * MikroTik RouterOS firewall rules with `log=yes` / `action=log` (router_formats.md §4):
 *
 *   [topics ][prefix ]chain: in:<if> out:<if>, [connection-state:<s>[,…] ][src-mac <mac>, ]
 *   proto <P>[ (<tcp flags>|type <t>, code <c>)], <src>[:<p>]-><dst>[:<p>], [NAT …, ]len <n>
 *
 * RouterOS says nothing of the rule's action: the verdict is the one the admin's log prefix names
 * (`drop-wan input: …` → drop), else none. The chain is rule.ruleset, the prefix rule.name. When
 * there is no topics token (`firewall,info`) the syslog header takes the chain for a program
 * name; it is taken back from there.
 */

const NO_INTERFACE = /^\((?:unknown 0|none)\)$/;

/** Where `in:` starts, after `chain: ` (or at the message start when the header took the chain for a tag). */
function findStart(line: string, header: SyslogHeader): number {
  const from = header.messageStart;
  let at: number;
  if (header.appname !== undefined && header.tagStart >= 0 && line.startsWith('in:', from)) at = from;
  else {
    const i = line.indexOf(': in:', from);
    if (i < 0) return -1;
    at = i + 2;
  }
  const out = line.indexOf(' out:', at);
  return out > 0 && line.indexOf('proto ', out) > 0 ? at : -1;
}

/** The part of `text` from `i` to the next `, ` (or the end); returns [value, index after the separator]. */
function untilComma(text: string, i: number): [string, number] {
  const j = text.indexOf(', ', i);
  return j < 0 ? [text.slice(i), text.length] : [text.slice(i, j), j + 2];
}

function endpoints(rec: FirewallRecord, pair: string, which: 'packet' | 'nat'): void {
  const arrow = pair.indexOf('->');
  if (arrow < 0) {
    rec.unreadable ??= `no source->destination in ${JSON.stringify(pair)}`;
    return;
  }
  const src = splitHostPort(pair.slice(0, arrow), false);
  const dst = splitHostPort(pair.slice(arrow + 2), false);
  if (src.badPort !== undefined) drop(rec, `source port ${JSON.stringify(src.badPort)} (not a port)`);
  if (dst.badPort !== undefined) drop(rec, `destination port ${JSON.stringify(dst.badPort)} (not a port)`);
  if (which === 'packet') {
    rec.srcIp = src.host;
    rec.srcPort = src.port;
    rec.dstIp = dst.host;
    rec.dstPort = dst.port;
  } else {
    rec.srcNatIp = src.host;
    rec.srcNatPort = src.port;
    rec.dstNatIp = dst.host;
    rec.dstNatPort = dst.port;
  }
}

/**
 * `NAT (a:p->b:q)->c:r` (source NAT: the source became b:q) or `NAT a:p->(b:q->c:r)` (destination
 * NAT: the destination became c:r).
 */
function readNat(rec: FirewallRecord, text: string): void {
  if (text.startsWith('(')) {
    const close = text.indexOf(')');
    const inner = close > 0 ? text.slice(1, close) : '';
    const arrow = inner.indexOf('->');
    if (arrow < 0) return drop(rec, `NAT ${JSON.stringify(text)} (unreadable)`);
    const after = splitHostPort(inner.slice(arrow + 2), false);
    rec.srcNatIp = after.host;
    rec.srcNatPort = after.port;
    return;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const inner = open > 0 && close > open ? text.slice(open + 1, close) : '';
  const arrow = inner.indexOf('->');
  if (arrow < 0) return drop(rec, `NAT ${JSON.stringify(text)} (unreadable)`);
  const after = splitHostPort(inner.slice(arrow + 2), false);
  rec.dstNatIp = after.host;
  rec.dstNatPort = after.port;
}

/** Reads the data from `in:` on; `chain` and `prefix` come from before it. */
export function parseMikrotik(text: string, chain: string, prefix: string): FirewallRecord {
  const rec = newFirewallRecord('mikrotik', 'mikrotik');
  rec.ruleset = chain === '' ? undefined : chain;
  if (prefix !== '') {
    rec.ruleName = prefix;
    rec.action = findVerdictWord(prefix);
  }
  const outAt = text.indexOf(' out:');
  const inIf = text.slice(3, outAt);
  if (!NO_INTERFACE.test(inIf) && inIf !== '') rec.inInterface = inIf;
  let [outIf, i] = untilComma(text, outAt + 5);
  // `out:(unknown 0) connection-state:…` — some versions put no comma before the state.
  const space = outIf.startsWith('(') ? outIf.indexOf(') ') + 1 : outIf.indexOf(' ');
  if (space > 0) {
    i = outAt + 5 + space + 1;
    outIf = outIf.slice(0, space);
  }
  if (!NO_INTERFACE.test(outIf) && outIf !== '') rec.outInterface = outIf;

  while (i < text.length) {
    while (text.charCodeAt(i) === 32) i++;
    if (text.startsWith('connection-state:', i)) {
      const end = text.indexOf(' ', i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith('src-mac ', i)) {
      const [mac, next] = untilComma(text, i + 8);
      const normalized = normalizeMac(mac);
      if (normalized === undefined) drop(rec, `src-mac ${JSON.stringify(mac)} (not a MAC address)`);
      else rec.srcMac = normalized;
      i = next;
    } else if (text.startsWith('proto ', i)) {
      i = readProto(rec, text, i + 6);
    } else if (text.startsWith('NAT ', i)) {
      const end = text.indexOf(', len ', i);
      readNat(rec, text.slice(i + 4, end < 0 ? text.length : end));
      i = end < 0 ? text.length : end + 2;
    } else if (text.startsWith('len ', i)) {
      const [len, next] = untilComma(text, i + 4);
      const n = intOf(len);
      if (n === undefined) drop(rec, `len ${JSON.stringify(len)} (not a number)`);
      else rec.bytes = n;
      i = next;
    } else if (rec.srcIp === undefined && text.indexOf('->', i) >= 0) {
      const [pair, next] = untilComma(text, i);
      endpoints(rec, pair, 'packet');
      i = next;
    } else {
      i = untilComma(text, i)[1];
    }
  }
  if (rec.srcIp === undefined) rec.unreadable ??= 'MikroTik line without source->destination';
  return rec;
}

/** `proto TCP (SYN)`, `proto ICMP (type 8, code 0)`, `proto UDP`; returns where the next part starts. */
function readProto(rec: FirewallRecord, text: string, i: number): number {
  let j = i;
  while (j < text.length && text.charCodeAt(j) !== 32 && text.charCodeAt(j) !== 44) j++;
  const name = text.slice(i, j);
  if (name !== '') readProtocol(rec, name);
  if (text.startsWith(' (', j)) {
    const close = text.indexOf(')', j);
    const inner = close < 0 ? text.slice(j + 2) : text.slice(j + 2, close);
    const icmp = /^type (\d+), code (\d+)$/.exec(inner);
    if (icmp !== null) {
      rec.icmpType = intOf(icmp[1]!);
      rec.icmpCode = intOf(icmp[2]!);
    }
    j = close < 0 ? text.length : close + 1;
  }
  return text.startsWith(', ', j) ? j + 2 : j;
}

export const mikrotik: Format = {
  name: 'mikrotik',
  dataset: DATASET_FIREWALL,
  find: findStart,
  read(doc: EcsDocument, line: string, at: number, header: SyslogHeader): EcsDocument {
    const from = header.messageStart;
    let chain: string;
    let prefix: string;
    if (at === from) {
      // The header read `chain:` as the program: take it back.
      chain = header.appname ?? '';
      prefix = '';
      forgetProgram(doc);
    } else {
      const words = line.slice(from, at - 2).split(' ').filter((w) => w !== '');
      chain = words.pop() ?? '';
      if (words.length > 0 && ROUTEROS_TOPICS.test(words[0]!)) words.shift();
      prefix = words.join(' ');
    }
    return applyFirewall(doc, parseMikrotik(line.slice(at).trimEnd(), chain, prefix));
  },
};
