/**
 * Builds documents [from, to) off the main thread and returns them as one `_bulk` body, as the
 * parser threads do (see src/processing/process.ts).
 */
import { parentPort } from 'node:worker_threads';
import { bulkEncoder, idOfDocument } from '../src/codec/bulk.js';
import { DEFAULT_NAMESPACE } from '../src/model/data-stream.js';
import { stringifyDocument } from '../src/model/serialize.js';
import { netfilterDoc } from '../test/helpers/netfilter-docs.js';

const encoder = bulkEncoder({ namespace: DEFAULT_NAMESPACE });

parentPort!.on('message', ({ from, to }: { from: number; to: number }) => {
  let body = '';
  for (let n = from; n < to; n++) {
    const doc = netfilterDoc(n);
    body += encoder.encode(doc, stringifyDocument(doc), idOfDocument(doc));
  }
  const bytes = Buffer.from(body, 'utf8');
  parentPort!.postMessage({ from, body: bytes, docs: to - from }, [bytes.buffer as ArrayBuffer]);
});
