import { DATASET_AUTH, DATASET_FIREWALL, DATASET_SYSLOG } from './document.js';

export const DEFAULT_NAMESPACE = 'default';
export const DATASETS = [DATASET_FIREWALL, DATASET_AUTH, DATASET_SYSLOG] as const;
export type Dataset = (typeof DATASETS)[number];

/**
 * Why a namespace is not acceptable, or undefined if it is. Mirrors Elasticsearch's data stream
 * naming rules plus the `logs@mappings` constraint (no '-', at most 100 characters), so a bad
 * `--namespace` fails at start-up instead of dead-lettering every document.
 */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length === 0) return 'namespace must not be empty';
  if (namespace.length > 100) return 'namespace must be at most 100 characters';
  if (namespace !== namespace.toLowerCase()) return 'namespace must be lower-case';
  if (/[\\/*?"<>|,# :-]/.test(namespace)) return 'namespace must not contain \\ / * ? " < > | , # : - or spaces';
  return undefined;
}

export function dataStreamName(dataset: Dataset, namespace: string): string {
  return `logs-${dataset}-${namespace}`;
}

/** The document's dataset; one that names none of ours is firewall traffic (the common case). */
export function datasetOf(doc: unknown): Dataset {
  const dataset = (doc as { event?: { dataset?: unknown } } | null)?.event?.dataset;
  return (DATASETS as readonly unknown[]).includes(dataset) ? (dataset as Dataset) : DATASET_FIREWALL;
}
