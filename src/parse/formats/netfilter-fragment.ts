import type { EcsDocument } from '../../model/document.js';
import { DATASET_FIREWALL } from '../../model/document.js';
import { applyFirewall } from '../../normalize/firewall.js';
import type { SyslogHeader } from '../syslog.js';
import type { Format, ParseContext } from './format.js';
import { parseNetfilter, senderKey, startsWithToken, type SplitHead } from './netfilter.js';

/**
 * Pieces of netfilter lines without their `IN=… OUT=` head. UniFi consoles (UDM family) split a
 * long kernel line across syslog messages: the head (`… IN=eth8 OUT= MAC=… SRC=… DST=… LEN=…
 * TOS=0x00 PREC=0x00 T`) and then the rest (`TL=126 ID=8698 DF PROTO=TCP SPT=88 …`), cut anywhere,
 * even inside a word (Elastic's own test corpus, packages/iptables/…/test-ubiquiti.log).
 *
 * Where the stream allows, the two are joined: a fragment from the same sender within a few
 * seconds of a head the netfilter format remembered becomes the whole event (tagged
 * dropship_reassembled). The head itself is a line that ends before PROTO=, a pipeline_error, so
 * the attempt is counted once. A fragment whose head was not seen keeps every field it carries
 * (ports, transport, TCP flags, TTL…) but is a pipeline_error too: its addresses are elsewhere, and
 * counting it would count an attempt nobody can place. (Elastic indexes such fragments as
 * events.)
 */

/** A head and its fragment are logged together; more than this apart, they are not one line. */
const JOIN_WINDOW_MS = 2_000;

const FRAGMENT_KEYS = /(?:^|\s)(?:SRC|DST|PROTO|SPT|DPT|TTL|WINDOW|URGP|TOS|PREC|HOPLIMIT)=/g;

/** A piece of a netfilter line: at least two of its keys, and no `IN=` head (the netfilter format takes those). */
export function looksLikeNetfilterFragment(s: string): boolean {
  FRAGMENT_KEYS.lastIndex = 0;
  let n = 0;
  while (FRAGMENT_KEYS.exec(s) !== null) if (++n >= 2) return true;
  return false;
}

/**
 * The head and the fragment as one text. The cut can fall anywhere: between two tokens (a blank
 * lost with a trailing space) or inside one (`… PREC=0x00 T` + `TL=126`), so a blank is put back
 * only when neither side has one and the fragment starts with a whole token.
 */
export function joinSplit(head: string, fragment: string): string {
  const h = head.charCodeAt(head.length - 1);
  const f = fragment.charCodeAt(0);
  const blank = h === 32 || h === 9 || f === 32 || f === 9;
  return blank || !startsWithToken(fragment, 0) ? head + fragment : `${head} ${fragment}`;
}

/** A head's own keys: a piece holding one is not the rest of a head (heads are remembered only once they have SRC=). */
const HEAD_KEY = /(?:^|[\s])(?:IN|SRC)=/;

/** `L=126` / `TL=126` at the start of a fragment is what is left of `TTL=` (as Elastic reads it). */
const CUT_TTL = /^T?L=/;

const UNPLACED = 'fragment of a netfilter line split across syslog messages; the part with its addresses was not seen';

export const netfilterFragment: Format = {
  name: 'netfilter',
  dataset: DATASET_FIREWALL,
  screensControls: true,
  find(line: string, header: SyslogHeader): number {
    return looksLikeNetfilterFragment(line.slice(header.messageStart)) ? header.messageStart : -1;
  },
  read(doc: EcsDocument, line: string, at: number, header: SyslogHeader, context: ParseContext): EcsDocument {
    const fragment = line.slice(at);
    const key = senderKey(header);
    const head = context.splitHeads.get(key) as SplitHead | undefined;
    if (head !== undefined) {
      context.splitHeads.delete(key);
      if (Math.abs(context.tsMs - head.tsMs) <= JOIN_WINDOW_MS && !HEAD_KEY.test(fragment)) {
        const rec = parseNetfilter(joinSplit(head.text, fragment), 0, head.prefix);
        if (rec.unreadable === undefined) {
          rec.reassembled = true;
          return applyFirewall(doc, rec);
        }
      }
    }
    const m = CUT_TTL.exec(fragment);
    const rec = parseNetfilter(m === null ? fragment : `TTL${fragment.slice(m[0].length - 1)}`, 0, '');
    rec.partial = UNPLACED;
    rec.unreadable = UNPLACED;
    return applyFirewall(doc, rec);
  },
};
