/**
 * Dual active-set solver for strictly convex quadratic programs with general linear constraints
 * (Goldfarb & Idnani 1983, "A numerically stable dual method for solving strictly convex quadratic
 * programs", Math. Programming 27):
 *
 *   min ½·xᵀGx + cᵀx   s.t.   n_iᵀx = b_i (i < meq),   n_iᵀx ≥ b_i (meq ≤ i < m)     (G positive definite)
 *
 * It starts at the unconstrained minimum −G⁻¹c and adds violated constraints one at a time, each time
 * moving to the minimum on the enlarged active set while every iterate stays dual feasible (multipliers
 * ≥ 0); a constraint whose multiplier would turn negative leaves the set. The active set is held as
 * J = L⁻ᵀQ and R with JᵀN = [R; 0] (G = LLᵀ, N the active normals), updated by Givens rotations, so each
 * change costs O(n²). It stops at the exact KKT point, or with a proof of infeasibility: when the
 * violated constraint's normal lies in the span of the active normals with multipliers of the wrong
 * sign, a non-negative combination of the constraints reads 0 ≥ positive (a Farkas certificate, returned
 * so that the caller can name the conflicting constraints and their arithmetic).
 */
import { QuantError } from '../../errors.js';
import { backSubstituteTransposed, choleskyFactorInPlace } from '../linalg/cholesky.js';

export interface DualQpProblem {
  readonly n: number;
  /** n × n symmetric positive definite, row-major (lower triangle read). */
  readonly g: Float64Array;
  /** n linear coefficients. */
  readonly c: Float64Array;
  /** m × n constraint normals, row-major; the first `meq` rows are equalities. */
  readonly normals: Float64Array;
  readonly rhs: Float64Array;
  readonly meq: number;
}

export interface DualQpOptimal {
  readonly status: 'optimal';
  readonly x: Float64Array;
  /** One per constraint, in the orientation nᵀx ≥ b (≥ 0 on inequalities, any sign on equalities). */
  readonly multipliers: Float64Array;
  readonly iterations: number;
}

export interface DualQpInfeasible {
  readonly status: 'infeasible';
  /**
   * Farkas certificate: y with Σ y_i n_i = 0, Σ y_i b_i > 0, y_i ≥ 0 on inequalities; the constraints
   * with y_i ≠ 0 cannot hold together.
   */
  readonly certificate: Float64Array;
}

export type DualQpResult = DualQpOptimal | DualQpInfeasible;

/** A step direction shorter than this, relative to ‖Jᵀn_p‖, means n_p is in the span of the active set. */
const DEPENDENT = 1e-11;
/** A constraint is violated when its slack is below −VIOLATION·(size of its terms). */
const VIOLATION = 1e-13;

interface State {
  readonly n: number;
  readonly x: Float64Array;
  /** J, column-major: column k at k·n. */
  readonly j: Float64Array;
  /** R, column-major, upper triangular. */
  readonly r: Float64Array;
  /** Active constraint per position, and its orientation (+1 or −1 for a flipped equality). */
  readonly active: Int32Array;
  readonly sign: Float64Array;
  readonly u: Float64Array;
  q: number;
  iterations: number;
}

/**
 * Solve the problem, or prove it infeasible. Throws E_SINGULAR_COVARIANCE when G is not positive
 * definite and E_SOLVER at the iteration cap (10·(n + m) + 100 changes of the active set).
 */
export function solveDualQp(problem: DualQpProblem): DualQpResult {
  const state = initialState(problem);
  const m = problem.rhs.length;
  const isActive = new Uint8Array(m);
  for (let e = 0; e < problem.meq; e++) {
    const s = slack(problem, state.x, e);
    const certificate = addConstraint(problem, state, e, s > 0 ? -1 : 1, isActive);
    if (certificate === undefined) continue;
    // An equality whose normal is a combination of the active equalities' (e.g. groups partitioning the
    // assets, whose rows sum to the budget's) is implied by them when it holds at x to rounding: it is
    // redundant, not a conflict, and stays out of the active set (its multiplier 0).
    if (!withinRounding(problem, state.x, e)) return { status: 'infeasible', certificate };
  }
  const cap = 10 * (problem.n + m) + 100;
  for (;;) {
    const p = mostViolated(problem, state.x, isActive);
    if (p < 0) break;
    if (state.iterations > cap) {
      throw new QuantError('E_SOLVER', `the constrained QP did not converge in ${cap} active-set changes`, {
        hint: 'loosen or simplify the constraints (near-duplicate constraints can cycle)',
      });
    }
    const certificate = addConstraint(problem, state, p, 1, isActive);
    if (certificate !== undefined) return { status: 'infeasible', certificate };
  }
  const multipliers = new Float64Array(m);
  for (let k = 0; k < state.q; k++) {
    multipliers[state.active[k] as number] = (state.u[k] as number) * (state.sign[k] as number);
  }
  return { status: 'optimal', x: state.x, multipliers, iterations: state.iterations };
}

function initialState(problem: DualQpProblem): State {
  const { n, g, c } = problem;
  const l = new Float64Array(n * n);
  const failed = choleskyFactorInPlace(g, l, n);
  if (failed >= 0) {
    throw new QuantError(
      'E_SINGULAR_COVARIANCE',
      `the constrained problem's quadratic term is singular (variable ${failed} is a combination of the others)`,
      {
        hint: 'drop collinear assets, use more observations than assets, or use the ledoit_wolf covariance',
        details: { asset_index: failed },
      },
    );
  }
  // J = L⁻ᵀ: column k solves Lᵀ·j = e_k.
  const j = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    col.fill(0);
    col[k] = 1;
    backSubstituteTransposed(l, col, n);
    j.set(col, k * n);
  }
  // x = −G⁻¹c = −J·Jᵀc.
  const jtc = new Float64Array(n);
  for (let k = 0; k < n; k++) jtc[k] = dot(j, k * n, c, 0, n);
  const x = new Float64Array(n);
  for (let k = 0; k < n; k++) axpy(-(jtc[k] as number), j, k * n, x, n);
  return {
    n,
    x,
    j,
    r: new Float64Array(n * n),
    active: new Int32Array(n),
    sign: new Float64Array(n),
    u: new Float64Array(n),
    q: 0,
    iterations: 0,
  };
}

function slack(problem: DualQpProblem, x: Float64Array, i: number): number {
  return dot(problem.normals, i * problem.n, x, 0, problem.n) - (problem.rhs[i] as number);
}

/**
 * Whether constraint i holds with equality at x to rounding: |slack| within VIOLATION·(size of its
 * terms), the tolerance under which {@link mostViolated} counts an inequality as met.
 */
function withinRounding(problem: DualQpProblem, x: Float64Array, i: number): boolean {
  const { n, normals, rhs } = problem;
  let s = 0;
  let size = Math.abs(rhs[i] as number);
  for (let k = 0; k < n; k++) {
    const t = (normals[i * n + k] as number) * (x[k] as number);
    s += t;
    size += Math.abs(t);
  }
  s -= rhs[i] as number;
  return Math.abs(s) <= VIOLATION * Math.max(size, 1e-300);
}

/** The inactive inequality with the most negative normalised slack beyond the tolerance, or −1. */
function mostViolated(problem: DualQpProblem, x: Float64Array, isActive: Uint8Array): number {
  const { n, normals, rhs, meq } = problem;
  let best = -1;
  let worst = 0;
  for (let i = meq; i < rhs.length; i++) {
    if (isActive[i] === 1) continue;
    let s = 0;
    let size = Math.abs(rhs[i] as number);
    let norm = 0;
    for (let k = 0; k < n; k++) {
      const a = normals[i * n + k] as number;
      if (a === 0) continue;
      const t = a * (x[k] as number);
      s += t;
      size += Math.abs(t);
      norm += a * a;
    }
    s -= rhs[i] as number;
    if (s >= -VIOLATION * Math.max(size, 1e-300) || norm === 0) continue;
    const v = s / Math.sqrt(norm);
    if (v < worst) {
      worst = v;
      best = i;
    }
  }
  return best;
}

/**
 * Make constraint p (orientation `sign`) hold with equality, dropping active inequalities whose
 * multiplier reaches 0 on the way. Returns a Farkas certificate when that is impossible.
 */
function addConstraint(
  problem: DualQpProblem,
  st: State,
  p: number,
  sign: number,
  isActive: Uint8Array,
): Float64Array | undefined {
  const { n, meq } = problem;
  const np = new Float64Array(n);
  for (let k = 0; k < n; k++) np[k] = sign * (problem.normals[p * n + k] as number);
  const bp = sign * (problem.rhs[p] as number);
  const d = new Float64Array(n);
  const z = new Float64Array(n);
  const rr = new Float64Array(n);
  let up = 0;
  for (;;) {
    st.iterations++;
    if (st.iterations > 10 * (n + problem.rhs.length) + 100) {
      throw new QuantError('E_SOLVER', 'the constrained QP did not converge (active-set cycling)', {
        hint: 'loosen or simplify the constraints (near-duplicate constraints can cycle)',
      });
    }
    const { tail, total } = directions(st, np, d, z, rr);
    let t1 = Infinity;
    let drop = -1;
    for (let k = 0; k < st.q; k++) {
      const rk = rr[k] as number;
      if ((st.active[k] as number) < meq || !(rk > 0)) continue;
      const ratio = (st.u[k] as number) / rk;
      if (ratio < t1) {
        t1 = ratio;
        drop = k;
      }
    }
    const s = dot(np, 0, st.x, 0, n) - bp;
    const t2 = tail <= DEPENDENT * total ? Infinity : Math.max(0, -s) / (tail * tail);
    const t = Math.min(t1, t2);
    if (t === Infinity) return certificateOf(problem, st, p, sign, rr);
    for (let k = 0; k < st.q; k++) st.u[k] = (st.u[k] as number) - t * (rr[k] as number);
    up += t;
    if (t2 !== Infinity) for (let k = 0; k < n; k++) st.x[k] = (st.x[k] as number) + t * (z[k] as number);
    if (t === t2) {
      appendActive(st, d, p, sign, up);
      isActive[p] = 1;
      return undefined;
    }
    isActive[st.active[drop] as number] = 0;
    dropActive(st, drop);
  }
}

/** d = Jᵀn_p, z = J₂d₂ (primal step), r = R⁻¹d₁ (dual step); returns ‖d₂‖ and ‖d‖. */
function directions(
  st: State,
  np: Float64Array,
  d: Float64Array,
  z: Float64Array,
  rr: Float64Array,
): { tail: number; total: number } {
  const { n, q, j, r } = st;
  let tail = 0;
  let total = 0;
  z.fill(0);
  for (let k = 0; k < n; k++) {
    const dk = dot(j, k * n, np, 0, n);
    d[k] = dk;
    total += dk * dk;
    if (k >= q) {
      tail += dk * dk;
      axpy(dk, j, k * n, z, n);
    }
  }
  for (let i = q - 1; i >= 0; i--) {
    let s = d[i] as number;
    for (let k = i + 1; k < q; k++) s -= (r[k * n + i] as number) * (rr[k] as number);
    rr[i] = s / (r[i * n + i] as number);
  }
  return { tail: Math.sqrt(tail), total: Math.sqrt(total) };
}

/** Rotate d₂ into its first entry (updating J) and append it as R's new column. */
function appendActive(st: State, d: Float64Array, p: number, sign: number, multiplier: number): void {
  const { n, q, j, r } = st;
  for (let k = n - 1; k > q; k--) {
    const a = d[k - 1] as number;
    const b = d[k] as number;
    if (b === 0) continue;
    const h = Math.hypot(a, b);
    d[k - 1] = h;
    d[k] = 0;
    rotateColumns(j, n, k - 1, k, a / h, b / h);
  }
  if ((d[q] as number) < 0) {
    d[q] = -(d[q] as number);
    for (let i = 0; i < n; i++) j[q * n + i] = -(j[q * n + i] as number);
  }
  for (let i = 0; i <= q; i++) r[q * n + i] = d[i] as number;
  st.active[q] = p;
  st.sign[q] = sign;
  st.u[q] = multiplier;
  st.q = q + 1;
}

/** Remove the active constraint at position l; restore R to triangular form by Givens rotations. */
function dropActive(st: State, l: number): void {
  const { n, j, r } = st;
  const q = st.q;
  for (let k = l; k < q - 1; k++) {
    st.active[k] = st.active[k + 1] as number;
    st.sign[k] = st.sign[k + 1] as number;
    st.u[k] = st.u[k + 1] as number;
    for (let i = 0; i <= k + 1; i++) r[k * n + i] = r[(k + 1) * n + i] as number;
  }
  for (let i = 0; i < n; i++) r[(q - 1) * n + i] = 0;
  for (let k = l; k < q - 1; k++) {
    const a = r[k * n + k] as number;
    const b = r[k * n + k + 1] as number;
    if (b === 0) continue;
    const h = Math.hypot(a, b);
    const c = a / h;
    const s = b / h;
    for (let col = k; col < q - 1; col++) {
      const x = r[col * n + k] as number;
      const y = r[col * n + k + 1] as number;
      r[col * n + k] = c * x + s * y;
      r[col * n + k + 1] = -s * x + c * y;
    }
    r[k * n + k + 1] = 0;
    rotateColumns(j, n, k, k + 1, c, s);
  }
  st.q = q - 1;
}

/** Columns (a, b) of the column-major n × n matrix m ← (c·a + s·b, −s·a + c·b). */
function rotateColumns(m: Float64Array, n: number, a: number, b: number, c: number, s: number): void {
  const oa = a * n;
  const ob = b * n;
  for (let i = 0; i < n; i++) {
    const x = m[oa + i] as number;
    const y = m[ob + i] as number;
    m[oa + i] = c * x + s * y;
    m[ob + i] = -s * x + c * y;
  }
}

/** y_p = sign, y_j = −r_j·sign_j on the active set: Σ y_i n_i = 0 and Σ y_i b_i > 0. */
function certificateOf(
  problem: DualQpProblem,
  st: State,
  p: number,
  sign: number,
  rr: Float64Array,
): Float64Array {
  const y = new Float64Array(problem.rhs.length);
  y[p] = sign;
  for (let k = 0; k < st.q; k++) {
    const i = st.active[k] as number;
    y[i] = (y[i] as number) - (rr[k] as number) * (st.sign[k] as number);
  }
  return y;
}

function dot(a: Float64Array, oa: number, b: Float64Array, ob: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += (a[oa + k] as number) * (b[ob + k] as number);
  return s;
}

function axpy(alpha: number, x: Float64Array, ox: number, y: Float64Array, n: number): void {
  if (alpha === 0) return;
  for (let k = 0; k < n; k++) y[k] = (y[k] as number) + alpha * (x[ox + k] as number);
}

/**
 * The largest violation of the KKT conditions of the problem at (x, y): primal (equalities, inequalities)
 * in the units of the constraints; stationarity Gx + c − Σ y_i n_i = 0, the sign of y on inequalities and
 * complementary slackness relative to the size of the gradient terms (max_k Σ_j |G_kj·x_j| + |c_k|).
 */
export function dualQpKktViolation(problem: DualQpProblem, x: Float64Array, y: Float64Array): number {
  const { n, g, c, normals, rhs, meq } = problem;
  const m = rhs.length;
  const grad = new Float64Array(n);
  let scale = 0;
  for (let k = 0; k < n; k++) {
    let s = c[k] as number;
    let size = Math.abs(s);
    for (let j = 0; j < n; j++) {
      const t = (g[Math.max(k, j) * n + Math.min(k, j)] as number) * (x[j] as number);
      s += t;
      size += Math.abs(t);
    }
    grad[k] = s;
    scale = Math.max(scale, size);
  }
  const s0 = scale > 0 ? scale : 1;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    const yi = y[i] as number;
    const slackI = dot(normals, i * n, x, 0, n) - (rhs[i] as number);
    if (i < meq) worst = Math.max(worst, Math.abs(slackI));
    else worst = Math.max(worst, -slackI, -yi / s0, Math.abs(yi * slackI) / s0);
    if (yi !== 0) axpy(-yi, normals, i * n, grad, n);
  }
  for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(grad[k] as number) / s0);
  return worst;
}
