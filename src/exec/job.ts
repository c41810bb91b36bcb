/**
 * The vocabulary shared by the executors: a job is JSON data, a runner is a named export of a module
 * (so that another process can load it), an outcome is a value or a failure `{code, message}`.
 * exec/ knows nothing of what a job does; the SDK supplies the runner (sdk/sleeve-job.ts).
 */
import { isQuantError } from '../errors.js';

/** Where a runner lives: a module (file URL) and the name of its exported function. */
export interface JobRunnerRef {
  readonly module: string;
  readonly exportName: string;
}

/** What a runner gets besides its job. */
export interface JobContext {
  /**
   * 1 for the first start of this job; more when a queue re-delivers it after the process that held
   * it stopped renewing its lock (killed, machine lost). A runner uses it to clean up a half-written
   * attempt.
   */
  readonly attempt: number;
  /**
   * What the process that runs the job was configured with on its own command line (e.g. the workspace
   * a `quant worker` serves), never taken from the job: a queue message cannot choose it.
   */
  readonly settings: JobSettings;
  /** Progress of a long job; shown on a TTY by the coordinator, dropped otherwise. */
  progress(message: string): void;
  /**
   * Something the user must hear about although the job goes on (e.g. it waits for a lock held by
   * another process): logged by a worker and printed on the coordinator's stderr, TTY or not.
   */
  notice(message: string): void;
}

/** Settings of the process that runs jobs (strings only: they cross process boundaries as JSON). */
export type JobSettings = Readonly<Record<string, string>>;

/** A runner: a job in, a JSON-serialisable value out; throw a QuantError for a user-facing failure. */
export type JobRunner<J = unknown, R = unknown> = (job: J, ctx: JobContext) => Promise<R>;

/** Why a job failed, as data that crosses process boundaries. `code` is a QuantError code when known. */
export interface JobFailure {
  readonly code: string;
  readonly message: string;
}

export type JobOutcome<R = unknown> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: JobFailure };

/** Life-cycle events of a batch, by job index. */
export type JobEvent =
  | { readonly type: 'started'; readonly index: number; readonly attempt: number }
  | { readonly type: 'progress'; readonly index: number; readonly message: string }
  | { readonly type: 'notice'; readonly index: number; readonly message: string }
  | { readonly type: 'finished'; readonly index: number; readonly ok: boolean }
  | { readonly type: 'waiting'; readonly message: string };

export interface RunBatchOptions {
  /** Called for every life-cycle event (on the coordinator's thread). */
  readonly onEvent?: (event: JobEvent) => void;
  /** Abort: unstarted jobs are dropped and running ones stopped where the executor can. */
  readonly signal?: AbortSignal;
  /** Give up on jobs not finished after this many milliseconds (default: no limit). */
  readonly timeoutMs?: number;
}

/**
 * Runs a batch of jobs and resolves with one outcome per job, in job order. It never rejects for a
 * failing job (that is an outcome); it rejects only when the executor itself cannot work (E_QUEUE).
 */
export interface JobExecutor {
  readonly kind: 'local' | 'bullmq';
  run<R>(jobs: readonly unknown[], options?: RunBatchOptions): Promise<JobOutcome<R>[]>;
}

/** A thrown value as a {@link JobFailure}; anything but a QuantError is `E_INTERNAL`. */
export function toJobFailure(error: unknown): JobFailure {
  if (isQuantError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'E_INTERNAL', message: error.message };
  return { code: 'E_INTERNAL', message: String(error) };
}

/** `CODE: message`, the one-line form that travels as a queue's failure reason. */
export function formatJobFailure(failure: JobFailure): string {
  return `${failure.code}: ${failure.message}`;
}

/** BullMQ's reason for a job whose workers stopped more often than `maxStalledCount` allows. */
const STALLED_REASON = 'job stalled more than allowable limit';

/**
 * Inverse of {@link formatJobFailure}; a reason without a code (a queue's own) gets `fallbackCode`,
 * except BullMQ's stall limit, which is said as what happened: the job's worker stopped.
 */
export function parseJobFailure(reason: string, fallbackCode = 'E_QUEUE'): JobFailure {
  if (reason === STALLED_REASON) {
    return {
      code: 'E_INTERRUPTED',
      message:
        "its worker stopped before it finished (killed, crashed or cut off from Redis), and the re-deliveries `quant worker --max-stalled N` allows after a stop (default 1) were used up; the queue's reason: job stalled more than allowable limit",
    };
  }
  const m = /^(E_[A-Z0-9_]+): ([\s\S]*)$/.exec(reason);
  return m === null
    ? { code: fallbackCode, message: reason }
    : { code: m[1] as string, message: m[2] as string };
}

/** Milliseconds as `0.6 s` / `12 s` for logs and progress lines. */
export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
