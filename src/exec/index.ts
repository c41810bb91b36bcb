/**
 * Execution of independent jobs (sleeve backtests): a local pool of child processes, and a BullMQ queue
 * in Redis with `quant worker` consumers. Knows nothing of stages: a runner is a module export that
 * the SDK supplies. Imports nothing internal but errors.ts.
 */
export {
  formatJobFailure,
  formatSeconds,
  parseJobFailure,
  toJobFailure,
  type JobContext,
  type JobEvent,
  type JobExecutor,
  type JobFailure,
  type JobOutcome,
  type JobRunner,
  type JobRunnerRef,
  type JobSettings,
  type RunBatchOptions,
} from './job.js';
export { createLocalPool, type LocalPool, type PoolRunOptions } from './local-pool.js';
export { createLocalExecutor, defaultConcurrency, type LocalExecutorOptions } from './local-executor.js';
export {
  assertQueueName,
  assertRedisUrl,
  CONNECT_TIMEOUT_MS,
  DEFAULT_QUEUE_NAME,
  DEFAULT_REDIS_URL,
  displayRedisUrl,
} from './redis-connection.js';
export { createQueueExecutor, type QueueExecutorOptions } from './queue-executor.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './queue-worker.js';
