/**
 * Builds documents [from, to) off the main thread and returns them as one `_bulk` body, as the
 * parser threads do (see src/processing/process.ts).
 */
import { parentPort } from 'node:worker_threads';
import { serializeDocument } from '../src/elasticsearch/sink/index.js';
import { dataStreamName, DEFAULT_NAMESPACE } from '../src/model/data-stream.js';
import { netfilterDoc } from '../test/helpers/netfilter-docs.js';

parentPort!.on('message', ({ from, to }: { from: number; to: number }) => {
  let body = '';
  for (let n = from; n < to; n++) {
    const s = serializeDocument(netfilterDoc(n));
    body += `{"create":{"_index":"${dataStreamName(s.dataset, DEFAULT_NAMESPACE)}","_id":"${s.id}"}}\n${s.json}\n`;
  }
  const bytes = Buffer.from(body, 'utf8');
  parentPort!.postMessage({ from, body: bytes, docs: to - from }, [bytes.buffer as ArrayBuffer]);
});
