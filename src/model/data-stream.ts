import { DATASET_AUTH, DATASET_FIREWALL, DATASET_SYSLOG } from './document.js';

export const DEFAULT_NAMESPACE = 'default';
/** Every dataset dropship writes; each has its data stream `logs-<dataset>-<namespace>`. */
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

export function isDataset(value: unknown): value is Dataset {
  return (DATASETS as readonly unknown[]).includes(value);
}

/** A document's `event.dataset` as one of DATASETS: anything unknown is firewall traffic (the common case). */
export function datasetOf(dataset: unknown): Dataset {
  return isDataset(dataset) ? dataset : DATASET_FIREWALL;
}
