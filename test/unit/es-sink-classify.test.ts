import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bulkItemResults } from '../../src/codec/bulk.js';
import { classifyItem, classifyRequest, pauseAdvice } from '../../src/elasticsearch/sink/classify.js';

/**
 * The classifier on literal `_bulk` answers, as Vector tests its Elasticsearch retry logic
 * (`retry.rs`) on response bodies: each item as Elasticsearch writes it (BulkItemResponse and
 * IndexResponse#toXContent; see docs/operations.md for where each error comes from).
 */

const FULL_RESPONSE = `{
  "took": 30, "errors": true,
  "items": [
    {"create": {"_index": ".ds-logs-dropship.firewall-default-2026.11.01-000001", "_id": "a", "_version": 1, "result": "created",
      "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1, "status": 201}},
    {"create": {"_index": ".ds-logs-dropship.firewall-default-2026.11.01-000001", "_id": "b", "status": 409,
      "error": {"type": "version_conflict_engine_exception", "reason": "[b]: version conflict, document already exists (current version [1])",
        "index_uuid": "VZJ4pUdkT8GZ9KHxP8hh3Q", "shard": "0", "index": ".ds-logs-dropship.firewall-default-2026.11.01-000001"}}},
    {"create": {"_index": "logs-dropship.firewall-default", "_id": "c", "status": 429,
      "error": {"type": "es_rejected_execution_exception", "reason": "rejected execution of primary operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, primary_operation_bytes=1621, max_coordinating_and_primary_bytes=107374182]"}}},
    {"create": {"_index": "logs-dropship.auth-default", "_id": "d", "status": 403,
      "error": {"type": "security_exception", "reason": "action [indices:data/write/bulk[s]] is unauthorized for API key id [k1] of user [dropship] on indices [logs-dropship.auth-default], this action is granted by the index privileges [create_doc,create,index,write,all]"}}},
    {"create": {"_index": "logs-dropship.auth-default", "_id": "e", "status": 404,
      "error": {"type": "index_not_found_exception", "reason": "no such index [logs-dropship.auth-default] and [action.auto_create_index] is [false]",
        "index_uuid": "_na_", "index": "logs-dropship.auth-default"}}},
    {"create": {"_index": ".fs-logs-dropship.firewall-default-2026.11.01-000002", "_id": "f", "_version": 1, "result": "created",
      "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 3, "_primary_term": 1, "status": 201, "failure_store": "used"}},
    {"create": {"_index": ".ds-logs-dropship.firewall-default-2026.11.01-000001", "_id": "g", "status": 400,
      "error": {"type": "document_parsing_exception", "reason": "[1:412] failed to parse field [destination.port] of type [long] in document with id 'g'. Preview of field's value: 'x'",
        "caused_by": {"type": "illegal_argument_exception", "reason": "For input string: \\"x\\""}}}},
    {"create": {"_index": "logs-dropship.firewall-default", "_id": "h", "status": 503,
      "error": {"type": "unavailable_shards_exception", "reason": "[.ds-logs-dropship.firewall-default-2026.11.01-000001][0] primary shard is not active Timeout: [1m]"}}},
    {"create": {"_index": "logs-dropship.firewall-default", "_id": "i", "status": 401,
      "error": {"type": "security_exception", "reason": "unable to authenticate with provided credentials and anonymous access is not allowed for this request"}}},
    {"create": {"_index": ".ds-logs-dropship.firewall-default-2026.11.01-000001", "_id": "j", "status": 400, "failure_store": "not_enabled",
      "error": {"type": "document_parsing_exception", "reason": "[1:2] failed to parse field [@timestamp] of type [date]"}}}
  ]
}`;

test('every item of a full _bulk answer gets its outcome', () => {
  const results = bulkItemResults(JSON.parse(FULL_RESPONSE), 11);
  assert.deepEqual(results.map(classifyItem), [
    'indexed', 'duplicate', 'retry', 'pause', 'pause', 'failure_store', 'dead_letter', 'retry', 'pause', 'dead_letter',
    // An eleventh document was sent but the answer has ten items: never taken as delivered.
    'retry',
  ]);
  assert.equal(results[2]!.errorType, 'es_rejected_execution_exception');
  assert.equal(results[5]!.failureStore, 'used');
  assert.equal(results[6]!.reason, "[1:412] failed to parse field [destination.port] of type [long] in document with id 'g'. Preview of field's value: 'x' (caused by: For input string: \"x\")");
  assert.equal(results[10]!.status, 0);
});

test('the filtered answer the sink asks for (filter_path) classifies the same', () => {
  const filtered = '{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":201,"failure_store":"used"}},' +
    '{"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}},' +
    '{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}}]}';
  assert.deepEqual(bulkItemResults(JSON.parse(filtered), 4).map(classifyItem), ['indexed', 'failure_store', 'retry', 'duplicate']);
  const allGood = '{"errors":false,"items":[{"create":{"status":201}},{"index":{"status":200}}]}';
  assert.deepEqual(bulkItemResults(JSON.parse(allGood), 2).map(classifyItem), ['indexed', 'indexed']);
});

test('an answer that is not a _bulk answer leaves every document to retry', () => {
  for (const body of [null, {}, { items: 'x' }, { items: [null, 5, {}, { create: { status: '201' } }] }]) {
    assert.deepEqual(bulkItemResults(body, 4).map(classifyItem), ['retry', 'retry', 'retry', 'retry'], JSON.stringify(body));
  }
});

test('statuses without an answer body decide the whole request', () => {
  const kinds = (statuses: (number | undefined)[]) => statuses.map((s) => classifyRequest(s).kind);
  assert.deepEqual(kinds([undefined, 408, 429, 500, 502, 503, 504]), ['retry', 'retry', 'retry', 'retry', 'retry', 'retry', 'retry']);
  assert.deepEqual(kinds([413, 400]), ['split', 'split']);
  assert.deepEqual(kinds([401, 403, 404, 405]), ['pause', 'pause', 'pause', 'pause']);
  // Pushback (what lowers the adaptive concurrency) is whatever is retried: no answer, 408, 429, 5xx.
  const retried = (status: number | undefined): boolean => (status === undefined ? classifyRequest(status).kind === 'retry' : classifyItem({ status, failureStore: undefined }) === 'retry');
  assert.deepEqual([undefined, 0, 408, 429, 500, 503].map(retried), [true, true, true, true, true, true]);
  assert.deepEqual([200, 201, 400, 403, 404, 409].map(retried), [false, false, false, false, false, false]);
});

test('a pause names what the operator has to fix', () => {
  assert.match(pauseAdvice(403, 'security_exception'), /create_doc and auto_configure on logs-dropship\.\*-\*/);
  assert.match(pauseAdvice(404, 'index_not_found_exception'), /dropship setup.*auto_configure/);
  assert.match(pauseAdvice(401, 'security_exception'), /credentials/);
});
