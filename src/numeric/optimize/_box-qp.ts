/**
 * Primal active-set solver for the budget-and-box quadratic program
 *
 *   min ½·wᵀΣw − qᵀw   s.t.  1ᵀw = 1,  lo ≤ w ≤ hi                (Σ n x n symmetric PSD)
 *
 * (Nocedal & Wright 2006, Algorithm 16.3, specialised to bound constraints). Every asset is either free
 * (in F) or held at one of its bounds. For a given split the subspace minimiser has a closed form,
 * w_F = Σ_FF⁻¹(q_F − Σ_FB·w_B + γ·1) with γ fixed by the budget, computed from a Cholesky factor of Σ_FF
 * that is updated (not recomputed) as assets enter and leave F. The step towards it is cut at the first
 * bound it hits (that asset leaves F); at a full step the bound multipliers λ_i = (Σw)_i − q_i − γ are
 * checked (≥ 0 at a lower bound, ≤ 0 at an upper bound) and the most violated bound is released. The
 * method stops at the exact KKT point; the final free set is refactored from scratch and re-solved.
 *
 * Two refinements keep it fast and exact: several violated bounds are released at once while the
 * objective keeps strictly decreasing (the free set grows geometrically instead of one asset per
 * iteration), and after a step the rounding of the budget is put on an asset with room, so that every
 * iterate stays feasible.
 *
 * Positive semidefinite Σ (riskless assets, collinear assets): the subspace problem needs Σ positive
 * definite only on the directions the budget allows, {d : 1ᵀd = 0}. On the feasible set (1ᵀw)² = 1, so
 * Σ' = Σ + ρ·11ᵀ (ρ = the largest variance) gives the same problem up to the constant ρ/2 — the same
 * minimisers and bound multipliers, the budget multiplier shifted by ρ — and Σ'_FF is positive definite
 * exactly when Σ_FF is positive definite on {1ᵀd = 0}. No regularisation: the problem solved is the
 * original one. The solver runs on Σ itself until a factor fails, then restarts on Σ' (so a positive
 * definite Σ is solved exactly as before). On Σ', releasing a bound that makes Σ'_{F∪j} singular
 * (inertia control, Gill, Murray, Saunders & Wright 1991) moves along the direction of zero curvature
 * d = (−Σ'_FF⁻¹Σ'_Fj, 1), on which the objective decreases linearly at the rate |λ_j|, to the first bound
 * it reaches; the asset stopped there leaves F and Σ'_{F∪j} without it is positive definite again. A
 * clearly negative pivot means Σ is not positive semidefinite: E_SINGULAR_COVARIANCE.
 */
import { createUpdatableCholesky, type UpdatableCholesky } from '../linalg/updatable-cholesky.js';
import { SingularFactor, shifted, solveActiveSet } from './_box-qp-active-set.js';
import { gradientScale } from './_kkt.js';
import {
  AT_LOWER,
  AT_UPPER,
  FREE,
  multiplyNonZero,
  type BoxQpProblem,
  type BoxQpSolution,
  type BoxQpStart,
} from './_box-qp-parts.js';

export {
  AT_LOWER,
  FREE,
  multiplyNonZero,
  type BoxQpProblem,
  type BoxQpSolution,
  type BoxQpStart,
} from './_box-qp-parts.js';

/**
 * Solve the QP exactly for a symmetric positive semidefinite Σ. The minimiser may not be unique when Σ
 * is singular (see {@link alternativeMinimiser}). Throws E_SINGULAR_COVARIANCE when Σ is not positive
 * semidefinite (or singular beyond what rounding lets the factor resolve) and E_SOLVER when the
 * iteration cap (50·n + 1000 changes of the working set) is reached.
 */
export function solveBoxQp(problem: BoxQpProblem, start?: BoxQpStart): BoxQpSolution {
  const single = singlePoint(problem);
  if (single !== undefined) return single;
  try {
    return solveActiveSet(problem, start, 0);
  } catch (error) {
    if (!(error instanceof SingularFactor)) throw error;
  }
  return solveActiveSet(problem, start, shiftFor(problem.sigma, problem.n));
}

/**
 * The solution when the bounds leave a single feasible point to rounding (Σhi ≤ 1 + 1e-14: every asset
 * at its upper bound; Σlo ≥ 1 − 1e-14: every asset at its lower bound), where active-set steps would be
 * rounding-sized. The asset with the largest (at hi) or smallest (at lo) gradient is the free one and
 * takes the rounding of the budget, so the multipliers have the right signs.
 */
function singlePoint(problem: BoxQpProblem): BoxQpSolution | undefined {
  const { n, sigma, lo, hi } = problem;
  let sumLo = 0;
  let sumHi = 0;
  for (let i = 0; i < n; i++) {
    sumLo += lo[i] as number;
    sumHi += hi[i] as number;
  }
  const atHi = sumHi <= 1 + 1e-14;
  if (!atHi && !(sumLo >= 1 - 1e-14)) return undefined;
  const q = problem.q ?? new Float64Array(n);
  const w = Float64Array.from(atHi ? hi : lo);
  const sigmaW = new Float64Array(n);
  multiplyNonZero(sigma, n, w, sigmaW);
  let free = 0;
  for (let i = 1; i < n; i++) {
    const gi = (sigmaW[i] as number) - (q[i] as number);
    const gf = (sigmaW[free] as number) - (q[free] as number);
    if (atHi ? gi > gf : gi < gf) free = i;
  }
  let others = 0;
  for (let i = 0; i < n; i++) if (i !== free) others += w[i] as number;
  w[free] = 1 - others;
  multiplyNonZero(sigma, n, w, sigmaW);
  const state = new Int8Array(n).fill(atHi ? AT_UPPER : AT_LOWER);
  state[free] = FREE;
  const gamma = (sigmaW[free] as number) - (q[free] as number);
  const lambda = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i !== free) lambda[i] = (sigmaW[i] as number) - (q[i] as number) - gamma;
  }
  return { w, state, gamma, lambda, sigmaW, iterations: 0 };
}

/** ρ for Σ + ρ·11ᵀ: the largest variance (1 when Σ = 0). */
export function shiftFor(sigma: Float64Array, n: number): number {
  let rho = 0;
  for (let i = 0; i < n; i++) rho = Math.max(rho, sigma[i * n + i] as number);
  return rho > 0 ? rho : 1;
}

/**
 * Whether the minimiser `sol` is unique. It is not when a feasible direction d ≠ 0 changes neither Σw
 * nor qᵀw: Σd = 0, 1ᵀd = 0, moving only free assets and held assets whose multiplier is 0 (within
 * 1e-9 of the gradient scale, see _kkt.ts), the latter into their box. The free set itself admits none (Σ'_FF is
 * positive definite), so each such held asset is added in turn and a singular pivot yields the direction.
 * Returns the assets d moves (in ascending order), or undefined when the minimiser is unique.
 */
export function alternativeMinimiser(problem: BoxQpProblem, sol: BoxQpSolution): number[] | undefined {
  const { n } = problem;
  const scale = gradientScale(problem.sigma, n, sol.w, problem.q);
  const degenerate: number[] = [];
  for (let i = 0; i < n; i++) {
    if (sol.state[i] !== FREE && Math.abs(sol.lambda[i] as number) <= 1e-9 * scale) degenerate.push(i);
  }
  if (degenerate.length === 0) return undefined;
  const sigma = shifted(problem.sigma, shiftFor(problem.sigma, n));
  const chol = createUpdatableCholesky(sigma, n);
  try {
    return degenerateDirection(problem, sol, sigma, chol, degenerate);
  } finally {
    chol.dispose();
  }
}

/** The support of a direction along which the minimiser moves (see {@link alternativeMinimiser}). */
function degenerateDirection(
  problem: BoxQpProblem,
  sol: BoxQpSolution,
  sigma: Float64Array,
  chol: UpdatableCholesky,
  degenerate: readonly number[],
): number[] | undefined {
  const { n, lo, hi } = problem;
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (sol.state[i] === FREE) free.push(i);
  if (!chol.reset(free)) return free;
  const sign = (i: number): number => (sol.state[i] === AT_LOWER ? 1 : -1);
  const dir = new Float64Array(n);
  for (const j of degenerate) {
    if (chol.append(j)) continue;
    const order = chol.order;
    const k = order.length;
    for (let a = 0; a < k; a++) dir[a] = -(sigma[j * n + (order[a] as number)] as number);
    chol.solveInPlace(dir);
    let dmax = 1;
    for (let a = 0; a < k; a++) dmax = Math.max(dmax, Math.abs(dir[a] as number));
    const sj = sign(j);
    const support = [j];
    let feasible = true;
    for (let a = 0; a < k; a++) {
      const v = dir[a] as number;
      if (Math.abs(v) <= 1e-9 * dmax) continue;
      const i = order[a] as number;
      support.push(i);
      const move = Math.sign(v) * sj;
      if (sol.state[i] !== FREE) feasible &&= move === sign(i);
      else
        feasible &&=
          move > 0 ? (sol.w[i] as number) < (hi[i] as number) : (sol.w[i] as number) > (lo[i] as number);
    }
    if (feasible) return support.sort((x, y) => x - y);
  }
  return undefined;
}
