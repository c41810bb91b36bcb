import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import type { LedgerEntry, Stage, StageContext } from '../core/stage.js';
import { QuantError, environmentError, isEnvironmentError, isQuantError } from '../errors.js';
import {
  acquireRunLock,
  assertRunAccepts,
  assertConfined,
  assertConfinedSync,
  checkOutputPath,
  assertRunIsNew,
  assertValidRunId,
  claimDefaultRunFolder,
  createOrOpenRun,
  discardEmptyRun,
  discardNewRun,
  displayPath,
  isPathInside,
  defaultRunId,
  anchorLedger,
  LEDGER_ANCHOR_MEMBER,
  LedgerKey,
  INTERRUPTED_STAGE,
  LAST_COMPLETED_STAGE,
  markRunIncomplete,
  openLedger,
  assertLedgerAnchored,
  assertRunSignable,
  readRunJsonFile,
  removeOrphanTempFiles,
  resolveNow,
  runDir,
  runPaths,
  runsDir,
  sha256Input,
  updateRunStatus,
  type Ledger,
  type RunHandle,
  FIXED_RUN_MEMBERS,
  type RunJson,
  type RunLock,
  assertNotStopped,
  isStopError,
  outsideStoppable,
} from '../artifacts/index.js';
import { TOOL_VERSION } from './version.js';
import type { Env } from '../util/env.js';

export type RunKind = 'sleeve' | 'meta' | 'stage';

export interface FileRecord {
  readonly path: string;
  readonly sha256: string;
}

export interface SessionOptions {
  readonly workspace: string;
  readonly runId?: string | undefined;
  readonly cwd: string;
  readonly manifestPath: string;
  readonly kind: RunKind;
  readonly profile: string | null;
  readonly params: unknown;
  readonly command: string;
  /** The stage only adds to a finished run of its kind (see `assertRunAccepts`). */
  readonly addsToRun?: boolean | undefined;
  readonly env: Env;
  readonly onProgress?: ((message: string) => void) | undefined;
  /** Warnings of the stages (`StageContext.warn`), as they happen. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * The run must be new: an existing run (any status) is `E_RUN_EXISTS`, never resumed or overwritten.
   * Pipelines (`quant meta run`, `quant sleeve run`) set it; a single stage may run into an existing run
   * named by `runId`. Without `runId` the run is always new (a default id is claimed, see
   * `claimDefaultRunFolder`).
   */
  readonly fresh?: boolean | undefined;
  /**
   * The run is confined to its workspace (the MCP server, SDK option `confine`): outputs go only into the
   * run folder or `exports/`, and paths resolved for the stage must stay inside the workspace.
   */
  readonly confine?: boolean | undefined;
}

/**
 * How a session ends: `discardIfEmpty` removes a new run that produced nothing (see `discardEmptyRun`);
 * `error` is why it failed: a failure of the machine (`isEnvironmentError`) on a file of the run removes a
 * new run whatever it wrote (see `discardNewRun`), so that a full disk or an unwritable folder never
 * blocks the run id.
 */
export interface CloseOptions {
  readonly discardIfEmpty?: boolean;
  readonly error?: unknown;
  /**
   * A failure marks an existing run `failed` even when it wrote nothing (the meta run's `trades` block:
   * the run as asked for did not complete). Otherwise such a run keeps its status (see `sessionCloser`).
   */
  readonly failExisting?: boolean;
  /**
   * A success leaves an existing run's status as it was (`meta.trades` into a finished meta run: a trade
   * list added by hand does not turn a failed run into a successful one). A new run gets `success`.
   */
  readonly keepStatus?: boolean;
}

/** An open run: its folder, lock and ledger, for the duration of one stage or pipeline. */
export interface RunSession {
  readonly runId: string;
  readonly runDir: string;
  readonly workspace: string;
  readonly now: Date;
  readonly ledger: Ledger;
  readonly handle: RunHandle;
  readonly deterministic: boolean;
  /** Outputs the stages of this session recorded so far (`StageContext.recordOutput`). */
  readonly written: { outputs: number };
  close(
    status: 'success' | 'failed',
    extra?: Record<string, unknown>,
    closeOptions?: CloseOptions,
  ): Promise<void>;
  options: SessionOptions;
}

/**
 * What an earlier process left in the run folder: a run found `running` under the lock was interrupted
 * (its process died) and is marked incomplete — returned is what the ledger should record about it; a
 * new run's orphan temp files (a writer that died before run.json existed) are cleared.
 */
async function recoverPreviousRun(
  paths: ReturnType<typeof runPaths>,
  runId: string,
  key: LedgerKey | undefined,
): Promise<Record<string, unknown> | undefined> {
  let previous = await readRunJsonFile(paths.runJson, runId);
  let interrupted: Record<string, unknown> | undefined;
  if (previous?.status === 'running') {
    previous = await markRunIncomplete(paths, key);
    interrupted = {
      interrupted_stage: previous[INTERRUPTED_STAGE] ?? null,
      last_completed_stage: previous[LAST_COMPLETED_STAGE] ?? null,
    };
  }
  // A new run: temp files left by a writer that died before run.json existed are ours to clear.
  if (previous === undefined) await removeOrphanTempFiles(paths.path);
  return interrupted;
}

/** The pieces of an open run its `close` needs. */
interface OpenRun {
  readonly runId: string;
  readonly handle: RunHandle;
  readonly ledger: Ledger;
  readonly lock: RunLock;
  readonly key: LedgerKey | undefined;
  /** An existing run's run.json as the session found it (after recovery); undefined for a new run. */
  readonly before: RunJson | undefined;
  readonly written: { outputs: number };
  /** Remove the run and runs/ folders this session created, if empty. */
  readonly removeCreatedFolders: () => Promise<void>;
}

/**
 * `RunSession.close`: the final status and the ledger anchor into run.json, or — for a failed new run
 * the machine broke or that produced nothing — the run discarded; the lock is released in any case. An
 * existing run that a stage failed on a coded error before writing anything keeps its status and members
 * (a user's mistake in `quant trades` must not turn a finished meta run into a failed one); the attempt
 * stays in its ledger, to which run.json is anchored again.
 */
function sessionCloser({
  runId,
  handle,
  ledger,
  lock,
  key,
  before,
  written,
  removeCreatedFolders,
}: OpenRun): RunSession['close'] {
  return async (status, extra, closeOptions) => {
    let discarded = false;
    try {
      const error = closeOptions?.error;
      const keep = before !== undefined && closeOptions?.failExisting !== true && keepsStatus(error, written);
      if (status === 'failed' && isStopError(error)) {
        // Stopped (SIGINT, SIGTERM): closed as a run whose process died is, where its ledger stops.
        await markRunIncomplete(handle, key);
      } else if (status === 'failed' && keep) {
        const kept = Object.fromEntries(
          Object.entries(before).filter(([k]) => !FIXED_RUN_MEMBERS.has(k) && k !== LEDGER_ANCHOR_MEMBER),
        );
        await updateRunStatus(handle, before.status, {
          ...kept,
          [LEDGER_ANCHOR_MEMBER]: anchorLedger(runId, ledger.records, key),
        });
      } else if (status === 'failed' && handle.created && machineFailed(error, handle.path)) {
        await discardNewRun(handle);
        discarded = true;
      } else {
        discarded =
          status === 'failed' &&
          handle.created &&
          closeOptions?.discardIfEmpty === true &&
          (await discardEmptyRun(handle));
        const final =
          status === 'success' && before !== undefined && closeOptions?.keepStatus === true
            ? before.status
            : status;
        if (!discarded)
          await updateRunStatus(handle, final, {
            ...extra,
            // Under the lock, with the final status: where the ledger ends (see ledger-anchor.ts).
            [LEDGER_ANCHOR_MEMBER]: anchorLedger(runId, ledger.records, key),
          });
      }
    } finally {
      await lock.release();
    }
    // Only empty folders go; another process may have started a run of this id meanwhile.
    if (discarded) await removeCreatedFolders();
  };
}

/**
 * Validate the run id, create or open the run folder, take its lock and open its ledger. A run found
 * `running` under the lock was interrupted (its process died): it is marked incomplete, and a stage run
 * into it records that in the ledger. An existing ledger is verified before run.json is touched, so a
 * broken chain (`E_AUDIT_BROKEN`) leaves the run as it was.
 */
export async function openRunSession(options: SessionOptions): Promise<RunSession> {
  // Stopped before the run exists (or, for an existing run, before it is touched): nothing to close.
  assertNotStopped(options.runId === undefined ? 'the run was opened' : `run ${options.runId} was opened`);
  const now = resolveNow(options.env);
  // An unusable key is refused before anything is written; the key itself never leaves this closure.
  const key = LedgerKey.fromEnv(options.env);
  const workspace = resolve(options.workspace);
  const explicit = options.runId !== undefined;
  const profile = options.profile ?? options.command;
  const proposed = options.runId ?? defaultRunId(profile, now);
  assertValidRunId(proposed);
  // In a confined call, a runs/ folder or run folder that is a symlink out is never opened.
  await assertConfined(runDir(workspace, proposed), 'write');
  // What existed before: a run that ends up discarded takes what it created with it (runs/ included).
  const runsExisted = existsSync(runsDir(workspace));
  // Without a run id, a new folder is claimed (exclusive mkdir): never an existing run, never another
  // caller's, however many runs of the profile start in the same second.
  const runId = explicit
    ? proposed
    : await claimDefaultRunFolder(workspace, profile, now).catch(async (error: unknown) => {
        if (!runsExisted) await rmdir(runsDir(workspace)).catch(() => undefined);
        throw error;
      });
  const folderExisted = explicit && existsSync(runDir(workspace, runId));
  const removeCreatedFolders = async (): Promise<void> => {
    if (!folderExisted) await rmdir(runDir(workspace, runId)).catch(() => undefined);
    if (!runsExisted) await rmdir(runsDir(workspace)).catch(() => undefined);
  };
  // Lock first: a second process must not touch run.json of a run another process holds.
  let lock: RunLock;
  try {
    lock = await acquireRunLock(runDir(workspace, runId), { command: options.command });
  } catch (error) {
    await removeCreatedFolders();
    throw error;
  }
  let created = false;
  try {
    const paths = runPaths(workspace, runId);
    if (options.fresh === true || !explicit)
      await assertRunIsNew(workspace, runId, { locked: true, ...(key === undefined ? {} : { key }) });
    // A stage of another kind or sleeve profile is refused before anything of the run is touched.
    const found = await readRunJsonFile(paths.runJson, runId);
    if (found !== undefined) assertRunAccepts(found, options);
    // A signed run is added to only with its key (before an interrupted run is settled and re-anchored);
    // a finished run that was also tampered with is named as tampered first.
    if (found !== undefined) {
      try {
        assertRunSignable(found, runId, key);
      } catch (error) {
        if (found.status !== 'running') await assertLedgerAnchored(workspace, runId, key);
        throw error;
      }
    }
    const interrupted = await recoverPreviousRun(paths, runId, key);
    const before = await readRunJsonFile(paths.runJson, runId);
    // The chain, and its anchor when run.json has one: a tampered run is refused, never re-anchored.
    await assertLedgerAnchored(workspace, runId, key);
    // A stage run into an existing run (e.g. meta.flatten of a nested meta profile) keeps the run's
    // own profile: the run's identity is set by whoever created it.
    const exists = existsSync(join(runDir(workspace, runId), 'run.json'));
    const handle = await createOrOpenRun({
      workspace,
      runId,
      kind: options.kind,
      profile: exists ? null : options.profile,
      params: options.params,
      toolVersion: TOOL_VERSION,
      now,
    });
    created = handle.created;
    const ledger = await openLedger(resolve(handle.path, 'audit.jsonl'), { now });
    if (interrupted !== undefined) {
      await ledger.append({
        type: 'decision',
        step: 'run.interrupted',
        status: 'recorded',
        context: { run_id: runId },
        data: interrupted,
      });
    }
    await updateRunStatus(handle, 'running');
    const written = { outputs: 0 };
    return {
      runId,
      runDir: handle.path,
      workspace,
      now,
      ledger,
      handle,
      deterministic:
        options.env['SOURCE_DATE_EPOCH'] !== undefined && options.env['SOURCE_DATE_EPOCH'] !== '',
      written,
      options,
      close: sessionCloser({ runId, handle, ledger, lock, key, before, written, removeCreatedFolders }),
    };
  } catch (error) {
    // Opening failed (a full disk, a refused write, a broken ledger...): a run this call created goes
    // again, so that nothing blocks its id; an existing run stays as it was.
    const coded = environmentError(error) ?? error;
    if (!folderExisted || created) await discardNewRun(runPaths(workspace, runId)).catch(() => undefined);
    await lock.release();
    if (!folderExisted || created) await removeCreatedFolders();
    throw isStopError(coded) ? stoppedWhileOpening(coded, runId, !folderExisted || created) : coded;
  }
}

/** A stop (SIGINT, SIGTERM) that came while the run was being opened: the run is as before, or gone. */
function stoppedWhileOpening(stop: QuantError, runId: string, removed: boolean): QuantError {
  const signal = String(stop.details['signal']);
  const outcome = removed ? 'the new run was removed' : `run ${runId} was not changed`;
  return new QuantError('E_INTERRUPTED', `${signal}: stopped while opening run ${runId}; ${outcome}`, {
    hint: 'run the command again',
    details: { ...stop.details, run_id: runId },
    cause: stop,
  });
}

/**
 * Whether a failure leaves an existing run as it was: a coded error that is not the machine's, before
 * any stage of the session recorded an output.
 */
function keepsStatus(error: unknown, written: { readonly outputs: number }): boolean {
  return isQuantError(error) && !isEnvironmentError(error) && written.outputs === 0;
}

/**
 * Whether the machine failed the run itself: an environment error (full disk, read-only or unwritable
 * file system) on a path inside the run folder. A failure elsewhere (an output outside the run, the
 * cache) leaves the run to the usual rules.
 */
function machineFailed(error: unknown, runPath: string): boolean {
  const file = isEnvironmentError(error) ? error.location?.file : undefined;
  return file !== undefined && isPathInside(runPath, resolve(file));
}

async function hashFiles(workspace: string, paths: readonly string[]): Promise<FileRecord[]> {
  const unique = [...new Set(paths)];
  const out: FileRecord[] = [];
  for (const p of unique) {
    try {
      out.push({ path: displayPath(workspace, p), sha256: await sha256Input(p) });
    } catch {
      out.push({ path: displayPath(workspace, p), sha256: 'missing' });
    }
  }
  return out;
}

export interface StageExecution {
  readonly value: unknown;
  readonly summary: string;
  /** The stage's warnings, each `<stage id>: <message>`. */
  readonly warnings: string[];
  readonly inputs: FileRecord[];
  readonly outputs: FileRecord[];
}

/** Files a stage read and wrote and the warnings it gave, as its context records them. */
interface StageRecords {
  readonly inputs: string[];
  readonly outputs: string[];
  readonly warnings: string[];
}

/** The context of one stage in a session: paths resolved (and confined), files and decisions recorded. */
function stageContext(session: RunSession, stage: Stage, records: StageRecords): StageContext {
  const { inputs, outputs, warnings } = records;
  const cwd = session.options.cwd;
  return {
    runId: session.runId,
    runDir: session.runDir,
    workspace: session.workspace,
    cwd,
    manifestPath: session.options.manifestPath,
    now: session.now,
    toolVersion: TOOL_VERSION,
    resolvePath: (p) => {
      const abs = resolve(cwd, p);
      assertConfinedSync(abs, 'open');
      return abs;
    },
    resolveOutput: async (p) => {
      const abs = await checkOutputPath(p, resolve(cwd, p), {
        workspace: session.workspace,
        runDir: session.runDir,
        manifest: session.options.manifestPath,
        confined: session.options.confine === true,
      });
      await assertConfined(abs, 'write');
      return abs;
    },
    recordInput: (p) => void inputs.push(resolve(cwd, p)),
    recordOutput: (p) => {
      outputs.push(resolve(cwd, p));
      session.written.outputs += 1;
    },
    decision: async (step, data, context) => {
      await session.ledger.append({
        type: 'decision',
        step,
        status: 'recorded',
        context: context ?? { stage: stage.id },
        data,
      });
    },
    record: async (entries: readonly LedgerEntry[]) => {
      await session.ledger.appendMany(entries.map((e) => ({ ...e })));
    },
    progress: (message) => session.options.onProgress?.(`${stage.id}: ${message}`),
    warn: (message) => {
      const line = `${stage.id}: ${message}`;
      warnings.push(line);
      session.options.onWarning?.(line);
    },
  };
}

/**
 * Run one validated stage inside an open session: intent record, run, outcome record with the hashes
 * of every file read and written. Durations are recorded only when `SOURCE_DATE_EPOCH` is unset, so
 * that reproducible runs produce byte-identical ledgers.
 */
export async function executeStage(
  session: RunSession,
  stage: Stage,
  params: unknown,
): Promise<StageExecution> {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const warnings: string[] = [];
  const ctx = stageContext(session, stage, { inputs, outputs, warnings });
  assertNotStopped(`stage ${stage.id}`);
  await session.ledger.append({
    type: 'intent',
    step: stage.id,
    status: 'started',
    context: { stage: stage.id, run_id: session.runId },
    data: { params: params as Record<string, unknown> },
  });
  const started = performance.now();
  const timing = (): Record<string, unknown> =>
    session.deterministic
      ? {}
      : { duration_ms: Math.round((performance.now() - started) * 1000) / 1000, host: hostname() };
  try {
    const result = await stage.run(params, ctx);
    const execution: StageExecution = {
      value: result.value,
      summary: result.summary,
      warnings,
      inputs: await hashFiles(session.workspace, inputs),
      outputs: await hashFiles(session.workspace, outputs),
    };
    // The runner's record of a stage that finished, kept even when a stop was asked for meanwhile.
    await outsideStoppable(() =>
      session.ledger.append({
        type: 'outcome',
        step: stage.id,
        status: 'success',
        context: { stage: stage.id, run_id: session.runId },
        data: {
          summary: result.summary,
          inputs: execution.inputs,
          outputs: execution.outputs,
          // Kept with the outcome so that later stages (meta.report) and readers of the ledger see them.
          ...(warnings.length === 0 ? {} : { warnings: [...warnings] }),
          ...timing(),
        },
      }),
    );
    return execution;
  } catch (thrown) {
    // A failed system call inside a stage is the machine's failure, coded like any other.
    const error = environmentError(thrown) ?? thrown;
    // Stopped: no outcome, the stage stays open in the ledger, as when its process dies.
    if (isStopError(error)) throw error;
    const described = isQuantError(error)
      ? { code: error.code, message: error.message }
      : { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error) };
    try {
      const data = {
        error: described,
        inputs: await hashFiles(session.workspace, inputs),
        outputs: await hashFiles(session.workspace, outputs),
        ...timing(),
      };
      await outsideStoppable(() =>
        session.ledger.append({
          type: 'outcome',
          step: stage.id,
          status: 'error',
          context: { stage: stage.id, run_id: session.runId },
          data,
        }),
      );
    } catch (ledgerError) {
      // The ledger cannot take the outcome (the disk is full, the folder went read-only): the stage's
      // own failure is still the cause to report, unless it was not coded and this one is.
      if (!isQuantError(error) && environmentError(ledgerError) !== undefined)
        throw environmentError(ledgerError);
    }
    throw error;
  }
}

export function profileOf(params: unknown): string | null {
  if (typeof params !== 'object' || params === null) return null;
  const p = params as Record<string, unknown>;
  for (const key of ['meta_profile', 'profile']) {
    if (typeof p[key] === 'string') return p[key];
  }
  return null;
}

export function kindOf(stage: Stage): RunKind {
  return stage.category === 'meta' ? 'meta' : stage.category === 'sleeve' ? 'sleeve' : 'stage';
}
