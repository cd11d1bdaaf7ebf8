import { newFirewallRecord, type FirewallRecord } from '../../model/records.js';
import { findVerdictWord } from '../../normalize/verdict.js';
import { blankControls, hasControl } from '../controls.js';
import { PAIR, scanKv } from '../kv.js';

/**
 * Vendor log prefixes: the text a firewall rule puts before netfilter's `IN=` (router_formats.md
 * §2). Each recogniser fills vendor, action, rule and zone fields; anything unrecognised is kept
 * as a free-form rule name, with its verdict word (if any) as the action.
 */

type Recogniser = (prefix: string, rec: FirewallRecord) => boolean;

const EDGEOS_ACTIONS: Record<string, string> = { A: 'accept', D: 'drop', R: 'reject' };
const UNIFI_ACTIONS: Record<string, string> = { A: 'accept', D: 'drop', R: 'reject', RET: 'return' };

/** UFW: `[UFW BLOCK]`, `[UFW ALLOW]`, `[UFW LIMIT BLOCK]`, `[UFW AUDIT]`. */
const ufw: Recogniser = (p, rec) => {
  if (!p.startsWith('[UFW ') || !p.endsWith(']')) return false;
  const label = p.slice(1, -1);
  rec.vendor = 'ufw';
  rec.ruleName = label;
  rec.action = label.slice(label.lastIndexOf(' ') + 1).toLowerCase();
  return true;
};

/**
 * Ubiquiti labels in brackets. EdgeOS/USG/VyOS: `[RULESET-RULE-A|D|R]` (ruleset may itself
 * contain '-', e.g. zone pairs `wan-lan`); UniFi OS: `[CHAIN-A|D|R|RET-ID]`, optionally followed
 * by `DESCR="rule name"`. The two orders are told apart by where the action letter sits.
 */
const ubiquiti: Recogniser = (p, rec) => {
  if (p.charCodeAt(0) !== 91) return false;
  const close = p.indexOf(']');
  if (close < 0) return false;
  const label = p.slice(1, close);
  const rest = p.slice(close + 1).trim();
  const last = label.lastIndexOf('-');
  const mid = last > 0 ? label.lastIndexOf('-', last - 1) : -1;
  if (mid <= 0) return false;
  const a = label.slice(0, mid);
  const b = label.slice(mid + 1, last);
  const c = label.slice(last + 1);
  if (EDGEOS_ACTIONS[c] !== undefined && b.length > 0 && rest === '') {
    rec.vendor = 'edgeos';
    rec.action = EDGEOS_ACTIONS[c];
    rec.ruleset = a;
    rec.ruleName = a;
    rec.ruleId = b;
    const zones = a.split('-');
    const ubnt: NonNullable<NonNullable<FirewallRecord['iptables']>['ubiquiti']> = { rule_set: a, rule_number: b };
    if (zones.length === 2 && zones[0] !== '' && zones[1] !== '') {
      rec.ingressZone = ubnt.input_zone = zones[0];
      rec.egressZone = ubnt.output_zone = zones[1];
    }
    (rec.iptables ??= {}).ubiquiti = ubnt;
    return true;
  }
  if (UNIFI_ACTIONS[b] !== undefined && /^\d+$/.test(c)) {
    rec.vendor = 'unifi';
    rec.action = UNIFI_ACTIONS[b];
    rec.ruleset = a;
    rec.ruleId = c;
    rec.ruleName = a;
    if (rest !== '') {
      scanKv(rest, 0, (kind, key, value) => {
        if (kind === PAIR && key === 'DESCR') rec.ruleDescription = value;
      });
      if (rec.ruleDescription) rec.ruleName = rec.ruleDescription;
    }
    (rec.iptables ??= {}).ubiquiti = { rule_set: a, rule_number: c };
    return true;
  }
  return false;
};

/** Shorewall: `Shorewall:<src>-<dst>:<ACTION>:` (or `<src>2<dst>` in old configs). */
const shorewall: Recogniser = (p, rec) => {
  if (!p.startsWith('Shorewall:')) return false;
  const parts = p.split(':');
  const chain = parts[1] ?? '';
  const action = parts[2] ?? '';
  rec.vendor = 'shorewall';
  rec.ruleName = chain;
  if (action) rec.action = action.toLowerCase();
  const dash = chain.indexOf('-');
  if (dash > 0) {
    rec.ingressZone = chain.slice(0, dash);
    rec.egressZone = chain.slice(dash + 1);
  }
  return true;
};

const OPENWRT_ZONE = /^(accept|reject|drop|ACCEPT|REJECT|DROP) (\S+) (in|out|fwd|forward|invalid ct state):$/;
const OPENWRT_FW3_SRC = /^(ACCEPT|REJECT|DROP)\((src|dest) ([^)\s]+)\)$/;

/** OpenWrt fw3 `REJECT wan in:` / `DROP(src wan)`, fw4 `drop wan in:` / `drop wan invalid ct state:`. */
const openwrt: Recogniser = (p, rec) => {
  let m = OPENWRT_ZONE.exec(p);
  if (m !== null) {
    rec.vendor = 'openwrt';
    rec.action = m[1]!.toLowerCase();
    rec.ruleName = p.slice(0, -1);
    if (m[3] === 'out') rec.egressZone = m[2];
    else rec.ingressZone = m[2];
    return true;
  }
  m = OPENWRT_FW3_SRC.exec(p);
  if (m !== null) {
    rec.vendor = 'openwrt';
    rec.action = m[1]!.toLowerCase();
    rec.ruleName = p;
    if (m[2] === 'src') rec.ingressZone = m[3];
    else rec.egressZone = m[3];
    return true;
  }
  return false;
};

const FIREWALLD = /^(?:[A-Za-z0-9-]+_)+(REJECT|DROP|ACCEPT|BLOCK):$/;
const FIREWALLD_ZONE = /^filter_(IN|FWD|OUT)_(.+)_(?:REJECT|DROP|ACCEPT|ICMP_BLOCK):$/;

/** firewalld: `FINAL_REJECT:`, `filter_IN_public_REJECT:`, `STATE_INVALID_DROP:`… */
const firewalld: Recogniser = (p, rec) => {
  const m = FIREWALLD.exec(p);
  if (m === null) return false;
  rec.vendor = 'firewalld';
  rec.action = m[1]!.toLowerCase();
  rec.ruleName = p.slice(0, -1);
  const z = FIREWALLD_ZONE.exec(p);
  if (z !== null) {
    if (z[1] === 'OUT') rec.egressZone = z[2];
    else rec.ingressZone = z[2];
  }
  return true;
};

/** ASUS/Merlin, DD-WRT, Tomato: the whole prefix is `DROP`, `ACCEPT` or `REJECT`. */
const bareVerdict: Recogniser = (p, rec) => {
  if (p !== 'DROP' && p !== 'ACCEPT' && p !== 'REJECT') return false;
  rec.vendor = 'asuswrt';
  rec.action = p.toLowerCase();
  rec.ruleName = p;
  return true;
};

const RECOGNISERS: Recogniser[] = [bareVerdict, ufw, ubiquiti, openwrt, firewalld, shorewall];

/** What a prefix says: the FirewallRecord fields the recognisers set. */
interface PrefixFields {
  readonly vendor: string;
  readonly action: string | undefined;
  readonly ruleName: string | undefined;
  readonly ruleId: string | undefined;
  readonly ruleset: string | undefined;
  readonly ruleDescription: string | undefined;
  readonly ingressZone: string | undefined;
  readonly egressZone: string | undefined;
  /** Frozen: shared by the records of every line with this prefix. */
  readonly ubiquiti: NonNullable<FirewallRecord['iptables']>['ubiquiti'];
  /** The prefix held control characters (read as blanks). */
  readonly controls: boolean;
}

/** A router logs a handful of distinct prefixes, over and over. */
const PREFIX_CACHE_LIMIT = 512;
const prefixCache = new Map<string, PrefixFields>();
/** Longer prefixes (garbage before an `IN=`) are not worth keeping. */
const PREFIX_CACHE_MAX_CHARS = 200;

/**
 * Fills vendor/action/rule/zone fields of `rec`, a record fresh from newFirewallRecord, from the
 * log prefix (text before `IN=`). Each distinct prefix is recognised once and then copied.
 */
export function applyPrefix(raw: string, rec: FirewallRecord): void {
  if (raw.length > PREFIX_CACHE_MAX_CHARS) {
    recognise(raw, rec);
    return;
  }
  let f = prefixCache.get(raw);
  if (f === undefined) {
    const scratch = newFirewallRecord(rec.vendor, rec.format);
    recognise(raw, scratch);
    const ubiquiti = scratch.iptables?.ubiquiti;
    f = {
      vendor: scratch.vendor, action: scratch.action, ruleName: scratch.ruleName, ruleId: scratch.ruleId,
      ruleset: scratch.ruleset, ruleDescription: scratch.ruleDescription, ingressZone: scratch.ingressZone,
      egressZone: scratch.egressZone, ubiquiti: ubiquiti === undefined ? undefined : Object.freeze(ubiquiti),
      controls: scratch.controlCharacters === true,
    };
    if (prefixCache.size >= PREFIX_CACHE_LIMIT) prefixCache.clear();
    prefixCache.set(raw, f);
  }
  rec.vendor = f.vendor;
  if (f.action !== undefined) rec.action = f.action;
  if (f.ruleName !== undefined) rec.ruleName = f.ruleName;
  if (f.ruleId !== undefined) rec.ruleId = f.ruleId;
  if (f.ruleset !== undefined) rec.ruleset = f.ruleset;
  if (f.ruleDescription !== undefined) rec.ruleDescription = f.ruleDescription;
  if (f.ingressZone !== undefined) rec.ingressZone = f.ingressZone;
  if (f.egressZone !== undefined) rec.egressZone = f.egressZone;
  if (f.ubiquiti !== undefined) (rec.iptables ??= {}).ubiquiti = f.ubiquiti;
  if (f.controls) rec.controlCharacters = true;
}

function recognise(raw: string, rec: FirewallRecord): void {
  // Control characters are read as blanks (the line's own check leaves the prefix to this cache).
  const clean = hasControl(raw) ? blankControls(raw) : raw;
  if (clean !== raw) rec.controlCharacters = true;
  const p = clean.trim();
  if (p === '') return;
  for (const recognise of RECOGNISERS) if (recognise(p, rec)) return;
  let name = p;
  if (name.endsWith(':')) name = name.slice(0, -1).trimEnd();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1).trim();
  rec.ruleName = name;
  rec.action = findVerdictWord(name);
}
