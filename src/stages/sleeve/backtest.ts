import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineStage, type StageContext } from '../../core/stage.js';
import { displayPath, writeJsonAtomic, writeParquetTable, type NumericTable } from '../../artifacts/index.js';
import type { Matrix } from '../../numeric/linalg/matrix.js';
import type { WalkForwardResult } from '../../numeric/backtest/walk-forward.js';
import { walkForwardWindows } from '../../numeric/backtest/walk-forward-windows.js';
import {
  walkForwardBacktestThreads,
  walkForwardThreads,
  type ThreadedWalkForwardOptions,
  type ThreadsSetting,
} from '../../numeric/backtest/walk-forward-threads.js';
import { QuantError, isQuantError } from '../../errors.js';
import {
  BACKTEST_ENGINE,
  atomId,
  profileStats,
  weightsDocuments,
  windowLedgerEntries,
} from './_sleeve-artifacts.js';
import { loadSleeveInput, type SleeveInput } from './_sleeve-input.js';
import { describeInput } from '../_returns-table.js';
import { assertStreamAboveTotalLoss } from '../_stream-floor.js';
import { policyFigures, resolvePolicies, type ResolvedPolicies } from '../_backtest-policy.js';
import type { Env } from '../../util/env.js';

/** Upper limit of `threads` (and of QUANT_THREADS). */
const MAX_THREADS = 256;

const sleeveBacktestParams = z.strictObject({
  profile: z.string().min(1).describe('a sleeve profile of the manifest (a profile with a "sleeve" object)'),
  threads: z
    .union([z.literal('auto'), z.number().int().min(1).max(MAX_THREADS)], {
      error: (issue) =>
        `must be "auto" or a whole number of threads from 1 to ${MAX_THREADS}, got ${JSON.stringify(issue.input)}`,
    })
    .optional()
    .describe(
      'worker threads for the windows: auto (default, or QUANT_THREADS when set) goes parallel when the work pays for it, on up to one thread per core; 1 keeps everything on the main thread; N uses up to N. The artifacts are the same bytes whatever the count; with incremental_moments the windows always run on one thread',
    ),
});

/** Summary of a sleeve backtest, per risk profile. */
export interface SleeveBacktestValue {
  readonly profile: string;
  readonly assets: readonly string[];
  readonly windows: number;
  readonly risk_profiles: Readonly<
    Record<string, { readonly oos_days: number; readonly failed_windows: number; readonly file: string }>
  >;
}

/** Columns of a T x n matrix as a wide table. */
function wideTable(dates: readonly string[], columns: readonly string[], m: Matrix): NumericTable {
  const values = columns.map((_, j) => {
    const col = new Float64Array(m.rows);
    for (let t = 0; t < m.rows; t++) col[t] = m.data[t * m.cols + j] as number;
    return col;
  });
  return { dates, columns, values };
}

async function writeJson(ctx: StageContext, file: string, doc: unknown): Promise<void> {
  await writeJsonAtomic(file, doc);
  ctx.recordOutput(file);
}

async function writeParquet(ctx: StageContext, file: string, table: NumericTable): Promise<void> {
  await writeParquetTable(file, table);
  ctx.recordOutput(file);
}

type RiskProfileFiles = Record<string, { oos_days: number; failed_windows: number; file: string }>;

/** The sleeve's `rebalancing`, costs resolved per asset (others pay commission + slippage). */
function sleevePolicies(input: SleeveInput): ResolvedPolicies | undefined {
  const { spec, data } = input;
  if (spec.rebalancing === undefined) return undefined;
  return resolvePolicies(spec.rebalancing, data.assets, spec.costs.commission + spec.costs.slippage);
}

/**
 * `threads` as given, else `QUANT_THREADS` (`auto` or a count), else `auto`; a malformed variable is
 * `E_PARAMS`.
 */
export function threadsSetting(param: ThreadsSetting | undefined, env: Env = process.env): ThreadsSetting {
  if (param !== undefined) return param;
  const raw = (env['QUANT_THREADS'] ?? '').trim();
  if (raw === '' || raw === 'auto') return 'auto';
  return envCount(
    'QUANT_THREADS',
    'auto or an integer',
    raw,
    'unset it, or set QUANT_THREADS=1 to keep the walk-forward on the main thread',
  );
}

/** An environment variable holding a thread or core count, 1..{@link MAX_THREADS}; else `E_PARAMS`. */
function envCount(name: string, expected: string, raw: string, hint: string): number {
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > MAX_THREADS) {
    throw new QuantError('E_PARAMS', `${name} must be ${expected} 1..${MAX_THREADS}, got "${raw}"`, { hint });
  }
  return count;
}

/**
 * The cores `threads: auto` may use: all of them, or `QUANT_THREAD_CORES` when set (a local pool sets it
 * for its worker processes to each one's share); a malformed value is `E_PARAMS`.
 */
export function threadCores(env: Env = process.env): number {
  const raw = (env['QUANT_THREAD_CORES'] ?? '').trim();
  if (raw === '') return availableParallelism();
  const count = envCount(
    'QUANT_THREAD_CORES',
    'an integer',
    raw,
    'unset it: then threads: auto may use every core',
  );
  return Math.min(count, availableParallelism());
}

/**
 * The walk-forward of a sleeve as the stage runs it: its windows, risk profiles, costs, the window
 * optimiser's settings and the holding policies (none without `rebalancing`).
 */
export function sleeveWalkForward(
  input: SleeveInput,
  policies: ResolvedPolicies | undefined,
): Omit<ThreadedWalkForwardOptions, 'threads'> {
  const { spec, data, directions, annualisation } = input;
  return {
    ...(policies === undefined
      ? {}
      : { policy: policies.used.policy, comparePolicies: policies.compare.map((c) => c.policy) }),
    dates: data.dates,
    directions,
    trainWindow: spec.train_window,
    testWindow: spec.test_window,
    step: spec.step,
    riskProfiles: spec.risk_profiles,
    costs: spec.costs,
    settings: {
      fallback: spec.fallback,
      // Errors name the assets by column (a SHORT leg as such), not by position.
      labels: data.assets.map((a, i) => (directions[i] === 'SHORT' ? `${a} (SHORT)` : a)),
      periodsPerYear: annualisation.periods_per_year,
      ...(spec.covariance === undefined ? {} : { covariance: spec.covariance }),
      ...(spec.linkage === undefined ? {} : { linkage: spec.linkage }),
      ...(spec.leaf_order === undefined ? {} : { leafOrder: spec.leaf_order }),
      ...(spec.cvar_level === undefined ? {} : { cvarLevel: spec.cvar_level }),
      ...(spec.min_weight === undefined ? {} : { minWeight: spec.min_weight }),
      ...(spec.max_weight === undefined ? {} : { maxWeight: spec.max_weight }),
      ...(spec.incremental_moments === undefined ? {} : { incrementalMoments: spec.incremental_moments }),
    },
  };
}

/** Run the walk-forward backtest of every risk profile, reporting each window as progress. */
async function backtestSleeve(
  ctx: StageContext,
  input: SleeveInput,
  policies: ResolvedPolicies | undefined,
  threads: number,
): Promise<WalkForwardResult> {
  try {
    return await walkForwardBacktestThreads(input.data.returns, {
      ...sleeveWalkForward(input, policies),
      threads,
      onWindow: ({ profile, window, windows: total }) =>
        ctx.progress(`${profile}: window ${window + 1}/${total}`),
    });
  } catch (error) {
    throw inSleeveTerms(error, input);
  }
}

/**
 * A sleeve has no risk_free_rate (its rate is 0): a failure for want of a positive excess return (max_sharpe,
 * mean_cvar) gets a hint the sleeve spec can follow, pointing at its risk profiles.
 */
function inSleeveTerms(error: unknown, input: SleeveInput): unknown {
  if (!isQuantError(error) || error.code !== 'E_NO_POSITIVE_EXCESS_RETURN') return error;
  const at = `profiles.${input.profile}.sleeve`;
  const riskProfile = error.details['risk_profile'];
  const profile = typeof riskProfile === 'string' ? riskProfile : 'this risk profile';
  return new QuantError(error.code, error.message, {
    hint: `a sleeve's risk-free rate is 0 and no asset gains on average in this window: replace ${profile} in ${at}.risk_profiles by a risk profile that needs no expected return (min_variance, risk_parity, hrp), or remove "fallback": false from ${at} so that such windows fall back to inverse_variance`,
    location: { file: input.manifestFile, jsonPath: `${at}.risk_profiles` },
    issues: error.issues,
    details: error.details,
    cause: error,
  });
}

/** No stream of the sleeve loses more than the portfolio is worth in a period (checked before writing). */
function assertSleeveStreams(input: SleeveInput, result: WalkForwardResult): void {
  const at = `profiles.${input.profile}.sleeve`;
  const bps = input.spec.rebalancing?.costs_bps;
  const keys = `${bps === undefined ? '' : `${at}.rebalancing.costs_bps or `}${at}.costs (commission, slippage)`;
  for (const p of result.profiles) {
    assertStreamAboveTotalLoss(
      p,
      `sleeve profile "${input.profile}", risk profile ${p.profile}`,
      `lower ${keys}: a trade costs its rate per unit of turnover (entering from cash is a turnover of 1), so a rate of 100 % or more costs the whole portfolio`,
      {
        file: input.manifestFile,
        jsonPath: bps === undefined ? `${at}.costs` : `${at}.rebalancing.costs_bps`,
      },
    );
  }
}

/** One out-of-sample return series per risk profile, data/returns/<P>.parquet. */
async function writeProfileReturns(
  ctx: StageContext,
  dataDir: string,
  result: WalkForwardResult,
): Promise<RiskProfileFiles> {
  const files: RiskProfileFiles = {};
  for (const p of result.profiles) {
    const file = join(dataDir, 'returns', `${p.profile}.parquet`);
    await writeParquet(ctx, file, { dates: p.dates, columns: ['return'], values: [p.returns] });
    files[p.profile] = {
      oos_days: p.returns.length,
      failed_windows: p.windows.filter((w) => w.status === 'error').length,
      file: displayPath(ctx.workspace, file),
    };
  }
  return files;
}

/**
 * `run_stats.json`'s `rebalancing`: the policy as written, its costs and, per risk profile, every policy's
 * figures on the same targets (the used one first, then `compare`, then `at_refit`); Sharpe at r_f = 0.
 */
function rebalancingRecord(
  policies: ResolvedPolicies,
  result: WalkForwardResult,
  periodsPerYear: number,
  of: string,
): Record<string, unknown> {
  return {
    policy: policies.used.settings,
    costs_bps: policies.costsBps,
    comparison: Object.fromEntries(
      result.profiles.map((p) => [
        p.profile,
        [
          policyFigures(
            policies.used,
            { returns: p.returns, events: p.events ?? [] },
            periodsPerYear,
            `${of} (${p.profile})`,
          ),
          ...policies.compare.map((c, k) =>
            policyFigures(
              c,
              p.comparisons?.[k] ?? { returns: new Float64Array(), events: [] },
              periodsPerYear,
              `${of} (${p.profile})`,
            ),
          ),
        ],
      ]),
    ),
  };
}

/** data/run_stats.json: the inputs, the windows and the statistics of each risk profile. */
function runStatsDocument(
  ctx: StageContext,
  profile: string,
  input: SleeveInput,
  result: WalkForwardResult,
  policies: ResolvedPolicies | undefined,
): unknown {
  const { spec, data, directions, annualisation } = input;
  const periodsPerYear = annualisation.periods_per_year;
  return {
    schema_version: 1,
    profile,
    engine: BACKTEST_ENGINE,
    prices: displayPath(ctx.workspace, input.pricesFile),
    input_kind: data.inputKind,
    assets: data.assets,
    directions: Object.fromEntries(data.assets.map((a, i) => [a, directions[i] ?? 'LONG'])),
    train_window: spec.train_window,
    test_window: spec.test_window,
    step: spec.step,
    costs: spec.costs,
    return_rows: data.returns.rows,
    dropped_rows: data.droppedRows,
    first_date: data.dates[0] ?? null,
    last_date: data.dates[data.dates.length - 1] ?? null,
    periods_per_year: periodsPerYear,
    annualisation,
    missing_data: data.missingData,
    risk_profiles: Object.fromEntries(
      result.profiles.map((p) => [p.profile, profileStats(p, periodsPerYear, profile)]),
    ),
    ...(policies === undefined
      ? {}
      : { rebalancing: rebalancingRecord(policies, result, periodsPerYear, `sleeve profile ${profile}`) }),
  };
}

/** Every artifact of the sleeve run and its per-window ledger records. */
async function writeSleeveRun(
  ctx: StageContext,
  profile: string,
  input: SleeveInput,
  result: WalkForwardResult,
  policies: ResolvedPolicies | undefined,
): Promise<RiskProfileFiles> {
  const { spec, data, directions } = input;
  const dataDir = join(ctx.runDir, 'data');
  const atoms = data.assets.map((a, i) => atomId(a, directions[i] ?? 'LONG'));
  await writeJson(ctx, join(ctx.runDir, 'config', 'resolved_manifest.json'), {
    schema_version: 1,
    kind: 'sleeve',
    profile,
    manifest_file: displayPath(ctx.workspace, input.manifestFile),
    manifest_sha256: input.manifestSha256,
    profiles: { [profile]: { sleeve: spec } },
  });
  const files = await writeProfileReturns(ctx, dataDir, result);
  await writeParquet(
    ctx,
    join(dataDir, 'returns_matrix.parquet'),
    wideTable(data.dates, data.assets, data.returns),
  );
  await writeParquet(
    ctx,
    join(dataDir, 'synthetic_returns.parquet'),
    wideTable(data.dates, atoms, result.synthetic),
  );
  const weights = weightsDocuments(data.assets, directions, result.profiles);
  await writeJson(ctx, join(dataDir, 'portfolio_optimized_v2.json'), weights.atoms);
  await writeJson(ctx, join(dataDir, 'portfolio_flattened.json'), weights.flattened);
  await writeJson(
    ctx,
    join(dataDir, 'run_stats.json'),
    runStatsDocument(ctx, profile, input, result, policies),
  );
  await ctx.record(windowLedgerEntries(result.profiles));
  return files;
}

export const sleeveBacktest = defineStage({
  id: 'sleeve.backtest',
  name: 'Walk-forward sleeve backtest',
  description:
    'Walk-forward backtest of a sleeve profile for each of its risk profiles: estimate on train_window days, hold for test_window days with drifting weights and costs on turnover; SHORT assets enter as synthetic longs -min(r, 1).',
  category: 'sleeve',
  tags: ['sleeve', 'backtest'],
  aliases: [],
  params: sleeveBacktestParams,
  output:
    'A complete sleeve run (DESIGN §4): data/returns/<P>.parquet per risk profile, portfolio_flattened.json, portfolio_optimized_v2.json, returns_matrix.parquet, synthetic_returns.parquet, run_stats.json, and one backtest_optimize ledger record per window and risk profile.',
  async run(params, ctx) {
    const input = await loadSleeveInput(ctx.manifestPath, params.profile);
    for (const w of input.manifestWarnings) ctx.warn(w);
    ctx.recordInput(input.manifestFile);
    ctx.recordInput(input.pricesFile);
    const { spec, data, annualisation } = input;
    for (const warning of data.warnings) ctx.warn(warning);
    if (data.missingData.warning !== null) {
      await ctx.decision('input.missing_data', {
        file: displayPath(ctx.workspace, input.pricesFile),
        ...data.missingData,
      });
    }
    const windows = walkForwardWindows(
      data.returns.rows,
      spec.train_window,
      spec.test_window,
      spec.step,
    ).length;
    const threads = walkForwardThreads(
      threadsSetting(params.threads),
      {
        windows,
        profiles: spec.risk_profiles.length,
        trainRows: spec.train_window,
        assets: data.assets.length,
        incremental: spec.incremental_moments !== undefined,
      },
      threadCores(),
    );
    ctx.progress(
      `${params.profile}: ${data.assets.length} assets x ${data.returns.rows} returns (${describeInput(data, annualisation)}), ${windows} windows x ${spec.risk_profiles.length} risk profiles${threads > 1 ? ` on ${threads} threads` : ''}`,
    );
    const policies = sleevePolicies(input);
    const result = await backtestSleeve(ctx, input, policies, threads);
    assertSleeveStreams(input, result);
    const files = await writeSleeveRun(ctx, params.profile, input, result, policies);

    const failed = Object.entries(files)
      .filter(([, f]) => f.failed_windows > 0)
      .map(([p, f]) => `${p} ${f.failed_windows}`);
    const value: SleeveBacktestValue = {
      profile: params.profile,
      assets: data.assets,
      windows,
      risk_profiles: files,
    };
    return {
      value,
      summary: `${params.profile}: ${windows} windows x ${result.profiles.length} risk profiles on ${data.assets.length} assets (${describeInput(data, annualisation)}), ${result.profiles[0]?.returns.length ?? 0} out-of-sample periods; failed windows: ${failed.length === 0 ? 'none' : failed.join(', ')}`,
    };
  },
});
