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
  port?: number;
  mac?: string;
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

export interface DropshipFields {
  /** Detected device family / log dialect (see README "Supported formats"). */
  vendor?: string;
  /** Detected line format: netfilter, filterlog, mikrotik, sshd, dropbear, unknown. */
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
  event: {
    kind: 'event' | 'pipeline_error';
    category?: string[];
    type?: string[];
    action?: string;
    outcome?: 'success' | 'failure' | 'unknown';
    dataset?: string;
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
  };
  rule?: { name?: string; id?: string; ruleset?: string; description?: string };
  related?: { ip?: string[]; user?: string[] };
  user?: { name?: string };
  iptables?: IptablesFields;
  dropship?: DropshipFields;
}

/** Data streams are named logs-<dataset>-<namespace>; the dataset is decided at parse time. */
export const DATASET_FIREWALL = 'dropship.firewall';
export const DATASET_AUTH = 'dropship.auth';
