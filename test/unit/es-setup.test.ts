import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, type estypes } from '@elastic/elasticsearch';
import { loadAssets, PIPELINE_NAME } from '../../src/elasticsearch/assets.js';
import { DASHBOARD_FIELD_TYPES } from '../helpers/expected-fields.js';
import { checkMappedFields, mappedType, pipelineFields } from '../helpers/field-check.js';
import { buildMappings } from '../../src/elasticsearch/mappings.js';
import { buildSetupPlan, parseClusterInfo, runSetup, versionProblem, type SetupStep } from '../../src/elasticsearch/setup.js';
import { parseRetentionDays } from '../../src/cli/setup-command.js';
import { BulkServer } from '../helpers/bulk-server.js';
import { authDoc, netfilterDoc } from '../helpers/netfilter-docs.js';

const options = { retentionDays: 180, indexMode: 'auto' as const };
const info = (version: string, flavor = 'default') => parseClusterInfo({ version: { number: version, build_flavor: flavor } });
const indexTemplates = (plan: SetupStep[]) =>
  plan.flatMap((s) => (s.kind === 'index-template' ? [s.request] : []));
const mappings = buildMappings(loadAssets().fields);

/** Elasticsearch field types a mapping may name (the ones dropship could plausibly use). */
const KNOWN_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard', 'match_only_text', 'text', 'long', 'integer', 'short', 'byte', 'unsigned_long', 'double', 'float', 'half_float', 'scaled_float', 'boolean', 'date', 'date_nanos', 'ip', 'geo_point', 'flattened', 'object', 'nested']);

function leaves(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  if (prefix.endsWith('location') || prefix.endsWith('structured_data')) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

describe('dropship setup: plan', () => {
  it('refuses Elasticsearch before 8.0 in one line', () => {
    assert.equal(versionProblem(info('7.17.25')), 'Elasticsearch 7.17.25 is not supported: dropship needs 8.0 or later');
    assert.equal(versionProblem(info('8.0.0')), undefined);
    assert.equal(versionProblem(info('9.2.1')), undefined);
    assert.match(versionProblem(parseClusterInfo({ nonsense: true })) ?? '', /0\.0\.0 is not supported/);
  });

  it('composes the built-in logs components, ours, then users\' @custom, above the logs template', () => {
    const [firewall, auth] = indexTemplates(buildSetupPlan(info('8.19.3'), options));
    assert.deepEqual(firewall!.index_patterns, ['logs-dropship.firewall-*']);
    assert.deepEqual(auth!.index_patterns, ['logs-dropship.auth-*']);
    assert.ok(firewall!.priority! > 100, 'above the built-in logs template');
    assert.deepEqual(firewall!.composed_of, [
      'logs@mappings', 'logs@settings', 'ecs@mappings',
      'logs-dropship-mappings', 'logs-dropship-settings',
      'logs@custom', 'logs-dropship.firewall@custom',
    ]);
    assert.deepEqual(firewall!.ignore_missing_component_templates, ['logs@custom', 'logs-dropship.firewall@custom']);
    assert.deepEqual(firewall!.data_stream, {});
  });

  it('chooses logsdb from 8.17 and older component names before 8.13', () => {
    assert.equal(indexTemplates(buildSetupPlan(info('8.17.0'), options))[0]!.template?.settings?.mode, 'logsdb');
    assert.equal(indexTemplates(buildSetupPlan(info('9.1.0'), options))[0]!.template?.settings?.mode, 'logsdb');
    assert.equal(indexTemplates(buildSetupPlan(info('8.16.4'), options))[0]!.template?.settings?.mode, undefined);
    assert.equal(indexTemplates(buildSetupPlan(info('9.1.0'), { ...options, indexMode: 'standard' }))[0]!.template?.settings?.mode, 'standard');
    const old = indexTemplates(buildSetupPlan(info('8.5.3'), options))[0]!;
    assert.deepEqual(old.composed_of, ['logs-mappings', 'logs-settings', 'logs-dropship-mappings', 'logs-dropship-settings']);
    assert.equal(old.ignore_missing_component_templates, undefined);
  });

  it('sets lifecycle retention and the versioned default pipeline', () => {
    const plan = buildSetupPlan(info('8.19.0'), { ...options, retentionDays: 30 });
    const ilm = plan.find((s) => s.kind === 'ilm-policy');
    assert.equal(ilm?.kind === 'ilm-policy' && ilm.request.policy?.phases.delete?.min_age, '30d');
    const settings = plan.find((s) => s.kind === 'component-template' && s.request.name === 'logs-dropship-settings');
    assert.deepEqual(settings?.kind === 'component-template' && settings.request.template.settings, {
      index: { default_pipeline: PIPELINE_NAME, lifecycle: { name: 'logs-dropship' } },
    });
    assert.match(PIPELINE_NAME, /-v\d+$/);
    const serverless = buildSetupPlan(info('8.11.0', 'serverless'), options);
    assert.ok(!serverless.some((s) => s.kind === 'ilm-policy'), 'no ILM on serverless');
    assert.deepEqual(indexTemplates(serverless)[0]!.template?.lifecycle, { data_retention: '180d' });
  });

  it('parses --retention', () => {
    assert.equal(parseRetentionDays('180'), 180);
    assert.equal(parseRetentionDays('30d'), 30);
    for (const bad of ['0', '-1', 'abc', '1.5', '']) assert.throws(() => parseRetentionDays(bad), /--retention/);
  });
});

describe('dropship setup: mappings', () => {
  it('maps every field the pipeline reads or writes', () => {
    const fields = pipelineFields(loadAssets().pipeline);
    assert.ok(fields.includes('source.geo.location') && fields.includes('destination.as.organization.name') && fields.includes('event.ingested'));
    assert.ok(!fields.includes('source.as.asn'), 'renamed-away fields exist only inside the pipeline');
    const unmapped = fields.filter((f) => mappedType(mappings, f) === undefined);
    assert.deepEqual(unmapped, []);
  });

  it('maps the fields the dashboards use with the right types', () => {
    assert.deepEqual(checkMappedFields(mappings, DASHBOARD_FIELD_TYPES), []);
    assert.deepEqual(checkMappedFields(mappings, { 'user.name.text': 'match_only_text', 'source.geo.location': 'keyword', 'no.such': 'long' }), [
      'source.geo.location is mapped as geo_point, expected keyword',
      'no.such is not mapped (expected long)',
    ]);
  });

  it('derives ECS types from @elastic/ecs and declares iptables.* like Elastic\'s integration', () => {
    const expect: Record<string, string> = {
      'event.original': 'keyword',
      'log.syslog.structured_data': 'flattened',
      'message': 'match_only_text',
      'iptables.ttl': 'integer',
      'iptables.precedence_bits': 'short',
      'iptables.tcp.reserved_bits': 'short',
      'iptables.icmp.redirect': 'ip',
      'iptables.flow_label': 'integer',
      'iptables.ether_type': 'long',
    };
    assert.deepEqual(checkMappedFields(mappings, expect), []);
    const original = (mappings.properties!.event as estypes.MappingObjectProperty).properties!.original as estypes.MappingKeywordProperty;
    assert.equal(original.index, false, 'event.original is stored, not indexed, as ECS says');
  });

  it('only uses real Elasticsearch field types', () => {
    const walk = (props: Record<string, estypes.MappingProperty>, prefix: string): string[] =>
      Object.entries(props).flatMap(([k, p]) => {
        const obj = p as estypes.MappingObjectProperty;
        if (obj.properties) return walk(obj.properties, `${prefix}${k}.`);
        return KNOWN_TYPES.has(p.type ?? '') ? [] : [`${prefix}${k}: ${p.type}`];
      });
    assert.deepEqual(walk(mappings.properties!, ''), []);
  });

  it('maps every field of real firewall and auth documents', () => {
    const fields = new Set([...leaves(netfilterDoc(22)), ...leaves(netfilterDoc(5060 + 3)), ...leaves(authDoc(7))]);
    const unmapped = [...fields].filter((f) => mappedType(mappings, f) === undefined);
    assert.deepEqual(unmapped, []);
  });
});

describe('dropship setup: against a loopback cluster', () => {
  it('is idempotent: a second run sends exactly the same requests', async () => {
    const server = await BulkServer.start({ version: '9.1.2' });
    const client = new Client({ node: server.url });
    try {
      const lines: string[] = [];
      await runSetup(client, options, (l) => lines.push(l));
      const first = server.recorded.map((r) => `${r.method} ${r.path} ${r.body}`);
      server.recorded.length = 0;
      await runSetup(client, options);
      const second = server.recorded.map((r) => `${r.method} ${r.path} ${r.body}`);
      assert.deepEqual(second, first);
      const paths = first.map((l) => l.split(' ').slice(0, 2).join(' '));
      assert.deepEqual(paths, [
        'PUT /_ilm/policy/logs-dropship',
        `PUT /_ingest/pipeline/${PIPELINE_NAME}`,
        'PUT /_component_template/logs-dropship-mappings',
        'PUT /_component_template/logs-dropship-settings',
        'PUT /_index_template/logs-dropship.firewall',
        'PUT /_index_template/logs-dropship.auth',
        'PUT /_index_template/logs-dropship.syslog',
        'PUT /logs-dropship.firewall-*,logs-dropship.auth-*,logs-dropship.syslog-*/_mapping',
      ]);
      assert.equal(lines.length, 8);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('refuses an old cluster before changing anything', async () => {
    const server = await BulkServer.start({ version: '7.17.9' });
    const client = new Client({ node: server.url });
    try {
      await assert.rejects(runSetup(client, options), { message: 'Elasticsearch 7.17.9 is not supported: dropship needs 8.0 or later' });
      assert.deepEqual(server.recorded, []);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
