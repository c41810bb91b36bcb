/**
 * The `bullmq` executor (producer side): a batch of jobs on a BullMQ queue in Redis, consumed by
 * `quant worker` processes (queue-worker.ts) on any machine that sees the workspace. The coordinator
 * waits for every job (QueueEvents), relays progress, and turns each job's failure reason back into
 * a {@link JobFailure}.
 */
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, type Job } from 'bullmq';
import {
  formatSeconds,
  parseJobFailure,
  type JobExecutor,
  type JobOutcome,
  type RunBatchOptions,
} from './job.js';
import { assertQueueName, connectionFor, displayRedisUrl, waitForRedis } from './redis-connection.js';

export interface QueueExecutorOptions {
  /** `redis://host:port`. */
  readonly redisUrl: string;
  /** The queue the workers consume (`quant worker --queue`). */
  readonly queueName: string;
  /** The job name, which the worker maps to a runner (e.g. `sleeve.backtest`). */
  readonly jobName: string;
  /** Wait this long for Redis (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Tell the user after this long without any job started (default 5 s). */
  readonly idleNoticeMs?: number;
}

/** Completed jobs are kept a day, failed ones a week, for inspection with any BullMQ tool. */
const KEEP_COMPLETED_S = 24 * 3600;
const KEEP_FAILED_S = 7 * 24 * 3600;

type Stop = { readonly reason: 'abort' | 'timeout' };

const CLOSE_TIMEOUT_MS = 5000;

/** Close a BullMQ client, giving up after `ms` (a lost Redis must not hang the coordinator). */
async function closeWithin(
  client: { close(): Promise<void>; disconnect(): Promise<void> | void },
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    client.close().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  if (timer !== undefined) clearTimeout(timer);
  if (!closed) void Promise.resolve(client.disconnect()).catch(() => undefined);
}

/** Create the `bullmq` executor. Each batch opens its own Redis connections and closes them at the end. */
export function createQueueExecutor(options: QueueExecutorOptions): JobExecutor {
  assertQueueName(options.queueName);
  const connection = connectionFor(options.redisUrl);
  return {
    kind: 'bullmq',
    async run<R>(jobs: readonly unknown[], batch: RunBatchOptions = {}): Promise<JobOutcome<R>[]> {
      if (jobs.length === 0) return [];
      const queue = new Queue(options.queueName, { connection });
      let events: QueueEvents | undefined;
      let ended = false;
      const timers: ReturnType<typeof setTimeout>[] = [];
      try {
        await waitForRedis(queue, options.redisUrl, options.connectTimeoutMs);
        // Only once Redis answers: a QueueEvents that never connected cannot be closed (BullMQ 6.7).
        events = new QueueEvents(options.queueName, { connection });
        await waitForRedis(events, options.redisUrl, options.connectTimeoutMs);
        const listener = events;

        // Job ids are unique per batch (BullMQ ignores an add whose id exists); the run ids inside the
        // jobs are what makes them reproducible, not the queue's bookkeeping.
        const batchId = randomBytes(6).toString('hex');
        const ids = jobs.map((_, i) => `${batchId}-${i + 1}`);
        const indexOf = new Map(ids.map((id, i) => [id, i]));
        const starts = new Map<number, number>();
        listener.on('active', ({ jobId }) => {
          const index = indexOf.get(jobId);
          if (index === undefined) return;
          const attempt = (starts.get(index) ?? 0) + 1;
          starts.set(index, attempt);
          batch.onEvent?.({ type: 'started', index, attempt });
        });
        listener.on('progress', ({ jobId, data }) => {
          const index = indexOf.get(jobId);
          const message = (data as { message?: unknown } | null)?.message;
          if (index !== undefined && typeof message === 'string')
            batch.onEvent?.({ type: 'progress', index, message });
        });
        listener.on('stalled', ({ jobId }) => {
          const index = indexOf.get(jobId);
          if (index !== undefined)
            batch.onEvent?.({
              type: 'progress',
              index,
              message: 'its worker stopped answering; job re-queued',
            });
        });

        const added = (await queue.addBulk(
          jobs.map((data, i) => ({
            name: options.jobName,
            data,
            opts: {
              jobId: ids[i] as string,
              attempts: 1,
              removeOnComplete: { age: KEEP_COMPLETED_S },
              removeOnFail: { age: KEEP_FAILED_S },
            },
          })),
        )) as Job[];

        const idleMs = options.idleNoticeMs ?? 5000;
        timers.push(
          setTimeout(() => {
            if (starts.size > 0) return;
            void queue
              .getWorkersCount()
              .catch(() => -1)
              .then((n) => {
                if (starts.size > 0 || ended) return;
                const who =
                  n === 0
                    ? 'no worker is connected'
                    : n > 0
                      ? `${n} worker(s) connected, all busy`
                      : 'workers unknown';
                batch.onEvent?.({
                  type: 'waiting',
                  message: `waiting for workers on queue ${options.queueName} at ${displayRedisUrl(options.redisUrl)} (${who}; start: quant worker --redis ${displayRedisUrl(options.redisUrl)} --queue ${options.queueName})`,
                });
              });
          }, idleMs),
        );

        const stopped = new Promise<Stop>((resolveStop) => {
          if (batch.timeoutMs !== undefined)
            timers.push(setTimeout(() => resolveStop({ reason: 'timeout' }), batch.timeoutMs));
          if (batch.signal?.aborted === true) resolveStop({ reason: 'abort' });
          batch.signal?.addEventListener('abort', () => resolveStop({ reason: 'abort' }), { once: true });
        });

        const outcomes = await Promise.all(
          added.map(async (job, index): Promise<JobOutcome<R>> => {
            const finished = job.waitUntilFinished(listener).then(
              (value: R): JobOutcome<R> => ({ ok: true, value }),
              (error: Error): JobOutcome<R> => ({ ok: false, error: parseJobFailure(error.message) }),
            );
            const outcome = await Promise.race([finished, stopped]);
            if ('ok' in outcome) {
              batch.onEvent?.({ type: 'finished', index, ok: outcome.ok });
              return outcome;
            }
            return { ok: false, error: await abandon(job, outcome, batch.timeoutMs) };
          }),
        );
        return outcomes;
      } finally {
        ended = true;
        for (const t of timers) clearTimeout(t);
        if (events !== undefined) await closeWithin(events, CLOSE_TIMEOUT_MS);
        await closeWithin(queue, CLOSE_TIMEOUT_MS);
      }
    },
  };
}

/** Give up on an unfinished job: a job no worker took is removed, so that none takes it later. */
async function abandon(
  job: Job,
  stop: Stop,
  timeoutMs: number | undefined,
): Promise<{ code: string; message: string }> {
  const state = await job.getState().catch(() => 'unknown');
  let removed = false;
  if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
    removed = await job
      .remove()
      .then(() => true)
      .catch(() => false);
  }
  const why = stop.reason === 'abort' ? 'interrupted' : `no result within ${formatSeconds(timeoutMs ?? 0)}`;
  const where = removed ? `not started (job ${job.id} removed from the queue)` : `job ${job.id} is ${state}`;
  return { code: 'E_INTERRUPTED', message: `${why}, ${where}` };
}
