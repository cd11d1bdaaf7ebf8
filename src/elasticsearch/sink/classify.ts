import type { BulkItemResult } from '../../codec/bulk.js';

/**
 * What to do with a document after Elasticsearch answered, and with a request that failed as a
 * whole: pure functions of status and error type, so each rule is tested on literal answers
 * (test/unit/es-sink-classify.test.ts) and the sink only acts on the outcome.
 *
 * The rules, and where Elasticsearch decides each status (paths in elastic/elasticsearch):
 * - 2xx: stored. `failure_store: used` (IndexDocFailureStoreStatus, written by IndexResponse) means
 *   stored in the data stream's failure store, not in the data stream: counted apart.
 * - 409 `version_conflict_engine_exception`: a document with this `_id` exists (a replay): done.
 * - 429 `es_rejected_execution_exception` (a full write queue), 5xx, 408, and a missing item:
 *   the cluster's momentary state: retry that document. 429 and 503 are also pushback.
 * - 401/403 `security_exception` (x-pack AuthorizationService#authorizeBulkItems aborts items the
 *   credentials may not write) and 404 `index_not_found_exception` (BulkOperation
 *   #addFailureIfIndexCannotBeCreated, auto-create refused): the cluster's configuration, not
 *   the document's fault. Pause everything, say so loudly, keep the documents, retry.
 * - Any other 4xx (400 `document_parsing_exception`, a mapping conflict, ...): the document can
 *   never be stored as it is: dead-letter it.
 */
export type ItemOutcome = 'indexed' | 'failure_store' | 'duplicate' | 'retry' | 'pause' | 'dead_letter';

export function classifyItem(item: Pick<BulkItemResult, 'status' | 'failureStore'>): ItemOutcome {
  const { status } = item;
  if (status >= 200 && status < 300) return item.failureStore === 'used' ? 'failure_store' : 'indexed';
  if (status === 409) return 'duplicate';
  if (status === 0 || status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 401 || status === 403 || status === 404) return 'pause';
  return 'dead_letter';
}

/**
 * A request that got no `_bulk` answer: `status` is the HTTP status of an error response, or
 * undefined when there was none (connection refused or reset, timeout).
 */
export type RequestOutcome =
  /** Cluster unavailable or overloaded: wait (backoff), send the same documents again. */
  | { kind: 'retry' }
  /** Credentials, privileges or the URL: as for items, pause and retry, never dead-letter. */
  | { kind: 'pause' }
  /** 413, or a 400 for the body: halve it until the document at fault stands alone, then dead-letter that one. */
  | { kind: 'split' };

export function classifyRequest(status: number | undefined): RequestOutcome {
  if (status === undefined || status === 408 || status === 429 || status >= 500) return { kind: 'retry' };
  if (status === 413 || status === 400) return { kind: 'split' };
  return { kind: 'pause' };
}

/**
 * The operator's part of a pause: which privilege or setting to fix. The shipper's credentials
 * need `create_doc` and `auto_configure` on `logs-dropship.*-*` (docs/operations.md).
 */
export function pauseAdvice(status: number | undefined, errorType: string | undefined): string {
  if (status === 401) return 'Elasticsearch does not accept the credentials: check ELASTICSEARCH_API_KEY (or username and password)';
  if (status === 404 && errorType === 'index_not_found_exception') {
    return 'the data stream does not exist and may not be created: run `dropship setup`, and give the credentials the index privilege auto_configure on logs-dropship.*-* (or allow it in action.auto_create_index)';
  }
  if (status === 403) return 'the credentials lack index privileges: grant create_doc and auto_configure on logs-dropship.*-*';
  return 'Elasticsearch refuses the request: check --es-hosts and the credentials (create_doc and auto_configure on logs-dropship.*-*)';
}
