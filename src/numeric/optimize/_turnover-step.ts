/**
 * `optimizePortfolio` with `turnover`: the method's own answer within the limits first (kept as the
 * `before` of the record and as the start of the sign-pattern search), then the exact turnover-aware
 * solve (min_variance, max_sharpe) or the projection onto the turnover ball within the limits.
 */
import type { Matrix } from '../linalg/matrix.js';
import { emptyLinearConstraints } from './linear-constraints.js';
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
  return {
    ...free,
    weights: r.weights,
    diagnostics: {
      ...free.diagnostics,
      turnover: {
        solver: exact ? 'exact_sign_pattern' : 'projection',
        reference: Array.from(turnover.reference),
        max_turnover: turnover.maxTurnover ?? null,
        penalty: turnover.penalty ?? 0,
        achieved: r.turnover,
        minimum: r.minimum,
        binding: r.binding,
        before: { weights: Array.from(free.weights), turnover: turnoverOf(free.weights, turnover.reference) },
        flips: r.flips,
        kkt_max_violation: r.kkt.maxViolation,
      },
    },
  };
}
