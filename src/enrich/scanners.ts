/**
 * Known-scanner matching: the built-in published networks plus a user's own CIDR list, all in
 * one prefix trie so a lookup costs the same however long the lists get.
 */
import { readFile } from 'node:fs/promises';
import { parseCidr } from '../net/ip.js';
import { PrefixTrie } from '../net/prefix-trie.js';
import { SCANNER_NETWORKS } from './data/scanners.js';

export interface ScannerInfo {
  readonly name: string;
  readonly operator?: string;
}

export interface ScannerListProblem {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedScannerList {
  entries: { cidr: string; info: ScannerInfo }[];
  problems: ScannerListProblem[];
}

/** Name given to user-list entries that carry no name of their own. */
export const DEFAULT_USER_SCANNER_NAME = 'user list';

/**
 * Parses the --scanner-list format: one CIDR (or bare address) per line, optionally followed
 * by whitespace and a name; `#` starts a comment; blank lines are ignored. Bad lines are
 * returned as problems rather than thrown, so one typo does not disable the whole list.
 */
export function parseScannerList(text: string): ParsedScannerList {
  const entries: ParsedScannerList['entries'] = [];
  const problems: ScannerListProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') continue;
    const match = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
    const cidrText = match[1]!;
    if (parseCidr(cidrText) === undefined) {
      problems.push({ line: i + 1, text: raw, reason: `not an IPv4/IPv6 address or CIDR: ${cidrText}` });
      continue;
    }
    const name = match[2]?.trim() || DEFAULT_USER_SCANNER_NAME;
    entries.push({ cidr: cidrText, info: { name } });
  }
  return { entries, problems };
}

export class ScannerIndex {
  private readonly trie = new PrefixTrie<ScannerInfo>();

  get size(): number {
    return this.trie.size;
  }

  /** Adds a network; returns false when the CIDR does not parse. */
  add(cidrText: string, info: ScannerInfo): boolean {
    const cidr = parseCidr(cidrText);
    if (cidr === undefined) return false;
    this.trie.insert(cidr, info);
    return true;
  }

  match(version: 4 | 6, words: Uint32Array): ScannerInfo | undefined {
    return this.trie.lookup(version, words);
  }
}

/** An index holding the built-in published scanner networks. */
export function builtinScanners(): ScannerIndex {
  const index = new ScannerIndex();
  for (const net of SCANNER_NETWORKS) {
    if (!index.add(net.cidr, Object.freeze({ name: net.name, operator: net.operator }))) {
      throw new Error(`bad built-in scanner network ${net.cidr}`);
    }
  }
  return index;
}

/**
 * Adds a user list file to `index`. Unreadable files throw (a startup error the CLI reports);
 * bad lines are returned for the caller to report.
 */
export async function addScannerListFile(index: ScannerIndex, path: string): Promise<ScannerListProblem[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read scanner list ${path}: ${(err as Error).message}`);
  }
  const parsed = parseScannerList(text);
  // User entries are added after the built-ins so a user's name wins for the same network.
  for (const entry of parsed.entries) index.add(entry.cidr, Object.freeze(entry.info));
  return parsed.problems;
}
