/**
 * Every field a dropship document can hold, declared once, with the facts other code derives:
 *  - the mapping: `ecs` (taken from the @elastic/ecs definition by setup) or a type of our own
 *    for the vendor namespaces (iptables.*, pfsense.* as Elastic's integrations name them,
 *    system.auth.ssh.* as Elastic's system integration, dropship.* our enrichments);
 *  - whether the value changes from document to document (the serializer keeps no constant text
 *    for such a member, see serialize.ts);
 *  - the order of members in the vendor objects, from which their hidden-class templates are made
 *    (see templateOf).
 *
 * `pipelines/fields.json`, which `dropship setup` turns into mappings, is generated from this table
 * (fieldSpec; test/unit/fields-table.test.ts fails when it is stale and rewrites it with
 * UPDATE_FIELDS_JSON=1). The compile-time check at the end fails when the document type
 * (document.ts) has a field this table lacks, or the other way round.
 *
 * The mapping types are also what the numbers a parser writes are checked against (rangeOf):
 * a value the mapping cannot hold is dropped and tagged rather than rejected by Elasticsearch.
 */
import type { EcsDocument } from './document.js';

/** Types of the fields outside ECS. */
export type CustomType = 'keyword' | 'long' | 'integer' | 'short' | 'byte' | 'ip';

export interface FieldFacts {
  /** `ecs`: mapped as @elastic/ecs defines the name; otherwise our own type. */
  readonly mapping: 'ecs' | CustomType;
  /** A value that changes from document to document (times, addresses, ports, packet numbers). */
  readonly volatile: boolean;
}

const ECS = 'ecs';
const V = true; // volatile
const C = false; // constant (or drawn from a few values)

type Row = readonly [mapping: FieldFacts['mapping'], volatile: boolean];

function table<K extends string>(rows: Record<K, Row>): Record<K, FieldFacts> {
  const out = {} as Record<K, FieldFacts>;
  for (const key of Object.keys(rows) as K[]) {
    const [mapping, volatile] = rows[key];
    out[key] = { mapping, volatile };
  }
  return out;
}

export const FIELDS = table({
  '@timestamp': [ECS, V],
  message: [ECS, V],
  tags: [ECS, C],
  'ecs.version': [ECS, C],
  'data_stream.type': [ECS, C],
  'data_stream.dataset': [ECS, C],
  'data_stream.namespace': [ECS, C],
  'event.kind': [ECS, C],
  'event.category': [ECS, C],
  'event.type': [ECS, C],
  'event.action': [ECS, C],
  'event.outcome': [ECS, C],
  'event.dataset': [ECS, C],
  'event.reason': [ECS, C],
  'event.original': [ECS, V],
  'event.created': [ECS, V],
  'event.timezone': [ECS, C],
  'error.message': [ECS, V],
  'log.syslog.priority': [ECS, C],
  'log.syslog.facility.code': [ECS, C],
  'log.syslog.facility.name': [ECS, C],
  'log.syslog.severity.code': [ECS, C],
  'log.syslog.severity.name': [ECS, C],
  'log.syslog.hostname': [ECS, C],
  'log.syslog.appname': [ECS, C],
  'log.syslog.procid': [ECS, V],
  'log.syslog.msgid': [ECS, C],
  'log.syslog.version': [ECS, C],
  'log.syslog.structured_data': [ECS, C],
  'log.file.path': [ECS, C],
  'observer.hostname': [ECS, C],
  'observer.name': [ECS, C],
  'observer.ip': [ECS, C],
  'observer.type': [ECS, C],
  'observer.vendor': [ECS, C],
  'observer.ingress.interface.name': [ECS, C],
  'observer.ingress.zone': [ECS, C],
  'observer.egress.interface.name': [ECS, C],
  'observer.egress.zone': [ECS, C],
  'source.ip': [ECS, V],
  'source.domain': [ECS, C],
  'source.port': [ECS, V],
  'source.mac': [ECS, C],
  'source.nat.ip': [ECS, V],
  'source.nat.port': [ECS, V],
  'source.geo.continent_name': [ECS, C],
  'source.geo.country_iso_code': [ECS, C],
  'source.geo.country_name': [ECS, C],
  'source.geo.region_iso_code': [ECS, C],
  'source.geo.region_name': [ECS, C],
  'source.geo.city_name': [ECS, C],
  'source.geo.location': [ECS, C],
  'source.as.number': [ECS, C],
  'source.as.organization.name': [ECS, C],
  'destination.ip': [ECS, V],
  'destination.domain': [ECS, C],
  'destination.port': [ECS, V],
  'destination.mac': [ECS, C],
  'destination.nat.ip': [ECS, V],
  'destination.nat.port': [ECS, V],
  'destination.geo.continent_name': [ECS, C],
  'destination.geo.country_iso_code': [ECS, C],
  'destination.geo.country_name': [ECS, C],
  'destination.geo.region_iso_code': [ECS, C],
  'destination.geo.region_name': [ECS, C],
  'destination.geo.city_name': [ECS, C],
  'destination.geo.location': [ECS, C],
  'destination.as.number': [ECS, C],
  'destination.as.organization.name': [ECS, C],
  'network.transport': [ECS, C],
  'network.type': [ECS, C],
  'network.iana_number': [ECS, C],
  'network.direction': [ECS, C],
  'network.community_id': [ECS, V],
  'network.bytes': [ECS, V],
  'rule.name': [ECS, C],
  'rule.id': [ECS, C],
  'rule.ruleset': [ECS, C],
  'rule.description': [ECS, C],
  'related.ip': [ECS, V],
  'related.user': [ECS, C],
  'user.name': [ECS, C],

  'iptables.input_device': ['keyword', C],
  'iptables.output_device': ['keyword', C],
  'iptables.ether_type': ['long', C],
  'iptables.length': ['long', V],
  'iptables.tos': ['long', C],
  'iptables.precedence_bits': ['short', C],
  'iptables.ttl': ['integer', V],
  'iptables.id': ['long', V],
  'iptables.flow_label': ['integer', V],
  'iptables.fragment_flags': ['keyword', C],
  'iptables.fragment_offset': ['long', V],
  'iptables.incomplete_bytes': ['long', V],
  'iptables.tcp.seq': ['long', V],
  'iptables.tcp.ack': ['long', V],
  'iptables.tcp.window': ['long', V],
  'iptables.tcp.reserved_bits': ['short', C],
  'iptables.tcp.flags': ['keyword', C],
  'iptables.udp.length': ['long', V],
  'iptables.icmp.type': ['long', C],
  'iptables.icmp.code': ['long', C],
  'iptables.icmp.id': ['long', V],
  'iptables.icmp.seq': ['long', V],
  'iptables.icmp.parameter': ['long', C],
  'iptables.icmp.redirect': ['ip', C],
  'iptables.spi': ['keyword', V],
  'iptables.mark': ['long', C],
  'iptables.uid': ['long', C],
  'iptables.gid': ['long', C],
  'iptables.ubiquiti.rule_set': ['keyword', C],
  'iptables.ubiquiti.rule_number': ['keyword', C],
  'iptables.ubiquiti.input_zone': ['keyword', C],
  'iptables.ubiquiti.output_zone': ['keyword', C],

  'pfsense.ip.tos': ['keyword', C],
  'pfsense.ip.ecn': ['keyword', C],
  'pfsense.ip.ttl': ['long', V],
  'pfsense.ip.id': ['long', V],
  'pfsense.ip.offset': ['long', C],
  'pfsense.ip.flags': ['keyword', C],
  'pfsense.ip.flow_label': ['keyword', V],
  'pfsense.tcp.flags': ['keyword', C],
  'pfsense.tcp.seq': ['long', V],
  'pfsense.tcp.ack': ['long', V],
  'pfsense.tcp.window': ['long', V],
  'pfsense.tcp.urg': ['keyword', C],
  'pfsense.tcp.options': ['keyword', C],
  'pfsense.tcp.length': ['long', V],
  'pfsense.udp.length': ['long', V],
  'pfsense.icmp.type': ['keyword', C],
  'pfsense.icmp.code': ['long', C],
  'pfsense.icmp.id': ['long', V],
  'pfsense.icmp.seq': ['long', V],
  'pfsense.icmp.mtu': ['long', C],
  'pfsense.icmp.destination.ip': ['ip', V],
  'pfsense.icmp.unreachable.iana_number': ['long', C],
  'pfsense.icmp.unreachable.port': ['long', V],
  'pfsense.carp.type': ['keyword', C],
  'pfsense.carp.ttl': ['long', C],
  'pfsense.carp.vhid': ['long', C],
  'pfsense.carp.version': ['long', C],
  'pfsense.carp.advskew': ['long', C],
  'pfsense.carp.advbase': ['long', C],

  'system.auth.ssh.event': ['keyword', C],
  'system.auth.ssh.method': ['keyword', C],
  'system.auth.ssh.signature': ['keyword', V],

  'dropship.vendor': ['keyword', C],
  'dropship.format': ['keyword', C],
  'dropship.service.name': ['keyword', C],
  'dropship.service.note': ['keyword', C],
  'dropship.scanner.name': ['keyword', C],
  'dropship.scanner.operator': ['keyword', C],
  'dropship.local.hour': ['byte', C],
  'dropship.local.weekday': ['byte', C],
});

export type FieldName = keyof typeof FIELDS;

/** ECS fields only the ingest pipeline adds (never in a document dropship sends). */
export const PIPELINE_FIELDS = ['event.ingested'] as const;

/**
 * Objects shared between documents (the parser's data_stream per dataset, the enricher's cached,
 * frozen geo/AS/scanner/service objects, the prefix cache's ubiquiti fields) and the free-form syslog structured data: the serializer
 * writes each as one piece, remembered per object when the object cannot change.
 */
export const SHARED_OBJECTS: ReadonlySet<string> = new Set([
  'data_stream', 'source.geo', 'source.as', 'destination.geo', 'destination.as', 'dropship.service', 'dropship.scanner',
  'iptables.ubiquiti', 'log.syslog.structured_data',
]);

/** Dotted paths of the members whose values change from document to document. */
export function volatilePaths(): Set<string> {
  return new Set((Object.keys(FIELDS) as FieldName[]).filter((f) => FIELDS[f].volatile));
}

/** The members the table declares directly under `path` (`iptables` → input_device, …, tcp, udp, icmp, …), in table order. */
export function membersOf(path: string): string[] {
  const prefix = `${path}.`;
  const members = new Set<string>();
  for (const name of Object.keys(FIELDS)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const dot = rest.indexOf('.');
    members.add(dot < 0 ? rest : rest.slice(0, dot));
  }
  if (members.size === 0) throw new Error(`no field is declared under ${path}`);
  return [...members];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A function returning a new object that holds every one of `members` as undefined, in that order.
 * Objects from one such function share a hidden class whatever values are stored later, which
 * keeps the parsers' property stores monomorphic; JSON.stringify skips the members left undefined.
 *
 * It is compiled from an object literal: V8 makes such objects from a boilerplate (about 15 ns
 * for 20 members), while copying a template object (`{ ...template }`) took 100 ns from a
 * literal template, 740 ns from a frozen one and 8 µs from one built member by member (measured
 * on node 20).
 */
export function objectMaker<T>(members: readonly string[]): () => T {
  for (const m of members) if (!IDENTIFIER.test(m)) throw new Error(`not an identifier: ${JSON.stringify(m)}`);
  return new Function(`return () => ({ ${members.map((m) => `${m}: undefined`).join(', ')} });`)() as () => T;
}

/** A maker of the vendor object at `path` (`iptables.tcp`), from the members the table declares. */
export function makerOf<T>(path: string): () => T {
  return objectMaker<T>(membersOf(path));
}

/** Values an Elasticsearch numeric type holds (long: the part a JS number holds exactly). */
const RANGES: Record<string, readonly [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** The range of values a numeric field of our own types can hold, or undefined for other fields. */
export function rangeOf(name: string): readonly [number, number] | undefined {
  const facts = (FIELDS as Record<string, FieldFacts | undefined>)[name];
  return facts === undefined || facts.mapping === 'ecs' ? undefined : RANGES[facts.mapping];
}

/**
 * The numeric fields under `path` whose mapped range is narrower than what a parser's number
 * readers can return (`below`, e.g. 2^52 for up to 13 hex digits): the only ones worth checking.
 */
export function narrowNumbers(path: string, below: number): { name: string; parts: string[]; min: number; max: number }[] {
  const out: { name: string; parts: string[]; min: number; max: number }[] = [];
  for (const name of Object.keys(FIELDS)) {
    if (!name.startsWith(`${path}.`)) continue;
    const range = rangeOf(name);
    if (range !== undefined && range[1] < below) out.push({ name, parts: name.slice(path.length + 1).split('.'), min: range[0], max: range[1] });
  }
  return out;
}

/** Told about each value a range guard leaves out (`to`: what the guard was given to pass on). */
export type OutOfRange<C> = (to: C, field: string, value: number, min: number, max: number) => void;

/**
 * A function that checks the object at `path` (an iptables.* object as a parser filled it) for
 * numbers its fields' mappings cannot hold (see narrowNumbers), sets each such member to
 * undefined and reports it. Compiled from the field list, like objectMaker: a generic walk with
 * computed member names cost 100 ns a line, this a few.
 */
export function rangeGuard<T extends object, C>(path: string, below: number, report: OutOfRange<C>): (o: T, to: C) => void {
  const checks = narrowNumbers(path, below).map((n) => {
    for (const part of n.parts) if (!IDENTIFIER.test(part)) throw new Error(`not an identifier: ${JSON.stringify(part)}`);
    const parents = n.parts.slice(0, -1);
    const last = n.parts[n.parts.length - 1]!;
    const holder = ['o', ...parents].join('?.');
    return `{ const h = ${holder}; const v = h?.${last}; ` +
      `if (typeof v === 'number' && (v < ${n.min} || v > ${n.max})) { h.${last} = undefined; report(to, ${JSON.stringify(n.name)}, v, ${n.min}, ${n.max}); } }`;
  });
  return new Function('report', `return (o, to) => { ${checks.join(' ')} };`)(report) as (o: T, to: C) => void;
}

/** The contents of pipelines/fields.json: what `dropship setup` maps. */
export interface FieldSpecJson {
  _comment: string;
  ecs: Record<string, Record<string, never>>;
  ecsFromPipeline: Record<string, Record<string, never>>;
  custom: Record<string, { type: CustomType; ignore_above?: number }>;
}

export function fieldSpec(): FieldSpecJson {
  const spec: FieldSpecJson = {
    _comment:
      'Generated from src/model/fields.ts (do not edit; UPDATE_FIELDS_JSON=1 node --import tsx --test test/unit/fields-table.test.ts rewrites it). ' +
      'Every field dropship writes or its ingest pipeline adds. ecs: types come from @elastic/ecs. ' +
      'custom: iptables.*, pfsense.*, system.auth.ssh.* as in Elastic\'s integrations, dropship.* our own.',
    ecs: {},
    ecsFromPipeline: {},
    custom: {},
  };
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const { mapping } = FIELDS[name];
    if (mapping === 'ecs') spec.ecs[name] = {};
    else spec.custom[name] = mapping === 'keyword' ? { type: mapping, ignore_above: 1024 } : { type: mapping };
  }
  for (const name of PIPELINE_FIELDS) spec.ecsFromPipeline[name] = {};
  return spec;
}

/** Dotted paths of the leaves of T: arrays, primitives, geo points and free-form maps are leaves. */
type LeafPaths<T, Prefix extends string = ''> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends string | number | boolean | readonly unknown[]
    ? `${Prefix}${K}`
    : K extends 'location'
      ? `${Prefix}${K}`
      : string extends keyof NonNullable<T[K]>
        ? `${Prefix}${K}`
        : LeafPaths<NonNullable<T[K]>, `${Prefix}${K}.`>;
}[keyof T & string];

/** Every field of the document type, as a dotted path (pipelines/assets.ts checks fields.json against it too). */
export type DocumentField = LeafPaths<EcsDocument>;

type Undeclared = Exclude<DocumentField, FieldName>;
type NotInDocument = Exclude<FieldName, DocumentField>;
// Each line fails to compile naming the offending fields.
export const everyDocumentFieldIsDeclared: [Undeclared] extends [never] ? true : { undeclared: Undeclared } = true;
export const everyDeclaredFieldIsInTheDocument: [NotInDocument] extends [never] ? true : { notInDocument: NotInDocument } = true;
