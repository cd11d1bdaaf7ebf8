/**
 * Address scanners shared by the formats that print `address:port` pairs (dropbear, MikroTik) and
 * the helper that finds a program's messages inside another header.
 */
import { intAt, portAt } from './numbers.js';
import type { SyslogHeader } from './syslog.js';

export interface HostPort {
  /** The address as logged (brackets removed); canonical form and validity are the normalizer's. */
  host: string;
  port: number | undefined;
  /** The text after the last colon when it was not a port (0–65535). */
  badPort: string | undefined;
}

/**
 * `203.0.113.5:51234`, `[2001:db8::5]:51234`, and unbracketed IPv6 with a port as dropbear prints it
 * (`2001:db8::5:51234`: the port is after the last colon). `portRequired` false: an IPv6 address
 * without brackets is taken whole (MikroTik prints ICMPv6 addresses without ports).
 */
export function splitHostPort(text: string, portRequired: boolean): HostPort {
  if (text.charCodeAt(0) === 91) {
    const close = text.indexOf(']');
    if (close > 0) {
      const host = text.slice(1, close);
      if (close === text.length - 1) return { host, port: undefined, badPort: undefined };
      if (text.charCodeAt(close + 1) === 58) return withPort(host, text, close + 2);
    }
  }
  const last = text.lastIndexOf(':');
  if (last < 0) return { host: text, port: undefined, badPort: undefined };
  const first = text.indexOf(':');
  if (first !== last && !portRequired) return { host: text, port: undefined, badPort: undefined };
  return withPort(text.slice(0, last), text, last + 1);
}

function withPort(host: string, text: string, at: number): HostPort {
  const port = portAt(text, at, text.length);
  return { host, port, badPort: port === undefined ? text.slice(at) : undefined };
}

/**
 * Where the message of one of `programs` starts: the header's own tag (`sshd[123]:`), or a tag at
 * the start of the message when another header wraps it (UDM-SE: `UDM-SE UDM-SE[-]:  sshd[2559]:
 * Invalid user …`). -1 when the line is not theirs.
 */
export function programMessage(line: string, header: SyslogHeader, programs: readonly string[]): number {
  const app = header.appname;
  if (app !== undefined && programs.includes(app)) return header.messageStart;
  const from = header.messageStart;
  for (const name of programs) {
    if (!line.startsWith(name, from)) continue;
    let i = from + name.length;
    if (line.charCodeAt(i) === 91) {
      const close = line.indexOf(']', i);
      if (close < 0 || (close > i + 1 && intAt(line, i + 1, close) === undefined)) continue;
      i = close + 1;
    }
    if (line.charCodeAt(i) !== 58) continue;
    i++;
    while (line.charCodeAt(i) === 32) i++;
    return i;
  }
  return -1;
}
