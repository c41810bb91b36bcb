import { join, resolve } from 'node:path';
import {
  assertConfined,
  confinementRoot,
  runConfined,
  assertRunIsNew,
  assertValidRunId,
  LedgerKey,
  resolveNow,
  runDir,
  settleRunStatus,
  readOnceScope,
  readRunJsonFile,
  withRunLock,
  writeJsonAtomic,
} from '../artifacts/index.js';
import {
  checkBenchmarkInputs,
  turnoverInputs,
  checkSleeveInputs,
  checkTradesInputs,
  computeMetaResolution,
  validateMetaRun,
  type MetaTradesValue,
  type TradesStageParams,
  type ValidationVerdict,
} from '../stages/index.js';
export { metaStageParams } from '../stages/index.js';
export type { MetaTradesValue } from '../stages/index.js';

import { metaCacheHooks, metaCacheKey, type MetaCacheHooks } from './meta-cache.js';
import {
  isMetaProfile,
  parseJsonWithLocations,
  readManifest,
  resolveMetaTree,
  resolveRiskProfiles,
} from '../manifest/index.js';
import type { PipelineHooks, PipelineRunResult, QuantSDK, RunOptions } from './quant-sdk.js';
import type { RunSession } from './run-session.js';
import type { StageRunResult } from './stage-result.js';
import { RUN_OPTION_KEYS } from './sdk-arguments.js';
import { produceTreeSleeves, type ExecuteSleevesOptions, type ProducedSleeves } from './sleeve-jobs.js';
import type { Env } from '../util/env.js';
import { anySignal } from '../util/any-signal.js';

export interface MetaRunOptions extends RunOptions {
  /** Risk profiles to run (overrides the manifest). */
  readonly riskProfiles?: readonly string[];
  /** Use the content-addressed cache under `<workspace>/.cache/` (default true). */
  readonly cache?: boolean;
  /** Runs to use for unpinned atomic sleeves, by profile (e.g. just produced by `--execute-sleeves`). */
  readonly sleeveRuns?: Readonly<Record<string, string>>;
  /**
   * First produce every unpinned atomic sleeve of the tree (`--execute-sleeves`), then pin the new runs.
   * Runs before the meta run folder is opened: a failed sleeve leaves no trace of the meta run.
   */
  readonly executeSleeves?: ExecuteSleevesOptions;
  /**
   * The sleeves `executeMetaSleeves` produced or reused first (the CLI's first phase): their runs are
   * pinned like `sleeveRuns` (which wins on a conflict), and each is recorded as a `sleeve.source`
   * decision of the meta run's ledger, as `executeSleeves` does.
   */
  readonly producedSleeves?: ProducedSleeves;
  /** Run the out-of-sample walk-forward `meta.backtest` (default true; `--no-backtest` skips it). */
  readonly backtest?: boolean;
}

export interface MetaRunResult extends PipelineRunResult {
  readonly metaProfile: string;
  readonly riskProfiles: readonly string[];
  /** Absolute path of the Markdown report. */
  readonly reportPath: string;
  /** Absolute path of the self-contained HTML report. */
  readonly htmlReportPath: string;
  readonly signTestGate: boolean;
  /** True when every stage but the report was restored from the cache. */
  readonly cacheHit: boolean;
  /** The sleeves produced first, with `executeSleeves`. */
  readonly sleeves?: ProducedSleeves;
  /**
   * The trade lists of the meta profile's `trades` block (one per risk profile it names that the run
   * computed), written by `meta.trades` after the pipeline; empty without the block.
   */
  readonly tradeList: readonly MetaTradeList[];
}

/** One trade list of a meta run: the risk profile, the orders CSV, the full list (JSON) and its orders. */
export interface MetaTradeList extends MetaTradesValue {
  readonly riskProfile: string;
}

/** The {@link RunOptions} of a meta run's options (the meta-only ones are not the pipeline's). */
function runOptionsOf(options: MetaRunOptions): RunOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([key]) => RUN_OPTION_KEYS.includes(key)),
  ) as RunOptions;
}

/**
 * Name of the built-in pipeline for a meta run, with or without the directional sign-test gate, and with
 * (default) or without the out-of-sample backtest.
 */
function metaPipelineName(gated: boolean, backtest = true): string {
  const name = gated ? 'meta.gated' : 'meta';
  return backtest ? name : `${name}.no_backtest`;
}

/**
 * `quant meta run`: validate the manifest and the tree of `metaProfile` before any work (so that an
 * invalid manifest, a cycle or infeasible bounds never create a run folder), then run the meta pipeline
 * — with `meta.sign_test` first when the root enables `features.directional_sign_test_gate`.
 */
export async function runMetaPipeline(
  sdk: QuantSDK,
  metaProfile: string,
  options: MetaRunOptions = {},
): Promise<MetaRunResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const workspace = resolve(cwd, options.workspace ?? env['QUANT_WORKSPACE'] ?? '.');
  if (options.confine !== true && confinementRoot() === undefined) {
    return runMetaInWorkspace(sdk, metaProfile, options, cwd, env, workspace);
  }
  // `executeSleeves` stays possible: the local pool's child processes are confined to the workspace
  // too (sleeve-job-spec.ts, `confine`), and a queue, whose workers are not, is refused (sleeve-jobs.ts).
  return runConfined(workspace, () =>
    runMetaInWorkspace(sdk, metaProfile, { ...options, confine: true }, cwd, env, workspace),
  );
}

/**
 * One meta run reads each input file once (sleeve streams, weights, ledgers, run.json files): later reads
 * of an unchanged file reuse its bytes and parsed value, and the ledger's input hashes are those of the
 * bytes read (see artifacts/read-once.ts).
 */
function runMetaInWorkspace(
  sdk: QuantSDK,
  metaProfile: string,
  options: MetaRunOptions,
  cwd: string,
  env: Env,
  workspace: string,
): Promise<MetaRunResult> {
  return readOnceScope(() => runMetaReadOnce(sdk, metaProfile, options, cwd, env, workspace));
}

async function runMetaReadOnce(
  sdk: QuantSDK,
  metaProfile: string,
  options: MetaRunOptions,
  cwd: string,
  env: Env,
  workspace: string,
): Promise<MetaRunResult> {
  const manifestPath = resolve(cwd, options.manifest ?? resolve(workspace, 'manifest.json'));
  await assertConfined(manifestPath, 'read');
  const { manifest, file, text } = await readManifest(manifestPath);
  const { lineOf } = parseJsonWithLocations(text, file);
  const root = resolveMetaTree(manifest, metaProfile, { file, lineOf });
  if (options.riskProfiles !== undefined) resolveRiskProfiles(root, manifest, options.riskProfiles);
  // Before any work (sleeves included): a run id in use is refused again, for sure, under the run lock.
  if (options.runId !== undefined && options.fresh !== false) await assertRunIsNew(workspace, options.runId);
  let sleeveRuns = options.sleeveRuns;
  let sleeves = options.producedSleeves;
  if (sleeves !== undefined) sleeveRuns = { ...sleeves.pins, ...sleeveRuns };
  if (options.executeSleeves !== undefined) {
    if (options.runId !== undefined) assertValidRunId(options.runId);
    sleeves = await produceTreeSleeves(
      root,
      manifest,
      {
        workspace,
        manifestPath,
        now: resolveNow(env),
        env,
        lineOf,
        ...(sleeveRuns === undefined ? {} : { pinned: sleeveRuns }),
      },
      withRunSignal(options.executeSleeves, options.signal),
      options.onProgress,
    );
    sleeveRuns = { ...sleeves.pins, ...sleeveRuns };
  }
  const gated = root.features.directionalSignTestGate;
  const params: Record<string, unknown> = { meta_profile: metaProfile };
  if (options.riskProfiles !== undefined) params['risk_profiles'] = [...options.riskProfiles];
  if (sleeveRuns !== undefined) params['sleeve_runs'] = { ...sleeveRuns };
  const pipeline = metaPipelineName(gated, options.backtest !== false);
  // Resolve and check every sleeve run's inputs before the run folder exists: bad input writes nothing.
  const { doc } = await computeMetaResolution(
    workspace,
    manifestPath,
    metaProfile,
    options.riskProfiles,
    sleeveRuns,
    options.onWarning,
    env,
  );
  await checkSleeveInputs(workspace, doc);
  // The turnover references (holdings files, the previous run) are inputs of the cache key too.
  const benchmarkInputs = [
    ...(await checkBenchmarkInputs(workspace, doc)),
    ...(await turnoverInputs(workspace, doc, options.runId, lineOf)),
  ];
  const profile = manifest.profiles[metaProfile];
  const tradesSpec = profile !== undefined && isMetaProfile(profile) ? profile.trades : undefined;
  const trades =
    tradesSpec === undefined
      ? []
      : await checkTradesInputs(workspace, manifestPath, metaProfile, tradesSpec, {
          profiles: doc.risk_profiles,
          chosen: options.riskProfiles !== undefined,
          ...(options.onWarning === undefined ? {} : { onSkip: options.onWarning }),
        });
  let hooks: MetaCacheHooks | undefined;
  if (options.cache !== false) {
    hooks = metaCacheHooks(workspace, await metaCacheKey(workspace, doc, pipeline, params, benchmarkInputs));
  }
  const result = await sdk.runPipeline(
    pipeline,
    params,
    { ...runOptionsOf(options), cwd, workspace, manifest: manifestPath },
    sleeves === undefined ? hooks : withSleeveSources(hooks, sleeves),
  );
  const traded = await runTrades(sdk, trades, {
    ...runOptionsOf(options),
    cwd: workspace, // the block's files are relative to the workspace
    workspace,
    manifest: manifestPath,
    runId: result.runId,
    fresh: false,
  });
  const returns = result.stages.find((s) => s.stageId === 'meta.returns');
  const riskProfiles = ((returns?.stageValue as { risk_profiles?: string[] } | undefined)?.risk_profiles ??
    []) as string[];
  return {
    ...result,
    stages: [...result.stages, ...traded.map((t) => t.result)],
    tradeList: traded.map((t) => ({ ...t.result.value, riskProfile: t.riskProfile })),
    metaProfile,
    riskProfiles,
    reportPath: resolve(result.runDir, 'reports', 'meta_portfolio_report.md'),
    htmlReportPath: resolve(result.runDir, 'reports', 'meta_portfolio_report.html'),
    signTestGate: gated,
    cacheHit: hooks?.hit() ?? false,
    ...(sleeves === undefined ? {} : { sleeves }),
  };
}

/**
 * The sleeve options of a meta run, stopped by the run's `signal` too: once either signal is aborted no
 * sleeve starts and the call rejects with `E_INTERRUPTED`.
 */
function withRunSignal(
  sleeves: ExecuteSleevesOptions,
  signal: AbortSignal | undefined,
): ExecuteSleevesOptions {
  if (signal === undefined || sleeves.signal === signal) return sleeves;
  return {
    ...sleeves,
    signal: sleeves.signal === undefined ? signal : anySignal([signal, sleeves.signal]),
  };
}

/** `meta.trades` into the finished run, once per risk profile of the meta profile's `trades` block. */
async function runTrades(
  sdk: QuantSDK,
  trades: readonly TradesStageParams[],
  options: RunOptions,
): Promise<{ riskProfile: string; result: StageRunResult<MetaTradesValue> }[]> {
  const out: { riskProfile: string; result: StageRunResult<MetaTradesValue> }[] = [];
  for (const params of trades) {
    out.push({
      riskProfile: params.risk_profile,
      // A trade list the manifest asks for and that fails leaves the run failed (docs/trades.md).
      result: await sdk.runStage('meta.trades', params, options, { failExisting: true }),
    });
  }
  return out;
}

/** The ledger step that says where each executed sleeve's run came from. */
const SLEEVE_SOURCE_STEP = 'sleeve.source';

/**
 * The pipeline hooks of a meta run with `executeSleeves`: those of the cache, and after the last stage
 * one `sleeve.source` decision per executed sleeve (status `produced` or `reused`, its run id and
 * content key). Appended last, after the cache stored its entry: the artifacts and every earlier
 * ledger record are the same whether the sleeves were produced or reused.
 */
function withSleeveSources(hooks: MetaCacheHooks | undefined, sleeves: ProducedSleeves): PipelineHooks {
  return {
    ...(hooks === undefined ? {} : { restore: (session: RunSession) => metaRestore(hooks, session) }),
    async completed(session, results, ledgerStart) {
      await hooks?.completed?.(session, results, ledgerStart);
      await session.ledger.appendMany(
        sleeves.results.map((r) => ({
          type: 'decision' as const,
          step: SLEEVE_SOURCE_STEP,
          status: r.status,
          context: { profile: r.profile },
          data: { run_id: r.run_id, sleeve_key: r.sleeve_key ?? null },
        })),
      );
    },
  };
}

function metaRestore(hooks: MetaCacheHooks, session: RunSession): Promise<StageRunResult[]> {
  return hooks.restore === undefined ? Promise.resolve([]) : hooks.restore(session);
}

/**
 * `quant meta validate`: check a finished meta run. Nothing of the run changes unless `write` is set:
 * then a run whose process died is first settled (`running` → `incomplete`) and the verdict is written to
 * `reports/meta_validation.json` (under the run lock). Resolves with the verdict and, when written, the
 * file; failed checks are data, not exceptions. `env` holds `QUANT_LEDGER_KEY` when the signature of the
 * ledger's anchor is to be checked.
 */
export async function validateMetaRunAndRecord(
  workspaceDir: string,
  runId: string,
  options: { readonly write?: boolean; readonly env?: Env } = {},
): Promise<{ verdict: ValidationVerdict; file: string | undefined; runDir: string }> {
  const workspace = resolve(workspaceDir);
  const key = LedgerKey.fromEnv(options.env ?? {});
  const dir = runDir(workspace, runId);
  if (options.write === true) {
    // A run whose process died says `running`: settle it (incomplete) so that the verdict says so.
    const json = await readRunJsonFile(join(dir, 'run.json'), runId).catch(() => undefined);
    if (json !== undefined) await settleRunStatus(workspace, json, key);
  }
  const verdict = await validateMetaRun(workspace, runId, { key });
  if (options.write !== true) return { verdict, file: undefined, runDir: dir };
  const file = join(dir, 'reports', 'meta_validation.json');
  await withRunLock(dir, { command: 'meta validate' }, () => writeJsonAtomic(file, verdict));
  return { verdict, file, runDir: dir };
}
