import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { DEFAULT_QUEUE_NAME, DEFAULT_REDIS_URL } from '../../sdk/sleeve-jobs.js';
import { startSleeveWorker } from '../../sdk/sleeve-worker.js';
import type { CliContext } from '../context.js';
import { positiveInt } from './_execute-sleeves.js';

const nonNegativeInt = (value: string): number => (value.trim() === '0' ? 0 : positiveInt(value));

/**
 * The least lock duration and stall check interval accepted. A lock is renewed every half of its
 * duration: under a second, a busy machine or a Redis pausing briefly makes the worker lose its lock
 * on every job, and the job is delivered twice. A stall check more often than every 100 ms only loads Redis.
 */
const MIN_LOCK_DURATION_MS = 1000;
const MIN_STALLED_INTERVAL_MS = 100;

/** A number of milliseconds ≥ `min`; the message names the unit (the other time flags are seconds). */
const millisecondsAtLeast =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(
        `expected milliseconds, a whole number ≥ ${min} (${min} = ${min / 1000} s; this flag is in ms, not seconds)`,
      );
    return n;
  };

/**
 * `quant worker`: consume sleeve jobs from a BullMQ queue for exactly one workspace (`--workspace`,
 * `--manifest`), until a signal. SIGTERM stops at once: running jobs are stopped and handed back to the
 * queue, and the process exits within a few seconds, whatever the state of Redis. A first SIGINT (Ctrl-C)
 * stops taking jobs and lets running ones finish; a second acts as SIGTERM. Logs one line per job on
 * stderr (`--quiet` silences them).
 */
export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .description(
      'run sleeve jobs of `quant meta run --execute-sleeves --executor bullmq` from a Redis queue, for the workspace given by --workspace (default: the current folder)',
    )
    .option('--redis <url>', 'Redis URL (default $QUANT_REDIS_URL or redis://127.0.0.1:6379)')
    .option('--queue <name>', 'queue name (default $QUANT_QUEUE or quant-sleeves)')
    .option('--concurrency <n>', 'jobs at once, each in its own process', positiveInt, 1)
    .option(
      '--lock-duration <ms>',
      `a job's lock, in milliseconds (≥ ${MIN_LOCK_DURATION_MS}, default 30000); if not renewed in time (worker gone) the job is retried elsewhere`,
      millisecondsAtLeast(MIN_LOCK_DURATION_MS),
    )
    .option(
      '--stalled-interval <ms>',
      `how often to look for jobs whose worker is gone, in milliseconds (≥ ${MIN_STALLED_INTERVAL_MS}, default 30000)`,
      millisecondsAtLeast(MIN_STALLED_INTERVAL_MS),
    )
    .option(
      '--max-stalled <n>',
      'how often a job may be retried after its worker vanished (default 1)',
      nonNegativeInt,
    )
    .option('--quiet', 'no log lines')
    .action(async (opts) => {
      // The one workspace this worker serves: from its own command line, never from a job.
      const workspace = ctx.workspace;
      const manifest = resolve(ctx.cwd, ctx.globals.manifest ?? resolve(workspace, 'manifest.json'));
      const log =
        opts.quiet === true
          ? () => undefined
          : (line: string) => ctx.io.err(`${new Date().toISOString()} ${line}`);
      const worker = await startSleeveWorker({
        redisUrl: opts.redis ?? nonEmpty(ctx.env['QUANT_REDIS_URL']) ?? DEFAULT_REDIS_URL,
        queueName: opts.queue ?? nonEmpty(ctx.env['QUANT_QUEUE']) ?? DEFAULT_QUEUE_NAME,
        workspace,
        manifest,
        concurrency: opts.concurrency,
        ...(opts.lockDuration === undefined ? {} : { lockDurationMs: opts.lockDuration }),
        ...(opts.stalledInterval === undefined ? {} : { stalledIntervalMs: opts.stalledInterval }),
        ...(opts.maxStalled === undefined ? {} : { maxStalledCount: opts.maxStalled }),
        onLog: log,
      });
      await new Promise<void>((resolveStopped) => {
        let draining = false;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (signal === 'SIGINT' && !draining) {
            draining = true;
            log(
              `${signal}: no new jobs; waiting for ${worker.active} running job(s) (Ctrl-C again or SIGTERM to stop them)`,
            );
            void worker.close().then(() => resolveStopped());
          } else {
            log(
              `${signal}: stopping ${worker.active} running job(s); the queue gives them to another worker`,
            );
            void worker.close({ force: true }).then(() => resolveStopped());
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      log('worker stopped');
    });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
