/**
 * The consumer side of the `bullmq` executor (`quant worker`): takes jobs from a BullMQ queue and runs
 * each on a local pool of child processes. The jobs are CPU-bound and synchronous for long stretches;
 * running them off this process's event loop keeps BullMQ's lock renewal on time, so a job is only ever
 * re-delivered when its worker is really gone (its lock expired: killed, crashed, machine lost).
 */
import { hostname } from 'node:os';
import {
  UnrecoverableError,
  WaitingError,
  Worker,
  type Job,
  type JobJson,
  type Processor,
  type WorkerOptions,
} from 'bullmq';
import { createLocalPool } from './local-pool.js';
import { formatJobFailure, formatSeconds, toJobFailure, type JobRunnerRef, type JobSettings } from './job.js';
import { assertQueueName, connectionFor, displayRedisUrl, waitForRedis } from './redis-connection.js';

export interface QueueWorkerOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  /** Runners by job name (e.g. `{ 'sleeve.backtest': ... }`); other job names fail. */
  readonly runners: Readonly<Record<string, JobRunnerRef>>;
  /**
   * Checks of a job's data by job name, run in this process before the job goes to a child process:
   * throw (a QuantError) to refuse it. The failure is recorded on the job; the job is not retried.
   */
  readonly checks?: Readonly<Record<string, (data: unknown) => void>>;
  /** The runners' `ctx.settings`: what this worker serves (its workspace), never taken from a job. */
  readonly settings?: JobSettings;
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
   * at once and handed back to the queue, where another worker takes them (attempt 2); should Redis not
   * answer, they come back when their lock expires. A forced close ends within a few seconds, whatever
   * the state of Redis.
   */
  close(options?: { readonly force?: boolean }): Promise<void>;
}

const PROGRESS_EVERY_MS = 500;
/** How long a forced close waits for Redis (handing jobs back, closing connections) before dropping it. */
const FORCED_CLOSE_MS = 2000;

/** `promise`, or `undefined` after `ms`: for Redis calls that must not hold up a shutdown. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms))),
  ]);
}

// JSON.stringify escapes C0 controls; C1 controls (a terminal's CSI) and DEL are escaped too.
const C1 = /[\u007f-\u009f]/g;

/** A name from a message, safe for a log line: quoted, escaped, at most 60 characters. */
function shown(text: string): string {
  const cut = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(cut).replace(C1, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What is wrong with a job's stored fields, as a worker reads them from Redis. */
interface Unreadable {
  /** The field, in words: `data`, `options`, `progress`, `parent`. */
  readonly what: string;
  /** `is not JSON (…)`, `are not a JSON object (…)`. */
  readonly problem: string;
}

/** The Redis commands whose answer carries the next job for this worker, as the raw fields of its hash. */
const NEXT_JOB_COMMANDS = new Set(['moveToActive', 'moveToFinished', 'moveToDelayed']);

/**
 * The JSON fields BullMQ parses when it hands a job to a worker, with what stands in for a spoilt one
 * (the job is then refused, so nothing reads the stand-in) and whether it must be an object.
 */
const JSON_FIELDS: Readonly<Record<string, { what: string; object: boolean; stand_in: string }>> = {
  data: { what: 'data', object: false, stand_in: 'null' },
  opts: { what: 'options', object: true, stand_in: '{}' },
  progress: { what: 'progress', object: false, stand_in: '0' },
  parent: { what: 'parent', object: true, stand_in: '' },
};

/** Why `text` cannot be a job's field (`object`: a JSON object is required), or undefined. */
function fieldProblem(text: string, what: string, object: boolean): string | undefined {
  const verb = what === 'options' ? 'are' : 'is';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `${verb} not JSON (${(error as Error).message})`;
  }
  if (!object || (typeof value === 'object' && value !== null && !Array.isArray(value))) return undefined;
  const shape = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return `${verb} not a JSON object (${shape})`;
}

/**
 * Replace, in place, every JSON field of a raw job hash (`[field, value, field, value, …]`) that BullMQ
 * could not parse or use by its stand-in; the first problem found, or undefined.
 */
function screenRawJob(fields: unknown[]): Unreadable | undefined {
  let found: Unreadable | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i];
    const value = fields[i + 1];
    if (typeof key !== 'string' || !Object.hasOwn(JSON_FIELDS, key)) continue;
    const field = JSON_FIELDS[key]!;
    if (key === 'parent' && (value === '' || value === undefined || value === null)) continue;
    const problem = typeof value === 'string' ? fieldProblem(value, field.what, field.object) : 'is not text';
    if (problem === undefined) continue;
    fields[i + 1] = field.stand_in;
    found ??= { what: field.what, problem };
  }
  return found;
}

/**
 * A worker that lets a job whose stored fields BullMQ cannot read (data or options that are not JSON,
 * options that are not an object: only a direct writer of Redis makes one) reach the processor with
 * stand-ins and its id noted, instead of throwing in BullMQ's own fetch loop, where the error carries no
 * job id and the job cycles between active and stalled for ever. The raw job is screened where Redis
 * hands it over (the answer of the command that moved it to active); a job BullMQ still cannot build
 * from the screened fields is refused the same way.
 */
class UnreadableDataWorker extends Worker {
  /** Ids of fetched jobs whose stored fields could not be read, with what was wrong. */
  readonly unreadable = new Map<string, Unreadable>();

  constructor(name: string, processor: Processor, opts: WorkerOptions) {
    super(name, processor, opts);
    // The screen sits on BullMQ's command layer (checked with the version package-lock.json pins); a
    // version without it keeps the createJob fallback below, which refuses data that is not JSON.
    const backend = (this as { backend?: Worker['backend'] }).backend;
    if (typeof backend?.execCommand !== 'function') return;
    const exec = backend.execCommand.bind(backend);
    backend.execCommand = (client, commandName, commandArgs) => {
      const answer: unknown = exec(client, commandName, commandArgs);
      if (!NEXT_JOB_COMMANDS.has(commandName)) return answer;
      return Promise.resolve(answer).then((raw: unknown) => {
        // [job hash fields, job id, rate limit delay, delay until]; no job: [0, 0, …] or a number.
        if (Array.isArray(raw) && Array.isArray(raw[0])) {
          const problem = screenRawJob(raw[0] as unknown[]);
          if (problem !== undefined) this.unreadable.set(String(raw[1]), problem);
        }
        return raw;
      });
    };
  }

  protected override createJob(data: JobJson, jobId: string): Job {
    try {
      return super.createJob(data, jobId);
    } catch (error) {
      const job = super.createJob({ ...data, data: 'null', opts: {} }, jobId);
      this.unreadable.set(String(job.id), {
        what: 'options',
        problem: `cannot be used (${error instanceof Error ? error.message : String(error)})`,
      });
      return job;
    }
  }
}

/** Fail a job whose stored fields could not be read, once: an `UnrecoverableError` with `E_JOB_INVALID`, logged. */
function refuseUnreadable(worker: UnreadableDataWorker, job: Job, log: (line: string) => void): void {
  const id = String(job.id);
  const why = worker.unreadable.get(id);
  if (why === undefined) return;
  worker.unreadable.delete(id);
  const failure = formatJobFailure({
    code: 'E_JOB_INVALID',
    message: `the stored ${why.what} of job ${shown(id)} (${shown(job.name)}) ${why.problem}; it was written to Redis by something other than a quant coordinator`,
  });
  log(`job ${shown(id)} refused: ${failure}`);
  throw new UnrecoverableError(failure);
}

/**
 * The runner of a job's kind, once the kind's check accepts its data; an unknown kind or refused data
 * is an `UnrecoverableError` (recorded on the job, never retried).
 */
function acceptJob(options: QueueWorkerOptions, job: Job, log: (line: string) => void): JobRunnerRef {
  // Own keys only: a job named "constructor" or "toString" is as unknown as any other name.
  const runner = Object.hasOwn(options.runners, job.name) ? options.runners[job.name] : undefined;
  if (runner === undefined) {
    const failure = formatJobFailure({
      code: 'E_QUEUE',
      message: `no runner for job kind ${shown(job.name)} (known: ${Object.keys(options.runners).join(', ')})`,
    });
    log(`job ${shown(String(job.id))} refused: ${failure}`);
    throw new UnrecoverableError(failure);
  }
  const check = options.checks !== undefined && Object.hasOwn(options.checks, job.name);
  if (check) {
    try {
      options.checks?.[job.name]?.(job.data);
    } catch (error) {
      const failure = toJobFailure(error);
      log(`job ${job.id} ${job.name} refused: ${formatJobFailure(failure)}`);
      throw new UnrecoverableError(formatJobFailure(failure));
    }
  }
  return runner;
}

/** Pool callbacks that pass a job's progress (at most every {@link PROGRESS_EVERY_MS}) and notices to the queue. */
function relayProgress(
  job: Job,
  label: string,
  log: (line: string) => void,
): { onProgress: (message: string) => void; onNotice: (message: string) => void } {
  let lastProgress = 0;
  return {
    onProgress: (message) => {
      const now = performance.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      void job.updateProgress({ message }).catch(() => undefined);
    },
    onNotice: (message) => {
      log(`job ${job.id} ${label}: ${message}`);
      void job.updateProgress({ notice: message }).catch(() => undefined);
    },
  };
}

/** Put a stopped job back in the queue's wait list, within a bound; log whether Redis took it. */
async function handBack(
  job: Job,
  token: string | undefined,
  what: string,
  log: (line: string) => void,
): Promise<void> {
  const back = await within(
    job.moveToWait(token).then(
      () => true,
      () => false,
    ),
    FORCED_CLOSE_MS,
  );
  log(
    `${what}; ${back === true ? 'handed back to the queue' : 'Redis did not answer: the queue re-delivers it once its lock expires'}`,
  );
}

/** Start consuming `queueName`; resolves once connected to Redis (else E_QUEUE). */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  assertQueueName(options.queueName);
  const connection = connectionFor(options.redisUrl);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const log = options.onLog ?? (() => undefined);
  const pool = createLocalPool({ concurrency });
  const name = `${hostname()}:${process.pid}`;
  let active = 0;
  let handingBack = false;

  const processJob = async (job: Job, token?: string): Promise<unknown> => {
    refuseUnreadable(worker, job, log);
    const runner = acceptJob(options, job, log);
    const label = describeJob(job);
    const attempt = Math.max(1, job.attemptsStarted);
    log(
      `job ${job.id} ${label} started${attempt > 1 ? ` (attempt ${attempt}: its previous worker stopped)` : ''}`,
    );
    const started = performance.now();
    active++;
    try {
      const outcome = await pool.run(runner, job.data, {
        attempt,
        ...(options.settings === undefined ? {} : { settings: options.settings }),
        ...relayProgress(job, label, log),
      });
      const took = formatSeconds(performance.now() - started);
      if (handingBack && !outcome.ok && outcome.error.code === 'E_INTERRUPTED') {
        // Stopped by a forced close: back to the queue at once, for another worker.
        await handBack(job, token, `job ${job.id} ${label} stopped after ${took}`, log);
        throw new WaitingError();
      }
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

  const worker = new UnreadableDataWorker(options.queueName, processJob, {
    connection,
    name,
    concurrency,
    autorun: false,
    ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
    ...(options.maxStalledCount === undefined ? {} : { maxStalledCount: options.maxStalledCount }),
  });
  let lastError = '';
  let connected = false;
  worker.on('error', (error) => {
    // Before the worker is connected, waitForRedis reports the error in its own one line.
    if (connected && error.message !== lastError) log(`queue error: ${error.message}`);
    lastError = error.message;
  });
  try {
    await waitForRedis(worker, options.redisUrl, options.connectTimeoutMs);
    connected = true;
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    await pool.close({ force: true });
    throw error;
  }
  void worker.run().catch((error: Error) => log(`worker stopped: ${error.message}`));
  const serving = options.settings?.['workspace'];
  log(
    `worker ${name} consuming queue ${options.queueName} at ${displayRedisUrl(options.redisUrl)}, concurrency ${concurrency}${serving === undefined ? '' : `, serving workspace ${serving}`}`,
  );

  let closing: Promise<void> | undefined;
  let forced: Promise<void> | undefined;
  // Stop fetching, stop the running jobs (their processors hand them back), then close the connections;
  // whatever Redis does, give up on it after a bound and drop the connections.
  const forcedClose = (): Promise<void> =>
    (forced ??= (async () => {
      handingBack = true;
      const stopping = (closing ?? worker.close()).catch(() => undefined);
      await pool.close({ force: true });
      const closed = await within(
        stopping.then(() => true),
        FORCED_CLOSE_MS,
      );
      if (closed !== true)
        await within(
          worker.disconnect().catch(() => undefined),
          500,
        );
    })());
  return {
    name,
    get active() {
      return active;
    },
    close(closeOptions = {}) {
      if (closeOptions.force === true) return forcedClose();
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
