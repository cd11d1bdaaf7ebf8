/**
 * The document dropship emits: nested ECS JSON, exactly what is sent to Elasticsearch.
 *
 * Only fields dropship writes are declared. ECS names are checked against the official
 * definitions by test/unit/ecs-conformance.test.ts; `iptables.*` follows Elastic's iptables
 * integration and `dropship.*` holds dropship's own enrichments.
 */

export interface GeoFields {
  continent_name?: string;
  country_iso_code?: string;
  country_name?: string;
  region_iso_code?: string;
  region_name?: string;
  city_name?: string;
  location?: { lat: number; lon: number };
}

export interface AsFields {
  number?: number;
  organization?: { name?: string };
}

export interface EndpointFields {
  ip?: string;
  /** A host name where the log names the peer by name (sshd with UseDNS). */
  domain?: string;
  port?: number;
  mac?: string;
  /** The address and port after network address translation (MikroTik `NAT (…)`). */
  nat?: { ip?: string; port?: number };
  geo?: GeoFields;
  as?: AsFields;
}

export interface IptablesFields {
  input_device?: string;
  output_device?: string;
  ether_type?: number;
  length?: number;
  tos?: number;
  precedence_bits?: number;
  ttl?: number;
  id?: number;
  flow_label?: number;
  fragment_flags?: string[];
  fragment_offset?: number;
  incomplete_bytes?: number;
  tcp?: { seq?: number; ack?: number; window?: number; reserved_bits?: number; flags?: string[] };
  udp?: { length?: number };
  icmp?: { type?: number; code?: number; id?: number; seq?: number; parameter?: number; redirect?: string };
  /** Not in Elastic's integration: IPsec SPI of ESP/AH packets, as logged (hex). */
  spi?: string;
  /** Not in Elastic's integration: skb mark (MARK=) and socket owner (UID=/GID=). */
  mark?: number;
  uid?: number;
  gid?: number;
  ubiquiti?: { rule_set?: string; rule_number?: string; input_zone?: string; output_zone?: string };
}

/**
 * pfSense/OPNsense filterlog details ECS has no field for, named as Elastic's pfsense integration
 * names them (packages/pfsense/data_stream/log/fields/fields.yml), plus CARP's own.
 */
export interface PfsenseFields {
  ip?: { tos?: string; ecn?: string; ttl?: number; id?: number; offset?: number; flags?: string; flow_label?: string };
  tcp?: { flags?: string; seq?: number; ack?: number; window?: number; urg?: string; options?: string[]; length?: number };
  udp?: { length?: number };
  icmp?: {
    type?: string; code?: number; id?: number; seq?: number; mtu?: number; destination?: { ip?: string };
    unreachable?: { iana_number?: number; port?: number };
  };
  carp?: { type?: string; ttl?: number; vhid?: number; version?: number; advskew?: number; advbase?: number };
}

/** SSH login details, named as Elastic's system integration names them (auth data stream). */
export interface SystemFields {
  auth?: { ssh?: { event?: string; method?: string; signature?: string } };
}

export interface DropshipFields {
  /** Detected device family / log dialect (docs/formats.md, "Supported formats"). */
  vendor?: string;
  /** The format that read the line (src/parse/formats/): netfilter, filterlog, mikrotik, sshd, dropbear, syslog. */
  format?: string;
  service?: { name?: string; note?: string };
  scanner?: { name?: string; operator?: string };
  local?: { hour?: number; weekday?: number };
}

export interface EcsDocument {
  '@timestamp': string;
  message?: string;
  tags?: string[];
  ecs: { version: string };
  /** Which data stream the document belongs to (logs-<dataset>-<namespace>); constant_keyword in logs@mappings. */
  data_stream?: { type: 'logs'; dataset: string; namespace: string };
  event: {
    kind: 'event' | 'pipeline_error';
    category?: string[];
    type?: string[];
    action?: string;
    outcome?: 'success' | 'failure' | 'unknown';
    dataset?: string;
    reason?: string;
    original: string;
    created: string;
    timezone?: string;
  };
  error?: { message: string };
  log?: {
    syslog?: {
      priority?: number;
      facility?: { code?: number; name?: string };
      severity?: { code?: number; name?: string };
      hostname?: string;
      appname?: string;
      procid?: string;
      msgid?: string;
      version?: string;
      structured_data?: Record<string, Record<string, string>>;
    };
    file?: { path?: string };
  };
  observer?: {
    hostname?: string;
    name?: string;
    ip?: string[];
    type?: string;
    vendor?: string;
    ingress?: { interface?: { name: string }; zone?: string };
    egress?: { interface?: { name: string }; zone?: string };
  };
  source?: EndpointFields;
  destination?: EndpointFields;
  network?: {
    transport?: string;
    type?: string;
    iana_number?: string;
    direction?: string;
    community_id?: string;
    bytes?: number;
  };
  rule?: { name?: string; id?: string; ruleset?: string; description?: string };
  related?: { ip?: string[]; user?: string[] };
  user?: { name?: string };
  iptables?: IptablesFields;
  pfsense?: PfsenseFields;
  system?: SystemFields;
  dropship?: DropshipFields;
}

/** Data streams are named logs-<dataset>-<namespace>; the dataset is decided at parse time. */
export const DATASET_FIREWALL = 'dropship.firewall';
export const DATASET_AUTH = 'dropship.auth';
/** Lines no format claims (dnsmasq, cron, anything unrecognised): kept whole, never firewall attempts. */
export const DATASET_SYSLOG = 'dropship.syslog';
