import { dirname } from 'node:path';
import { z } from 'zod';
import { defineStage, type StageContext } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import { readTable, writeJsonAtomic } from '../../artifacts/index.js';
import {
  optimizePortfolio,
  optimizeWithFallback,
  resolveMethod,
  type FallbackStep,
  type OptimizeResult,
} from '../../numeric/optimize/optimize-portfolio.js';
import { INPUT_KINDS, MISSING_POLICIES } from '../../util/vocabulary.js';
import { optimizeOptionSchemas, resolveRiskBudget, resolveTurnoverReference } from './optimize-options.js';
import type { TurnoverOptions } from '../../numeric/optimize/turnover.js';
import {
  assertPlausibleReturnScale,
  describeInput,
  nameAssetsInError,
  tableToReturns,
  type ReturnsData,
} from '../_returns-table.js';
import { resolveAnnualisation, type Annualisation } from '../_annualisation.js';

const portfolioOptimizeParams = z.strictObject({
  input: z.string().min(1).describe('CSV or Parquet table: a `date` column and one column per asset'),
  input_kind: z
    .enum(INPUT_KINDS)
    .default('prices')
    .describe(
      'prices become simple returns p_t/p_{t-1} - 1; returns are used as given; log_returns r become exp(r) - 1. A table that does not look like its kind is E_INPUT_KIND',
    ),
  missing: z
    .enum(MISSING_POLICIES)
    .default('drop_rows')
    .describe(
      'missing cells: drop_rows drops every row with one; drop_assets drops every asset with one; ffill carries the last price forward (a return of 0) for at most ffill_limit rows, then drops the rows still missing',
    ),
  ffill_limit: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('missing=ffill: most consecutive rows filled after a value (default 5)'),
  method: optimizeOptionSchemas.method
    .default('hrp')
    .describe('portfolio construction method (DESIGN §9); `erc` = risk_parity'),
  assets: z
    .array(z.string().min(1))
    .superRefine((assets, ctx) => {
      // A column named twice would be optimised as two assets and written as one (weights summing below 1).
      assets.forEach((a, j) => {
        const i = assets.indexOf(a);
        if (i < j)
          ctx.addIssue({ code: 'custom', path: [j], message: `duplicate asset "${a}" (also assets[${i}])` });
      });
    })
    .optional()
    .describe('columns to use, in this order (default: every column)'),
  linkage: optimizeOptionSchemas.linkage.default('single').describe('hrp: linkage of the clustering'),
  leaf_order: optimizeOptionSchemas.leafOrder
    .default('dendrogram')
    .describe('hrp: dendrogram pre-order or optimal leaf ordering'),
  covariance: optimizeOptionSchemas.covariance.default('sample').describe('covariance estimator'),
  expected_returns: optimizeOptionSchemas.expectedReturns
    .default('mean')
    .describe('max_sharpe: arithmetic mean or CAGR'),
  risk_free_rate: optimizeOptionSchemas.riskFreeRate
    .default(0)
    .describe('annual risk-free rate (max_sharpe)'),
  risk_budget: optimizeOptionSchemas.riskBudget
    .optional()
    .describe(
      'risk_parity: risk budgets by asset, e.g. {"SBI": 0.5, "SPI": 0.3, "SII": 0.2} (positive, divided by their sum; every asset needs one): the relative risk contributions equal them, or E_INFEASIBLE_BOUNDS when the bounds cut that portfolio off',
    ),
  turnover: optimizeOptionSchemas.turnover
    .optional()
    .describe(
      'stay near reference weights, e.g. {"reference": {"SBI": 0.5, "SPI": 0.5}, "max_turnover": 0.1}: Σ|w − reference| ≤ max_turnover (0..2) and/or penalty·Σ|w − reference| in the objective; exact for min_variance and max_sharpe, a projection for the other methods; recorded in diagnostics.turnover',
    ),
  cvar_level: optimizeOptionSchemas.cvarLevel
    .default(0.95)
    .describe(
      'min_cvar, min_cdar, mean_cvar: confidence level of CVaR / CDaR (0.95 = the mean of the worst 5 % of the historical scenarios)',
    ),
  min_weight: optimizeOptionSchemas.minWeight.default(0).describe('lower bound of every weight'),
  max_weight: optimizeOptionSchemas.maxWeight.default(1).describe('upper bound of every weight'),
  periods_per_year: z
    .union([z.literal('auto'), optimizeOptionSchemas.periodsPerYear])
    .default('auto')
    .describe(
      'annualisation factor A; auto = inferred from the spacing of the dates: daily 252 (business days) or 365 (calendar days), weekly 52, monthly 12, quarterly 4, annual 1; irregular dates are E_FREQUENCY',
    ),
  fallback: z
    .boolean()
    .default(false)
    .describe(
      'on a numeric failure fall back to inverse_variance, then equal_weight (recorded); default: fail',
    ),
  output: z
    .string()
    .min(1)
    .optional()
    .describe('output JSON path (default runs/<run_id>/data/weights_<method>.json)'),
});

type PortfolioOptimizeParams = z.output<typeof portfolioOptimizeParams>;
type OptimizeRun = OptimizeResult & { readonly fallbacks: readonly FallbackStep[] };

/** The input table as returns, its annualisation, and its warnings and missing-data decision logged. */
async function loadOptimizeInput(
  params: PortfolioOptimizeParams,
  ctx: StageContext,
): Promise<{ inputPath: string; data: ReturnsData; annualisation: Annualisation }> {
  const inputPath = ctx.resolvePath(params.input);
  const table = await readTable(inputPath);
  ctx.recordInput(inputPath);
  if (params.ffill_limit !== undefined && params.missing !== 'ffill') {
    throw new QuantError(
      'E_PARAMS',
      `ffill_limit applies only with missing=ffill (missing is ${params.missing})`,
      {
        hint: 'set missing=ffill, or drop ffill_limit',
      },
    );
  }
  const data = tableToReturns(table, {
    file: params.input,
    kind: params.input_kind,
    assets: params.assets,
    missing: params.missing,
    ffillLimit: params.ffill_limit,
  });
  const annualisation = resolveAnnualisation(params.periods_per_year, data.dates, {
    source: 'params',
    what: `${params.input} (${data.dates.length} return rows)`,
    setting: 'periods_per_year (--param periods_per_year=<A>)',
    location: { file: params.input, column: 'date' },
  });
  assertPlausibleReturnScale(data, params.input, annualisation.periods_per_year);
  for (const warning of data.warnings) ctx.warn(warning);
  if (data.missingData.warning !== null) {
    await ctx.decision('input.missing_data', { file: params.input, ...data.missingData });
  }
  return { inputPath, data, annualisation };
}

/** The `turnover` param as the optimizer's option (reference by asset name or in column order). */
function stageTurnover(
  t: NonNullable<PortfolioOptimizeParams['turnover']>,
  assets: readonly string[],
): TurnoverOptions {
  return {
    reference: resolveTurnoverReference(t.reference, assets, assets.length, 'turnover.reference'),
    ...(t.max_turnover === undefined ? {} : { maxTurnover: t.max_turnover }),
    ...(t.penalty === undefined ? {} : { penalty: t.penalty }),
  };
}

/** Run the method (with the fallback chain when asked) and log each fallback step as a decision. */
async function runOptimizer(
  params: PortfolioOptimizeParams,
  ctx: StageContext,
  data: ReturnsData,
  annualisation: Annualisation,
): Promise<OptimizeRun> {
  const method = resolveMethod(params.method);
  const riskBudget =
    params.risk_budget === undefined
      ? undefined
      : resolveRiskBudget(params.risk_budget, data.assets, data.assets.length, method, 'risk_budget');
  const options = {
    method,
    periodsPerYear: annualisation.periods_per_year,
    covariance: params.covariance,
    expectedReturns: params.expected_returns,
    riskFreeRate: params.risk_free_rate,
    minWeight: params.min_weight,
    maxWeight: params.max_weight,
    linkage: params.linkage,
    leafOrder: params.leaf_order,
    cvarLevel: params.cvar_level,
    ...(riskBudget === undefined ? {} : { riskBudget }),
    ...(params.turnover === undefined ? {} : { turnover: stageTurnover(params.turnover, data.assets) }),
  } as const;
  let result: OptimizeRun;
  try {
    result = params.fallback
      ? optimizeWithFallback(data.returns, options)
      : { ...optimizePortfolio(data.returns, options), fallbacks: [] };
  } catch (error) {
    throw nameAssetsInError(error, params.input, data.assets);
  }
  for (const step of result.fallbacks) {
    await ctx.decision('portfolio.optimize.fallback', {
      failed_method: step.method,
      code: step.code,
      message: step.message,
    });
  }
  return result;
}

/** Write the weights document to `output` (never over the input) and record it. */
async function writeWeightsDocument(
  params: PortfolioOptimizeParams,
  ctx: StageContext,
  inputPath: string,
  document: { readonly method: string },
): Promise<string> {
  const output = await ctx.resolveOutput(
    params.output ?? `${ctx.runDir}/data/weights_${resolveMethod(params.method)}.json`,
  );
  if (output === inputPath) {
    throw new QuantError('E_OUTPUT', `output ${params.output ?? output} would overwrite the input`, {
      hint: 'choose another output path',
    });
  }
  try {
    await writeJsonAtomic(output, document);
  } catch (error) {
    throw new QuantError(
      'E_OUTPUT',
      `cannot write ${output} (${dirname(output)}): ${(error as Error).message}`,
      { cause: error },
    );
  }
  ctx.recordOutput(output);
  return output;
}

/** The three largest weights, as `A 40.0%, B 35.0%, C 25.0%`. */
function topWeights(assets: readonly string[], weights: ArrayLike<number>): string {
  return assets
    .map((a, i) => [a, weights[i] as number] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3)
    .map(([a, w]) => `${a} ${(w * 100).toFixed(1)}%`)
    .join(', ');
}

export const portfolioOptimize = defineStage({
  id: 'portfolio.optimize',
  name: 'Optimize a portfolio',
  description:
    'Weights of any method (hrp, min_variance, max_sharpe, risk_parity, min_cvar, ...) on one price or return table.',
  category: 'portfolio',
  tags: ['optimizer', 'weights'],
  aliases: [],
  params: portfolioOptimizeParams,
  output: 'A weights JSON {schema_version, method, params, assets, weights, diagnostics} at `output`.',
  async run(params, ctx) {
    const { inputPath, data, annualisation } = await loadOptimizeInput(params, ctx);
    const method = resolveMethod(params.method);
    const result = await runOptimizer(params, ctx, data, annualisation);
    const weights: Record<string, number> = {};
    data.assets.forEach((a, i) => (weights[a] = result.weights[i] as number));
    const document = {
      schema_version: 1,
      method: result.method,
      params: { ...params, method },
      assets: data.assets,
      weights,
      diagnostics: {
        ...result.diagnostics,
        observations: data.returns.rows,
        first_date: data.dates[0] ?? null,
        last_date: data.dates[data.dates.length - 1] ?? null,
        dropped_rows: data.droppedRows,
        input_kind: data.inputKind,
        annualisation,
        missing_data: data.missingData,
        fallbacks: result.fallbacks,
      },
    };
    const output = await writeWeightsDocument(params, ctx, inputPath, document);
    return {
      value: { output, method: result.method, weights, fallbacks: result.fallbacks },
      summary: `${result.method} on ${data.assets.length} assets x ${data.returns.rows} returns (${describeInput(data, annualisation)}); top: ${topWeights(data.assets, result.weights)}`,
    };
  },
});
