/**
 * The consumer side of the `bullmq` executor (`quant worker`): takes jobs from a BullMQ queue and runs
 * each on a local pool of child processes. The jobs are CPU-bound and synchronous for long stretches;
 * running them off this process's event loop keeps BullMQ's lock renewal on time, so a job is only ever
 * re-delivered when its worker is really gone (its lock expired: killed, crashed, machine lost).
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createLocalPool } from './local-pool.js';
import { formatJobFailure, formatSeconds, type JobRunnerRef } from './job.js';
import { assertQueueName, connectionFor, displayRedisUrl, waitForRedis } from './redis-connection.js';

export interface QueueWorkerOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  /** Runners by job name (e.g. `{ 'sleeve.backtest': ... }`); other job names fail. */
  readonly runners: Readonly<Record<string, JobRunnerRef>>;
  /** Jobs at once, each in its own child process (default 1). */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal (BullMQ default 30 000 ms); renewed every half. */
  readonly lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired (BullMQ default 30 000 ms). */
  readonly stalledIntervalMs?: number;
  /** How often a job may be re-delivered after its worker vanished before it fails (default 1). */
  readonly maxStalledCount?: number;
  /** Service log lines (job started, finished, failed). */
  readonly onLog?: (line: string) => void;
  readonly connectTimeoutMs?: number;
}

export interface QueueWorker {
  /** The worker's name on the queue (`host:pid`), recorded by BullMQ as `processedBy`. */
  readonly name: string;
  /** Jobs running now. */
  readonly active: number;
  /**
   * Stop taking jobs. Graceful (default): running jobs finish first. `force`: running jobs are stopped
   * and left to BullMQ, which re-delivers them to another worker once their lock expires.
   */
  close(options?: { readonly force?: boolean }): Promise<void>;
}

const PROGRESS_EVERY_MS = 500;

/** Start consuming `queueName`; resolves once connected to Redis (else E_QUEUE). */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  assertQueueName(options.queueName);
  const connection = connectionFor(options.redisUrl);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const log = options.onLog ?? (() => undefined);
  const pool = createLocalPool({ concurrency });
  const name = `${hostname()}:${process.pid}`;
  let active = 0;

  const processJob = async (job: Job): Promise<unknown> => {
    const runner = options.runners[job.name];
    if (runner === undefined) {
      throw new UnrecoverableError(
        formatJobFailure({
          code: 'E_QUEUE',
          message: `no runner for job kind "${job.name}" (known: ${Object.keys(options.runners).join(', ')})`,
        }),
      );
    }
    const label = describeJob(job);
    const attempt = Math.max(1, job.attemptsStarted);
    log(
      `job ${job.id} ${label} started${attempt > 1 ? ` (attempt ${attempt}: its previous worker stopped)` : ''}`,
    );
    const started = performance.now();
    let lastProgress = 0;
    active++;
    try {
      const outcome = await pool.run(runner, job.data, {
        attempt,
        onProgress: (message) => {
          const now = performance.now();
          if (now - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = now;
          void job.updateProgress({ message }).catch(() => undefined);
        },
      });
      const took = formatSeconds(performance.now() - started);
      if (outcome.ok) {
        log(`job ${job.id} ${label} done in ${took}`);
        return outcome.value;
      }
      log(`job ${job.id} ${label} failed in ${took}: ${formatJobFailure(outcome.error)}`);
      // A job failure is deterministic (bad input, missing file): retrying it elsewhere cannot help.
      throw new UnrecoverableError(formatJobFailure(outcome.error));
    } finally {
      active--;
    }
  };

  const worker = new Worker(options.queueName, processJob, {
    connection,
    name,
    concurrency,
    autorun: false,
    ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
    ...(options.maxStalledCount === undefined ? {} : { maxStalledCount: options.maxStalledCount }),
  });
  let lastError = '';
  worker.on('error', (error) => {
    if (error.message !== lastError) log(`queue error: ${error.message}`);
    lastError = error.message;
  });
  try {
    await waitForRedis(worker, options.redisUrl, options.connectTimeoutMs);
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    await pool.close({ force: true });
    throw error;
  }
  void worker.run().catch((error: Error) => log(`worker stopped: ${error.message}`));
  log(
    `worker ${name} consuming queue ${options.queueName} at ${displayRedisUrl(options.redisUrl)}, concurrency ${concurrency}`,
  );

  let closing: Promise<void> | undefined;
  return {
    name,
    get active() {
      return active;
    },
    close(closeOptions = {}) {
      if (closeOptions.force === true) {
        // Drop the connection first, so that the stopped jobs are not reported failed: they keep their
        // (expiring) locks and come back to the queue for another worker.
        return worker
          .close(true)
          .catch(() => undefined)
          .then(() => pool.close({ force: true }));
      }
      closing ??= worker
        .close()
        .catch(() => undefined)
        .then(() => pool.close());
      return closing;
    },
  };
}

/** `sleeve.backtest swiss (run swiss_20260101-000000)` when the data says so, else the job name. */
function describeJob(job: Job): string {
  const data = job.data as { profile?: unknown; run_id?: unknown } | null;
  const profile = typeof data?.profile === 'string' ? ` ${data.profile}` : '';
  const run = typeof data?.run_id === 'string' ? ` (run ${data.run_id})` : '';
  return `${job.name}${profile}${run}`;
}
