import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { DATASETS, type Dataset } from '../model/data-stream.js';
import { DATASET_AUTH, DATASET_FIREWALL } from '../model/document.js';
import {
  BASE_MAPPINGS_COMPONENT,
  ILM_POLICY_NAME,
  MAPPINGS_COMPONENT,
  PIPELINE_NAME,
  SETTINGS_COMPONENT,
  loadAssets,
  type Assets,
} from './assets.js';
import { baseFieldSpec, buildMappings, updatableProperties } from './mappings.js';
import { describeError } from '../core/redact.js';

/**
 * `dropship setup`: lifecycle policy, ingest pipeline, component and index templates, then the
 * data streams that already exist. Every template step is a PUT of the complete desired state, so
 * running it again (at every start) is harmless. The plans are pure functions of the cluster's
 * version, the options and what the cluster reports, tested without a cluster; the requests and
 * the Elasticsearch behaviour they rely on are listed in docs/elasticsearch.md.
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

/** Datasets parsed into network and user fields; any other dataset gets the base mapping. */
const FULLY_MAPPED: readonly string[] = [DATASET_FIREWALL, DATASET_AUTH];

export function mappingsComponent(dataset: Dataset): string {
  return FULLY_MAPPED.includes(dataset) ? MAPPINGS_COMPONENT : BASE_MAPPINGS_COMPONENT;
}

/** The explicit mapping properties of a dataset's data streams. */
export function datasetMappings(dataset: Dataset, assets: Assets = loadAssets()): estypes.MappingTypeMapping {
  return buildMappings(FULLY_MAPPED.includes(dataset) ? assets.fields : baseFieldSpec(assets.fields));
}

export type SetupStep =
  | { kind: 'ilm-policy'; request: estypes.IlmPutLifecycleRequest }
  | { kind: 'pipeline'; request: estypes.IngestPutPipelineRequest }
  | { kind: 'component-template'; request: estypes.ClusterPutComponentTemplateRequest }
  | { kind: 'index-template'; request: estypes.IndicesPutIndexTemplateRequest };

/** The cluster-wide assets, in the order they must be installed (each refers only to earlier ones). */
export function buildSetupPlan(info: ClusterInfo, options: SetupOptions, assets: Assets = loadAssets()): SetupStep[] {
  const meta = { managed_by: 'dropship', managed: true };
  const retention = `${options.retentionDays}d`;
  // logsdb is GA from 8.17 (and the default for logs-*-* from 9.0); set it explicitly so the
  // choice does not depend on cluster settings.
  const logsdb = options.indexMode === 'logsdb' || (options.indexMode === 'auto' && atLeast(info, 8, 17));
  // The built-in logs components were renamed to logs@* in 8.12 (elastic/elasticsearch#99975);
  // integrations rely on ecs@mappings only from 8.13. Older clusters get the old names, and our
  // explicit mappings cover every field we write either way.
  const builtIn = atLeast(info, 8, 13) ? ['logs@mappings', 'logs@settings', 'ecs@mappings'] : ['logs-mappings', 'logs-settings'];
  const canIgnoreMissing = atLeast(info, 8, 7);

  const steps: SetupStep[] = [];
  if (!info.serverless) {
    const policy = structuredClone(assets.ilmPolicy);
    if (policy.phases.delete) policy.phases.delete.min_age = retention;
    steps.push({ kind: 'ilm-policy', request: { name: ILM_POLICY_NAME, policy } });
  }
  steps.push({ kind: 'pipeline', request: { id: PIPELINE_NAME, ...structuredClone(assets.pipeline) } });
  steps.push({
    kind: 'component-template',
    request: { name: MAPPINGS_COMPONENT, template: { mappings: buildMappings(assets.fields) }, _meta: { ...meta, description: 'explicit mappings for every field dropship writes' } },
  });
  steps.push({
    kind: 'component-template',
    request: {
      name: BASE_MAPPINGS_COMPONENT,
      template: { mappings: buildMappings(baseFieldSpec(assets.fields)) },
      _meta: { ...meta, description: 'explicit mappings of the fields every dropship document can carry (datasets without parsed network fields)' },
    },
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
        composed_of: [...builtIn, mappingsComponent(dataset), SETTINGS_COMPONENT, ...(canIgnoreMissing ? custom : [])],
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
  }
}

/**
 * Every answer of a change says whether the master acknowledged it; `false` means the change
 * may not have reached every node before the timeout, so setup says so instead of reporting success.
 */
export function requireAcknowledged(answer: unknown, what: string): void {
  if ((answer as { acknowledged?: unknown } | null)?.acknowledged !== true) {
    throw new Error(`Elasticsearch did not acknowledge ${what} in time (it may still apply); run setup again`);
  }
}

async function applyStep(client: Client, step: SetupStep): Promise<unknown> {
  switch (step.kind) {
    case 'ilm-policy':
      return client.ilm.putLifecycle(step.request);
    case 'pipeline':
      return client.ingest.putPipeline(step.request);
    case 'component-template':
      return client.cluster.putComponentTemplate(step.request);
    case 'index-template':
      return client.indices.putIndexTemplate(step.request);
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

// ---- existing data streams ----

/** The data streams `logs-dropship.*-*` that belong to a dataset dropship writes. */
export interface ExistingStream {
  name: string;
  dataset: Dataset;
  writeIndex: string;
  /** A lazy rollover is already pending (8.14+). */
  rolloverPending: boolean;
  /** The data stream lifecycle's retention (serverless), as the data stream holds it. */
  retention?: string;
}

export function parseDataStreams(body: unknown): ExistingStream[] {
  const streams = (body as { data_streams?: unknown[] } | null)?.data_streams ?? [];
  const out: ExistingStream[] = [];
  for (const entry of streams) {
    const s = entry as { name?: unknown; indices?: { index_name?: unknown }[]; rollover_on_write?: unknown; lifecycle?: { data_retention?: unknown } };
    if (typeof s.name !== 'string') continue;
    const dataset = DATASETS.find((d) => s.name!.toString().startsWith(`logs-${d}-`));
    const writeIndex = s.indices?.at(-1)?.index_name;
    if (!dataset || typeof writeIndex !== 'string') continue;
    const retention = s.lifecycle?.data_retention;
    out.push({ name: s.name, dataset, writeIndex, rolloverPending: s.rollover_on_write === true, ...(typeof retention === 'string' ? { retention } : {}) });
  }
  return out;
}

/** Index settings that decide how documents are processed and kept, flat (`index.default_pipeline`). */
export interface StreamSettings {
  defaultPipeline?: string;
  lifecycle?: string;
  /** `standard` when unset. */
  mode: string;
  /** Data stream lifecycle retention (serverless), from the template. */
  retention?: string;
}

export function readSettings(settings: unknown): StreamSettings {
  // Accepts flat (`flat_settings=true`) and nested answers.
  const s = (settings ?? {}) as Record<string, unknown> & { index?: { default_pipeline?: unknown; lifecycle?: { name?: unknown }; mode?: unknown } };
  const pick = (flat: string, nested: unknown) => {
    const value = s[flat] ?? nested;
    return typeof value === 'string' ? value : undefined;
  };
  const defaultPipeline = pick('index.default_pipeline', s.index?.default_pipeline);
  const lifecycle = pick('index.lifecycle.name', s.index?.lifecycle?.name);
  return { ...(defaultPipeline ? { defaultPipeline } : {}), ...(lifecycle ? { lifecycle } : {}), mode: pick('index.mode', s.index?.mode) ?? 'standard' };
}

export type StreamAction =
  | { kind: 'settings'; index: string; settings: { default_pipeline?: string; lifecycle?: { name: string } }; why: string }
  | { kind: 'mapping'; dataStream: string; properties: Record<string, estypes.MappingProperty> }
  | { kind: 'lifecycle'; dataStream: string; retention: string }
  | { kind: 'rollover'; dataStream: string; lazy: boolean; why: string };

/**
 * What brings an existing data stream up to date. A template applies only to indices created
 * after it, so without this an upgrade waits for the next rollover (up to 30 days):
 * - new fields: added to the write index's mapping now (write_index_only on the data stream's
 *   own name, which resolves to exactly one write index);
 * - the default pipeline and lifecycle are dynamic settings: set on the write index now (on
 *   serverless, where index settings are restricted, by a rollover instead);
 * - the index mode cannot change on an open index: roll over, lazily from 8.14 (the next write
 *   creates the new index, so an idle stream gets no empty index), at once before.
 * `desired` is what the templates give a new index (simulated), so users' @custom overrides win.
 */
export function planStreamUpgrade(info: ClusterInfo, stream: ExistingStream, desired: StreamSettings, current: StreamSettings, properties: Record<string, estypes.MappingProperty>): StreamAction[] {
  const actions: StreamAction[] = [{ kind: 'mapping', dataStream: stream.name, properties: updatableProperties(properties) }];
  const reasons: string[] = [];
  const settings: { default_pipeline?: string; lifecycle?: { name: string } } = {};
  const changed: string[] = [];
  if (desired.defaultPipeline && desired.defaultPipeline !== current.defaultPipeline) {
    settings.default_pipeline = desired.defaultPipeline;
    changed.push(`pipeline ${current.defaultPipeline ?? 'none'} → ${desired.defaultPipeline}`);
  }
  if (desired.lifecycle && desired.lifecycle !== current.lifecycle) {
    settings.lifecycle = { name: desired.lifecycle };
    changed.push(`lifecycle ${current.lifecycle ?? 'none'} → ${desired.lifecycle}`);
  }
  if (changed.length > 0) {
    if (info.serverless) reasons.push(changed.join(', '));
    else actions.push({ kind: 'settings', index: stream.writeIndex, settings, why: changed.join(', ') });
  }
  if (desired.mode !== current.mode) reasons.push(`index mode ${current.mode} → ${desired.mode}`);
  // A data stream copies the template's lifecycle when it is created; a new retention is set on it.
  if (desired.retention && desired.retention !== stream.retention) actions.push({ kind: 'lifecycle', dataStream: stream.name, retention: desired.retention });
  const rollover = rolloverAction(info, stream, reasons);
  if (rollover) actions.push(rollover);
  return actions;
}

export function rolloverAction(info: ClusterInfo, stream: ExistingStream, reasons: string[]): Extract<StreamAction, { kind: 'rollover' }> | undefined {
  if (reasons.length === 0 || stream.rolloverPending) return undefined;
  return { kind: 'rollover', dataStream: stream.name, lazy: atLeast(info, 8, 14), why: reasons.join('; ') };
}

async function listStreams(client: Client): Promise<ExistingStream[]> {
  // A wildcard that matches nothing answers an empty list (the request allows empty expressions).
  return parseDataStreams(await client.indices.getDataStream({ name: 'logs-dropship.*-*' }));
}

async function upgradeStream(client: Client, info: ClusterInfo, stream: ExistingStream, report: (line: string) => void): Promise<void> {
  const simulated = await client.indices.simulateIndexTemplate({ name: stream.name });
  const retention = (simulated.template as { lifecycle?: { data_retention?: unknown } } | undefined)?.lifecycle?.data_retention;
  const desired = { ...readSettings(simulated.template?.settings), ...(typeof retention === 'string' ? { retention } : {}) };
  const currentAnswer = await client.indices.getSettings({ index: stream.writeIndex, name: ['index.default_pipeline', 'index.lifecycle.name', 'index.mode'], flat_settings: true });
  const current = readSettings(currentAnswer[stream.writeIndex]?.settings);
  const actions = planStreamUpgrade(info, stream, desired, current, datasetMappings(stream.dataset).properties ?? {});
  const mappingProblems: string[] = [];
  for (const action of actions) {
    switch (action.kind) {
      case 'mapping':
        try {
          requireAcknowledged(await client.indices.putMapping({ index: action.dataStream, write_index_only: true, properties: action.properties }), `the mapping of ${action.dataStream}`);
          report(`data stream ${stream.name}: mappings of write index ${stream.writeIndex} brought up to date`);
        } catch (err) {
          // A field whose type changed cannot be updated in place; the next backing index gets it.
          if (!(err instanceof errors.ResponseError) || err.statusCode !== 400) throw err;
          mappingProblems.push(`mapping conflict (${describeError(err)})`);
        }
        break;
      case 'settings':
        requireAcknowledged(await client.indices.putSettings({ index: action.index, settings: { index: action.settings } }), `the settings of ${action.index}`);
        report(`data stream ${stream.name}: write index ${action.index} now uses ${action.why}`);
        break;
      case 'lifecycle':
        requireAcknowledged(await client.indices.putDataLifecycle({ name: action.dataStream, data_retention: action.retention }), `the lifecycle of ${action.dataStream}`);
        report(`data stream ${stream.name}: retention now ${action.retention}`);
        break;
      case 'rollover':
        await rollover(client, action, report);
        break;
    }
  }
  if (mappingProblems.length > 0 && !actions.some((a) => a.kind === 'rollover')) {
    const action = rolloverAction(info, stream, mappingProblems);
    if (action) await rollover(client, action, report);
  }
}

async function rollover(client: Client, action: Extract<StreamAction, { kind: 'rollover' }>, report: (line: string) => void): Promise<void> {
  let answer: estypes.IndicesRolloverResponse;
  try {
    answer = await client.indices.rollover({ alias: action.dataStream, ...(action.lazy ? { lazy: true } : {}) });
  } catch (err) {
    // A build that reports a version with lazy rollover but does not know the parameter: 400
    // "unrecognized parameter: [lazy]" (BaseRestHandler). Roll over now instead.
    if (!action.lazy || !(err instanceof errors.ResponseError) || err.statusCode !== 400 || !/unrecognized parameter.*lazy/.test(describeError(err))) throw err;
    return rollover(client, { ...action, lazy: false }, report);
  }
  requireAcknowledged(answer, `the rollover of ${action.dataStream}`);
  report(`data stream ${action.dataStream}: ${action.lazy ? 'rolls over at its next write' : `rolled over to ${answer.new_index}`} (${action.why})`);
}

/** Install everything, then bring existing data streams up to date; one line per step done. Throws one-line errors. */
export async function runSetup(client: Client, options: SetupOptions, report: (line: string) => void = () => {}): Promise<ClusterInfo> {
  const info = await fetchClusterInfo(client);
  const problem = versionProblem(info);
  if (problem) throw new Error(problem);
  for (const step of buildSetupPlan(info, options)) {
    try {
      requireAcknowledged(await applyStep(client, step), describeStep(step, options));
    } catch (err) {
      throw new Error(`setup failed installing ${describeStep(step, options)}: ${describeError(err)}`);
    }
    report(`installed ${describeStep(step, options)}`);
  }
  let streams: ExistingStream[];
  try {
    streams = await listStreams(client);
  } catch (err) {
    throw new Error(`setup failed listing the data streams logs-dropship.*-*: ${describeError(err)}`);
  }
  if (streams.length === 0) report('no dropship data streams yet: they are created with the first documents, from these templates');
  for (const stream of streams) {
    try {
      await upgradeStream(client, info, stream, report);
    } catch (err) {
      throw new Error(`setup failed upgrading data stream ${stream.name}: ${describeError(err)}`);
    }
  }
  return info;
}
