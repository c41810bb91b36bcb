import { timesScalar } from '../linalg/matrix.js';
import { QuantError, isQuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { sampleCovariance, meanReturns, cagrReturns } from '../covariance/sample-covariance.js';
import { ledoitWolfCovariance } from '../covariance/ledoit-wolf.js';
import type { LinkageMethod } from '../cluster/linkage.js';
import { hierarchicalRiskParity, type HierarchicalRiskParityResult } from './hierarchical-risk-parity.js';
import { inverseVariance } from './inverse-variance.js';
import { equalWeight } from './equal-weight.js';
import { minVariance } from './min-variance.js';
import { maxSharpe } from './max-sharpe.js';
import { barbell } from './barbell.js';
import { applyBounds } from './bounded-projection.js';
import { minCdar, minCvar, type TailRiskResult } from './min-cvar.js';
import { meanCvar, type MeanCvarResult } from './mean-cvar.js';
import { DEFAULT_CVAR_LEVEL, assertTailLevel } from '../stats/tail-risk.js';
import { assertFeasibleBounds, type WeightBound } from './feasibility.js';
import { maxSharpeConstrained, minVarianceConstrained } from './constrained-qp.js';
import { riskParityConstrained } from './constrained-risk-parity.js';
import type { TurnoverOptions } from './turnover.js';
import { optimizeNearReference } from './_turnover-step.js';
import { riskParityResult } from './_risk-parity-result.js';
import {
  assertFeasibleLinearConstraints,
  emptyLinearConstraints,
  projectOntoConstraints,
  settleWeights,
  validateLinearConstraints,
  type LinearConstraints,
} from './linear-constraints.js';
import {
  PORTFOLIO_METHODS,
  canonicalMethod,
  type CovarianceEstimator,
  type ExpectedReturnEstimator,
  type PortfolioMethod,
} from '../../util/vocabulary.js';
export {
  PORTFOLIO_METHODS,
  type CovarianceEstimator,
  type ExpectedReturnEstimator,
  type PortfolioMethod,
} from '../../util/vocabulary.js';

/** The declared fallback chain when a method fails numerically (singular matrix, solver limit). */
const FALLBACK_CHAIN = ['inverse_variance', 'equal_weight'] as const;

/**
 * With `covariance: 'auto'`, fewer than this many observations per asset select the Ledoit–Wolf
 * estimate instead of the sample covariance (which is singular below 1 and noisy below about 3).
 */
const AUTO_SHRINKAGE_RATIO = 3;

export interface OptimizeOptions {
  readonly method: PortfolioMethod;
  readonly periodsPerYear: number;
  /**
   * The estimator (default `sample`); `auto` = `ledoit_wolf` when T < {@link AUTO_SHRINKAGE_RATIO}·n,
   * else `sample`, recorded in the diagnostics (`covariance`, `covariance_rule`).
   */
  readonly covariance?: CovarianceEstimator | 'auto';
  readonly expectedReturns?: ExpectedReturnEstimator;
  readonly riskFreeRate?: number;
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
  /**
   * Linear constraints lower ≤ A·w ≤ upper besides the budget and the bounds (group limits, caps). The
   * quadratic methods and risk parity solve them exactly; hrp, equal_weight, inverse_variance and barbell
   * project their answer onto the feasible set (least squares), recorded in `diagnostics.projection`.
   * The answer is checked against every limit (E_SOLVER beyond 1e-9); a weight of −2e-17 at a bound of
   * 0 (the solvers' rounding) is returned as 0.
   */
  readonly constraints?: LinearConstraints;
  readonly linkage?: LinkageMethod;
  readonly leafOrder?: 'dendrogram' | 'optimal';
  /** min_cvar, min_cdar, mean_cvar: confidence level β of CVaR / CDaR, 0 < β < 1 (default 0.95). */
  readonly cvarLevel?: number;
  /** Names for the assets in error messages: "asset i" becomes labels[i] (e.g. `sleeve cash`). */
  readonly labels?: readonly string[];
  /**
   * risk_parity: risk budgets, one positive value per column (divided by their sum; the normalised
   * budgets are `diagnostics.risk_budget`, with `risk_budget_note` when the sum was not 1). Other
   * methods, the fallback chain included, do not read them.
   */
  readonly riskBudget?: readonly number[];
  /**
   * Stay near reference weights: Σ|w − p| ≤ `maxTurnover`, `penalty`·Σ|w − p| in the objective.
   * min_variance and max_sharpe solve it exactly; the other methods project their answer onto the
   * turnover ball within the limits (least squares). Recorded in `diagnostics.turnover`.
   */
  readonly turnover?: TurnoverOptions;
  /**
   * The sample covariance of `returns` (per period) when the estimator is `sample`; default
   * `sampleCovariance`. A walk-forward passes its rolling covariance here (`incremental_moments`).
   */
  readonly sampleCovariance?: (returns: Matrix) => Matrix;
}

export interface OptimizeResult {
  readonly method: PortfolioMethod;
  readonly weights: Float64Array;
  readonly diagnostics: Record<string, unknown>;
  /** The HRP tree when the method builds one. */
  readonly tree?: HierarchicalRiskParityResult;
}

/** Resolve a method id or alias; unknown ids are `E_PARAMS`. */
export function resolveMethod(id: string): PortfolioMethod {
  const method = canonicalMethod(id);
  if (method !== undefined) return method;
  throw new QuantError('E_PARAMS', `unknown method "${id}"`, {
    hint: `use one of ${PORTFOLIO_METHODS.join(', ')} (alias erc)`,
  });
}

/**
 * Weights of one method on a T x n matrix of simple returns. Covariance and expected returns are
 * annualised by `periodsPerYear` (weights of every method but max_sharpe with r_f ≠ 0 are scale-free).
 * The only weight limits are the bounds given: no hidden caps.
 */
export function optimizePortfolio(returns: Matrix, options: OptimizeOptions): OptimizeResult {
  try {
    const result = optimizeUnlabelled(returns, options);
    const c = options.constraints;
    if ((c === undefined || c.rows === 0) && options.turnover === undefined) return result;
    // The answer under linear constraints or turnover (a dual active-set solve or a projection) holds a
    // binding bound only to rounding: checked against every limit, a weight of −2e-17 returned as 0.
    const weights = settleWeights(
      result.weights,
      c ?? emptyLinearConstraints(returns.cols),
      options.minWeight ?? 0,
      options.maxWeight ?? 1,
      options.labels,
    );
    return { ...result, weights };
  } catch (error) {
    throw relabel(error, options.labels);
  }
}

/**
 * A QuantError whose message names assets by index ("asset 3"), restated with `labels` (same code, hint
 * and details); anything else unchanged.
 */
export function relabel(error: unknown, labels: readonly string[] | undefined): unknown {
  if (labels === undefined || !isQuantError(error)) return error;
  const message = relabelText(error.message, labels);
  if (message === error.message) return error;
  return new QuantError(error.code, message, {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.location === undefined ? {} : { location: error.location }),
    issues: error.issues,
    details: error.details,
    cause: error,
  });
}

function relabelText(text: string, labels: readonly string[] | undefined): string {
  if (labels === undefined) return text;
  return text.replace(
    /\basset (index )?(\d+)\b/g,
    (all: string, _: string, i: string) => labels[Number(i)] ?? all,
  );
}

function checkShape(returns: Matrix, lo: WeightBound, hi: WeightBound): void {
  const n = returns.cols;
  if (n < 2) throw new QuantError('E_TOO_FEW_ASSETS', `need at least 2 assets, got ${n}`);
  if (returns.rows < 2) {
    throw new QuantError('E_TOO_FEW_OBSERVATIONS', `need at least 2 observations, got ${returns.rows}`);
  }
  assertFeasibleBounds(n, lo, hi);
}

function optimizeUnlabelled(returns: Matrix, options: OptimizeOptions): OptimizeResult {
  if (options.turnover !== undefined) {
    const { turnover, ...rest } = options;
    return optimizeNearReference(returns, rest, turnover, {
      solve: optimizeUnlabelled,
      covariance: (r, o) => estimateCovariance(r, o).cov,
      expectedReturns: expectedReturnsOf,
    });
  }
  const n = returns.cols;
  const lo = options.minWeight ?? 0;
  const hi = options.maxWeight ?? 1;
  checkShape(returns, lo, hi);
  if (TAIL_METHODS.has(options.method)) {
    needsConstrainedPath(options, n);
    return optimizeTail(returns, options);
  }
  const { cov, diagnostics } = estimateCovariance(returns, options);
  if (needsConstrainedPath(options, n)) return optimizeConstrained(returns, cov, options, diagnostics);
  switch (options.method) {
    case 'equal_weight':
      return { method: options.method, weights: applyBounds(equalWeight(n), lo, hi), diagnostics };
    case 'inverse_variance':
      return { method: options.method, weights: applyBounds(inverseVariance(cov), lo, hi), diagnostics };
    case 'hrp': {
      const tree = hierarchicalRiskParity(cov, {
        linkage: options.linkage ?? 'single',
        leafOrder: options.leafOrder ?? 'dendrogram',
        minWeight: lo as number,
        maxWeight: hi as number,
      });
      return {
        method: options.method,
        weights: tree.weights,
        diagnostics: {
          ...diagnostics,
          linkage: options.linkage ?? 'single',
          leaf_order: options.leafOrder ?? 'dendrogram',
          order: tree.order,
        },
        tree,
      };
    }
    case 'min_variance': {
      const r = minVariance(cov, { minWeight: lo, maxWeight: hi });
      return {
        method: options.method,
        weights: r.weights,
        diagnostics: { ...diagnostics, iterations: r.iterations },
      };
    }
    case 'max_sharpe': {
      const mu = expectedReturnsOf(returns, options);
      const rf = options.riskFreeRate ?? 0;
      const r = maxSharpe(cov, mu, { riskFreeRate: rf, minWeight: lo, maxWeight: hi });
      return {
        method: options.method,
        weights: r.weights,
        diagnostics: {
          ...diagnostics,
          expected_returns: options.expectedReturns ?? 'mean',
          risk_free_rate: rf,
          iterations: r.iterations,
        },
      };
    }
    case 'risk_parity':
      return riskParityResult(cov, lo, hi, options.riskBudget, diagnostics);
    case 'min_cvar':
    case 'min_cdar':
    case 'mean_cvar':
      return optimizeTail(returns, options);
    case 'barbell': {
      const r = barbell(returns, cov, { minWeight: lo, maxWeight: hi });
      return {
        method: options.method,
        weights: r.weights,
        diagnostics: { ...diagnostics, aggressors: r.aggressors },
      };
    }
  }
}

/** The method's annualised covariance (the estimator chosen by `covariance`) and what was chosen. */
function estimateCovariance(
  returns: Matrix,
  options: OptimizeOptions,
): { cov: Matrix; diagnostics: Record<string, unknown> } {
  const n = returns.cols;
  const A = options.periodsPerYear;
  const T = returns.rows;
  const auto = options.covariance === 'auto';
  const estimator: CovarianceEstimator = auto
    ? T < AUTO_SHRINKAGE_RATIO * n
      ? 'ledoit_wolf'
      : 'sample'
    : (options.covariance ?? 'sample');
  const cov = annualise(
    estimator === 'ledoit_wolf'
      ? ledoitWolfCovariance(returns).covariance
      : (options.sampleCovariance ?? sampleCovariance)(returns),
    A,
  );
  const diagnostics: Record<string, unknown> = {
    periods_per_year: A,
    covariance: estimator,
    ...(auto
      ? {
          covariance_rule: `auto: ${T} observations ${estimator === 'sample' ? '≥' : '<'} ${AUTO_SHRINKAGE_RATIO} × ${n} assets`,
        }
      : {}),
  };
  return { cov, diagnostics };
}

const TAIL_METHODS: ReadonlySet<PortfolioMethod> = new Set(['min_cvar', 'min_cdar', 'mean_cvar']);

/**
 * The tail-risk methods: linear programs on the T historical scenarios (no covariance). Diagnostics
 * carry the level, the optimum (per period) and the LP's optimality: the gap between the answer's value
 * and the master's lower bound, the largest primal and dual residuals, cuts and pivots.
 */
function optimizeTail(returns: Matrix, options: OptimizeOptions): OptimizeResult {
  const level = options.cvarLevel ?? DEFAULT_CVAR_LEVEL;
  assertTailLevel(level);
  const bounds = {
    level,
    minWeight: options.minWeight ?? 0,
    maxWeight: options.maxWeight ?? 1,
    ...(options.constraints === undefined || options.constraints.rows === 0
      ? {}
      : { linear: options.constraints }),
  };
  const base = { periods_per_year: options.periodsPerYear, cvar_level: level, scenarios: returns.rows };
  if (options.method === 'mean_cvar') {
    const rf = options.riskFreeRate ?? 0;
    const r = meanCvar(returns, { ...bounds, riskFreePerPeriod: rf / options.periodsPerYear });
    return {
      method: options.method,
      weights: r.weights,
      diagnostics: {
        ...base,
        risk_free_rate: rf,
        cvar: r.cvar,
        excess_return: r.excessReturn,
        return_per_cvar: r.ratio,
        lp: lpDiagnostics(r.lp),
      },
    };
  }
  const r = options.method === 'min_cdar' ? minCdar(returns, bounds) : minCvar(returns, bounds);
  return {
    method: options.method,
    weights: r.weights,
    diagnostics: {
      ...base,
      [options.method === 'min_cdar' ? 'cdar' : 'cvar']: r.value,
      lp: lpDiagnostics(r.lp),
    },
  };
}

/** Whether linear constraints (checked feasible here) or per-asset bounds on hrp call for the constrained path. */
function needsConstrainedPath(options: OptimizeOptions, n: number): boolean {
  const c = options.constraints;
  const lo = options.minWeight ?? 0;
  const hi = options.maxWeight ?? 1;
  if (c !== undefined) {
    validateLinearConstraints(c, n);
    if (c.rows > 0) {
      assertFeasibleLinearConstraints(c, lo, hi, options.labels);
      return true;
    }
  }
  return options.method === 'hrp' && (typeof lo !== 'number' || typeof hi !== 'number');
}

/**
 * The methods under linear constraints: min_variance, max_sharpe and risk_parity solve them exactly
 * (constrained-qp.ts, constrained-risk-parity.ts); hrp, equal_weight, inverse_variance and barbell run
 * unconstrained (the scalar box kept where the method takes one) and are projected onto the feasible set.
 */
function optimizeConstrained(
  returns: Matrix,
  cov: Matrix,
  options: OptimizeOptions,
  diagnostics: Record<string, unknown>,
): OptimizeResult {
  const c = options.constraints ?? emptyLinearConstraints(cov.rows);
  const bounds = {
    minWeight: options.minWeight ?? 0,
    maxWeight: options.maxWeight ?? 1,
    ...(options.labels === undefined ? {} : { labels: options.labels }),
  };
  const method = options.method;
  if (method === 'min_variance' || method === 'max_sharpe' || method === 'risk_parity') {
    const r =
      method === 'min_variance'
        ? minVarianceConstrained(cov, c, bounds)
        : method === 'max_sharpe'
          ? maxSharpeConstrained(cov, expectedReturnsOf(returns, options), c, {
              ...bounds,
              riskFreeRate: options.riskFreeRate ?? 0,
            })
          : riskParityConstrained(cov, c, {
              ...bounds,
              ...(options.riskBudget === undefined ? {} : { riskBudget: options.riskBudget }),
            });
    return {
      method,
      weights: r.weights,
      diagnostics: {
        ...diagnostics,
        ...(method === 'max_sharpe'
          ? { expected_returns: options.expectedReturns ?? 'mean', risk_free_rate: options.riskFreeRate ?? 0 }
          : {}),
        iterations: r.iterations,
        solver: method === 'risk_parity' ? 'newton_dual_active_set' : 'dual_active_set',
        kkt_max_violation: r.kkt.maxViolation,
        binding_constraints: r.binding,
      },
    };
  }
  const free = optimizeUnlabelled(returns, {
    ...options,
    minWeight: typeof bounds.minWeight === 'number' ? bounds.minWeight : 0,
    maxWeight: typeof bounds.maxWeight === 'number' ? bounds.maxWeight : 1,
    constraints: emptyLinearConstraints(c.n),
  });
  const after = projectOntoConstraints(free.weights, c, bounds.minWeight, bounds.maxWeight, options.labels);
  let distance = 0;
  for (let i = 0; i < after.length; i++)
    distance += ((after[i] as number) - (free.weights[i] as number)) ** 2;
  return {
    ...free,
    weights: after,
    diagnostics: {
      ...free.diagnostics,
      projection: {
        before: Array.from(free.weights),
        after: Array.from(after),
        distance: Math.sqrt(distance),
      },
    },
  };
}

function lpDiagnostics(lp: TailRiskResult['lp'] | MeanCvarResult['lp']): Record<string, unknown> {
  return {
    solver: 'solver' in lp ? lp.solver : 'cutting-plane dual simplex',
    cuts: lp.cuts,
    pivots: lp.pivots,
    gap: lp.gap,
    primal_residual: lp.primalResidual,
    dual_residual: lp.dualResidual,
  };
}

function expectedReturnsOf(returns: Matrix, options: OptimizeOptions): Float64Array {
  const A = options.periodsPerYear;
  return options.expectedReturns === 'cagr' ? cagrReturns(returns, A) : scale(meanReturns(returns), A);
}

export interface FallbackStep {
  readonly method: PortfolioMethod;
  readonly code: string;
  readonly message: string;
}

export interface OptimizeWithFallbackResult extends OptimizeResult {
  readonly requested: PortfolioMethod;
  /** Methods that failed, in order, before `method` succeeded. */
  readonly fallbacks: readonly FallbackStep[];
}

const NUMERIC_FAILURES = new Set([
  'E_SINGULAR_COVARIANCE',
  'E_SOLVER',
  'E_NO_POSITIVE_EXCESS_RETURN',
  'E_UNBOUNDED_SHARPE',
]);

/**
 * {@link optimizePortfolio} with the declared fallback chain: a failure of the method on the data
 * (a covariance on which the method is undefined or not unique, solver limit, a max_sharpe without a
 * positive or with an unbounded ratio) falls back to inverse variance, then equal weight. Input errors
 * (infeasible bounds, too few assets) are never masked.
 */
export function optimizeWithFallback(returns: Matrix, options: OptimizeOptions): OptimizeWithFallbackResult {
  const fallbacks: FallbackStep[] = [];
  const chain: PortfolioMethod[] = [options.method, ...FALLBACK_CHAIN.filter((m) => m !== options.method)];
  for (const method of chain) {
    try {
      return { ...optimizePortfolio(returns, { ...options, method }), requested: options.method, fallbacks };
    } catch (error) {
      if (!isQuantError(error) || !NUMERIC_FAILURES.has(error.code)) throw error;
      fallbacks.push({ method, code: error.code, message: error.message });
    }
  }
  throw new QuantError(
    'E_SOLVER',
    `every method of the fallback chain failed: ${fallbacks.map((f) => `${f.method} (${f.code})`).join(', ')}`,
  );
}

function annualise(m: Matrix, factor: number): Matrix {
  return { rows: m.rows, cols: m.cols, data: timesScalar(m.data, factor) };
}

function scale(v: Float64Array, factor: number): Float64Array {
  return v.map((x) => x * factor);
}
