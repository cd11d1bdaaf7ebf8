/**
 * The document dropship emits: nested ECS JSON, exactly what is sent to Elasticsearch.
 *
 * Only fields dropship writes are declared. ECS names are checked against the official
 * definitions by test/ecs-conformance.test.ts; `iptables.*` follows Elastic's iptables
 * integration and `dropship.*` holds dropship's own enrichments.
 */
/** Data streams are named logs-<dataset>-<namespace>; the dataset is decided at parse time. */
export const DATASET_FIREWALL = 'dropship.firewall';
export const DATASET_AUTH = 'dropship.auth';
