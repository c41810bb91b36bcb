/**
 * The primal active-set iteration of _box-qp.ts on Σ or on Σ + ρ·11ᵀ: the working state (free set,
 * updatable Cholesky factor of Σ_FF, forward vectors), the step to the subspace minimiser or to the
 * first bound, the bound multipliers, and the release of violated bounds (several at once while the
 * objective falls), including the zero-curvature step of inertia control.
 */
import { plusScalar } from '../linalg/matrix.js';
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
  type BoxQpSolution,
  type BoxQpStart,
} from './_box-qp-parts.js';

type Cholesky = ReturnType<typeof createUpdatableCholesky>;

/** Raised inside {@link solveBoxQp} when a factor of Σ itself fails: the solve restarts on Σ + ρ·11ᵀ. */
export class SingularFactor {
  constructor(readonly index: number) {}
}

/** Σ + ρ·11ᵀ (a copy). */
export function shifted(sigma: Float64Array, rho: number): Float64Array {
  return plusScalar(sigma, rho);
}

export function solveActiveSet(
  problem: BoxQpProblem,
  start: BoxQpStart | undefined,
  rho: number,
): BoxQpSolution {
  const active = new ActiveSet(problem, start, rho);
  try {
    return active.solve();
  } finally {
    active.chol.dispose();
  }
}

/** The working state of one active-set solve on Σ + ρ·11ᵀ (ρ = 0: on Σ itself). */
class ActiveSet {
  private readonly n: number;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly sigma: Float64Array;
  private readonly q: Float64Array;
  private w: Float64Array;
  private state: Int8Array;
  readonly chol: Cholesky;
  private readonly order: readonly number[];
  // Forward vectors y1 = L⁻¹·1 and yr = L⁻¹·r_F with r_i = q_i − Σ_{j held} Σ_ij·w_j, kept current so
  // that each iteration needs a single back-substitution: w_F = L⁻ᵀ(yr + γ·y1).
  private readonly y1: Float64Array;
  private readonly yr: Float64Array;
  private readonly z: Float64Array;
  private readonly lambda: Float64Array;
  private readonly heldNonZero: number[] = [];
  private readonly nzIndex: Int32Array;
  private readonly nzWeight: Float64Array;
  // Several violated bounds (the most violated first, at most as many as there are free assets, so the
  // free set at most doubles) are released at once when the objective has strictly decreased since the
  // last such bulk release, so no working set can recur; otherwise only the most violated one (the
  // textbook rule).
  private bulkObjective = Infinity;
  private readonly violated: number[] = [];
  private readonly violation: Float64Array;
  private readonly direction: Float64Array;
  private fixedSum = 0;
  private readonly dualTol: number;
  private gamma = 0;
  /** 2·(½wᵀΣw − qᵀw) at the last full step. */
  private objective = 0;
  private iterations = 0;
  // True while the factor is fresh (built or refactored, no update since): no polish needed.
  private polished = true;

  constructor(
    private readonly problem: BoxQpProblem,
    start: BoxQpStart | undefined,
    private readonly rho: number,
  ) {
    const { n, lo, hi } = problem;
    this.n = n;
    this.lo = lo;
    this.hi = hi;
    const sigma = rho === 0 ? problem.sigma : shifted(problem.sigma, rho);
    this.sigma = sigma;
    const q = problem.q ?? new Float64Array(n);
    this.q = q;
    ({ w: this.w, state: this.state } =
      start === undefined
        ? vertexStart(problem, q)
        : { w: Float64Array.from(start.w), state: Int8Array.from(start.state) });
    this.chol = createUpdatableCholesky(sigma, n);
    this.order = this.chol.order;
    this.resetFactor();
    this.y1 = new Float64Array(n);
    this.yr = new Float64Array(n);
    this.z = new Float64Array(n);
    this.lambda = new Float64Array(n);
    this.nzIndex = new Int32Array(n);
    this.nzWeight = new Float64Array(n);
    this.violation = new Float64Array(n);
    this.direction = new Float64Array(n);
    this.refreshForward();
    this.recountFixed();
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, sigma[i * n + i] as number, Math.abs(q[i] as number));
    this.dualTol = 1e-12 * scale;
  }

  /** The free assets of the start (at least one, so the budget row and the active bounds stay independent). */
  private freeSet(): number[] {
    const { n, state } = this;
    const initial: number[] = [];
    for (let i = 0; i < n; i++) if (state[i] === FREE) initial.push(i);
    if (initial.length === 0) {
      state[0] = FREE;
      initial.push(0);
    }
    return initial;
  }

  private resetFactor(): void {
    let initial = this.freeSet();
    if (this.chol.reset(initial)) return;
    if (this.rho === 0) throw new SingularFactor(firstDependent(this.chol, initial));
    // A warm start whose free set is singular on {1ᵀd = 0}: start from the vertex instead (one free
    // asset, whose pivot Σ_jj + ρ is positive).
    ({ w: this.w, state: this.state } = vertexStart(this.problem, this.q));
    initial = this.freeSet();
    if (!this.chol.reset(initial)) throw singular(firstDependent(this.chol, initial));
  }

  private refreshForward(): void {
    const { n, state, w, order, y1, yr, heldNonZero } = this;
    heldNonZero.length = 0;
    for (let j = 0; j < n; j++) if (state[j] !== FREE && w[j] !== 0) heldNonZero.push(j);
    for (let a = 0; a < order.length; a++) {
      y1[a] = 1;
      yr[a] = reducedLinearTerm(this.sigma, n, this.q, w, order[a] as number, heldNonZero);
    }
    this.chol.forwardInPlace(y1);
    this.chol.forwardInPlace(yr);
  }

  private recountFixed(): void {
    const { n, state, w } = this;
    let fixedSum = 0;
    for (let j = 0; j < n; j++) if (state[j] !== FREE) fixedSum += w[j] as number;
    this.fixedSum = fixedSum;
  }

  solve(): BoxQpSolution {
    const maxIter = 50 * this.n + 1000;
    for (;;) {
      if (this.iterations++ > maxIter) {
        throw new QuantError('E_SOLVER', `the active-set QP did not converge within ${maxIter} iterations`, {
          hint: 'the covariance may be nearly singular; try the ledoit_wolf covariance',
        });
      }
      this.subspaceMinimiser();
      if (this.stepToBound()) continue;
      const worst = this.fullStep();
      if (worst < 0) {
        if (this.polished) break;
        this.polish();
        continue;
      }
      this.release(worst);
    }
    return this.finish();
  }

  /** γ and the subspace minimiser z (factor order) of the current free set. */
  private subspaceMinimiser(): void {
    const { y1, yr, z } = this;
    const k = this.order.length;
    let s11 = 0;
    let s1r = 0;
    for (let a = 0; a < k; a++) {
      s11 += (y1[a] as number) * (y1[a] as number);
      s1r += (y1[a] as number) * (yr[a] as number);
    }
    const gamma = (1 - this.fixedSum - s1r) / s11;
    this.gamma = gamma;
    for (let a = 0; a < k; a++) z[a] = (yr[a] as number) + gamma * (y1[a] as number);
    this.chol.backInPlace(z);
    // A single free asset takes exactly the rest of the budget (no cancellation when |q| ≫ |Σw|).
    if (k === 1) z[0] = 1 - this.fixedSum;
  }

  /**
   * The largest feasible step towards z; when it is cut by a bound, take it and hold the assets that
   * reached their bounds (returns true), else leave w alone (returns false).
   */
  private stepToBound(): boolean {
    const { order, z, w, lo, hi } = this;
    const k = order.length;
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
    if (!(blocking >= 0 && alpha < 1)) return false;
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
    this.holdReached(reached, k);
    return true;
  }

  /** Hold the assets of `reached` that sit on a bound (keeping one free) after the budget repair. */
  private holdReached(reached: readonly number[], k: number): void {
    const { w, state, lo, hi } = this;
    restoreBudget(w, state, lo, hi, reached);
    let held = 0;
    let nonZeroHeld = false;
    for (const i of reached) {
      if (held === k - 1) break;
      const atUpper = w[i] === hi[i];
      if (!atUpper && w[i] !== lo[i]) continue;
      state[i] = atUpper ? AT_UPPER : AT_LOWER;
      this.chol.remove(i, [this.y1, this.yr]);
      if (w[i] !== 0) nonZeroHeld = true;
      held++;
    }
    // Held weights enter r_F; rotations alone keep yr exact only when they are 0.
    if (nonZeroHeld) this.refreshForward();
    this.recountFixed();
    this.polished = false;
  }

  /**
   * Take the full step to z and compute the bound multipliers of the held assets; returns the most
   * violated bound (−1 if none), with `violated` listing every violated one.
   */
  private fullStep(): number {
    const { n, order, z, w, lo, hi, state, lambda, q, sigma, nzIndex, nzWeight, violated, violation } = this;
    const k = order.length;
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
    const gamma = this.gamma;
    let worst = -1;
    let worstViolation = this.dualTol;
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
      if (v > this.dualTol) violated.push(i);
      if (v > worstViolation) {
        worstViolation = v;
        worst = i;
      }
    }
    this.objective = objective;
    return worst;
  }

  /** Optimal up to the rounding of many updates: refactor once and re-solve before accepting. */
  private polish(): void {
    if (!this.chol.refactor()) {
      if (this.rho === 0) throw new SingularFactor(firstDependent(this.chol, [...this.order]));
      throw singular(firstDependent(this.chol, [...this.order]));
    }
    this.refreshForward();
    this.polished = true;
  }

  /** Release the most violated bound, or several (see bulkObjective). */
  private release(worst: number): void {
    const { order, violated, violation, w, state, chol } = this;
    const objective = 0.5 * this.objective;
    const bulk = violated.length > 1 && objective < this.bulkObjective - 1e-15 * Math.abs(objective);
    if (bulk) this.bulkObjective = objective;
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
      this.fixedSum -= w[j] as number;
      appended++;
      if (w[j] !== 0) refresh = true;
    }
    if (dependent >= 0 && this.rho === 0) throw new SingularFactor(dependent);
    if (appended === 0) {
      // The current point minimises over F; releasing j adds a direction of zero curvature.
      zeroCurvatureStep(this.problem, this.sigma, chol, w, state, dependent, this.direction);
      this.refreshForward();
      this.recountFixed();
    } else if (refresh) {
      this.refreshForward();
    } else {
      // Appended one by one, so each new entry of y uses the rows appended before it.
      const k0 = order.length - appended;
      for (let a = k0; a < order.length; a++) {
        chol.extendForward(this.y1, a, 1);
        chol.extendForward(
          this.yr,
          a,
          reducedLinearTerm(this.sigma, this.n, this.q, w, order[a] as number, this.heldNonZero),
        );
      }
    }
    this.polished = false;
  }

  private finish(): BoxQpSolution {
    const { n, w, state, q, lambda, rho, iterations } = this;
    const sigmaW = new Float64Array(n);
    multiplyNonZero(this.problem.sigma, n, w, sigmaW);
    let gamma = this.gamma;
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
  chol: Cholesky,
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
function firstDependent(chol: Cholesky, set: readonly number[]): number {
  chol.reset([]);
  for (const j of set) if (!chol.append(j)) return j;
  return set[set.length - 1] ?? 0;
}
