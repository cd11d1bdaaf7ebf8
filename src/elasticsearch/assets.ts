import { readFileSync } from 'node:fs';
import type { estypes } from '@elastic/elasticsearch';

/**
 * The JSON assets in `pipelines/` (shipped with the package). They are read at run time because
 * the build's rootDir is `src/`; `pipelines/assets.ts` imports the same files with their JSON
 * types and assigns them to the client's `estypes`, so a wrong shape fails `tsc`.
 */

/** Field name → mapping override ({} = take the ECS definition). */
export type EcsFieldSpec = Record<string, Partial<estypes.MappingProperty>>;

export interface FieldSpec {
  /** ECS fields dropship writes. */
  ecs: EcsFieldSpec;
  /** ECS fields only the ingest pipeline adds. */
  ecsFromPipeline: EcsFieldSpec;
  /** Non-ECS fields: iptables.* and dropship.* with explicit types. */
  custom: Record<string, estypes.MappingProperty>;
}

export type PipelineBody = Omit<estypes.IngestPutPipelineRequest, 'id'>;
export type IndexTemplateBody = Omit<estypes.IndicesPutIndexTemplateRequest, 'name'>;

export interface Assets {
  pipeline: PipelineBody;
  ilmPolicy: estypes.IlmPolicy;
  indexTemplate: IndexTemplateBody;
  fields: FieldSpec;
}

/** Pipelines are versioned in their name: a changed pipeline gets a new name, never an in-place edit. */
export const PIPELINE_NAME = 'logs-dropship-v2';
export const ILM_POLICY_NAME = 'logs-dropship';
export const MAPPINGS_COMPONENT = 'logs-dropship-mappings';
export const BASE_MAPPINGS_COMPONENT = 'logs-dropship-base-mappings';
export const SETTINGS_COMPONENT = 'logs-dropship-settings';

export const ASSETS_DIR = new URL('../../pipelines/', import.meta.url);

function readJson<T>(dir: URL, name: string): T {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;
}

export function loadAssets(dir: URL = ASSETS_DIR): Assets {
  return {
    pipeline: readJson<PipelineBody>(dir, `ingest/${PIPELINE_NAME}.json`),
    ilmPolicy: readJson<estypes.IlmPolicy>(dir, 'ilm-policy.json'),
    indexTemplate: readJson<IndexTemplateBody>(dir, 'index-template.json'),
    fields: readJson<FieldSpec>(dir, 'fields.json'),
  };
}
