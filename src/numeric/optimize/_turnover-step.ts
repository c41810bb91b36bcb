/**
 * `optimizePortfolio` with `turnover`: the method's own answer within the limits first (kept as the
 * `before` of the record and as the start of the sign-pattern search), then the exact turnover-aware
 * solve (min_variance, max_sharpe) or the projection onto the turnover ball within the limits.
 */
import type { Matrix } from '../linalg/matrix.js';
import { emptyLinearConstraints, rowValue, type LinearConstraints } from './linear-constraints.js';
import { snapToBounds } from './bounded-projection.js';
import { resolveBounds } from './feasibility.js';
import {
  maxSharpeTurnover,
  minVarianceTurnover,
  projectOntoTurnover,
  turnoverOf,
  type TurnoverOptions,
  type TurnoverResult,
  type TurnoverSolveOptions,
} from './turnover.js';
import type { OptimizeOptions, OptimizeResult } from './optimize-portfolio.js';

/** The parts of optimize-portfolio.ts the turnover step reuses (passed in: no import cycle). */
export interface OptimizeParts {
  readonly solve: (returns: Matrix, options: OptimizeOptions) => OptimizeResult;
  readonly covariance: (returns: Matrix, options: OptimizeOptions) => Matrix;
  readonly expectedReturns: (returns: Matrix, options: OptimizeOptions) => Float64Array;
}

/** Methods solved exactly with the turnover terms; the others are projected. */
const EXACT = new Set(['min_variance', 'max_sharpe']);

export function optimizeNearReference(
  returns: Matrix,
  options: OptimizeOptions,
  turnover: TurnoverOptions,
  parts: OptimizeParts,
): OptimizeResult {
  const free = parts.solve(returns, options);
  const c = options.constraints ?? emptyLinearConstraints(returns.cols);
  const solveOptions: TurnoverSolveOptions = {
    minWeight: options.minWeight ?? 0,
    maxWeight: options.maxWeight ?? 1,
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    turnover,
    start: free.weights,
  };
  const exact = EXACT.has(free.method);
  let r: TurnoverResult;
  if (free.method === 'min_variance')
    r = minVarianceTurnover(parts.covariance(returns, options), c, solveOptions);
  else if (free.method === 'max_sharpe')
    r = maxSharpeTurnover(parts.covariance(returns, options), parts.expectedReturns(returns, options), c, {
      ...solveOptions,
      riskFreeRate: options.riskFreeRate ?? 0,
    });
  else r = projectOntoTurnover(free.weights, c, solveOptions);
  const weights = withinLimits(r.weights, c, solveOptions);
  const achieved = weights === r.weights ? r.turnover : turnoverOf(weights, turnover.reference);
  return {
    ...free,
    weights,
    diagnostics: {
      ...free.diagnostics,
      turnover: {
        solver: exact ? 'exact_sign_pattern' : 'projection',
        reference: Array.from(turnover.reference),
        max_turnover: turnover.maxTurnover ?? null,
        penalty: turnover.penalty ?? 0,
        achieved,
        minimum: r.minimum,
        binding: r.binding,
        before: { weights: Array.from(free.weights), turnover: turnoverOf(free.weights, turnover.reference) },
        flips: r.flips,
        kkt_max_violation: r.kkt.maxViolation,
      },
    },
  };
}

/** How far a turnover-aware answer may be from Σw = 1, a row's bounds or τ before it is polished. */
const LIMIT_TOLERANCE = 1e-12;

/**
 * The answer of a turnover solve within its limits. A large penalty λ puts terms of size λ next to the
 * unit quadratic, and the solve then holds Σw = 1, the rows and τ only to λ·ε (5e-5 at λ = 1e10, 2e-10 at
 * 1e6), and any solve may leave a weight 1e-17 outside its bound. Such an answer is projected onto the
 * limits and the turnover ball (a well-scaled least-squares solve, no penalty: it moves the weights by
 * that drift only) and its bounds snapped; an answer within them is returned as it is.
 */
function withinLimits(w: Float64Array, c: LinearConstraints, options: TurnoverSolveOptions): Float64Array {
  const box = resolveBounds(w.length, options.minWeight ?? 0, options.maxWeight ?? 1);
  const snapped = snapToBounds(w, box.lo, box.hi);
  if (holds(snapped, c, options.turnover)) return snapped;
  const tau = options.turnover.maxTurnover;
  const projected = projectOntoTurnover(snapped, c, {
    ...options,
    turnover: { reference: options.turnover.reference, ...(tau === undefined ? {} : { maxTurnover: tau }) },
    start: snapped,
  });
  return snapToBounds(projected.weights, box.lo, box.hi);
}

function holds(w: Float64Array, c: LinearConstraints, turnover: TurnoverOptions): boolean {
  let total = 0;
  for (const v of w) total += v;
  if (!(Math.abs(total - 1) <= LIMIT_TOLERANCE)) return false;
  for (let k = 0; k < c.rows; k++) {
    const v = rowValue(c, k, w);
    if (!(v >= (c.lower[k] as number) - LIMIT_TOLERANCE && v <= (c.upper[k] as number) + LIMIT_TOLERANCE))
      return false;
  }
  const tau = turnover.maxTurnover;
  return tau === undefined || turnoverOf(w, turnover.reference) <= tau + LIMIT_TOLERANCE;
}
