/**
 * Field → accepted mapped type(s) that the dashboards and queries rely on. The Kibana saved
 * objects' test should extend this list with every field its objects reference and run
 * `checkMappedFields` on the mappings `dropship setup` installs.
 */
export const DASHBOARD_FIELD_TYPES: Record<string, string | readonly string[]> = {
  '@timestamp': 'date',
  'event.action': 'keyword',
  'event.type': 'keyword',
  'event.dataset': 'keyword',
  'event.ingested': 'date',
  'source.ip': 'ip',
  'destination.ip': 'ip',
  'source.port': 'long',
  'destination.port': 'long',
  'network.transport': 'keyword',
  'network.community_id': 'keyword',
  'source.geo.location': 'geo_point',
  'source.geo.country_iso_code': 'keyword',
  'source.geo.country_name': 'keyword',
  'destination.geo.location': 'geo_point',
  'source.as.number': 'long',
  'source.as.organization.name': 'keyword',
  'observer.name': 'keyword',
  'user.name': 'keyword',
  'related.ip': 'ip',
  'dropship.service.name': 'keyword',
  'dropship.scanner.name': 'keyword',
  'dropship.scanner.operator': 'keyword',
  'dropship.local.hour': ['byte', 'short'],
  'dropship.local.weekday': ['byte', 'short'],
  'iptables.input_device': 'keyword',
  'tags': 'keyword',
  'error.message': 'match_only_text',
};
