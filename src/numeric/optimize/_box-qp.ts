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
 */
import { QuantError } from '../../errors.js';
import { createUpdatableCholesky } from '../linalg/updatable-cholesky.js';
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

export {
  AT_LOWER,
  AT_UPPER,
  FREE,
  multiplyNonZero,
  type BoxQpProblem,
  type BoxQpStart,
} from './_box-qp-parts.js';

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

/**
 * Solve the QP exactly. Throws E_SINGULAR_COVARIANCE when Σ restricted to the free set is singular and
 * E_SOLVER when the iteration cap (50·n + 1000 changes of the working set) is reached.
 */
export function solveBoxQp(problem: BoxQpProblem, start?: BoxQpStart): BoxQpSolution {
  const { n, sigma, lo, hi } = problem;
  const q = problem.q ?? new Float64Array(n);
  const { w, state } =
    start === undefined
      ? vertexStart(problem, q)
      : { w: Float64Array.from(start.w), state: Int8Array.from(start.state) };
  const chol = createUpdatableCholesky(sigma, n);
  const order = chol.order;
  const initial: number[] = [];
  for (let i = 0; i < n; i++) if (state[i] === FREE) initial.push(i);
  // Keep one asset free so the budget row and the active bounds stay linearly independent.
  if (initial.length === 0) {
    state[0] = FREE;
    initial.push(0);
  }
  if (!chol.reset(initial)) throw singular(firstDependent(chol, initial));
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
      if (!chol.refactor()) throw singular(firstDependent(chol, [...order]));
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
    for (const j of toRelease) {
      state[j] = FREE;
      fixedSum -= w[j] as number;
      if (!chol.append(j)) throw singular(j);
      if (w[j] !== 0) refresh = true;
    }
    if (refresh) {
      refreshForward();
    } else {
      // Appended one by one, so each new entry of y uses the rows appended before it.
      const k0 = order.length - toRelease.length;
      for (let a = k0; a < order.length; a++) {
        chol.extendForward(y1, a, 1);
        chol.extendForward(yr, a, reducedLinearTerm(sigma, n, q, w, order[a] as number, heldNonZero));
      }
    }
    polished = false;
  }
  multiplyNonZero(sigma, n, w, sigmaW);
  return { w, state, gamma, lambda, sigmaW, iterations };
}

/** The first index of `set` whose addition makes the factor singular (for the error message). */
function firstDependent(chol: ReturnType<typeof createUpdatableCholesky>, set: readonly number[]): number {
  chol.reset([]);
  for (const j of set) if (!chol.append(j)) return j;
  return set[set.length - 1] ?? 0;
}
