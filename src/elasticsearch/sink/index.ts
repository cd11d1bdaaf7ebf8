export { ElasticsearchSink, serializeDocument, type SerializedDocument, type SinkLogger, type SinkOptions, type SinkStats } from './sink.js';
export { FileDeadLetterQueue, formatDeadLetter, type DeadLetter, type DeadLetterQueue } from './dead-letter.js';
export { documentId, canonicalTimestamp, DOC_ID_BYTES } from '../../model/doc-id.js';
export { dataStreamName, datasetOf, namespaceProblem, DEFAULT_NAMESPACE, DATASETS, type Dataset } from '../../model/data-stream.js';
export { onShutdownSignals, type Drainable } from '../../sinks/elasticsearch/shutdown.js';
