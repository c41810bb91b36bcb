import type { Matrix } from '../linalg/matrix.js';
import { solveBoxQp } from './_box-qp.js';
import { activeSets, checkCovariance } from './_inputs.js';
import { kktViolation } from './_kkt.js';
import { resolveBounds, type WeightBound } from './feasibility.js';

export interface MinVarianceOptions {
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
}

export interface MinVarianceResult {
  /** n weights, lo ≤ w ≤ hi, Σw = 1. */
  readonly weights: Float64Array;
  /** Active-set iterations (changes of the working set plus the final polish). */
  readonly iterations: number;
  /** Assets held at their lower bound. */
  readonly activeLower: number[];
  /** Assets held at their upper bound. */
  readonly activeUpper: number[];
  /** Portfolio variance wᵀΣw (in the units of Σ). */
  readonly variance: number;
  /** Largest KKT violation (primal in weight units, dual relative to max |(Σw)_i|). */
  readonly kkt: { readonly maxViolation: number };
}

/**
 * Exact long-only minimum-variance portfolio (Markowitz 1952):
 *
 *   min wᵀΣw   s.t.   Σᵢ wᵢ = 1,   lo ≤ wᵢ ≤ hi.
 *
 * Solved by a primal active-set method on the bounds with Cholesky updates of Σ restricted to the free
 * assets; it terminates at the KKT point (Σw)_F = γ·1, (Σw)_i ≥ γ at lo, (Σw)_i ≤ γ at hi — the same
 * point as the critical line algorithm (PyPortfolioOpt `CLA.min_volatility`) — not a penalty or barrier
 * approximation. Weights do not depend on the scale of Σ.
 *
 * @param cov n x n covariance (symmetric positive definite on the assets that end up free).
 * @throws QuantError E_TOO_FEW_ASSETS (n < 2), E_INFEASIBLE_BOUNDS, E_SINGULAR_COVARIANCE (Σ singular
 *   on the free set, or a non-positive variance), E_SOLVER (iteration cap).
 */
export function minVariance(cov: Matrix, options: MinVarianceOptions = {}): MinVarianceResult {
  const n = checkCovariance(cov);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const sol = solveBoxQp({ n, sigma: cov.data, lo, hi });
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (sol.w[i] as number) * (sol.sigmaW[i] as number);
  return {
    weights: sol.w,
    iterations: sol.iterations,
    ...activeSets(sol.state),
    variance,
    kkt: { maxViolation: kktViolation(sol.w, sol.state, sol.sigmaW, undefined, sol.gamma, lo, hi) },
  };
}
