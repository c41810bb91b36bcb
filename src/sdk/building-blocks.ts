/**
 * The estimators behind the optimizer, exported for library callers: covariance (sample, Ledoit–Wolf),
 * expected returns (mean, CAGR), risk contributions and the performance statistics of one return series.
 * Each takes the input shapes of `optimizePortfolio`, checks its arguments (`E_PARAMS` naming the
 * argument, the value received and what is allowed) and returns plain arrays.
 */
import { z } from 'zod';
import { QuantError } from '../errors.js';
import { cagrReturns, meanReturns, sampleCovariance } from '../numeric/covariance/sample-covariance.js';
import { relabel } from '../numeric/optimize/optimize-portfolio.js';
import { ledoitWolfCovariance } from '../numeric/covariance/ledoit-wolf.js';
import { matrixToRows } from '../numeric/linalg/matrix.js';
import { performanceMetrics, type PerformanceMetrics } from '../numeric/stats/performance.js';
import { optimizeOptionSchemas as fields } from '../stages/index.js';
import { didYouMean } from '../util/suggest.js';
import { describeValue } from '../util/describe-value.js';
import {
  isNumberList,
  resolveReturns,
  type LabelledReturns,
  type MatrixInput,
  type NumberList,
  type ReturnsInput,
  type RowsInput,
} from './returns-input.js';
import { expected } from '../core/arguments.js';
import { assertPositiveSemidefinite, checkCovariance } from '../numeric/optimize/covariance-input.js';

/** A covariance matrix, annualised by `periodsPerYear`. */
export interface CovarianceEstimate {
  readonly estimator: 'sample' | 'ledoit_wolf';
  /** n × n, rows and columns in input order. */
  readonly matrix: number[][];
  /** The asset names of a labelled input. */
  readonly assets?: readonly string[];
  /** ledoit_wolf: the shrinkage intensity δ ∈ [0, 1]. */
  readonly shrinkage?: number;
}

/** The {@link CovarianceEstimate} of a labelled returns table: its asset names are there. */
export interface LabelledCovarianceEstimate extends CovarianceEstimate {
  readonly assets: readonly string[];
}

/** The {@link CovarianceEstimate} of an unlabelled returns table: no asset names. */
export interface UnlabelledCovarianceEstimate extends CovarianceEstimate {
  readonly assets?: never;
}

/** Expected annual returns, one per asset in input order. */
export interface ExpectedReturnsEstimate {
  readonly method: 'mean' | 'cagr';
  readonly values: number[];
  readonly assets?: readonly string[];
}

/** The {@link ExpectedReturnsEstimate} of a labelled returns table: its asset names are there. */
export interface LabelledExpectedReturns extends ExpectedReturnsEstimate {
  readonly assets: readonly string[];
}

/** The {@link ExpectedReturnsEstimate} of an unlabelled returns table: no asset names. */
export interface UnlabelledExpectedReturns extends ExpectedReturnsEstimate {
  readonly assets?: never;
}

/** Options of {@link expectedReturns}. */
export type ExpectedReturnsOptions = {
  readonly method?: 'mean' | 'cagr';
  readonly periodsPerYear: number;
};

/** Check the options object of building block `fn` against `schema` (`E_PARAMS`, did-you-mean). */
export function parseOptions<S extends z.ZodObject>(schema: S, options: unknown, fn: string): z.output<S> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new QuantError(
      'E_PARAMS',
      `${fn} options: received ${describeValue(options)}; expected an object`,
      {
        hint: `e.g. ${fn}(returns, { periodsPerYear: 252 })`,
      },
    );
  }
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const keys = Object.keys(schema.shape);
  const messages = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map(
        (k) => `options.${k}: unknown option${didYouMean(k, keys)}; allowed: ${keys.join(', ')}`,
      );
    }
    const key = String(issue.path[0] ?? '');
    const value = (options as Record<string, unknown>)[key];
    const got = value === undefined ? 'missing' : `received ${describeValue(value)}`;
    return [`options.${key}: ${got}; expected ${expected(issue, value, key)}`];
  });
  throw new QuantError('E_PARAMS', `${fn}: ${messages.join('; ')}`);
}

/** Options of {@link estimateCovariance}. */
export type EstimateCovarianceOptions = {
  readonly estimator?: 'sample' | 'ledoit_wolf';
  readonly periodsPerYear: number;
};

const covarianceOptions = z.strictObject({
  estimator: fields.covariance.optional(),
  periodsPerYear: fields.periodsPerYear,
});

/**
 * Covariance of the asset returns, annualised: `sample` (1/(T − 1)) or `ledoit_wolf` (shrunk towards
 * m·I, Ledoit & Wolf 2004), times `periodsPerYear`.
 *
 * A labelled table (`{ assets, returns }`) types `assets` as present ({@link LabelledCovarianceEstimate}),
 * so that `hrpTree` of the estimate has its `orderedAssets`; an unlabelled one as absent.
 *
 * @example `estimateCovariance(rows, { estimator: 'ledoit_wolf', periodsPerYear: 252 }).matrix`
 */
export function estimateCovariance(
  returns: LabelledReturns,
  options: EstimateCovarianceOptions,
): LabelledCovarianceEstimate;
export function estimateCovariance(
  returns: MatrixInput | RowsInput,
  options: EstimateCovarianceOptions,
): UnlabelledCovarianceEstimate;
export function estimateCovariance(
  returns: ReturnsInput,
  options: EstimateCovarianceOptions,
): CovarianceEstimate;
export function estimateCovariance(
  returns: ReturnsInput,
  options: EstimateCovarianceOptions,
): CovarianceEstimate {
  const o = parseOptions(covarianceOptions, options, 'estimateCovariance');
  const { matrix, assets } = resolveReturns(returns);
  const A = o.periodsPerYear;
  const estimator = o.estimator ?? 'sample';
  const lw = estimator === 'ledoit_wolf' ? ledoitWolfCovariance(matrix) : undefined;
  const cov = lw?.covariance ?? sampleCovariance(matrix);
  // Finite returns near 1e154 and beyond overflow in their products; optimizePortfolio refuses them too.
  if (
    !cov.data.every((x) => Number.isFinite(x * A)) ||
    (lw !== undefined && !Number.isFinite(lw.shrinkage))
  ) {
    throw new QuantError(
      'E_INPUT_VALUE',
      'estimateCovariance: the covariance of these returns overflows a double (returns near 1e154 or larger)',
      { hint: 'pass simple returns (0.01 = 1 %), not prices or amounts' },
    );
  }
  return {
    estimator,
    matrix: matrixToRows(cov).map((row) => row.map((x) => x * A)),
    ...(assets === undefined ? {} : { assets }),
    ...(lw === undefined ? {} : { shrinkage: lw.shrinkage }),
  };
}

const expectedOptions = z.strictObject({
  method: fields.expectedReturns.optional(),
  periodsPerYear: fields.periodsPerYear,
});

/**
 * Expected annual return of each asset: arithmetic `mean` × periodsPerYear, or `cagr`
 * (∏(1 + r))^(A/T) − 1.
 *
 * A labelled table (`{ assets, returns }`) types `assets` as present ({@link LabelledExpectedReturns}); an
 * unlabelled one as absent.
 */
export function expectedReturns(
  returns: LabelledReturns,
  options: ExpectedReturnsOptions,
): LabelledExpectedReturns;
export function expectedReturns(
  returns: MatrixInput | RowsInput,
  options: ExpectedReturnsOptions,
): UnlabelledExpectedReturns;
export function expectedReturns(
  returns: ReturnsInput,
  options: ExpectedReturnsOptions,
): ExpectedReturnsEstimate;
export function expectedReturns(
  returns: ReturnsInput,
  options: ExpectedReturnsOptions,
): ExpectedReturnsEstimate {
  const o = parseOptions(expectedOptions, options, 'expectedReturns');
  const { matrix, assets } = resolveReturns(returns);
  if (matrix.cols < 1) throw new QuantError('E_TOO_FEW_ASSETS', 'expectedReturns: the table has no asset');
  if (matrix.rows < 1)
    throw new QuantError('E_TOO_FEW_OBSERVATIONS', 'expectedReturns: the table has no row');
  const method = o.method ?? 'mean';
  let values: Float64Array;
  try {
    values =
      method === 'cagr'
        ? cagrReturns(matrix, o.periodsPerYear)
        : meanReturns(matrix).map((x) => x * o.periodsPerYear);
  } catch (error) {
    throw relabel(error, assets);
  }
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const name = assets?.[bad] ?? `column ${bad}`;
    throw new QuantError(
      'E_INPUT_VALUE',
      `expectedReturns: the ${method} return of ${name} is ${values[bad]}: the returns overflow a double`,
      { hint: 'pass simple returns (0.01 = 1 %), not prices or amounts' },
    );
  }
  return { method, values: [...values], ...(assets === undefined ? {} : { assets }) };
}

/**
 * Share of the portfolio variance each asset carries: RCᵢ = wᵢ(Σw)ᵢ / wᵀΣw (summing to 1), for weights
 * `w` (length n) and an n × n covariance given as rows.
 */
export function riskContributions(weights: NumberList, covariance: readonly NumberList[]): number[] {
  const w = resolveReturns([weights], 'weights').matrix;
  const n = w.cols;
  const cov = resolveReturns(covariance, 'covariance').matrix;
  if (cov.rows !== n || cov.cols !== n) {
    throw new QuantError(
      'E_PARAMS',
      `covariance: received ${cov.rows} × ${cov.cols}; expected ${n} × ${n} (one row and column per weight)`,
    );
  }
  // As every optimizer: a matrix that is no covariance (asymmetric, a correlation above 1) is refused, and
  // one that gives some portfolio a negative variance (not positive semidefinite).
  if (n >= 2) {
    checkCovariance(cov);
    assertPositiveSemidefinite(cov);
  }
  const sigmaW = new Float64Array(n);
  let variance = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (cov.data[i * n + j] as number) * (w.data[j] as number);
    sigmaW[i] = s;
    variance += (w.data[i] as number) * s;
  }
  if (!(variance > 0) || !Number.isFinite(variance)) {
    throw new QuantError(
      'E_PARAMS',
      `the portfolio variance wᵀΣw is ${variance}; risk contributions need it > 0`,
      {
        hint: 'pass a positive semidefinite covariance and weights not all zero',
      },
    );
  }
  return Array.from(sigmaW, (s, i) => ((w.data[i] as number) * s) / variance);
}

/**
 * Statistics of one series of simple returns (a portfolio's): CAGR, annual volatility, Sharpe and Sortino
 * (risk-free 0), maximum drawdown, Calmar, win rate. A statistic undefined on the series is `null`.
 * Growth whose product overflows is compounded in logs (CAGR, drawdowns); a statistic that is itself
 * beyond the double range is `E_INPUT_VALUE` naming it, never Infinity or NaN.
 */
export function portfolioStats(
  returns: NumberList,
  options: { readonly periodsPerYear: number },
): PerformanceMetrics {
  const o = parseOptions(
    z.strictObject({ periodsPerYear: fields.periodsPerYear }),
    options,
    'portfolioStats',
  );
  if (!isNumberList(returns)) {
    throw new QuantError(
      'E_PARAMS',
      `returns: received ${describeValue(returns)}; expected an array or typed array of numbers`,
    );
  }
  const series = resolveReturns({ rows: returns.length, cols: 1, data: returns }).matrix.data;
  // A figure beyond the double range is refused by performanceMetrics itself, as in the pipeline.
  return performanceMetrics(series, o.periodsPerYear, undefined, {
    subject: 'portfolioStats',
    fieldNames: true,
  });
}
