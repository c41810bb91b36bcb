/**
 * The `bullmq` executor (producer side): a batch of jobs on a BullMQ queue in Redis, consumed by
 * `quant worker` processes (queue-worker.ts). The coordinator waits for every job (QueueEvents, with a
 * poll of the jobs' states as a safety net), relays progress, and turns each job's failure reason back
 * into a {@link JobFailure}.
 *
 * It never hangs on Redis: a Redis that stops answering for `lostTimeoutMs` (default 10 s) mid-run ends
 * the batch with E_QUEUE, a job that vanishes from the queue fails with E_QUEUE, and an abort (signal,
 * timeout) gives every Redis call a bound before it drops the connection.
 */
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { QuantError } from '../errors.js';
import {
  formatSeconds,
  parseJobFailure,
  type JobExecutor,
  type JobFailure,
  type JobOutcome,
  type RunBatchOptions,
} from './job.js';
import { assertQueueName, connectionFor, displayRedisUrl, waitForRedis } from './redis-connection.js';

export interface QueueExecutorOptions {
  /** `redis://host:port`, or `rediss://` for TLS; a password goes in the URL (`redis://:secret@host`). */
  readonly redisUrl: string;
  /** The queue the workers consume (`quant worker --queue`). */
  readonly queueName: string;
  /** The job name, which the worker maps to a runner (e.g. `sleeve.backtest`). */
  readonly jobName: string;
  /** Wait this long for Redis at the start (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** End the batch with E_QUEUE when Redis has not answered for this long mid-run (default 10 s). */
  readonly lostTimeoutMs?: number;
  /** Tell the user after this long without any job started (default 5 s). */
  readonly idleNoticeMs?: number;
}

/** Completed jobs are kept a day, failed ones a week, for inspection with any BullMQ tool. */
const KEEP_COMPLETED_S = 24 * 3600;
const KEEP_FAILED_S = 7 * 24 * 3600;
/** How long Redis may not answer mid-run before the batch fails (`--redis-timeout`). */
const LOST_TIMEOUT_MS = 10_000;
/** Bound of each Redis call made while stopping (job state, removal) and of closing a connection. */
const STOP_CALL_MS = 2000;
/** How long one blocking read of the queue's event stream waits (BullMQ's default is 10 s). */
const EVENTS_BLOCK_MS = 2000;
/** How often the states of unfinished jobs are read, in case an event was missed or a job vanished. */
const POLL_MS = 2000;

type Stop =
  { readonly reason: 'abort' | 'timeout' } | { readonly reason: 'lost'; readonly error: QuantError };

/** `promise`, or `fallback` after `ms`. */
function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms))),
  ]);
}

/** Close a BullMQ client within `ms`, else drop its connection (a lost Redis must not hang anything). */
async function closeWithin(
  client: { close(): Promise<void>; disconnect(): Promise<void> | void },
  ms: number,
): Promise<void> {
  const closed = await within(
    client.close().then(
      () => true,
      () => true,
    ),
    ms,
    false,
  );
  if (!closed)
    await within(
      Promise.resolve(client.disconnect()).catch(() => undefined),
      500,
      undefined,
    );
}

/**
 * Ask Redis something every second (or a quarter of the bound); resolve `lost` once no answer came for
 * `ms`.
 * Commands wait in ioredis's queue while it reconnects, so a PING answered late still counts.
 */
function watchRedis(queue: Queue, url: string, ms: number): { lost: Promise<QuantError>; stop(): void } {
  let lastAnswer = performance.now();
  let lastError = '';
  let inFlight = false;
  const onError = (error: Error): void => void (lastError = error.message);
  queue.on('error', onError);
  let fire: (error: QuantError) => void = () => undefined;
  const lost = new Promise<QuantError>((r) => (fire = r));
  const timer = setInterval(
    () => {
      if (performance.now() - lastAnswer > ms) {
        clearInterval(timer);
        fire(
          new QuantError(
            'E_QUEUE',
            `lost Redis at ${displayRedisUrl(url)}: no answer for ${formatSeconds(ms)}${lastError === '' ? '' : ` (${lastError})`}`,
            {
              hint: 'Redis must stay up for the whole run; unfinished jobs may still run on workers. Restart Redis and rerun: with the same SOURCE_DATE_EPOCH, sleeve runs that completed are reused',
            },
          ),
        );
        return;
      }
      if (inFlight) return;
      inFlight = true;
      // Any round trip will do: one HEXISTS on the queue's own key.
      void queue
        .isPaused()
        .then(
          () => void (lastAnswer = performance.now()),
          () => undefined,
        )
        .finally(() => (inFlight = false));
    },
    Math.max(50, Math.min(1000, ms / 4)),
  );
  return {
    lost,
    stop: () => {
      clearInterval(timer);
      queue.off('error', onError);
    },
  };
}

/** Resolves when the batch's timeout passes or its signal aborts; `detach` removes the abort listener. */
function batchStop(
  batch: RunBatchOptions,
  timers: ReturnType<typeof setTimeout>[],
): { stopped: Promise<Stop>; detach(): void } {
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<Stop>((resolveStop) => {
    if (batch.timeoutMs !== undefined)
      timers.push(setTimeout(() => resolveStop({ reason: 'timeout' }), batch.timeoutMs));
    if (batch.signal?.aborted === true) resolveStop({ reason: 'abort' });
    onAbort = () => resolveStop({ reason: 'abort' });
    batch.signal?.addEventListener('abort', onAbort, { once: true });
  });
  return {
    stopped,
    detach: () => {
      if (onAbort !== undefined) batch.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Relay the queue's events for this batch's jobs (`indexOf`: job id → index) to `batch.onEvent`:
 * starts (with their attempt), progress and notices, stalls. Returns the starts seen per job index.
 */
function relayEvents(
  listener: QueueEvents,
  indexOf: ReadonlyMap<string, number>,
  batch: RunBatchOptions,
): ReadonlyMap<number, number> {
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
    if (index === undefined) return;
    const d = data as { message?: unknown; notice?: unknown } | null;
    if (typeof d?.notice === 'string') batch.onEvent?.({ type: 'notice', index, message: d.notice });
    else if (typeof d?.message === 'string') batch.onEvent?.({ type: 'progress', index, message: d.message });
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
  return starts;
}

/** After `idleNoticeMs` (default 5 s) with no job started, tell the user how to start a worker. */
function idleNotice(
  queue: Queue,
  options: QueueExecutorOptions,
  batch: RunBatchOptions,
  moved: () => boolean,
): ReturnType<typeof setTimeout> {
  return setTimeout(() => {
    if (moved()) return;
    void queue
      .getWorkersCount()
      .catch(() => -1)
      .then((n) => {
        if (moved()) return;
        const who =
          n === 0
            ? 'no worker is connected'
            : n > 0
              ? `${n} worker(s) connected, all busy`
              : 'workers unknown';
        batch.onEvent?.({
          type: 'waiting',
          message: `waiting for workers on queue ${options.queueName} at ${displayRedisUrl(options.redisUrl)} (${who}; start: quant worker --workspace <this workspace> --redis ${displayRedisUrl(options.redisUrl)} --queue ${options.queueName})`,
        });
      });
  }, options.idleNoticeMs ?? 5000);
}

/**
 * E_QUEUE unless Redis at `redisUrl` answers within the connect timeout: a coordinator asks before it
 * writes anything (key locks, run reservations), so an unreachable queue leaves the workspace as it was.
 */
export async function assertRedisAnswers(
  redisUrl: string,
  queueName: string,
  connectTimeoutMs?: number,
): Promise<void> {
  assertQueueName(queueName);
  const queue = new Queue(queueName, { connection: connectionFor(redisUrl) });
  let answered = false;
  try {
    await waitForRedis(queue, redisUrl, connectTimeoutMs);
    answered = true;
  } finally {
    await closeWithin(queue, answered ? STOP_CALL_MS : 0);
  }
}

/** Create the `bullmq` executor. Each batch opens its own Redis connections and closes them at the end. */
export function createQueueExecutor(options: QueueExecutorOptions): JobExecutor {
  assertQueueName(options.queueName);
  const connection = connectionFor(options.redisUrl);
  const lostMs = options.lostTimeoutMs ?? LOST_TIMEOUT_MS;
  return {
    kind: 'bullmq',
    async run<R>(jobs: readonly unknown[], batch: RunBatchOptions = {}): Promise<JobOutcome<R>[]> {
      if (jobs.length === 0) return [];
      const queue = new Queue(options.queueName, { connection });
      let events: QueueEvents | undefined;
      let watch: ReturnType<typeof watchRedis> | undefined;
      let ended = false;
      // Redis gone (lost) or silent while stopping: the connections are then dropped, not closed.
      const health = { silent: false };
      const timers: ReturnType<typeof setTimeout>[] = [];
      const { stopped, detach } = batchStop(batch, timers);
      const notSent = (stop: Stop): JobOutcome<R>[] =>
        jobs.map(() => ({ ok: false, error: stopFailure(stop, batch.timeoutMs, 'not sent to the queue') }));
      try {
        // Connecting may take up to the connect timeout: a signal must not wait for it.
        const ready = await Promise.race([
          waitForRedis(queue, options.redisUrl, options.connectTimeoutMs).then(() => undefined),
          stopped,
        ]);
        if (ready !== undefined) return notSent(ready);
        // Only once Redis answers: a QueueEvents that never connected cannot be closed (BullMQ 6.7).
        // A short blocking read: a QueueEvents stops only between reads, so a lost Redis frees it sooner.
        events = new QueueEvents(options.queueName, { connection, blockingTimeout: EVENTS_BLOCK_MS });
        const eventsReady = await Promise.race([
          waitForRedis(events, options.redisUrl, options.connectTimeoutMs).then(() => undefined),
          stopped,
        ]);
        if (eventsReady !== undefined) return notSent(eventsReady);
        const listener = events;
        watch = watchRedis(queue, options.redisUrl, lostMs);
        const end = Promise.race([stopped, watch.lost.then((error): Stop => ({ reason: 'lost', error }))]);

        // Job ids are unique per batch (BullMQ ignores an add whose id exists); the run ids inside the
        // jobs are what makes them reproducible, not the queue's bookkeeping.
        const batchId = randomBytes(6).toString('hex');
        const ids = jobs.map((_, i) => `${batchId}-${i + 1}`);
        const indexOf = new Map(ids.map((id, i) => [id, i]));
        const starts = relayEvents(listener, indexOf, batch);

        const sending = queue.addBulk(
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
        ) as Promise<Job[]>;
        const sent = await Promise.race([sending, end]);
        if (!Array.isArray(sent)) {
          if (sent.reason === 'lost') throw sent.error;
          // Some jobs may have reached Redis: withdraw what no worker took.
          const stop = sent;
          const maybe = await within(sending, STOP_CALL_MS, undefined);
          if (maybe === undefined) return notSent(stop);
          return Promise.all(
            maybe.map(async (job) => ({
              ok: false as const,
              error: await abandon(job, stop, batch.timeoutMs, health),
            })),
          );
        }
        const added = sent;

        timers.push(idleNotice(queue, options, batch, () => starts.size > 0 || ended));

        const finished = added.map((job) => settled<R>(job, listener));
        const stopPoll = pollStates(queue, added, finished);
        try {
          return await Promise.all(
            added.map(async (job, index): Promise<JobOutcome<R>> => {
              const outcome = await Promise.race([(finished[index] as Settled<R>).promise, end]);
              if ('ok' in outcome) {
                batch.onEvent?.({ type: 'finished', index, ok: outcome.ok });
                return outcome;
              }
              if (outcome.reason === 'lost') throw outcome.error;
              return { ok: false, error: await abandon(job, outcome, batch.timeoutMs, health) };
            }),
          );
        } finally {
          stopPoll();
        }
      } catch (error) {
        if (error instanceof QuantError && error.code === 'E_QUEUE') health.silent = true;
        throw error;
      } finally {
        ended = true;
        for (const t of timers) clearTimeout(t);
        detach();
        watch?.stop();
        // Redis gone: drop the connections at once; else close them, within a bound.
        const closeMs = health.silent ? 0 : STOP_CALL_MS;
        await Promise.all([
          events === undefined ? undefined : closeWithin(events, closeMs),
          closeWithin(queue, closeMs),
        ]);
      }
    },
  };
}

interface Settled<R> {
  readonly promise: Promise<JobOutcome<R>>;
  readonly settle: (outcome: JobOutcome<R>) => void;
  done: boolean;
}

/** A job's outcome from the queue's events; `settle` lets the state poll decide it instead. */
function settled<R>(job: Job, listener: QueueEvents): Settled<R> {
  let settle: (outcome: JobOutcome<R>) => void = () => undefined;
  const s: Settled<R> = {
    promise: new Promise<JobOutcome<R>>((r) => (settle = r)),
    settle: (outcome) => {
      if (s.done) return;
      s.done = true;
      settle(outcome);
    },
    done: false,
  };
  job.waitUntilFinished(listener).then(
    (value: R) => s.settle({ ok: true, value }),
    (error: Error) => s.settle({ ok: false, error: parseJobFailure(error.message) }),
  );
  return s;
}

/**
 * Every {@link POLL_MS}, read the unfinished jobs back: a finished one whose event was missed (a
 * reconnect) is settled from its stored result, a vanished one (Redis restarted without persistence,
 * someone removed it) fails with E_QUEUE. A poll waiting on a silent Redis blocks the next ones.
 */
function pollStates<R>(queue: Queue, jobs: readonly Job[], finished: readonly Settled<R>[]): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const [i, job] of jobs.entries()) {
        const s = finished[i] as Settled<R>;
        if (s.done || job.id === undefined) continue;
        const now = await queue.getJob(job.id);
        if (s.done) continue;
        if (now === undefined) {
          s.settle({
            ok: false,
            error: {
              code: 'E_QUEUE',
              message: `job ${job.id} vanished from the queue (Redis restarted without its data, or the job was removed)`,
            },
          });
        } else if (now.finishedOn !== undefined) {
          s.settle(
            now.failedReason !== undefined && now.failedReason !== ''
              ? { ok: false, error: parseJobFailure(now.failedReason) }
              : { ok: true, value: now.returnvalue as R },
          );
        }
      }
    })()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, POLL_MS);
  return () => clearInterval(timer);
}

function stopFailure(stop: Stop, timeoutMs: number | undefined, where: string): JobFailure {
  const why = stop.reason === 'abort' ? 'interrupted' : `no result within ${formatSeconds(timeoutMs ?? 0)}`;
  return { code: 'E_INTERRUPTED', message: `${why}, ${where}` };
}

/** Give up on an unfinished job: a job no worker took is removed, so that none takes it later. */
async function abandon(
  job: Job,
  stop: Stop,
  timeoutMs: number | undefined,
  health: { silent: boolean },
): Promise<JobFailure> {
  const silent = 'unknown (Redis did not answer)';
  const state = await within(
    job.getState().catch(() => 'unknown'),
    STOP_CALL_MS,
    silent,
  );
  if (state === silent) health.silent = true;
  let removed = false;
  if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
    removed = await within(
      job.remove().then(
        () => true,
        () => false,
      ),
      STOP_CALL_MS,
      false,
    );
  }
  const where = removed ? `not started (job ${job.id} removed from the queue)` : `job ${job.id} is ${state}`;
  return stopFailure(stop, timeoutMs, where);
}
