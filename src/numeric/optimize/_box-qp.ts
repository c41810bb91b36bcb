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
import { QuantError } from '../../errors.js';
import { createUpdatableCholesky } from '../linalg/updatable-cholesky.js';
import { gradientScale } from './_kkt.js';
import {
  AT_LOWER,
  AT_UPPER,
  FREE,
  multiplyNonZero,
  reducedLinearTerm,
  restoreBudget,
  singular,
  vertexStart,
  type BoxQpProblem,
  type BoxQpStart,
} from './_box-qp-parts.js';

export { AT_LOWER, FREE, multiplyNonZero, type BoxQpProblem, type BoxQpStart } from './_box-qp-parts.js';

export interface BoxQpSolution {
  readonly w: Float64Array;
  /** Per asset: AT_LOWER, FREE or AT_UPPER. */
  readonly state: Int8Array;
  /** Budget multiplier γ: (Σw)_i − q_i = γ on the free set. */
  readonly gamma: number;
  /** Bound multipliers λ_i = (Σw)_i − q_i − γ (0 on the free set). */
  readonly lambda: Float64Array;
  /** Σw. */
  readonly sigmaW: Float64Array;
  readonly iterations: number;
}

/** Raised inside {@link solveBoxQp} when a factor of Σ itself fails: the solve restarts on Σ + ρ·11ᵀ. */
class SingularFactor {
  constructor(readonly index: number) {}
}

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
    return solveOn(problem, start, 0);
  } catch (error) {
    if (!(error instanceof SingularFactor)) throw error;
  }
  return solveOn(problem, start, shiftFor(problem.sigma, problem.n));
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

/** Σ + ρ·11ᵀ (a copy). */
function shifted(sigma: Float64Array, rho: number): Float64Array {
  return sigma.map((x) => x + rho);
}

function solveOn(problem: BoxQpProblem, start: BoxQpStart | undefined, rho: number): BoxQpSolution {
  const { n, lo, hi } = problem;
  const sigma = rho === 0 ? problem.sigma : shifted(problem.sigma, rho);
  const q = problem.q ?? new Float64Array(n);
  let { w, state } =
    start === undefined
      ? vertexStart(problem, q)
      : { w: Float64Array.from(start.w), state: Int8Array.from(start.state) };
  const chol = createUpdatableCholesky(sigma, n);
  const order = chol.order;
  const freeSet = (): number[] => {
    const initial: number[] = [];
    for (let i = 0; i < n; i++) if (state[i] === FREE) initial.push(i);
    // Keep one asset free so the budget row and the active bounds stay linearly independent.
    if (initial.length === 0) {
      state[0] = FREE;
      initial.push(0);
    }
    return initial;
  };
  let initial = freeSet();
  if (!chol.reset(initial)) {
    if (rho === 0) throw new SingularFactor(firstDependent(chol, initial));
    // A warm start whose free set is singular on {1ᵀd = 0}: start from the vertex instead (one free
    // asset, whose pivot Σ_jj + ρ is positive).
    ({ w, state } = vertexStart(problem, q));
    initial = freeSet();
    if (!chol.reset(initial)) throw singular(firstDependent(chol, initial));
  }
  // Forward vectors y1 = L⁻¹·1 and yr = L⁻¹·r_F with r_i = q_i − Σ_{j held} Σ_ij·w_j, kept current so
  // that each iteration needs a single back-substitution: w_F = L⁻ᵀ(yr + γ·y1).
  const y1 = new Float64Array(n);
  const yr = new Float64Array(n);
  const z = new Float64Array(n);
  const sigmaW = new Float64Array(n);
  const lambda = new Float64Array(n);
  const heldNonZero: number[] = [];
  const nzIndex = new Int32Array(n);
  const nzWeight = new Float64Array(n);
  // Several violated bounds (the most violated first, at most as many as there are free assets, so the
  // free set at most doubles) are released at once when the objective has strictly decreased since the
  // last such bulk release, so no working set can recur; otherwise only the most violated one (the
  // textbook rule).
  let bulkObjective = Infinity;
  const violated: number[] = [];
  const violation = new Float64Array(n);
  const direction = new Float64Array(n);
  const refreshForward = (): void => {
    heldNonZero.length = 0;
    for (let j = 0; j < n; j++) if (state[j] !== FREE && w[j] !== 0) heldNonZero.push(j);
    for (let a = 0; a < order.length; a++) {
      y1[a] = 1;
      yr[a] = reducedLinearTerm(sigma, n, q, w, order[a] as number, heldNonZero);
    }
    chol.forwardInPlace(y1);
    chol.forwardInPlace(yr);
  };
  refreshForward();
  let fixedSum = 0;
  for (let j = 0; j < n; j++) if (state[j] !== FREE) fixedSum += w[j] as number;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, sigma[i * n + i] as number, Math.abs(q[i] as number));
  const dualTol = 1e-12 * scale;
  const maxIter = 50 * n + 1000;
  let gamma = 0;
  let iterations = 0;
  // True while the factor is fresh (built or refactored, no update since): no polish needed.
  let polished = true;
  for (;;) {
    if (iterations++ > maxIter) {
      throw new QuantError('E_SOLVER', `the active-set QP did not converge within ${maxIter} iterations`, {
        hint: 'the covariance may be nearly singular; try the ledoit_wolf covariance',
      });
    }
    const k = order.length;
    let s11 = 0;
    let s1r = 0;
    for (let a = 0; a < k; a++) {
      s11 += (y1[a] as number) * (y1[a] as number);
      s1r += (y1[a] as number) * (yr[a] as number);
    }
    gamma = (1 - fixedSum - s1r) / s11;
    for (let a = 0; a < k; a++) z[a] = (yr[a] as number) + gamma * (y1[a] as number);
    chol.backInPlace(z);
    // A single free asset takes exactly the rest of the budget (no cancellation when |q| ≫ |Σw|).
    if (k === 1) z[0] = 1 - fixedSum;
    // Largest feasible step towards the subspace minimiser z (factor order).
    let alpha = 1;
    let blocking = -1;
    let blockingUpper = false;
    if (k > 1) {
      for (let a = 0; a < k; a++) {
        const i = order[a] as number;
        const wi = w[i] as number;
        const p = (z[a] as number) - wi;
        let t = Infinity;
        if (p < 0) t = ((lo[i] as number) - wi) / p;
        else if (p > 0) t = ((hi[i] as number) - wi) / p;
        if (t < alpha || (t === alpha && blocking >= 0 && i < blocking)) {
          alpha = Math.max(t, 0);
          blocking = i;
          blockingUpper = p > 0;
        }
      }
    }
    if (blocking >= 0 && alpha < 1) {
      // Step to the first bound. Other assets that reach a bound at (nearly) the same step are held too,
      // and the rounding of the budget goes to an asset with room, so the iterate stays feasible.
      const reached: number[] = [];
      for (let a = 0; a < k; a++) {
        const i = order[a] as number;
        const p = (z[a] as number) - (w[i] as number);
        const wi =
          i === blocking
            ? blockingUpper
              ? (hi[i] as number)
              : (lo[i] as number)
            : (w[i] as number) + alpha * p;
        w[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, wi));
        if ((p > 0 && w[i] === hi[i]) || (p < 0 && w[i] === lo[i])) reached.push(i);
      }
      restoreBudget(w, state, lo, hi, reached);
      let held = 0;
      let nonZeroHeld = false;
      for (const i of reached) {
        if (held === k - 1) break;
        const atUpper = w[i] === hi[i];
        if (!atUpper && w[i] !== lo[i]) continue;
        state[i] = atUpper ? AT_UPPER : AT_LOWER;
        chol.remove(i, [y1, yr]);
        if (w[i] !== 0) nonZeroHeld = true;
        held++;
      }
      // Held weights enter r_F; rotations alone keep yr exact only when they are 0.
      if (nonZeroHeld) refreshForward();
      fixedSum = 0;
      for (let j = 0; j < n; j++) if (state[j] !== FREE) fixedSum += w[j] as number;
      polished = false;
      continue;
    }
    for (let a = 0; a < k; a++) {
      const i = order[a] as number;
      w[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, z[a] as number));
    }
    // Multipliers of the held assets only: (Σw)_i over the non-zero weights, O((n − k)·nnz).
    let nnz = 0;
    for (let j = 0; j < n; j++) {
      const wj = w[j] as number;
      if (wj !== 0) {
        nzIndex[nnz] = j;
        nzWeight[nnz++] = wj;
      }
    }
    let worst = -1;
    let worstViolation = dualTol;
    violated.length = 0;
    // Objective ½wᵀΣw − qᵀw, using (Σw)_i = q_i + γ on the free set.
    let objective = 0;
    for (let i = 0; i < n; i++) {
      const s = state[i] as number;
      if (s === FREE) {
        lambda[i] = 0;
        objective += (w[i] as number) * (gamma - (q[i] as number));
        continue;
      }
      const ri = i * n;
      let si = 0;
      for (let t = 0; t < nnz; t++)
        si += (sigma[ri + (nzIndex[t] as number)] as number) * (nzWeight[t] as number);
      const l = si - (q[i] as number) - gamma;
      lambda[i] = l;
      objective += (w[i] as number) * (si - 2 * (q[i] as number));
      const v = s === AT_LOWER ? -l : l;
      violation[i] = v;
      if (v > dualTol) violated.push(i);
      if (v > worstViolation) {
        worstViolation = v;
        worst = i;
      }
    }
    if (worst < 0) {
      if (polished) break;
      // Optimal up to the rounding of many updates: refactor once and re-solve before accepting.
      if (!chol.refactor()) {
        if (rho === 0) throw new SingularFactor(firstDependent(chol, [...order]));
        throw singular(firstDependent(chol, [...order]));
      }
      refreshForward();
      polished = true;
      continue;
    }
    objective *= 0.5;
    const bulk = violated.length > 1 && objective < bulkObjective - 1e-15 * Math.abs(objective);
    if (bulk) bulkObjective = objective;
    if (bulk) {
      violated.sort((a, b) => (violation[b] as number) - (violation[a] as number) || a - b);
      if (violated.length > order.length) violated.length = order.length;
    }
    const toRelease = bulk ? violated : [worst];
    let refresh = false;
    let appended = 0;
    let dependent = -1;
    for (const j of toRelease) {
      if (!chol.append(j)) {
        dependent = j;
        break;
      }
      state[j] = FREE;
      fixedSum -= w[j] as number;
      appended++;
      if (w[j] !== 0) refresh = true;
    }
    if (dependent >= 0 && rho === 0) throw new SingularFactor(dependent);
    if (appended === 0) {
      // The current point minimises over F; releasing j adds a direction of zero curvature.
      zeroCurvatureStep(problem, sigma, chol, w, state, dependent, direction);
      refreshForward();
      fixedSum = 0;
      for (let j = 0; j < n; j++) if (state[j] !== FREE) fixedSum += w[j] as number;
      polished = false;
      continue;
    }
    if (refresh) {
      refreshForward();
    } else {
      // Appended one by one, so each new entry of y uses the rows appended before it.
      const k0 = order.length - appended;
      for (let a = k0; a < order.length; a++) {
        chol.extendForward(y1, a, 1);
        chol.extendForward(yr, a, reducedLinearTerm(sigma, n, q, w, order[a] as number, heldNonZero));
      }
    }
    polished = false;
  }
  multiplyNonZero(problem.sigma, n, w, sigmaW);
  if (rho !== 0) {
    // Back to Σ: Σ'w = Σw + ρ·(1ᵀw)·1 shifts the budget multiplier only.
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i] as number;
    gamma -= rho * total;
    for (let i = 0; i < n; i++) {
      lambda[i] = state[i] === FREE ? 0 : (sigmaW[i] as number) - (q[i] as number) - gamma;
    }
  }
  return { w, state, gamma, lambda, sigmaW, iterations };
}

/**
 * From a minimiser over the free set F, release j along the direction of zero curvature of Σ'_{F∪j}:
 * d = s·(−Σ'_FF⁻¹Σ'_Fj, 1), s = +1 off the lower bound, −1 off the upper one. The objective falls at the
 * rate |λ_j| along d, so the step goes to the first bound reached: if j's own, j moves to its other
 * bound; otherwise the blocking asset b is held there and j joins F (Σ'_{F∪j} without b is positive
 * definite since d_b ≠ 0). Entries of d below 1e-9·max|d| are rounding and taken as 0.
 */
function zeroCurvatureStep(
  problem: BoxQpProblem,
  sigma: Float64Array,
  chol: ReturnType<typeof createUpdatableCholesky>,
  w: Float64Array,
  state: Int8Array,
  j: number,
  dir: Float64Array,
): void {
  const { n, lo, hi } = problem;
  const order = chol.order;
  const k = order.length;
  const diag = sigma[j * n + j] as number;
  if (chol.schur(j) < -1e-8 * diag) throw notSemidefinite(j);
  const rj = j * n;
  for (let a = 0; a < k; a++) dir[a] = -(sigma[rj + (order[a] as number)] as number);
  chol.solveInPlace(dir);
  let dmax = 1;
  for (let a = 0; a < k; a++) dmax = Math.max(dmax, Math.abs(dir[a] as number));
  const s = state[j] === AT_LOWER ? 1 : -1;
  let alpha = (hi[j] as number) - (lo[j] as number);
  let blocking = j;
  let blockingSize = 1;
  for (let a = 0; a < k; a++) {
    if (Math.abs(dir[a] as number) <= 1e-9 * dmax) {
      dir[a] = 0;
      continue;
    }
    const i = order[a] as number;
    const p = s * (dir[a] as number);
    const wi = w[i] as number;
    const t = Math.max(0, p < 0 ? ((lo[i] as number) - wi) / p : ((hi[i] as number) - wi) / p);
    if (t < alpha || (t === alpha && Math.abs(p) > blockingSize)) {
      alpha = t;
      blocking = i;
      blockingSize = Math.abs(p);
    }
  }
  for (let a = 0; a < k; a++) {
    const i = order[a] as number;
    const p = s * (dir[a] as number);
    if (p === 0) continue;
    w[i] =
      i === blocking
        ? p > 0
          ? (hi[i] as number)
          : (lo[i] as number)
        : clamp(w[i] as number, p, alpha, lo[i] as number, hi[i] as number);
  }
  if (blocking === j) {
    w[j] = s > 0 ? (hi[j] as number) : (lo[j] as number);
    state[j] = s > 0 ? AT_UPPER : AT_LOWER;
  } else {
    w[j] = clamp(w[j] as number, s, alpha, lo[j] as number, hi[j] as number);
    state[blocking] = w[blocking] === hi[blocking] ? AT_UPPER : AT_LOWER;
    chol.remove(blocking);
    if (!chol.append(j)) {
      // Only rounding can leave Σ'_{F∪j} singular here: the dependence is too weak to resolve.
      throw singular(j);
    }
    state[j] = FREE;
  }
  restoreBudget(w, state, lo, hi, []);
}

function clamp(x: number, p: number, alpha: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x + alpha * p));
}

/**
 * Whether the minimiser `sol` is unique. It is not when a feasible direction d ≠ 0 changes neither Σw
 * nor qᵀw: Σd = 0, 1ᵀd = 0, moving only free assets and held assets whose multiplier is 0 (within
 * 1e-9 of the gradient scale, see _kkt.ts), the latter into their box. The free set itself admits none (Σ'_FF is
 * positive definite), so each such held asset is added in turn and a singular pivot yields the direction.
 * Returns the assets d moves (in ascending order), or undefined when the minimiser is unique.
 */
export function alternativeMinimiser(problem: BoxQpProblem, sol: BoxQpSolution): number[] | undefined {
  const { n, lo, hi } = problem;
  const scale = gradientScale(problem.sigma, n, sol.w, problem.q);
  const degenerate: number[] = [];
  for (let i = 0; i < n; i++) {
    if (sol.state[i] !== FREE && Math.abs(sol.lambda[i] as number) <= 1e-9 * scale) degenerate.push(i);
  }
  if (degenerate.length === 0) return undefined;
  const sigma = shifted(problem.sigma, shiftFor(problem.sigma, n));
  const chol = createUpdatableCholesky(sigma, n);
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

/** E_SINGULAR_COVARIANCE: a negative pivot, Σ is indefinite. */
function notSemidefinite(index: number): QuantError {
  return new QuantError(
    'E_SINGULAR_COVARIANCE',
    `the covariance matrix is not positive semidefinite (found at asset ${index})`,
    {
      hint: 'pass a covariance matrix (positive semidefinite), e.g. the sample or ledoit_wolf estimate',
      details: { asset_index: index },
    },
  );
}

/** The first index of `set` whose addition makes the factor singular (for the error message). */
function firstDependent(chol: ReturnType<typeof createUpdatableCholesky>, set: readonly number[]): number {
  chol.reset([]);
  for (const j of set) if (!chol.append(j)) return j;
  return set[set.length - 1] ?? 0;
}
