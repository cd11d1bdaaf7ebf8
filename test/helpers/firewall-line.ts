import { documentId } from '../../src/model/doc-id.js';

/** A netfilter line with its own ISO timestamp, so its document id is known in advance. */
export function firewallLine(n: number, tag = 'e2e'): string {
  const ts = new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
  return `${ts} gw kernel: DROP IN=ppp0 OUT= MAC= SRC=203.0.113.${n % 250 + 1} DST=198.51.100.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=${n % 65536} PROTO=TCP SPT=${1024 + (n % 60000)} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 ${tag}=${n}`;
}

export function firewallLineId(n: number, tag = 'e2e'): string {
  const text = firewallLine(n, tag);
  return documentId(text.slice(0, 24), text);
}
