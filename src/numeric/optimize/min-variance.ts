import type { Matrix } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import { alternativeMinimiser, multiplyNonZero, solveBoxQp } from './_box-qp.js';
import { activeSets, checkCovariance, risklessAssets } from './_inputs.js';
import { gradientScale, kktViolation } from './_kkt.js';
import { expandSolution, reduceProblem } from './_reduce.js';
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
  /** Largest KKT violation (primal in weight units, dual relative to max_i Σ_j |Σ_ij·w_j|). */
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
 * Σ may be singular (positive semidefinite). A riskless asset (zero variance) is solved exactly: it takes
 * all the weight its bound allows when the risky part has positive variance. Identical assets (equal
 * rows of Σ, e.g. duplicated return columns, or several riskless assets) leave the variance unchanged by
 * any split between them: they are optimized as one and the split is the minimum-norm one (equal when
 * the bounds allow). Any other singularity is solved exactly too (see _box-qp.ts); only when the minimum
 * is then attained by more than one portfolio is it an error, naming the assets whose weights could move.
 *
 * @param cov n x n covariance (symmetric positive semidefinite).
 * @throws QuantError E_TOO_FEW_ASSETS (n < 2), E_INFEASIBLE_BOUNDS, E_SINGULAR_COVARIANCE (Σ not
 *   positive semidefinite, or the minimiser not unique: `details.assets`), E_SOLVER (iteration cap).
 */
export function minVariance(cov: Matrix, options: MinVarianceOptions = {}): MinVarianceResult {
  const n = checkCovariance(cov);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const riskless = risklessAssets(cov);
  const reduced = reduceProblem(cov.data, n, lo, hi, undefined, riskless);
  const problem = { n: reduced.n, sigma: reduced.sigma, lo: reduced.lo, hi: reduced.hi };
  const sol = solveBoxQp(problem);
  const alternative = alternativeMinimiser(problem, sol);
  if (alternative !== undefined) {
    throw notUnique(alternative.flatMap((a) => reduced.groups[a] as number[]).sort((x, y) => x - y));
  }
  const { w, state } = expandSolution(reduced, n, lo, hi, sol.w, sol.state);
  const sigma = riskless.length > 0 ? zeroed(cov.data, n, riskless) : cov.data;
  const sigmaW = reduced.merged || riskless.length > 0 ? new Float64Array(n) : sol.sigmaW;
  if (sigmaW !== sol.sigmaW) multiplyNonZero(sigma, n, w, sigmaW);
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (w[i] as number) * (sigmaW[i] as number);
  return {
    weights: w,
    iterations: sol.iterations,
    ...activeSets(state),
    variance,
    kkt: {
      maxViolation: kktViolation(w, state, sigmaW, undefined, sol.gamma, lo, hi, gradientScale(sigma, n, w)),
    },
  };
}

/** Σ with the rows and columns of `assets` set to 0. */
function zeroed(data: Float64Array, n: number, assets: readonly number[]): Float64Array {
  const out = Float64Array.from(data);
  for (const i of assets) {
    for (let j = 0; j < n; j++) {
      out[i * n + j] = 0;
      out[j * n + i] = 0;
    }
  }
  return out;
}

/** The minimum variance is attained by more than one portfolio. */
function notUnique(assets: readonly number[]): QuantError {
  return new QuantError(
    'E_SINGULAR_COVARIANCE',
    `the minimum-variance portfolio is not unique: ${assets.map((i) => `asset ${i}`).join(', ')} are collinear (a combination of them has zero variance), so weight can move between them without changing the variance`,
    {
      hint: 'drop one of the collinear assets, use more observations than assets, or use the ledoit_wolf covariance',
      details: { assets },
    },
  );
}
