import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { DATASETS, type Dataset } from '../model/data-stream.js';
import {
  ILM_POLICY_NAME,
  MAPPINGS_COMPONENT,
  PIPELINE_NAME,
  SETTINGS_COMPONENT,
  loadAssets,
  type Assets,
} from './assets.js';
import { buildMappings } from './mappings.js';
import { describeError } from '../core/redact.js';

/**
 * `dropship setup`: lifecycle policy, ingest pipeline, component and index templates. Every step
 * is a PUT of the complete desired state, so running it again (at every start) is harmless.
 * The plan is a pure function of the cluster's version and the options, tested without a cluster.
 */

export type IndexMode = 'auto' | 'logsdb' | 'standard';

export interface SetupOptions {
  retentionDays: number;
  indexMode: IndexMode;
}

export const DEFAULT_RETENTION_DAYS = 180;

/**
 * Above the built-in `logs` template (100) so ours wins for logs-dropship.*-*; 200 is what Fleet
 * integrations use, and no integration owns the dropship.* datasets, so there is no tie.
 */
export const TEMPLATE_PRIORITY = 200;

export interface ClusterInfo {
  version: string;
  major: number;
  minor: number;
  serverless: boolean;
}

export function parseClusterInfo(body: unknown): ClusterInfo {
  const version = (body as { version?: { number?: unknown; build_flavor?: unknown } } | null)?.version;
  const number = typeof version?.number === 'string' ? version.number : '0.0.0';
  const [major = 0, minor = 0] = number.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return { version: number, major, minor, serverless: version?.build_flavor === 'serverless' };
}

/** Why dropship cannot set this cluster up, or undefined. */
export function versionProblem(info: ClusterInfo): string | undefined {
  if (info.serverless) return undefined;
  if (info.major < 8) return `Elasticsearch ${info.version} is not supported: dropship needs 8.0 or later`;
  return undefined;
}

const atLeast = (info: ClusterInfo, major: number, minor: number) =>
  info.serverless || info.major > major || (info.major === major && info.minor >= minor);

export function templateName(dataset: Dataset): string {
  return `logs-${dataset}`;
}

export type SetupStep =
  | { kind: 'ilm-policy'; request: estypes.IlmPutLifecycleRequest }
  | { kind: 'pipeline'; request: estypes.IngestPutPipelineRequest }
  | { kind: 'component-template'; request: estypes.ClusterPutComponentTemplateRequest }
  | { kind: 'index-template'; request: estypes.IndicesPutIndexTemplateRequest }
  | { kind: 'existing-mappings'; request: estypes.IndicesPutMappingRequest };

export function buildSetupPlan(info: ClusterInfo, options: SetupOptions, assets: Assets = loadAssets()): SetupStep[] {
  const meta = { managed_by: 'dropship', managed: true };
  const retention = `${options.retentionDays}d`;
  // logsdb is GA from 8.17 (and the default for logs-*-* from 9.0); set it explicitly so the
  // choice does not depend on cluster settings.
  const logsdb = options.indexMode === 'logsdb' || (options.indexMode === 'auto' && atLeast(info, 8, 17));
  // The built-in logs components were renamed to logs@* and ecs@mappings appeared around 8.12/8.13;
  // integrations rely on ecs@mappings only from 8.13. Older clusters get the old names, and
  // our explicit mappings cover every field we write either way.
  const builtIn = atLeast(info, 8, 13) ? ['logs@mappings', 'logs@settings', 'ecs@mappings'] : ['logs-mappings', 'logs-settings'];
  const canIgnoreMissing = atLeast(info, 8, 7);
  const mappings = buildMappings(assets.fields);

  const steps: SetupStep[] = [];
  if (!info.serverless) {
    const policy = structuredClone(assets.ilmPolicy);
    if (policy.phases.delete) policy.phases.delete.min_age = retention;
    steps.push({ kind: 'ilm-policy', request: { name: ILM_POLICY_NAME, policy } });
  }
  steps.push({ kind: 'pipeline', request: { id: PIPELINE_NAME, ...structuredClone(assets.pipeline) } });
  steps.push({
    kind: 'component-template',
    request: { name: MAPPINGS_COMPONENT, template: { mappings }, _meta: { ...meta, description: 'explicit mappings for every field dropship writes' } },
  });
  const indexSettings: estypes.IndicesIndexSettings = { default_pipeline: PIPELINE_NAME };
  if (!info.serverless) indexSettings.lifecycle = { name: ILM_POLICY_NAME };
  steps.push({
    kind: 'component-template',
    request: { name: SETTINGS_COMPONENT, template: { settings: { index: indexSettings } }, _meta: { ...meta, description: 'lifecycle and default pipeline' } },
  });
  for (const dataset of DATASETS) {
    const custom = ['logs@custom', `logs-${dataset}@custom`];
    const base = structuredClone(assets.indexTemplate);
    const ownSettings: estypes.IndicesIndexSettings = { ...(base.template?.settings ?? {}) };
    if (logsdb) ownSettings.mode = 'logsdb';
    else if (options.indexMode === 'standard') ownSettings.mode = 'standard';
    steps.push({
      kind: 'index-template',
      request: {
        name: templateName(dataset),
        ...base,
        index_patterns: [`logs-${dataset}-*`],
        priority: TEMPLATE_PRIORITY,
        data_stream: {},
        // Later entries override earlier ones; users' @custom components (Fleet's convention)
        // come last so they can still adjust what dropship sets.
        composed_of: [...builtIn, MAPPINGS_COMPONENT, SETTINGS_COMPONENT, ...(canIgnoreMissing ? custom : [])],
        ...(canIgnoreMissing ? { ignore_missing_component_templates: custom } : {}),
        template: {
          ...base.template,
          settings: ownSettings,
          // Serverless has no ILM; the data stream lifecycle carries the retention there.
          ...(info.serverless ? { lifecycle: { data_retention: retention } } : {}),
        },
        _meta: { ...meta, ...(base._meta ?? {}) },
      },
    });
  }
  // Existing data streams pick up new templates only at rollover; new fields are added to their
  // write indices now so an upgrade's new fields are mapped right away.
  steps.push({
    kind: 'existing-mappings',
    request: {
      index: DATASETS.map((d) => `logs-${d}-*`),
      allow_no_indices: true,
      ignore_unavailable: true,
      write_index_only: true,
      properties: mappings.properties,
    },
  });
  return steps;
}

export function describeStep(step: SetupStep, options: SetupOptions): string {
  switch (step.kind) {
    case 'ilm-policy':
      return `lifecycle policy ${step.request.name} (delete after ${options.retentionDays} days)`;
    case 'pipeline':
      return `ingest pipeline ${step.request.id}`;
    case 'component-template':
      return `component template ${step.request.name}`;
    case 'index-template':
      return `index template ${step.request.name} (${step.request.index_patterns}, priority ${step.request.priority}${step.request.template?.settings?.mode ? `, ${step.request.template.settings.mode}` : ''})`;
    case 'existing-mappings':
      return 'mappings of existing dropship data streams';
  }
}

async function applyStep(client: Client, step: SetupStep): Promise<void> {
  switch (step.kind) {
    case 'ilm-policy':
      await client.ilm.putLifecycle(step.request);
      return;
    case 'pipeline':
      await client.ingest.putPipeline(step.request);
      return;
    case 'component-template':
      await client.cluster.putComponentTemplate(step.request);
      return;
    case 'index-template':
      await client.indices.putIndexTemplate(step.request);
      return;
    case 'existing-mappings':
      await client.indices.putMapping(step.request);
      return;
  }
}

export async function fetchClusterInfo(client: Client): Promise<ClusterInfo> {
  try {
    // No transport retries: an unreachable cluster should fail in a second, not after backoff.
    return parseClusterInfo(await client.info(undefined, { maxRetries: 0 }));
  } catch (err) {
    if (err instanceof errors.ResponseError) throw new Error(`Elasticsearch refused the request (HTTP ${err.statusCode}): ${describeError(err)}`);
    throw new Error(`cannot reach Elasticsearch: ${describeError(err)}`);
  }
}

/** Install everything; returns one line per step done. Throws one-line errors. */
export async function runSetup(client: Client, options: SetupOptions, report: (line: string) => void = () => {}): Promise<ClusterInfo> {
  const info = await fetchClusterInfo(client);
  const problem = versionProblem(info);
  if (problem) throw new Error(problem);
  for (const step of buildSetupPlan(info, options)) {
    try {
      await applyStep(client, step);
    } catch (err) {
      throw new Error(`setup failed installing ${describeStep(step, options)}: ${describeError(err)}`);
    }
    report(`installed ${describeStep(step, options)}`);
  }
  return info;
}
