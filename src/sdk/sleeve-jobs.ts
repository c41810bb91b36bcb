/**
 * `quant meta run --execute-sleeves`: plan one job per unpinned atomic sleeve profile of a meta tree,
 * run the jobs with an executor (a local process pool, or a BullMQ queue served by `quant worker`),
 * and return the run ids to pin — or fail with one E_SLEEVE_FAILED naming every failed sleeve.
 *
 * Run ids are `defaultRunId(profile, now)` with the coordinator's clock, and every job carries that
 * clock as `source_date_epoch`, so a sleeve run is byte-identical whichever process or machine runs it.
 * Jobs carry no path: each run folder is reserved first (sleeve-reservation.ts), and whoever runs a job
 * does so in the workspace it was started for (`ctx.settings`).
 */
import { resolve } from 'node:path';
import { QuantError } from '../errors.js';
import { loadOptional } from './optional-dependency.js';
import {
  assertRunIsNew,
  assertValidRunId,
  confinementRoot,
  defaultRunId,
  resolveNow,
} from '../artifacts/index.js';
import {
  atomicSleeves,
  formatJsonPath,
  leafJsonPath,
  parseJsonWithLocations,
  readManifest,
  resolveMetaTree,
  resolveRiskProfiles,
  unknownSleeveProfile,
  type Manifest,
  type MetaNode,
} from '../manifest/index.js';
import { createLocalExecutor } from '../exec/local-executor.js';
import {
  DEFAULT_QUEUE_NAME,
  DEFAULT_REDIS_URL,
  assertQueueName,
  assertRedisUrl,
} from '../exec/redis-connection.js';
import { formatJobFailure, type JobEvent, type JobExecutor, type JobFailure } from '../exec/job.js';
import { sleeveProgressReporter } from './_sleeve-progress.js';
import {
  SLEEVE_JOB_NAME,
  SLEEVE_JOB_RUNNER,
  sleeveJobSettings,
  type SleeveJobResult,
} from './sleeve-job-spec.js';
import { reserveSleeveRuns, type PlannedSleeve } from './sleeve-reservation.js';
import { checkSleeveJobResult } from './sleeve-job-result.js';
import { pinnedClock, sleeveKey, type SleeveKey } from './sleeve-key.js';
import { findReusableSleeveRun, freeSleeveRunId, lockSleeveKeys, mayReuseSleeveRun } from './sleeve-reuse.js';
import type { Env } from '../util/env.js';

export { DEFAULT_QUEUE_NAME, DEFAULT_REDIS_URL } from '../exec/redis-connection.js';

export const SLEEVE_EXECUTORS = ['local', 'bullmq'] as const;
/** The least `redisTimeoutMs` (`--redis-timeout 0.5`). */
const MIN_REDIS_TIMEOUT_MS = 500;
export type SleeveExecutorKind = (typeof SLEEVE_EXECUTORS)[number];

/** How `--execute-sleeves` runs the sleeves. */
export interface ExecuteSleevesOptions {
  /** `local` (default): child processes on this machine; `bullmq`: jobs on a Redis queue. */
  readonly executor?: SleeveExecutorKind;
  /** `local`: processes at once (default: available parallelism). `bullmq`: set on `quant worker`. */
  readonly concurrency?: number;
  /** `bullmq`: Redis URL (default `redis://127.0.0.1:6379`). */
  readonly redis?: string;
  /** `bullmq`: queue name (default `quant-sleeves`); the workers must consume the same one. */
  readonly queue?: string;
  /** `bullmq`: fail with E_QUEUE when Redis does not answer for this many milliseconds mid-run (≥ 500, default 10 000). */
  readonly redisTimeoutMs?: number;
  /** Give up on sleeves not finished after this many milliseconds (default: wait as long as it takes). */
  readonly timeoutMs?: number;
  /** Abort (SIGINT/SIGTERM): unfinished sleeves fail as E_INTERRUPTED. */
  readonly signal?: AbortSignal;
  /**
   * Produce every sleeve even when a successful run with the same content key exists
   * (`--rebuild-sleeves`). A new run never overwrites an existing one: it gets the next free run id.
   */
  readonly rebuild?: boolean;
  /**
   * Notices a job sends while it goes on (e.g. it waits for a lock another process holds), as
   * `sleeve <profile>: <message>` lines; the CLI prints them on stderr, TTY or not.
   */
  readonly onNotice?: (line: string) => void;
}

/** The sleeves produced for a meta run. */
export interface ProducedSleeves {
  /** profile → run id, for `sleeve_runs`. */
  readonly pins: Readonly<Record<string, string>>;
  readonly results: readonly SleeveJobResult[];
  readonly executor: SleeveExecutorKind;
  readonly elapsedMs: number;
}

/** Where a manifest is, for errors at its entries: its path and the line of a JSON path in its text. */
interface ManifestWhere {
  readonly file?: string;
  readonly lineOf?: (path: (string | number)[]) => { readonly line: number };
}

/**
 * One job per atomic sleeve profile of the tree that has no pinned run id (neither in the manifest nor
 * in `pinned`), in tree order, each profile once however often it appears. A profile that is not a
 * sleeve profile of the manifest cannot be produced: `E_MANIFEST` before any work, at the JSON path
 * (and line, given `lineOf`) of each such entry, with the closest sleeve profiles of the manifest.
 */
export function planSleeveJobs(
  root: MetaNode,
  manifest: Manifest,
  options: {
    readonly now: Date;
    readonly pinned?: Readonly<Record<string, string>>;
  } & ManifestWhere,
): PlannedSleeve[] {
  const seconds = Math.floor(options.now.getTime() / 1000);
  const clock = new Date(seconds * 1000);
  const jobs: PlannedSleeve[] = [];
  const unknown: { path: string; line?: number; message: string }[] = [];
  const seen = new Set<string>();
  for (const leaf of atomicSleeves(root)) {
    if (leaf.runId !== undefined || options.pinned?.[leaf.profile] !== undefined) continue;
    const problem = unknownSleeveProfile(manifest, leaf.profile);
    if (problem !== undefined) {
      const at = [...leafJsonPath(leaf)];
      const line = options.lineOf?.(at).line;
      unknown.push({
        path: formatJsonPath(at),
        ...(line === undefined ? {} : { line }),
        message: `sleeve ${leaf.path.join('/')}: ${problem}`,
      });
      continue;
    }
    if (seen.has(leaf.profile)) continue;
    seen.add(leaf.profile);
    jobs.push({
      profile: leaf.profile,
      run_id: defaultRunId(leaf.profile, clock),
      source_date_epoch: seconds,
    });
  }
  if (unknown.length > 0) throw unknownProfiles(unknown, options.file ?? 'manifest.json');
  return jobs;
}

/**
 * Sleeve entries `--execute-sleeves` cannot produce, their profile not being a sleeve profile of the
 * manifest: one `E_MANIFEST` at the first, every one listed.
 */
function unknownProfiles(
  unknown: readonly { path: string; line?: number; message: string }[],
  file: string,
): QuantError {
  const first = unknown[0] as (typeof unknown)[number];
  return new QuantError(
    'E_MANIFEST',
    `${unknown.map((u) => (u === first ? u.message : `${u.path}: ${u.message}`)).join('; ')}, so --execute-sleeves cannot produce ${unknown.length === 1 ? 'it' : 'them'}`,
    {
      location: {
        file,
        jsonPath: first.path,
        ...(first.line === undefined ? {} : { line: first.line }),
      },
      hint: 'fix the profile name, declare the profile with a "sleeve" object, or pin a run_id',
      details: { problems: unknown.map((u) => ({ ...u })) },
    },
  );
}

/** The one error of a failed sleeve production, every failed sleeve listed. */
function sleeveFailure(
  failures: readonly { profile: string; run_id?: string; error: JobFailure }[],
): QuantError {
  return new QuantError(
    'E_SLEEVE_FAILED',
    `Sleeve production failed for: ${failures.map((f) => `${f.profile} (${formatJobFailure(f.error)})`).join('; ')}`,
    {
      hint: 'fix what failed and rerun; the sleeve runs that succeeded are kept',
      details: {
        failures: failures.map((f) => ({ profile: f.profile, run_id: f.run_id ?? null, ...f.error })),
      },
    },
  );
}

/**
 * `E_INTERRUPTED` once `signal` is aborted (`details.signal`: its reason when a string): no sleeve starts
 * after that, and sleeves it stopped mid-run are named with what became of them.
 */
function assertSleevesNotStopped(
  signal: AbortSignal | undefined,
  unfinished: readonly { profile: string; run_id?: string; error: JobFailure }[] = [],
): void {
  if (signal?.aborted !== true) return;
  const reason = typeof signal.reason === 'string' ? signal.reason : 'stop';
  const which =
    unfinished.length === 0
      ? 'stopped before the sleeves were produced'
      : `sleeve production stopped: ${unfinished.map((f) => `${f.profile} (${formatJobFailure(f.error)})`).join('; ')}`;
  throw new QuantError('E_INTERRUPTED', `${reason}: ${which}`, {
    hint: 'run the command again: the sleeve runs that succeeded are kept and reused',
    details: {
      stopped: true,
      signal: reason,
      failures: unfinished.map((f) => ({ profile: f.profile, run_id: f.run_id ?? null, ...f.error })),
    },
  });
}

/** Check the executor options before any work (E_USAGE). */
function assertExecuteSleevesOptions(options: ExecuteSleevesOptions): void {
  const kind = options.executor ?? 'local';
  if (!SLEEVE_EXECUTORS.includes(kind)) {
    throw new QuantError('E_USAGE', `unknown executor "${String(kind)}"`, {
      hint: `use one of ${SLEEVE_EXECUTORS.join(', ')}`,
    });
  }
  const n = options.concurrency;
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new QuantError('E_USAGE', `concurrency must be a whole number ≥ 1, got ${n}`);
  }
  const t = options.redisTimeoutMs;
  if (t !== undefined && (!Number.isFinite(t) || t < MIN_REDIS_TIMEOUT_MS)) {
    throw new QuantError(
      'E_USAGE',
      `the Redis timeout must be at least ${MIN_REDIS_TIMEOUT_MS} milliseconds, got ${t}`,
      { hint: 'Redis is asked every quarter of the timeout: a shorter one reports a healthy Redis as lost' },
    );
  }
  if (kind === 'bullmq' && confinementRoot() !== undefined) {
    throw new QuantError(
      'E_USAGE',
      'a confined meta run executes sleeves with the local executor only, not on a queue',
      {
        hint: "the queue's workers are not confined to this workspace: use --executor local, or produce the sleeve runs first",
      },
    );
  }
  if (kind === 'bullmq') {
    assertRedisUrl(options.redis ?? DEFAULT_REDIS_URL);
    assertQueueName(options.queue ?? DEFAULT_QUEUE_NAME);
  }
}

/**
 * The variables of the coordinator's `env` a sleeve job's process reads from its own environment: the
 * ledger key it signs with. (The job carries its clock; the settings carry the workspace.)
 */
const CHILD_ENV_VARIABLES = ['QUANT_LEDGER_KEY'] as const;

/**
 * The variables of `env` (an SDK caller's option, or `process.env`) the local executor's children get on
 * top of the environment they inherit, so that a key given only in the SDK's `env` signs their runs.
 */
function childEnvOverrides(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CHILD_ENV_VARIABLES) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

async function createExecutor(
  options: ExecuteSleevesOptions,
  where: { readonly workspace: string; readonly manifestPath: string; readonly env: Env },
): Promise<JobExecutor> {
  if ((options.executor ?? 'local') === 'local') {
    return createLocalExecutor({
      runner: SLEEVE_JOB_RUNNER,
      env: childEnvOverrides(where.env),
      // The child processes serve the coordinator's own workspace, as a `quant worker` serves its own,
      // and are confined to it when the coordinator is (the confinement does not cross processes alone).
      settings: sleeveJobSettings({
        workspace: where.workspace,
        manifest: where.manifestPath,
        confine: confinementRoot() !== undefined,
      }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    });
  }
  // Loaded only when used: BullMQ and ioredis are not needed for local runs.
  const { createQueueExecutor } = await loadOptional('queue', () => import('../exec/queue-executor.js'));
  return createQueueExecutor({
    redisUrl: options.redis ?? DEFAULT_REDIS_URL,
    queueName: options.queue ?? DEFAULT_QUEUE_NAME,
    jobName: SLEEVE_JOB_NAME,
    ...(options.redisTimeoutMs === undefined ? {} : { lostTimeoutMs: options.redisTimeoutMs }),
  });
}

/**
 * Reserve the planned sleeve runs in `where.workspace`, run their jobs and return the pins;
 * E_SLEEVE_FAILED (every failed sleeve listed) if any fails or cannot be reserved. `onProgress` gets
 * human progress lines (pass it only on a TTY). Reservations left when the batch ends are withdrawn.
 */
async function produceSleeves(
  planned: readonly PlannedSleeve[],
  where: { readonly workspace: string; readonly manifestPath: string; readonly env: Env },
  options: ExecuteSleevesOptions = {},
  onProgress?: (line: string) => void,
): Promise<ProducedSleeves> {
  assertExecuteSleevesOptions(options);
  const kind = options.executor ?? 'local';
  const started = performance.now();
  if (planned.length === 0) return { pins: {}, results: [], executor: kind, elapsedMs: 0 };
  const executor = await createExecutor(options, where);
  const reserved = await reserveSleeveRuns(where.workspace, where.manifestPath, planned);
  if (!reserved.ok) throw sleeveFailure(reserved.failures);
  const jobs = reserved.reservations.jobs;
  let outcomes;
  try {
    outcomes = await executor.run<unknown>(jobs, {
      onEvent: batchEvents(planned, onProgress, options.onNotice),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  } finally {
    await reserved.reservations.release();
  }
  const failures: { profile: string; run_id: string; error: JobFailure }[] = [];
  const results: SleeveJobResult[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const job = planned[i] as PlannedSleeve;
    // A result is untrusted like a job: only the planned run, finished and audited, becomes a pin.
    const checked = outcome.ok
      ? await checkSleeveJobResult(outcome.value, job, { workspace: where.workspace, env: where.env })
      : outcome;
    if (checked.ok) results.push(checked.value);
    else failures.push({ profile: job.profile, run_id: job.run_id, error: checked.error });
  }
  // Stopped by the signal: an interruption, not a failure of the sleeves.
  if (failures.length > 0) assertSleevesNotStopped(options.signal, failures);
  if (failures.length > 0) throw sleeveFailure(failures);
  return {
    pins: Object.fromEntries(results.map((r) => [r.profile, r.run_id])),
    results,
    executor: kind,
    elapsedMs: performance.now() - started,
  };
}

/** Progress lines (when asked for) and notices (always, when asked for) from a batch's events. */
function batchEvents(
  planned: readonly PlannedSleeve[],
  onProgress: ((line: string) => void) | undefined,
  onNotice: ((line: string) => void) | undefined,
): (event: JobEvent) => void {
  const progress = onProgress === undefined ? undefined : sleeveProgressReporter(planned, onProgress);
  return (event) => {
    if (event.type === 'notice') {
      onNotice?.(`sleeve ${planned[event.index]?.profile ?? '?'}: ${event.message}`);
      return;
    }
    progress?.(event);
  };
}

/**
 * Plan the sleeves of a resolved tree (see {@link planSleeveJobs}), reuse those whose content key
 * (sleeve-key.ts) a successful, audited run already has (unless `options.rebuild`), and produce the
 * others (see {@link produceSleeves}) under new run ids. The keys are locked from the search until the
 * productions end, so that a concurrent meta run with the same sleeve waits, then reuses. `now` is the
 * coordinator's clock (`SOURCE_DATE_EPOCH` when set); `env` gives the pinned clock and the ledger key.
 */
export async function produceTreeSleeves(
  root: MetaNode,
  manifest: Manifest,
  where: {
    readonly workspace: string;
    readonly manifestPath: string;
    readonly now: Date;
    readonly env?: Env;
    readonly pinned?: Readonly<Record<string, string>>;
    /** The line of a JSON path in the manifest's text, for errors at its entries. */
    readonly lineOf?: ManifestWhere['lineOf'];
  },
  options: ExecuteSleevesOptions = {},
  onProgress?: (line: string) => void,
): Promise<ProducedSleeves> {
  assertExecuteSleevesOptions(options);
  assertSleevesNotStopped(options.signal);
  const planned = planSleeveJobs(root, manifest, {
    now: where.now,
    file: where.manifestPath,
    ...(where.lineOf === undefined ? {} : { lineOf: where.lineOf }),
    ...(where.pinned === undefined ? {} : { pinned: where.pinned }),
  });
  const started = performance.now();
  const env = where.env ?? process.env;
  const clock = pinnedClock(env);
  const keys = new Map<string, SleeveKey>();
  for (const p of planned) {
    const key = await sleeveKey(where.workspace, where.manifestPath, manifest, p.profile, clock);
    if (key !== undefined) keys.set(p.profile, key);
  }
  // Redis must answer before the key locks and run reservations are written: an unreachable queue then
  // leaves a fresh workspace without runs/ or .quant/. Not asked when every sleeve looks reusable (no
  // job would be sent); should one of them fail its audit under the lock, Redis is asked then.
  let redisAnswered = false;
  const assertRedis = async (): Promise<void> => {
    if (options.executor !== 'bullmq' || redisAnswered) return;
    const { assertRedisAnswers } = await loadOptional('queue', () => import('../exec/queue-executor.js'));
    await assertRedisAnswers(options.redis ?? DEFAULT_REDIS_URL, options.queue ?? DEFAULT_QUEUE_NAME);
    redisAnswered = true;
  };
  if (options.executor === 'bullmq' && !(await allLookReusable(where.workspace, planned, keys, options))) {
    await assertRedis();
  }
  const locks = await lockSleeveKeys(where.workspace, new Map([...keys].map(([p, k]) => [p, k.key])), {
    ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    const reused = new Map<string, SleeveJobResult>();
    const toProduce: PlannedSleeve[] = [];
    for (const p of planned) {
      const key = keys.get(p.profile);
      const runId =
        key === undefined || options.rebuild === true
          ? undefined
          : await findReusableSleeveRun(where.workspace, p.profile, key.key, {
              env,
              ...(options.onNotice === undefined ? {} : { onWarning: options.onNotice }),
            });
      if (runId !== undefined && key !== undefined) {
        reused.set(p.profile, {
          profile: p.profile,
          run_id: runId,
          status: 'reused',
          summary: `${p.profile}: reused run ${runId} (same sleeve key ${key.key.slice(0, 12)}…)`,
          sleeve_key: key.key,
        });
        continue;
      }
      toProduce.push({
        ...p,
        run_id: await freeSleeveRunId(where.workspace, p.profile, new Date(p.source_date_epoch * 1000)),
        ...(key === undefined ? {} : { sleeve_key: key.key }),
      });
    }
    if (toProduce.length > 0) await assertRedis();
    // A stop asked for while the keys were locked and searched: no reservation, no job.
    if (toProduce.length > 0) assertSleevesNotStopped(options.signal);
    const produced = await produceSleeves(
      toProduce,
      { workspace: where.workspace, manifestPath: where.manifestPath, env },
      options,
      onProgress,
    );
    const byProfile = new Map(produced.results.map((r) => [r.profile, r]));
    const results = planned.map((p): SleeveJobResult => {
      const result = (reused.get(p.profile) ?? byProfile.get(p.profile)) as SleeveJobResult;
      const key = keys.get(p.profile)?.key;
      return key === undefined ? result : { ...result, sleeve_key: key };
    });
    return {
      pins: Object.fromEntries(results.map((r) => [r.profile, r.run_id])),
      results,
      executor: produced.executor,
      elapsedMs: performance.now() - started,
    };
  } finally {
    await locks.release();
  }
}

/** Whether every planned sleeve has a successful run with its key (nothing to produce, unless audits fail). */
async function allLookReusable(
  workspace: string,
  planned: readonly PlannedSleeve[],
  keys: ReadonlyMap<string, SleeveKey>,
  options: ExecuteSleevesOptions,
): Promise<boolean> {
  if (options.rebuild === true) return false;
  for (const p of planned) {
    const key = keys.get(p.profile);
    if (key === undefined || !(await mayReuseSleeveRun(workspace, p.profile, key.key))) return false;
  }
  return true;
}

/** Where a meta run happens, as in `MetaRunOptions`. */
export interface MetaSleevesLocation {
  readonly workspace?: string;
  readonly manifest?: string;
  readonly cwd?: string;
  readonly env?: Env;
  /** The meta run id that will follow (checked now, so that a bad or used id fails before any work). */
  readonly runId?: string;
  /** As `RunOptions.fresh` of the meta run that follows (default true: a used run id is refused). */
  readonly fresh?: boolean;
  /** `--profiles`, checked now against the tree for the same reason. */
  readonly riskProfiles?: readonly string[];
  /** Sleeve profiles already pinned (not produced). */
  readonly sleeveRuns?: Readonly<Record<string, string>>;
  readonly onProgress?: (line: string) => void;
}

/**
 * The first phase of `quant meta run --execute-sleeves` on its own: validate the manifest, the tree of
 * `metaProfile`, the risk profiles and the meta run id exactly as the meta run will, then produce the
 * unpinned sleeves. Pass the result's `pins` as `sleeveRuns` to `QuantSDK.runMeta`.
 */
export async function executeMetaSleeves(
  metaProfile: string,
  where: MetaSleevesLocation,
  options: ExecuteSleevesOptions = {},
): Promise<ProducedSleeves> {
  const cwd = resolve(where.cwd ?? process.cwd());
  const env = where.env ?? process.env;
  const workspace = resolve(cwd, where.workspace ?? env['QUANT_WORKSPACE'] ?? '.');
  const manifestPath = resolve(cwd, where.manifest ?? resolve(workspace, 'manifest.json'));
  if (where.runId !== undefined) assertValidRunId(where.runId);
  assertExecuteSleevesOptions(options);
  const { manifest, file, text } = await readManifest(manifestPath);
  const { lineOf } = parseJsonWithLocations(text, file);
  const root = resolveMetaTree(manifest, metaProfile, { file, lineOf });
  if (where.riskProfiles !== undefined) resolveRiskProfiles(root, manifest, where.riskProfiles);
  if (where.runId !== undefined && where.fresh !== false) await assertRunIsNew(workspace, where.runId);
  return produceTreeSleeves(
    root,
    manifest,
    {
      workspace,
      manifestPath,
      now: resolveNow(env),
      env,
      lineOf,
      ...(where.sleeveRuns === undefined ? {} : { pinned: where.sleeveRuns }),
    },
    options,
    where.onProgress,
  );
}
