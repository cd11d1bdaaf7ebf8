export { ElasticsearchSink, type SinkLogger, type SinkOptions, type SinkStats } from './sink.js';
export { FileDeadLetterQueue, formatDeadLetter, type DeadLetter, type DeadLetterQueue } from './dead-letter.js';
