/**
 * The `local` executor: a batch of jobs on a pool of child processes of this machine, at most
 * `concurrency` at a time, in job order.
 */
import { availableParallelism } from 'node:os';
import { createLocalPool } from './local-pool.js';
import {
  formatSeconds,
  type JobExecutor,
  type JobOutcome,
  type JobRunnerRef,
  type JobSettings,
  type RunBatchOptions,
} from './job.js';

export interface LocalExecutorOptions {
  /** The runner every job of a batch goes to. */
  readonly runner: JobRunnerRef;
  /** Processes at once (default: the machine's available parallelism); never more than the jobs. */
  readonly concurrency?: number;
  /** The runner's `ctx.settings` for every job (default none). */
  readonly settings?: JobSettings;
  /** Variables set in the child processes' environment on top of this process's own (default none). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The default concurrency of local execution: the machine's available parallelism. */
function defaultConcurrency(): number {
  return availableParallelism();
}

/** Create the `local` executor. A fresh pool serves each batch and is closed when the batch ends. */
export function createLocalExecutor(options: LocalExecutorOptions): JobExecutor {
  return {
    kind: 'local',
    async run<R>(jobs: readonly unknown[], batch: RunBatchOptions = {}): Promise<JobOutcome<R>[]> {
      if (jobs.length === 0) return [];
      // Aborted before the batch: no child process starts (the 'abort' event has fired already).
      if (batch.signal?.aborted === true) {
        return jobs.map(() => ({
          ok: false,
          error: { code: 'E_INTERRUPTED', message: 'interrupted before the job started' },
        }));
      }
      const wanted = options.concurrency ?? defaultConcurrency();
      const pool = createLocalPool({
        concurrency: Math.min(wanted, jobs.length),
        ...(options.env === undefined ? {} : { env: options.env }),
      });
      const stop = (): void => void pool.close({ force: true });
      batch.signal?.addEventListener('abort', stop, { once: true });
      const timer = batch.timeoutMs === undefined ? undefined : setTimeout(stop, batch.timeoutMs);
      try {
        return await Promise.all(
          jobs.map(async (job, index) => {
            const outcome = await pool.run<R>(options.runner, job, {
              ...(options.settings === undefined ? {} : { settings: options.settings }),
              onStart: () => batch.onEvent?.({ type: 'started', index, attempt: 1 }),
              onProgress: (message) => batch.onEvent?.({ type: 'progress', index, message }),
              onNotice: (message) => batch.onEvent?.({ type: 'notice', index, message }),
            });
            batch.onEvent?.({ type: 'finished', index, ok: outcome.ok });
            if (!outcome.ok && outcome.error.code === 'E_INTERRUPTED') {
              const why =
                batch.signal?.aborted === true
                  ? 'interrupted'
                  : `no result within ${formatSeconds(batch.timeoutMs ?? 0)}`;
              return {
                ok: false,
                error: { code: 'E_INTERRUPTED', message: `${why}, ${outcome.error.message}` },
              };
            }
            return outcome;
          }),
        );
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        batch.signal?.removeEventListener('abort', stop);
        await pool.close({ force: true });
      }
    },
  };
}
