/**
 * The library face of the optimizer: `import { optimizePortfolio } from 'metafolio'`. It checks its
 * arguments at run time with the same zod schemas that validate the `portfolio.optimize` stage params
 * (so aliases such as `erc` are accepted, unknown options refused with a did-you-mean), accepts the
 * everyday shapes of a returns table, then calls the pure kernel in numeric/.
 */
import { z } from 'zod';
import { QuantError, type Issue } from '../errors.js';
import {
  optimizePortfolio as optimizeKernel,
  resolveMethod,
  type OptimizeOptions as KernelOptions,
  type OptimizeResult,
} from '../numeric/optimize/optimize-portfolio.js';
import {
  optimizeOptionSchemas as fields,
  resolveRiskBudget,
  resolveTurnoverReference,
} from '../stages/index.js';
import { createLinearConstraints, type LinearConstraints } from '../numeric/optimize/linear-constraints.js';
import {
  COVARIANCE_ESTIMATORS,
  type CovarianceEstimator,
  type ExpectedReturnEstimator,
  type LeafOrder,
  type LinkageMethod,
  type PortfolioMethod,
} from '../util/vocabulary.js';
import { didYouMean } from '../util/suggest.js';
import { expandUnions, expected } from '../core/arguments.js';
import { describeValue } from '../util/describe-value.js';
import {
  assertFiniteData,
  resolveAssetNames,
  resolveReturns,
  type LabelledReturns,
  type MatrixInput,
  type RowsInput,
} from './returns-input.js';
import type { Matrix } from '../numeric/linalg/matrix.js';

/** Options of {@link optimizePortfolio}; the same values as the `portfolio.optimize` params. */
export interface OptimizeOptions {
  /** A method id or a documented alias (`erc` = `risk_parity`). */
  readonly method: PortfolioMethod | 'erc';
  /** Annualisation factor A (> 0): 252 for daily business-day returns, 52 weekly, 12 monthly. */
  readonly periodsPerYear: number;
  /** `sample` (default), `ledoit_wolf`, or `auto` (Ledoit–Wolf when T < 3·n). */
  readonly covariance?: CovarianceEstimator | 'auto';
  /** max_sharpe: arithmetic `mean` (default) or `cagr`. */
  readonly expectedReturns?: ExpectedReturnEstimator;
  /** Annual risk-free rate (max_sharpe), default 0. */
  readonly riskFreeRate?: number;
  /** Lower bound of every weight in [0, 1], default 0. */
  readonly minWeight?: number;
  /** Upper bound of every weight in [0, 1], default 1. */
  readonly maxWeight?: number;
  /** hrp: linkage of the clustering, default `single`. */
  readonly linkage?: LinkageMethod;
  /** hrp: `dendrogram` (default) or `optimal` leaf order. */
  readonly leafOrder?: LeafOrder;
  /** min_cvar, min_cdar, mean_cvar: confidence level of CVaR / CDaR, 0 < β < 1 (default 0.95). */
  readonly cvarLevel?: number;
  /**
   * Linear constraints besides the budget and the bounds, e.g. a group limit
   * `{ name: 'group tech', coefficients: { AAPL: 1, MSFT: 1 }, upper: 0.3 }` (coefficients keyed by asset
   * name, or an array in column order). min_variance, max_sharpe and risk_parity solve them exactly; the
   * other methods are projected onto the feasible set. Conflicting limits are `E_INFEASIBLE_CONSTRAINTS`.
   */
  readonly constraints?: readonly LinearConstraintInput[];
  /** Asset names for error messages (unlabelled inputs only; one per column). */
  readonly labels?: readonly string[];
  /**
   * risk_parity: risk budgets, one positive value per column or a record by asset name (labelled input
   * or `labels`), divided by their sum; the relative risk contributions of the result equal them.
   */
  readonly riskBudget?: readonly number[] | Readonly<Record<string, number>>;
  /**
   * Stay near reference weights (e.g. the current holdings): Σ|w − reference| ≤ `maxTurnover` (0..2)
   * and/or `penalty`·Σ|w − reference| in the objective. `reference`: one weight ≥ 0 per column, or a
   * record by asset name (assets left out are held at 0). Exact for min_variance and max_sharpe
   * (max_sharpe: the ratio net of the penalty); the other methods project their answer onto the
   * turnover ball within the limits. Recorded in `diagnostics.turnover`; a bound the limits cannot meet
   * is `E_INFEASIBLE_CONSTRAINTS` with the least turnover they allow.
   */
  readonly turnover?: {
    readonly reference: readonly number[] | Readonly<Record<string, number>>;
    readonly maxTurnover?: number;
    readonly penalty?: number;
  };
}

/** One linear constraint of {@link OptimizeOptions.constraints}. */
export interface LinearConstraintInput {
  readonly name: string;
  readonly coefficients: readonly number[] | Readonly<Record<string, number>>;
  readonly lower?: number;
  readonly upper?: number;
}

/** The result for a labelled input: weights keyed by asset name, in input order. */
export interface LabelledOptimizeResult extends Omit<OptimizeResult, 'weights'> {
  readonly assets: readonly string[];
  readonly weights: Readonly<Record<string, number>>;
}

const optionsSchema = z.strictObject({
  method: fields.method,
  periodsPerYear: fields.periodsPerYear,
  covariance: z.enum([...COVARIANCE_ESTIMATORS, 'auto']).optional(),
  expectedReturns: fields.expectedReturns.optional(),
  riskFreeRate: fields.riskFreeRate.optional(),
  minWeight: fields.minWeight.optional(),
  maxWeight: fields.maxWeight.optional(),
  linkage: fields.linkage.optional(),
  leafOrder: fields.leafOrder.optional(),
  cvarLevel: fields.cvarLevel.optional(),
  constraints: fields.constraints.optional(),
  labels: z.array(z.string()).optional(),
  riskBudget: z.union([fields.riskBudgetList, fields.riskBudget]).optional(),
  turnover: fields.turnoverOption.optional(),
});
const OPTION_KEYS = Object.keys(optionsSchema.shape);

/**
 * Portfolio weights of one method on a table of simple returns (T observations × n assets).
 *
 * `returns` may be a `{ rows, cols, data }` row-major matrix, an array of rows (`number[][]`, one row
 * per observation), or `{ assets, returns }` — then the weights come back keyed by asset name, in the
 * order given. Every argument is checked first: a wrong type, an unknown option, a value out of range,
 * a ragged or non-finite table is a `QuantError` `E_PARAMS` naming the option (or row and column), the
 * value received and what is allowed; numeric failures keep their own codes (`E_SINGULAR_COVARIANCE`,
 * `E_INFEASIBLE_BOUNDS`, …).
 *
 * @example
 * ```ts
 * const r = optimizePortfolio({ assets: ['A', 'B'], returns: rows }, { method: 'erc', periodsPerYear: 252 });
 * r.weights.A; // risk-parity weight of A
 * ```
 */
export function optimizePortfolio(returns: LabelledReturns, options: OptimizeOptions): LabelledOptimizeResult;
export function optimizePortfolio(returns: MatrixInput | RowsInput, options: OptimizeOptions): OptimizeResult;
export function optimizePortfolio(
  returns: MatrixInput | RowsInput | LabelledReturns,
  options: OptimizeOptions,
): OptimizeResult | LabelledOptimizeResult;
export function optimizePortfolio(
  returns: unknown,
  options: unknown,
): OptimizeResult | LabelledOptimizeResult {
  const opts = resolveOptions(options);
  // Every method but the tail-risk ones starts with the column means, which read every value and fail
  // on a non-finite one: a Float64Array is then checked only when the run fails (same error, one pass
  // over the data less). The tail-risk methods read the scenarios otherwise: checked first.
  const deferFiniteness = !TAIL_METHODS.has(resolveMethod(opts.method));
  const resolved = resolveReturns(returns, 'returns', { deferFiniteness });
  try {
    return optimizeResolved(opts, resolved.matrix, resolved.assets);
  } catch (error) {
    if (resolved.unchecked === true) assertFiniteData(resolved.matrix);
    throw error;
  }
}

const TAIL_METHODS: ReadonlySet<string> = new Set(['min_cvar', 'min_cdar', 'mean_cvar']);

function optimizeResolved(
  opts: ParsedOptions,
  matrix: Matrix,
  assets: readonly string[] | undefined,
): OptimizeResult | LabelledOptimizeResult {
  if (opts.labels !== undefined) resolveAssetNames(opts.labels, 'options.labels');
  if (opts.labels !== undefined && (assets !== undefined || opts.labels.length !== matrix.cols)) {
    throw new QuantError(
      'E_PARAMS',
      `options.labels: received ${describeValue(opts.labels)}; expected ${assets === undefined ? `${matrix.cols} names, one per column` : 'no labels with a labelled input (its assets name the columns)'}`,
    );
  }
  const labels = assets ?? opts.labels;
  const riskBudget =
    opts.riskBudget === undefined
      ? undefined
      : resolveRiskBudget(
          opts.riskBudget,
          labels,
          matrix.cols,
          resolveMethod(opts.method),
          'options.riskBudget',
        );
  const t = opts.turnover;
  const turnover =
    t === undefined
      ? undefined
      : {
          reference: resolveTurnoverReference(t.reference, labels, matrix.cols, 'options.turnover.reference'),
          ...(t.maxTurnover === undefined ? {} : { maxTurnover: t.maxTurnover }),
          ...(t.penalty === undefined ? {} : { penalty: t.penalty }),
        };
  const result = optimizeKernel(matrix, {
    ...toKernelOptions(opts, matrix.cols, labels),
    ...(riskBudget === undefined ? {} : { riskBudget }),
    ...(turnover === undefined ? {} : { turnover }),
  });
  if (assets === undefined) return result;
  const weights = Object.fromEntries(assets.map((a, j) => [a, result.weights[j] as number]));
  return { ...result, assets, weights };
}

type ParsedOptions = z.output<typeof optionsSchema>;

/** The kernel's options: the method resolved, an explicit `undefined` read as "not set". */
function toKernelOptions(
  o: ParsedOptions,
  cols: number,
  labels: readonly string[] | undefined,
): KernelOptions {
  return {
    method: resolveMethod(o.method),
    periodsPerYear: o.periodsPerYear,
    ...(o.covariance === undefined ? {} : { covariance: o.covariance }),
    ...(o.expectedReturns === undefined ? {} : { expectedReturns: o.expectedReturns }),
    ...(o.riskFreeRate === undefined ? {} : { riskFreeRate: o.riskFreeRate }),
    ...(o.minWeight === undefined ? {} : { minWeight: o.minWeight }),
    ...(o.maxWeight === undefined ? {} : { maxWeight: o.maxWeight }),
    ...(o.linkage === undefined ? {} : { linkage: o.linkage }),
    ...(o.leafOrder === undefined ? {} : { leafOrder: o.leafOrder }),
    ...(o.cvarLevel === undefined ? {} : { cvarLevel: o.cvarLevel }),
    ...(o.constraints === undefined ? {} : { constraints: toLinearConstraints(o.constraints, cols, labels) }),
    ...(labels === undefined ? {} : { labels }),
  };
}

/** The parsed constraint rows as LinearConstraints on `n` columns; names keyed coefficients by `labels`. */
function toLinearConstraints(
  rows: NonNullable<ParsedOptions['constraints']>,
  n: number,
  labels: readonly string[] | undefined,
): LinearConstraints {
  return createLinearConstraints(
    n,
    rows.map((row, k) => {
      const at = `options.constraints[${k}].coefficients`;
      let coefficients: number[];
      if (Array.isArray(row.coefficients)) {
        if (row.coefficients.length !== n) {
          throw new QuantError(
            'E_PARAMS',
            `${at}: received ${row.coefficients.length} numbers; expected ${n}, one per column`,
          );
        }
        coefficients = row.coefficients;
      } else {
        if (labels === undefined) {
          throw new QuantError(
            'E_PARAMS',
            `${at}: coefficients keyed by asset name need a labelled input or labels`,
            {
              hint: 'pass { assets, returns }, or give the coefficients as an array in column order',
            },
          );
        }
        coefficients = new Array<number>(n).fill(0);
        for (const [asset, value] of Object.entries(row.coefficients)) {
          const j = labels.indexOf(asset);
          if (j < 0) {
            throw new QuantError('E_PARAMS', `${at}.${asset}: unknown asset${didYouMean(asset, labels)}`, {
              hint: `assets are ${labels.join(', ')}`,
            });
          }
          coefficients[j] = value;
        }
      }
      return {
        name: row.name,
        coefficients,
        ...(row.lower === undefined ? {} : { lower: row.lower }),
        ...(row.upper === undefined ? {} : { upper: row.upper }),
      };
    }),
  );
}

function resolveOptions(options: unknown): ParsedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new QuantError(
      'E_PARAMS',
      `options: received ${describeValue(options)}; expected an object with at least method and periodsPerYear`,
      { hint: "e.g. optimizePortfolio(returns, { method: 'hrp', periodsPerYear: 252 })" },
    );
  }
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issues = expandUnions(parsed.error.issues).flatMap((issue) => describeIssue(issue, options));
  throw new QuantError('E_PARAMS', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
    hint: `options are ${OPTION_KEYS.join(', ')} (the portfolio.optimize params in camelCase)`,
    issues,
  });
}

function describeIssue(issue: z.core.$ZodIssue, options: object): Issue[] {
  const key = String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({
      path: `options.${k}`,
      message: `unknown option${didYouMean(k, OPTION_KEYS)}; allowed: ${OPTION_KEYS.join(', ')}`,
    }));
  }
  const path = `options${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
  const value: unknown = issue.path.reduce<unknown>(
    (v, p) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[p] : undefined),
    options,
  );
  const got = value === undefined ? 'missing' : `received ${describeValue(value)}`;
  return [{ path, message: `${got}; expected ${expected(issue, value, key)}` }];
}
