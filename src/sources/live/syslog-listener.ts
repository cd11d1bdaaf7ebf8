import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { parseCidr, parseIp } from '../../net/ip.js';
import { PrefixTrie } from '../../net/prefix-trie.js';

/**
 * Syslog over UDP and TCP (RFC 5426, RFC 6587). TCP frames are told apart per message:
 * octet-counted (`123 <34>…`) when the frame starts with digits and a space, otherwise
 * terminated by LF or NUL (OpenWrt's `log_trailer_null`). Senders outside `allow` are dropped
 * and counted; messages over `maxMessageBytes` are cut (UDP) or end the connection (TCP framing
 * can no longer be trusted).
 *
 * TCP connections cannot exhaust the process: one silent for `idleTimeoutMs` is closed (a
 * sender reconnects when it has something to say), at most `maxConnections` are kept (a new one
 * replaces the one idle longest, so a flood of idle connections cannot lock a real sender out),
 * and running out of descriptors anyway is counted, not fatal. While `backpressure` says the
 * spool is full, TCP connections are not read: senders are slowed down by TCP itself instead of
 * their messages being dropped. UDP cannot be slowed down; see the spool.
 */

export interface ListenAddress {
  host: string;
  port: number;
}

export interface SyslogListenerOptions {
  udp?: ListenAddress | undefined;
  tcp?: ListenAddress | undefined;
  /** CIDRs allowed to send; empty = anyone who can reach the socket. */
  allow?: string[];
  maxMessageBytes?: number;
  /** Close a TCP connection silent this long (default 300 s, as Filebeat's TCP input). */
  idleTimeoutMs?: number;
  /**
   * TCP connections kept at once (default 100). Never more than half the process's descriptor
   * limit: past it, the system turns new connections away before we hear of them (libuv accepts
   * and closes them while out of descriptors), and a real sender's messages would be lost.
   */
  maxConnections?: number;
  /**
   * Called per message; `canWait`: it came over TCP, whose sender is slowed down (see
   * backpressure) rather than its messages dropped. false: the message was not kept.
   */
  onMessage: (senderIp: string, message: string, canWait: boolean) => unknown;
  /** Where messages go can be full: TCP is not read until it has room again. */
  backpressure?: { readonly full: boolean; onRoom(fn: () => void): void };
}

export interface SyslogCounters {
  received: number;
  denied: number;
  oversize: number;
  /** Datagrams the kernel dropped because the socket buffer was full (/proc/net/udp*). */
  udpKernelDrops: number;
  tcpConnections: number;
  /** TCP connections open now. */
  tcpOpen: number;
  /** Closed after idleTimeoutMs of silence. */
  tcpIdleClosed: number;
  /** Closed to make room for a new one at maxConnections. */
  tcpEvicted: number;
  /** Connections the system would not let us accept (out of descriptors: EMFILE/ENFILE). */
  tcpAcceptErrors: number;
  /** Times TCP reading was paused because the spool was full. */
  tcpPaused: number;
}

const DEFAULT_MAX = 64 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_CONNECTIONS = 100;

/**
 * The connection cap: as asked (default 100), but never more than half the process's
 * descriptor limit (Linux: /proc/self/limits), so that connections alone cannot take the
 * descriptors that files, the spool and Elasticsearch need.
 */
export async function connectionCap(requested = DEFAULT_MAX_CONNECTIONS): Promise<{ cap: number; descriptorLimit?: number }> {
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  if (!Number.isFinite(soft) || soft <= 0) return { cap: requested };
  return { cap: Math.max(1, Math.min(requested, Math.floor(soft / 2))), descriptorLimit: soft };
}

/** `[host:]port`, `:port`, `[v6]:port`; the default host is loopback. */
export function parseListenAddress(text: string, defaultHost = '127.0.0.1'): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]:|([^:]*):)?(\d{1,5})$/.exec(text.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1] ?? (m[2] === undefined || m[2] === '' ? defaultHost : m[2]);
  return { host, port };
}

export function buildAllowList(cidrs: string[]): { allows(ip: string): boolean; bad: string[] } {
  const trie = new PrefixTrie<true>();
  const bad: string[] = [];
  for (const c of cidrs) {
    const cidr = parseCidr(c.trim());
    if (cidr === undefined) bad.push(c);
    else trie.insert(cidr, true);
  }
  const words = new Uint32Array(4);
  return {
    bad,
    allows(ip: string): boolean {
      if (cidrs.length === 0) return true;
      const v = parseIp(ip, words);
      return v !== 0 && trie.lookup(v, words) === true;
    },
  };
}

export class SyslogListener {
  readonly counters: SyslogCounters = {
    received: 0, denied: 0, oversize: 0, udpKernelDrops: 0, tcpConnections: 0, tcpOpen: 0, tcpIdleClosed: 0, tcpEvicted: 0, tcpAcceptErrors: 0, tcpPaused: 0,
  };
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  /** Open TCP connections, with when each was last heard from. */
  private readonly sockets = new Map<Socket, number>();
  private readonly max: number;
  private readonly idleMs: number;
  private maxConnections: number;
  private paused = false;
  private readonly allow: ReturnType<typeof buildAllowList>;

  constructor(private readonly opts: SyslogListenerOptions) {
    this.max = opts.maxMessageBytes ?? DEFAULT_MAX;
    this.idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.allow = buildAllowList(opts.allow ?? []);
    if (this.allow.bad.length > 0) throw new Error(`--syslog-allow: not a network: ${this.allow.bad.join(', ')}`);
  }

  /** Binds the sockets; says where, and the TCP connection cap in force. */
  async start(): Promise<{ udp?: ListenAddress; tcp?: ListenAddress; maxConnections?: number; descriptorLimit?: number }> {
    const bound: { udp?: ListenAddress; tcp?: ListenAddress; maxConnections?: number; descriptorLimit?: number } = {};
    if (this.opts.udp !== undefined) {
      const a = this.opts.udp;
      const sock = createSocket({ type: a.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024 });
      sock.on('message', (msg, rinfo) => this.datagram(msg, rinfo.address));
      await new Promise<void>((ok, fail) => {
        sock.once('error', fail);
        sock.bind(a.port, a.host, () => {
          sock.off('error', fail);
          ok();
        });
      });
      sock.on('error', () => undefined);
      this.udp = sock;
      bound.udp = { host: a.host, port: sock.address().port };
    }
    if (this.opts.tcp !== undefined) {
      const a = this.opts.tcp;
      const { cap, descriptorLimit } = await connectionCap(this.opts.maxConnections);
      this.maxConnections = bound.maxConnections = cap;
      if (descriptorLimit !== undefined) bound.descriptorLimit = descriptorLimit;
      const server = createServer((s) => this.connection(s));
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(a.port, a.host, () => {
          server.off('error', fail);
          ok();
        });
      });
      // Accepting fails when descriptors run out (EMFILE/ENFILE; libuv then turns the pending
      // connection away): count it, and free a descriptor by closing the connection idle longest.
      server.on('error', () => {
        this.counters.tcpAcceptErrors++;
        this.evictIdlest();
      });
      this.tcp = server;
      const addr = server.address();
      bound.tcp = { host: a.host, port: typeof addr === 'object' && addr !== null ? addr.port : a.port };
    }
    return bound;
  }

  async stop(): Promise<void> {
    await this.refreshKernelDrops();
    this.udp?.close();
    for (const s of this.sockets.keys()) s.destroy();
    await new Promise<void>((ok) => (this.tcp ? this.tcp.close(() => ok()) : ok()));
  }

  /** Reads the kernel's per-socket drop counter for our UDP port (Linux). */
  async refreshKernelDrops(): Promise<void> {
    if (this.udp === undefined) return;
    let port: number;
    try {
      port = this.udp.address().port;
    } catch {
      return;
    }
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    let drops = 0;
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const row of text.split('\n').slice(1)) {
        const cols = row.trim().split(/\s+/);
        if (cols.length > 12 && cols[1]?.endsWith(`:${hexPort}`)) drops += Number(cols[cols.length - 1]) || 0;
      }
    }
    this.counters.udpKernelDrops = drops;
  }

  private datagram(msg: Buffer, sender: string): void {
    if (!this.allow.allows(sender)) {
      this.counters.denied++;
      return;
    }
    let body = msg;
    if (body.length > this.max) {
      this.counters.oversize++;
      body = body.subarray(0, this.max);
    }
    this.counters.received++;
    this.opts.onMessage(sender, body.toString('utf8'), false);
  }

  private connection(s: Socket): void {
    const sender = (s.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    s.on('error', () => undefined);
    if (!this.allow.allows(sender)) {
      this.counters.denied++;
      s.destroy();
      return;
    }
    if (this.sockets.size >= this.maxConnections) this.evictIdlest();
    this.counters.tcpConnections++;
    this.sockets.set(s, Date.now());
    this.counters.tcpOpen = this.sockets.size;
    s.on('close', () => {
      this.sockets.delete(s);
      this.counters.tcpOpen = this.sockets.size;
    });
    s.setTimeout(this.idleMs, () => {
      // A connection we stopped reading is not idle: it waits for us.
      if (this.paused) {
        s.setTimeout(this.idleMs);
        return;
      }
      this.counters.tcpIdleClosed++;
      s.destroy();
    });
    if (this.paused) s.pause();
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      this.sockets.set(s, Date.now());
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        const frame = this.nextFrame(buf);
        if (frame === undefined) break;
        if (frame === 'bad') {
          this.counters.oversize++;
          s.destroy();
          return;
        }
        buf = buf.subarray(frame.next);
        if (frame.body.length > 0) {
          this.counters.received++;
          this.opts.onMessage(sender, frame.body.toString('utf8'), true);
        }
      }
      if (buf.length > this.max + 8) {
        this.counters.oversize++;
        s.destroy();
        return;
      }
      if (this.opts.backpressure?.full === true) this.pause();
    });
    s.on('end', () => {
      // A last message without its terminator still counts.
      if (buf.length > 0 && buf.length <= this.max) {
        this.counters.received++;
        this.opts.onMessage(sender, buf.toString('utf8'), true);
      }
    });
  }

  /** Stops reading every TCP connection until the spool has room. */
  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.counters.tcpPaused++;
    for (const s of this.sockets.keys()) s.pause();
    this.opts.backpressure!.onRoom(() => {
      this.paused = false;
      for (const s of this.sockets.keys()) s.resume();
    });
  }

  /** Closes the connection that has been silent longest. */
  private evictIdlest(): void {
    let oldest: Socket | undefined;
    let at = Infinity;
    for (const [s, last] of this.sockets) {
      if (last < at) {
        at = last;
        oldest = s;
      }
    }
    if (oldest === undefined) return;
    this.counters.tcpEvicted++;
    this.sockets.delete(oldest);
    this.counters.tcpOpen = this.sockets.size;
    oldest.destroy();
  }

  /** The next complete frame in buf, 'bad' for an unacceptable one, undefined if incomplete. */
  private nextFrame(buf: Buffer): { body: Buffer; next: number } | 'bad' | undefined {
    if (buf.length === 0) return undefined;
    let i = 0;
    while (i < buf.length && i < 10 && buf[i]! >= 48 && buf[i]! <= 57) i++;
    if (i > 0 && i < buf.length && buf[i] === 32 && buf[0] !== 48) {
      const len = Number(buf.toString('latin1', 0, i));
      if (len > this.max) return 'bad';
      if (buf.length < i + 1 + len) return undefined;
      return { body: buf.subarray(i + 1, i + 1 + len), next: i + 1 + len };
    }
    for (let k = 0; k < buf.length; k++) {
      const c = buf[k];
      if (c === 10 || c === 0) {
        const end = k > 0 && buf[k - 1] === 13 ? k - 1 : k;
        return { body: buf.subarray(0, end), next: k + 1 };
      }
    }
    return undefined;
  }
}
