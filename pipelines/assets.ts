/**
 * Compile-time check of the JSON assets against the Elasticsearch client's request types, run by
 * `npm run typecheck` (tsconfig.json includes pipelines/). A misspelt processor option or a wrong
 * value type fails the build instead of a user's `dropship setup`.
 *
 * Also proves fields.json covers every field of the ECS document type: add a field to
 * src/model/document.ts without mapping it and this file stops compiling.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../src/model/fields.js';
import fields from './fields.json' with { type: 'json' };
import ilmPolicy from './ilm-policy.json' with { type: 'json' };
import indexTemplate from './index-template.json' with { type: 'json' };
import pipeline from './ingest/logs-dropship-v2.json' with { type: 'json' };

export const checkedPipeline: Omit<estypes.IngestPutPipelineRequest, 'id'> = pipeline;
export const checkedIlmPolicy: estypes.IlmPolicy = ilmPolicy;
export const checkedIndexTemplate: Omit<estypes.IndicesPutIndexTemplateRequest, 'name'> = indexTemplate;
// JSON imports widen string literals, so `type` can only be checked as a string here; the unit
// test es-setup-plan checks each value against Elasticsearch's field types. Other options
// (ignore_above, index, ...) are checked fully.
export const checkedCustomFields: Record<string, { type: string } & Omit<Partial<estypes.MappingKeywordProperty & estypes.MappingNumberPropertyBase>, 'type'>> =
  fields.custom;
export const checkedEcsFields: Record<string, Partial<estypes.MappingProperty>> = { ...fields.ecs, ...fields.ecsFromPipeline };

type Declared = keyof typeof fields.ecs | keyof typeof fields.custom;
type Unmapped = Exclude<DocumentField, Declared>;
type Stale = Exclude<Declared, DocumentField>;

// Each line fails with the offending field names in the error message.
export const everyDocumentFieldIsMapped: [Unmapped] extends [never] ? true : { unmapped: Unmapped } = true;
export const noMappedFieldIsStale: [Stale] extends [never] ? true : { notInDocument: Stale } = true;
