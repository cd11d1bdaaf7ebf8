/** Builds and serializes documents [from, to) off the main thread, as parser workers would. */
import { parentPort } from 'node:worker_threads';
import { serializeDocument } from '../src/sinks/elasticsearch/index.js';
import { netfilterDoc } from '../test/helpers/netfilter-docs.js';

parentPort!.on('message', ({ from, to }: { from: number; to: number }) => {
  const out = [];
  for (let n = from; n < to; n++) out.push(serializeDocument(netfilterDoc(n)));
  parentPort!.postMessage({ from, docs: out });
});
