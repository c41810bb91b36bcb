import { resolve } from 'node:path';
import { type Issue, QuantError, environmentError, isQuantError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { Registry, StageFilter } from '../core/registry.js';
import type { Stage } from '../core/stage.js';
import { resolveStageParams, stageParamKeys, stageParamsJsonSchema } from '../core/params.js';
import { StageRegistry, type BuiltinStageId, type BuiltinStageValues } from '../stages/index.js';
import {
  assertConfined,
  checkOutputPath,
  confinementRoot,
  describeInterruption,
  INTERRUPTED_STAGE,
  isStopError,
  LAST_COMPLETED_STAGE,
  outsideStoppable,
  readRunJsonFile,
  runConfined,
  runDir,
  whileStoppable,
} from '../artifacts/index.js';
import {
  listWorkspaceRuns,
  readRun,
  runReportPath,
  verifyRunLedger,
  type LedgerVerdict,
  type ReportFormat,
  type RunJson,
  type RunListing,
} from './workspace-runs.js';
import {
  listWorkspaceArtifacts,
  readArtifactView,
  type ArtifactEntry,
  type ArtifactView,
} from './artifact-view.js';
import { checkSdkArguments } from './sdk-arguments.js';
import {
  compareRuns,
  listRunRows,
  readArtifactFile,
  readReportHtml,
  runView,
  workspaceInfo,
  type ArtifactFile,
} from './run-views.js';
import type { CompareView, RunView, RunsList, WorkspaceInfo } from './run-view-types.js';
import { describeValue } from '../util/describe-value.js';
import { runMetaPipeline, type MetaRunOptions, type MetaRunResult } from './meta-run.js';
import { verifyRunAudit, type RunAuditReport } from './run-audit.js';
import {
  safeStageResult,
  stageRunResult,
  type SafeStageResult,
  type StageRunResult,
} from './stage-result.js';
import {
  executeStage,
  kindOf,
  openRunSession,
  profileOf,
  type RunSession,
  type StageExecution,
} from './run-session.js';
import type { Env } from '../util/env.js';

export type {
  ReservedResultKey,
  SafeStageResult,
  StageFields,
  StageRunInfo,
  StageRunResult,
} from './stage-result.js';
/** What {@link QuantSDK.readRun} and {@link QuantSDK.listRuns} return, importable by name. */
export type { RunJson, RunListing };

/** Where and how a stage or pipeline runs. */
export interface RunOptions {
  /** Workspace folder (default: `QUANT_WORKSPACE` or the current folder). */
  readonly workspace?: string;
  /**
   * Run id. Default: a new run `<profile or stage>_<YYYYMMDD-HHMMSS>` (UTC, `SOURCE_DATE_EPOCH` when set),
   * `-002`, `-003`, ... appended when runs of the same profile started in that second: a call without a
   * run id never writes into an existing run.
   */
  readonly runId?: string;
  /** Manifest path (default `<workspace>/manifest.json`). */
  readonly manifest?: string;
  /** Folder against which relative paths in params resolve (default: the current folder). */
  readonly cwd?: string;
  /** Environment (for `SOURCE_DATE_EPOCH`); default `process.env`. */
  readonly env?: Env;
  /** Progress messages of long stages. */
  readonly onProgress?: (message: string) => void;
  /**
   * One-line warnings: of the stages about their input (also in {@link StageRunResult.warnings}), and of
   * the meta run about invalid manifest profiles it does not use. The CLI prints each once on stderr.
   */
  readonly onWarning?: (message: string) => void;
  /**
   * Refuse an existing `runId` with `E_RUN_EXISTS` instead of running into that run. Default: true for
   * pipelines (a pipeline never mixes its artifacts with an older run's), false for a single stage (run one
   * stage into a run on purpose). Without `runId` every run is new whatever this says.
   */
  readonly fresh?: boolean;
  /**
   * Confine the run to its workspace, as the MCP server does: every file it reads or writes — params,
   * files the manifest names, pinned runs, cache entries — must resolve inside the workspace, directly and
   * through symlinks (`E_PATH_ESCAPE`), and outputs go only into the run folder or `<workspace>/exports/`
   * (`E_OUTPUT_FORBIDDEN`). For serving params from someone else. Default false: a path the user gives is
   * the user's own.
   */
  readonly confine?: boolean;
  /**
   * Stop the run (the CLI aborts it on SIGINT / SIGTERM): once aborted, no further stage starts and no
   * further artifact write begins; writes under way finish, and the run is closed `incomplete` where it
   * stopped (as `quant runs list` closes a run whose process died), its lock released. The call then
   * rejects with `E_INTERRUPTED` (`details.signal`: the abort reason when it is a string).
   */
  readonly signal?: AbortSignal;
}

/** Where a workspace query looks: {@link RunOptions.workspace}, `cwd`, `env` and `confine`. */
export type WorkspaceOptions = Pick<RunOptions, 'workspace' | 'cwd' | 'env' | 'confine'>;

/** Where {@link QuantSDK.verifyAudit} looks, and how strict it is. */
export interface AuditOptions extends WorkspaceOptions {
  /** Also fail a run whose ledger is not anchored and, when the key is set, one that is unsigned. */
  readonly strict?: boolean;
}

export interface PipelineRunResult {
  readonly pipeline: string;
  readonly runId: string;
  readonly runDir: string;
  readonly stages: readonly StageRunResult[];
}

/** A result or a coded failure: `{ ok: true, value }` or `{ ok: false, error }`. */
export type SafeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: QuantError };

/**
 * Internal hooks of {@link QuantSDK.runPipeline} (used by the meta cache): `restore` may supply the
 * results of the first stages from a cache once the run is open; `completed` sees the session after the
 * last stage, with the index of the first ledger record this pipeline appended.
 */
export interface PipelineHooks {
  restore?(session: RunSession): Promise<StageRunResult[]>;
  completed?(session: RunSession, results: readonly StageRunResult[], ledgerStart: number): Promise<void>;
}

/**
 * Internal hooks of {@link QuantSDK.runStage} (used by sleeve jobs): `completed` sees the session after a
 * successful stage, before the run gets its final status and its ledger anchor, so that what it appends
 * is covered by the anchor.
 */
export interface StageHooks {
  completed?(session: RunSession, execution: StageExecution): Promise<void>;
  /** A coded failure marks an existing run `failed` even when the stage wrote nothing (`CloseOptions`). */
  readonly failExisting?: boolean;
}

interface ResolvedLocation {
  readonly workspace: string;
  readonly manifestPath: string;
  readonly cwd: string;
  readonly env: Env;
}

/**
 * The programmatic entry point: list, describe and run stages and pipelines of a registry.
 * `QuantSDK.runStage(...)` uses the built-in catalog; `new QuantSDK({registry})` uses another.
 */
export class QuantSDK {
  readonly registry: Registry;

  /**
   * `new QuantSDK()` runs the built-in catalog, `new QuantSDK({ registry })` another registry. Where to run
   * (`workspace`, `runId`, ...) goes with each call. Every public method checks its arguments: a wrong
   * type or an unknown option is `E_PARAMS` naming the method, the argument and what is allowed (with a
   * did-you-mean), never a `TypeError`.
   */
  constructor(options: { readonly registry?: Registry } = {}) {
    checkSdkArguments('constructor', ['constructorOptions', options, 'options']);
    this.registry = options.registry ?? StageRegistry;
  }

  static readonly #builtin = new QuantSDK();

  /**
   * Run one stage of the built-in catalog. A built-in id types the result's `value`
   * (`BuiltinStageValues`); any other id (an alias, a stage of your own) gives `unknown`, or the type
   * named as `runStage<R>(...)`.
   */
  static runStage<Id extends BuiltinStageId>(
    id: Id,
    params: unknown,
    options?: RunOptions,
  ): Promise<StageRunResult<BuiltinStageValues[Id]>>;
  static runStage<R = unknown>(id: string, params: unknown, options?: RunOptions): Promise<StageRunResult<R>>;
  static runStage(id: string, params: unknown, options: RunOptions = {}): Promise<StageRunResult> {
    return QuantSDK.#builtin.runStage(id, params, options);
  }

  /** {@link QuantSDK.runStage} that returns a coded failure as `{ok: false, error}` instead of throwing. */
  static safeRunStage<Id extends BuiltinStageId>(
    id: Id,
    params: unknown,
    options?: RunOptions,
  ): Promise<SafeStageResult<BuiltinStageValues[Id]>>;
  static safeRunStage<R = unknown>(
    id: string,
    params: unknown,
    options?: RunOptions,
  ): Promise<SafeStageResult<R>>;
  static safeRunStage(id: string, params: unknown, options: RunOptions = {}): Promise<SafeStageResult> {
    return QuantSDK.#builtin.safeRunStage(id, params, options);
  }

  static runPipeline(
    name: string,
    params: Record<string, unknown> = {},
    options: RunOptions = {},
  ): Promise<PipelineRunResult> {
    return QuantSDK.#builtin.runPipeline(name, params, options);
  }

  /** Run the meta pipeline of a meta profile (`quant meta run`). */
  static runMeta(metaProfile: string, options: MetaRunOptions = {}): Promise<MetaRunResult> {
    return QuantSDK.#builtin.runMeta(metaProfile, options);
  }

  async runMeta(metaProfile: string, options: MetaRunOptions = {}): Promise<MetaRunResult> {
    checkSdkArguments(
      'runMeta',
      ['metaProfile', metaProfile, 'metaProfile'],
      ['metaRunOptions', options, 'options'],
    );
    return runMetaPipeline(this, metaProfile, options);
  }

  static listStages(filter?: StageFilter): Stage[] {
    return QuantSDK.#builtin.listStages(filter);
  }

  listStages(filter?: StageFilter): Stage[] {
    checkSdkArguments('listStages', ['filter', filter, 'filter']);
    return this.registry.listStages(filter);
  }

  /** The stage and the JSON Schema of its params. */
  describeStage(id: string): { stage: Stage; schema: Record<string, unknown> } {
    checkSdkArguments('describeStage', ['id', id, 'id']);
    const stage = this.registry.getStage(id);
    return { stage, schema: stageParamsJsonSchema(stage) };
  }

  /**
   * The runs of a workspace (run.json of each, oldest id first; a `running` run that no live process
   * holds is settled as `incomplete`), and the folders under runs/ that are not readable runs, with why.
   */
  static async listRuns(options: WorkspaceOptions & { readonly profile?: string } = {}): Promise<RunListing> {
    checkSdkArguments('listRuns', ['listRunsOptions', options, 'options']);
    return inWorkspace(options, (workspace) =>
      listWorkspaceRuns(workspace, options.profile, options.env ?? process.env),
    );
  }

  /** run.json of one run (`E_RUN_ID`, `E_RUN_NOT_FOUND`). */
  static async readRun(runId: string, options: WorkspaceOptions = {}): Promise<RunJson> {
    checkSdkArguments('readRun', ['runId', runId, 'runId'], ['workspaceOptions', options, 'options']);
    return inWorkspace(options, (workspace) => readRun(workspace, runId));
  }

  /** Verify the hash chain of a run's audit.jsonl; the verdict names the first broken line. */
  static async verifyLedger(runId: string, options: WorkspaceOptions = {}): Promise<LedgerVerdict> {
    checkSdkArguments('verifyLedger', ['runId', runId, 'runId'], ['workspaceOptions', options, 'options']);
    return inWorkspace(options, (workspace) => verifyRunLedger(workspace, runId, isConfined(options)));
  }

  /**
   * Audit run `runId` (`quant audit verify`): the ledger's hash chain, its anchor in run.json (records
   * appended, removed or re-chained since the run finished), the anchor's HMAC when `QUANT_LEDGER_KEY` is
   * in `options.env`, and every output file the ledger records inside the run folder against its hash.
   * Read only. Problems are data: `report.ok` is false and `report.problems` lists each, coded, first one
   * first (`auditFailure` turns the first into an error). A set but unusable key is `E_AUDIT_KEY`.
   */
  static async verifyAudit(runId: string, options: AuditOptions = {}): Promise<RunAuditReport> {
    checkSdkArguments('verifyAudit', ['runId', runId, 'runId'], ['auditOptions', options, 'options']);
    const env = options.env ?? process.env;
    return inWorkspace(options, (workspace) =>
      verifyRunAudit(workspace, runId, { env, strict: options.strict === true }),
    );
  }

  /**
   * What `quant://runs/<runId>/<path>` names: JSON parsed, a Parquet table as shape and first rows, text,
   * a folder's files. `path` '' lists the run.
   */
  static async readArtifact(
    runId: string,
    path: string,
    options: WorkspaceOptions = {},
  ): Promise<ArtifactView> {
    checkSdkArguments(
      'readArtifact',
      ['runId', runId, 'runId'],
      ['path', path, 'path'],
      ['workspaceOptions', options, 'options'],
    );
    return inWorkspace(options, (workspace) => readArtifactView(workspace, runId, path));
  }

  /** The files of every run of the workspace, run by run. */
  static async listArtifacts(options: WorkspaceOptions = {}): Promise<ArtifactEntry[]> {
    checkSdkArguments('listArtifacts', ['workspaceOptions', options, 'options']);
    const env = options.env ?? process.env;
    return inWorkspace(options, (workspace) => listWorkspaceArtifacts(workspace, env));
  }

  /** Absolute path of a meta run's report (`E_ARTIFACT_MISSING` says how to write it). */
  static async reportPath(
    runId: string,
    format: ReportFormat,
    options: WorkspaceOptions = {},
  ): Promise<string> {
    checkSdkArguments(
      'reportPath',
      ['runId', runId, 'runId'],
      ['format', format, 'format'],
      ['workspaceOptions', options, 'options'],
    );
    return inWorkspace(options, (workspace) => runReportPath(workspace, runId, format));
  }

  /**
   * Every run as a table row (status, why it failed, duration, latest of its profile), oldest first. A run
   * whose process died is settled like {@link QuantSDK.listRuns} settles it, with the key of `env`.
   */
  static async listRunRows(options: WorkspaceOptions = {}): Promise<RunsList> {
    checkSdkArguments('listRunRows', ['workspaceOptions', options, 'options']);
    const env = options.env ?? process.env;
    return inWorkspace(options, (workspace) => listRunRows(workspace, env));
  }

  /** One run in full: report figures and fractal tree per risk profile, ledger, audit, artifacts. */
  static async runView(runId: string, options: WorkspaceOptions = {}): Promise<RunView> {
    checkSdkArguments('runView', ['runId', runId, 'runId'], ['workspaceOptions', options, 'options']);
    const env = options.env ?? process.env;
    return inWorkspace(options, (workspace) => runView(workspace, runId, env));
  }

  /** Runs side by side: weights diffs, metrics, in-sample curves, resolved-manifest diff. */
  static async compareRuns(runIds: readonly string[], options: WorkspaceOptions = {}): Promise<CompareView> {
    checkSdkArguments('compareRuns', ['runIds', runIds, 'runIds'], ['workspaceOptions', options, 'options']);
    const env = options.env ?? process.env;
    return inWorkspace(options, (workspace) => compareRuns(workspace, runIds, env));
  }

  /** The bytes of one file of a run, confined like {@link QuantSDK.readArtifact}, for a download. */
  static async readArtifactFile(
    runId: string,
    path: string,
    options: WorkspaceOptions = {},
  ): Promise<ArtifactFile> {
    checkSdkArguments(
      'readArtifactFile',
      ['runId', runId, 'runId'],
      ['path', path, 'path'],
      ['workspaceOptions', options, 'options'],
    );
    return inWorkspace(options, (workspace) => readArtifactFile(workspace, runId, path));
  }

  /** The bytes of a meta run's HTML report (`E_ARTIFACT_MISSING` says how to write it). */
  static async readReportHtml(runId: string, options: WorkspaceOptions = {}): Promise<ArtifactFile> {
    checkSdkArguments('readReportHtml', ['runId', runId, 'runId'], ['workspaceOptions', options, 'options']);
    return inWorkspace(options, (workspace) => readReportHtml(workspace, runId));
  }

  /** The workspace's folder name, the tool version and the manifest's meta and sleeve profiles. */
  static async workspaceInfo(
    options: WorkspaceOptions & { readonly manifest?: string } = {},
  ): Promise<WorkspaceInfo> {
    checkSdkArguments('workspaceInfo', ['infoOptions', options, 'options']);
    const { workspace, manifestPath } = resolveLocation(options);
    return withConfinement(isConfined(options), workspace, () => workspaceInfo(workspace, manifestPath));
  }

  /**
   * Validate params (all problems at once), open or create the run folder, record intent and outcome
   * in the ledger with file hashes, and return the stage's result.
   */
  runStage<Id extends BuiltinStageId>(
    id: Id,
    params: unknown,
    options?: RunOptions,
    hooks?: StageHooks,
  ): Promise<StageRunResult<BuiltinStageValues[Id]>>;
  runStage<R = unknown>(
    id: string,
    params: unknown,
    options?: RunOptions,
    hooks?: StageHooks,
  ): Promise<StageRunResult<R>>;
  async runStage(
    id: string,
    params: unknown,
    options: RunOptions = {},
    hooks: StageHooks = {},
  ): Promise<StageRunResult> {
    checkSdkArguments(
      'runStage',
      ['id', id, 'id'],
      ['runOptions', options, 'options'],
      ['hooks', hooks, 'hooks'],
    );
    const stage = this.registry.getStage(id);
    const resolved = resolveStageParams(stage, params);
    const location = resolveLocation(options);
    const confine = isConfined(options);
    return stoppable(options, confine, location.workspace, async () => {
      await checkOutputParam(resolved, location, options.runId, confine);
      const session = await openRunSession({
        ...location,
        runId: options.runId,
        kind: kindOf(stage),
        profile: profileOf(resolved),
        params: { stage: stage.id, params: resolved },
        command: `stage run ${stage.id}`,
        addsToRun: KEEPS_RUN_STATUS.has(stage.id),
        onProgress: options.onProgress,
        onWarning: options.onWarning,
        fresh: options.fresh ?? false,
        confine,
      });
      return this.#runInSession(session, stage, resolved, true, hooks);
    });
  }

  safeRunStage<Id extends BuiltinStageId>(
    id: Id,
    params: unknown,
    options?: RunOptions,
  ): Promise<SafeStageResult<BuiltinStageValues[Id]>>;
  safeRunStage<R = unknown>(id: string, params: unknown, options?: RunOptions): Promise<SafeStageResult<R>>;
  async safeRunStage(id: string, params: unknown, options: RunOptions = {}): Promise<SafeStageResult> {
    try {
      return safeStageResult(await this.runStage(id, params, options));
    } catch (error) {
      if (isQuantError(error)) return { ok: false, error };
      throw error;
    }
  }

  /**
   * Run a declared pipeline in one run folder, holding its lock throughout. `params` are shared: each
   * stage takes the keys its schema declares, and `params[<stage id>]` (an object) overrides them for
   * that stage; any other key is `E_PARAMS`. Stops at the first failure, naming the failing stage.
   */
  async runPipeline(
    name: string,
    params: Record<string, unknown> = {},
    options: RunOptions = {},
    hooks: PipelineHooks = {},
  ): Promise<PipelineRunResult> {
    checkSdkArguments(
      'runPipeline',
      ['name', name, 'name'],
      ['pipelineParams', params, 'params'],
      ['runOptions', options, 'options'],
      ['hooks', hooks, 'hooks'],
    );
    const pipeline = this.registry.getPipeline(name);
    const stages = pipeline.stages.map((id) => this.registry.getStage(id));
    checkPipelineParams(name, stages, params);
    const perStage = stages.map((stage) => resolveStageParams(stage, pipelineParamsFor(stage, params)));
    const location = resolveLocation(options);
    const confine = isConfined(options);
    return stoppable(options, confine, location.workspace, async () => {
      for (const p of perStage) await checkOutputParam(p, location, options.runId, confine);
      return this.#runPipelineSession(name, stages, perStage, params, options, hooks, location, confine);
    });
  }

  async #runPipelineSession(
    name: string,
    stages: readonly Stage[],
    perStage: readonly unknown[],
    params: Record<string, unknown>,
    options: RunOptions,
    hooks: PipelineHooks,
    location: ResolvedLocation,
    confine: boolean,
  ): Promise<PipelineRunResult> {
    const first = stages[0];
    const session = await openRunSession({
      ...location,
      runId: options.runId,
      kind: first === undefined ? 'stage' : kindOf(first),
      profile: profileOf(perStage[0]),
      params: { pipeline: name, params },
      command: `pipeline ${name}`,
      onProgress: options.onProgress,
      onWarning: options.onWarning,
      fresh: options.fresh ?? true,
      confine,
    });
    const ledgerStart = session.ledger.records.length;
    const results: StageRunResult[] = [];
    let status: 'success' | 'failed' = 'failed';
    let failure: unknown;
    try {
      if (hooks.restore !== undefined) {
        const restored: unknown = await hooks.restore(session);
        if (!Array.isArray(restored)) {
          throw new QuantError(
            'E_PARAMS',
            `QuantSDK.runPipeline: hooks.restore resolved to ${describeValue(restored)}; expected an array of stage results`,
          );
        }
        results.push(...(restored as StageRunResult[]));
      }
      for (const [i, stage] of stages.entries()) {
        if (i < results.length) continue;
        try {
          results.push(await this.#runInSession(session, stage, perStage[i], false));
        } catch (error) {
          if (isQuantError(error)) {
            throw new QuantError(
              error.code,
              `pipeline ${name} failed at stage ${stage.id}: ${error.message}`,
              {
                ...(error.hint === undefined ? {} : { hint: error.hint }),
                ...(error.location === undefined ? {} : { location: error.location }),
                issues: error.issues,
                details: { ...error.details, stage: stage.id, pipeline: name },
                cause: error,
              },
            );
          }
          throw error;
        }
      }
      if (hooks.completed !== undefined) await hooks.completed(session, results, ledgerStart);
      status = 'success';
    } catch (error) {
      failure = environmentError(error) ?? error;
    }
    await closeSession(session, status, { pipeline: name }, failure);
    return { pipeline: name, runId: session.runId, runDir: session.runDir, stages: results };
  }

  async #runInSession<R>(
    session: RunSession,
    stage: Stage,
    params: unknown,
    closeAfter: boolean,
    hooks: StageHooks = {},
  ): Promise<StageRunResult<R>> {
    let execution: StageExecution;
    try {
      execution = await executeStage(session, stage, params);
      if (hooks.completed !== undefined) await hooks.completed(session, execution);
    } catch (error) {
      if (closeAfter) await closeSession(session, 'failed', { stage: stage.id }, error, hooks.failExisting);
      throw error;
    }
    if (closeAfter)
      await closeSession(
        session,
        'success',
        { stage: stage.id },
        undefined,
        false,
        KEEPS_RUN_STATUS.has(stage.id),
      );
    return stageRunResult(
      {
        stageId: stage.id,
        runId: session.runId,
        runDir: session.runDir,
        summary: execution.summary,
        warnings: execution.warnings,
        inputs: execution.inputs,
        outputs: execution.outputs,
      },
      execution.value as R,
    );
  }
}

/**
 * Stages that add to a finished run another command made: their success leaves the run's status as it
 * was, so a trade list made on a failed meta run does not make it a success (docs/trades.md); a run of
 * another kind named for them gets a hint to name a run of theirs, not a fresh run id.
 */
const KEEPS_RUN_STATUS: ReadonlySet<string> = new Set(['meta.trades']);

/**
 * Close a session and rethrow `failure` (if any). A new run that failed on a coded error before writing an
 * artifact is discarded, as is one the machine failed (see `CloseOptions`). When closing fails too (the
 * disk that failed the stage cannot take run.json either), the first failure is the one reported.
 */
async function closeSession(
  session: RunSession,
  status: 'success' | 'failed',
  extra: Record<string, unknown>,
  failure: unknown,
  failExisting = false,
  keepStatus = false,
): Promise<void> {
  const failed = status === 'failed';
  try {
    // The run's own bookkeeping goes on after a stop was asked for: it is how the run gets closed.
    await outsideStoppable(() =>
      session.close(status, extra, {
        discardIfEmpty: failed && isQuantError(failure),
        error: failure,
        failExisting,
        keepStatus,
      }),
    );
  } catch (closeError) {
    if (!failed) throw environmentError(closeError) ?? closeError;
  }
  if (failed) throw isStopError(failure) ? await stoppedRunError(session, failure) : failure;
}

/**
 * The one error of a run stopped by a signal and closed: where it stopped, that it is incomplete, how to
 * finish. A run that could not be closed (its disk failed too) keeps the refusal as it was.
 */
async function stoppedRunError(session: RunSession, stop: QuantError): Promise<QuantError> {
  const json = await readRunJsonFile(session.handle.runJson, session.runId).catch(() => undefined);
  if (json?.status !== 'incomplete') return stop;
  const signal = String(stop.details['signal']);
  const { runId } = session;
  const explicit = session.options.runId !== undefined;
  const hint = !explicit
    ? 'run the command again: it starts a new run'
    : session.options.fresh === true
      ? `run it again with another --run-id, or delete runs/${runId} first`
      : 'run the command again to finish the run';
  return new QuantError(
    'E_INTERRUPTED',
    `${signal}: ${describeInterruption(json)} (run runs/${runId}); the run is closed as incomplete`,
    {
      hint,
      details: {
        stopped: true,
        signal,
        run_id: runId,
        status: 'incomplete',
        interrupted_stage: json[INTERRUPTED_STAGE] ?? null,
        last_completed_stage: json[LAST_COMPLETED_STAGE] ?? null,
      },
      cause: stop,
    },
  );
}

/**
 * Every key of a pipeline's params must reach a stage: a param one of its stages declares, or a stage
 * id whose object overrides that stage's params. A leftover (a typo, a param of another stage) is
 * `E_PARAMS` naming it, with the closest names, instead of being dropped while the run goes on.
 */
function checkPipelineParams(name: string, stages: readonly Stage[], params: Record<string, unknown>): void {
  const ids = stages.map((s) => s.id);
  const shared = new Set(stages.flatMap((s) => stageParamKeys(s)));
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (ids.includes(key)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({
          path: key,
          message: `received ${describeValue(value)}; expected an object of params for stage ${key}`,
        });
      }
    } else if (!shared.has(key)) {
      issues.push({ path: key, message: `unknown parameter${didYouMean(key, [...shared, ...ids])}` });
    }
  }
  if (issues.length === 0) return;
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new QuantError('E_PARAMS', `invalid params for pipeline ${name}: ${summary}`, {
    hint: `each key is a param of one of its stages (${ids.join(', ')}) or a stage id with an object of that stage's params; see \`quant stage schema <id>\``,
    issues,
  });
}

function pipelineParamsFor(stage: Stage, params: Record<string, unknown>): Record<string, unknown> {
  const keys = new Set(stageParamKeys(stage));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (keys.has(k)) out[k] = v;
  const override = Object.hasOwn(params, stage.id) ? params[stage.id] : undefined;
  // Not Object.assign: an own `__proto__` member would set the prototype instead of reaching validation.
  if (typeof override === 'object' && override !== null && !Array.isArray(override)) {
    for (const [k, v] of Object.entries(override))
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Whether a call runs confined: asked for, or already inside a confined call (the MCP server). */
function isConfined(options: RunOptions): boolean {
  return options.confine === true || confinementRoot() !== undefined;
}

function withConfinement<T>(confine: boolean, workspace: string, fn: () => Promise<T>): Promise<T> {
  return confine ? runConfined(workspace, fn) : fn();
}

/** {@link withConfinement}, with the writes stopping once `options.signal` is aborted. */
function stoppable<T>(
  options: RunOptions,
  confine: boolean,
  workspace: string,
  fn: () => Promise<T>,
): Promise<T> {
  return whileStoppable(options.signal, () => withConfinement(confine, workspace, fn));
}

/**
 * A stage's `output` param is checked before the run folder is opened, so a refused output leaves no
 * trace: not run state (`E_OUTPUT_FORBIDDEN`), and inside the workspace when confined. Without a run id
 * the run folder is not known yet, so no path under runs/ qualifies. The stage checks it again, with
 * its run folder, right before it writes ({@link StageContext.resolveOutput}).
 */
async function checkOutputParam(
  params: unknown,
  location: ResolvedLocation,
  runId: string | undefined,
  confine: boolean,
): Promise<void> {
  if (typeof params !== 'object' || params === null) return;
  const output = (params as Record<string, unknown>)['output'];
  if (typeof output !== 'string') return;
  const abs = await checkOutputPath(output, resolve(location.cwd, output), {
    workspace: location.workspace,
    runDir: runId === undefined ? undefined : runDir(location.workspace, runId),
    manifest: location.manifestPath,
    confined: confine,
  });
  await assertConfined(abs, 'write');
}

/** A workspace query: the resolved workspace, confined when asked for (or inside a confined call). */
function inWorkspace<T>(options: WorkspaceOptions, query: (workspace: string) => Promise<T>): Promise<T> {
  const { workspace } = resolveLocation(options);
  return withConfinement(isConfined(options), workspace, () => query(workspace));
}

function resolveLocation(options: RunOptions): ResolvedLocation {
  const env = options.env ?? process.env;
  const cwd = resolve(options.cwd ?? process.cwd());
  const workspace = resolve(cwd, options.workspace ?? env['QUANT_WORKSPACE'] ?? '.');
  const manifestPath = resolve(cwd, options.manifest ?? resolve(workspace, 'manifest.json'));
  return { workspace, manifestPath, cwd, env };
}
