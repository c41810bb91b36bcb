/**
 * A dense bounded-variable dual simplex for small linear programs that grow by rows:
 *
 *   min cᵀx   s.t.   rowLo ≤ A x ≤ rowHi,   colLo ≤ x ≤ colHi,
 *
 * with c ≥ 0 and every colLo finite, so that the slack basis (all structural columns at their lower
 * bound) is dual feasible from the start and stays so when a row is added (the new slack enters the
 * basis with a zero dual). That is exactly the shape of a cutting-plane master problem: add the cuts
 * the current point violates, re-optimise from the previous basis in a few dual pivots (Dantzig &
 * Thapa, Linear Programming 2, 2003, ch. 4; Koberstein 2005 for the bounded dual ratio test).
 *
 * Each row i has a slack sᵢ = aᵢᵀx with bounds [rowLoᵢ, rowHiᵢ]; the basis inverse is kept explicit
 * (m × m), updated by one elimination per pivot and rebuilt from the basic structural columns every
 * {@link REFACTOR_EVERY} pivots. Ties are broken by the lowest index: the same problem gives the same
 * pivots and the same bytes.
 */
import { QuantError } from '../../errors.js';

const AT_LOWER = 0;
const AT_UPPER = 1;
const BASIC = 2;

/** Primal feasibility tolerance (the callers scale the data to O(1)). */
const PRIMAL_TOL = 1e-11;
/** Dual feasibility tolerance of the Harris ratio test. */
const DUAL_TOL = 1e-12;
/** Smallest |α_rj| a pivot may use. */
const PIVOT_TOL = 1e-9;
const REFACTOR_EVERY = 64;
/** Pivots of one solve (plus 50 per row and column) after which it switches to Bland's rule. */
const BLAND_AFTER = 5000;

/** How the solve ended and how well the answer satisfies the LP's optimality conditions. */
export interface DualSimplexReport {
  readonly status: 'optimal' | 'infeasible';
  readonly objective: number;
  readonly pivots: number;
  /** Largest violation of a row or column bound, or of aᵢᵀx = sᵢ. */
  readonly primalResidual: number;
  /** Largest violation of the sign of a reduced cost (≥ 0 at a lower bound, ≤ 0 at an upper). */
  readonly dualResidual: number;
}

export class DualSimplex {
  private readonly n: number;
  private readonly cost: Float64Array;
  /** Bounds, status and value of every variable: structural columns 0..n−1, then slacks. */
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private readonly status: number[] = [];
  private readonly value: number[] = [];
  private readonly reduced: number[] = [];
  private readonly rows: Float64Array[] = [];
  /** basis[p] = the variable basic in position p. */
  private readonly basis: number[] = [];
  private binv = new Float64Array(0);
  private cap = 0;
  private m = 0;
  private sinceRefactor = 0;
  pivots = 0;
  /**
   * Σ m·(n + m) over the pivots so far (n columns, m rows at the time): the entries a pivot computes, its
   * tableau row (m × n) and the update of the m × m basis inverse. A constraint generation bounds its total
   * work by it (its LP grows by a row per cut).
   */
  work = 0;

  constructor(cost: Float64Array, colLo: Float64Array, colHi: Float64Array) {
    this.n = cost.length;
    this.cost = cost;
    for (let j = 0; j < this.n; j++) {
      const lo = colLo[j] as number;
      const c = cost[j] as number;
      if (!Number.isFinite(lo) || !(c >= 0)) {
        throw new RangeError(`column ${j}: needs a finite lower bound and a cost ≥ 0`);
      }
      this.lower.push(lo);
      this.upper.push(colHi[j] as number);
      this.status.push(AT_LOWER);
      this.value.push(lo);
      this.reduced.push(c);
    }
  }

  /** The structural values x (length n). */
  solution(): Float64Array {
    return Float64Array.from(this.value.slice(0, this.n));
  }

  /** Add the row lo ≤ coefᵀx ≤ hi (coef: length n, copied); its slack enters the basis. */
  addRow(coef: Float64Array, lo: number, hi: number): void {
    const m = this.m;
    this.grow(m + 1);
    const row = Float64Array.from(coef);
    this.rows.push(row);
    const cap = this.cap;
    const binv = this.binv;
    // [[B, 0], [a_Bᵀ, −1]]⁻¹ = [[B⁻¹, 0], [a_BᵀB⁻¹, −1]]: a_B holds the row's entries of the basic columns.
    for (let p = 0; p < m; p++) {
      const v = this.basis[p] as number;
      const a = v < this.n ? (row[v] as number) : 0;
      if (a === 0) continue;
      for (let c = 0; c < m; c++)
        binv[m * cap + c] = (binv[m * cap + c] as number) + a * (binv[p * cap + c] as number);
    }
    binv[m * cap + m] = -1;
    let s = 0;
    for (let j = 0; j < this.n; j++) s += (row[j] as number) * (this.value[j] as number);
    this.lower.push(lo);
    this.upper.push(hi);
    this.status.push(BASIC);
    this.value.push(s);
    this.reduced.push(0);
    this.basis.push(this.n + m);
    this.m = m + 1;
  }

  /**
   * Re-optimise from the current basis; `E_SOLVER` after `maxPivots` pivots of this solve (a constraint
   * generation re-optimises once per cut: its earlier solves do not count against the limit).
   */
  solve(maxPivots: number): DualSimplexReport {
    const start = this.pivots;
    for (;;) {
      // A solve that has taken this many pivots is presumed to cycle among degenerate bases (the master
      // of a cutting plane has one column with a cost and many without): Bland's rule from then on, which
      // cannot cycle. Below that, nothing changes.
      const bland = this.pivots - start > BLAND_AFTER + 50 * (this.n + this.m);
      const r = this.leavingRow(bland);
      if (r < 0) {
        if (this.sinceRefactor === 0) return this.report('optimal');
        this.refactor();
        continue;
      }
      if (this.pivots - start >= maxPivots) {
        throw new QuantError('E_SOLVER', `the LP did not reach an optimum within ${maxPivots} pivots`, {
          hint: 'report the input; a method without a linear program (min_variance) is an alternative',
        });
      }
      const rho = this.binv.subarray(r * this.cap, r * this.cap + this.m);
      const alpha = this.tableauRow(rho);
      const v = this.basis[r] as number;
      const below = (this.value[v] as number) < (this.lower[v] as number);
      const q = bland ? this.enteringColumnBland(alpha, below) : this.enteringColumn(alpha, below);
      if (q < 0) {
        if (this.sinceRefactor > 0) {
          this.refactor();
          continue;
        }
        return this.report('infeasible');
      }
      this.pivot(r, q, alpha, below);
    }
  }

  private grow(m: number): void {
    if (m <= this.cap) return;
    const cap = Math.max(16, 2 * this.cap, m);
    const next = new Float64Array(cap * cap);
    for (let p = 0; p < this.m; p++) {
      next.set(this.binv.subarray(p * this.cap, p * this.cap + this.m), p * cap);
    }
    this.binv = next;
    this.cap = cap;
  }

  /**
   * The basic position whose variable is farthest outside its bounds (relative; the lowest position on
   * ties), or with `bland` the one of the lowest-numbered variable outside them; −1 when none is.
   */
  private leavingRow(bland: boolean): number {
    let best = -1;
    let worst = PRIMAL_TOL;
    let bestVariable = Infinity;
    for (let p = 0; p < this.m; p++) {
      const v = this.basis[p] as number;
      const x = this.value[v] as number;
      const excess = Math.max((this.lower[v] as number) - x, x - (this.upper[v] as number));
      const scale = 1 + Math.abs(x);
      if (bland) {
        if (excess > PRIMAL_TOL * scale && v < bestVariable) {
          bestVariable = v;
          best = p;
        }
      } else if (excess > worst * scale) {
        worst = excess / scale;
        best = p;
      }
    }
    return best;
  }

  /** Bland's rule: the smallest ratio |d_j / α_rj| exactly, the lowest-numbered column on ties. */
  private enteringColumnBland(alpha: Float64Array, below: boolean): number {
    let best = -1;
    let bestRatio = Infinity;
    const total = this.n + this.m;
    for (let j = 0; j < total; j++) {
      const a = this.eligible(j, alpha[j] as number, below);
      if (a === 0) continue;
      const ratio = Math.abs(this.reduced[j] as number) / Math.abs(a);
      if (ratio < bestRatio) {
        bestRatio = ratio;
        best = j;
      }
    }
    return best;
  }

  /** α_j = ρᵀM_j for every nonbasic j (0 for basic ones); M = [A | −I]. */
  private tableauRow(rho: Float64Array): Float64Array {
    const alpha = new Float64Array(this.n + this.m);
    for (let i = 0; i < this.m; i++) {
      const ri = rho[i] as number;
      if (ri === 0) continue;
      const row = this.rows[i] as Float64Array;
      for (let j = 0; j < this.n; j++) alpha[j] = (alpha[j] as number) + ri * (row[j] as number);
      alpha[this.n + i] = -ri;
    }
    for (let p = 0; p < this.m; p++) alpha[this.basis[p] as number] = 0;
    return alpha;
  }

  /**
   * Harris's two-pass ratio test: the largest |α_rj| among the columns whose ratio |d_j/α_rj| is within
   * the dual tolerance of the smallest. `below`: the leaving variable rises to its lower bound.
   */
  private enteringColumn(alpha: Float64Array, below: boolean): number {
    let bound = Infinity;
    const total = this.n + this.m;
    for (let j = 0; j < total; j++) {
      const a = this.eligible(j, alpha[j] as number, below);
      if (a === 0) continue;
      const ratio = (Math.abs(this.reduced[j] as number) + DUAL_TOL) / Math.abs(a);
      if (ratio < bound) bound = ratio;
    }
    let best = -1;
    let bestAlpha = 0;
    for (let j = 0; j < total; j++) {
      const a = this.eligible(j, alpha[j] as number, below);
      if (a === 0) continue;
      if (Math.abs(this.reduced[j] as number) / Math.abs(a) <= bound && Math.abs(a) > bestAlpha) {
        bestAlpha = Math.abs(a);
        best = j;
      }
    }
    return best;
  }

  /** α_rj when moving column j away from its bound pushes the leaving variable the right way, else 0. */
  private eligible(j: number, a: number, below: boolean): number {
    const s = this.status[j];
    if (s === BASIC || Math.abs(a) < PIVOT_TOL) return 0;
    if ((this.upper[j] as number) === (this.lower[j] as number)) return 0;
    // x_p = β − Σ α_j x_j: raising x_p needs a column at its lower bound with α < 0 or at its upper with α > 0.
    const up = s === AT_LOWER;
    return below === up ? (a < 0 ? a : 0) : a > 0 ? a : 0;
  }

  private pivot(r: number, q: number, alpha: Float64Array, below: boolean): void {
    const p = this.basis[r] as number;
    const aq = alpha[q] as number;
    const thetaD = (this.reduced[q] as number) / aq;
    const total = this.n + this.m;
    for (let j = 0; j < total; j++) {
      if (this.status[j] !== BASIC)
        this.reduced[j] = (this.reduced[j] as number) - thetaD * (alpha[j] as number);
    }
    const u = this.column(q);
    const bound = below ? (this.lower[p] as number) : (this.upper[p] as number);
    const step = ((this.value[p] as number) - bound) / (u[r] as number);
    for (let i = 0; i < this.m; i++) {
      const v = this.basis[i] as number;
      this.value[v] = (this.value[v] as number) - step * (u[i] as number);
    }
    this.value[q] = (this.value[q] as number) + step;
    this.value[p] = bound;
    this.reduced[p] = -thetaD;
    this.reduced[q] = 0;
    this.status[p] = below ? AT_LOWER : AT_UPPER;
    this.status[q] = BASIC;
    this.basis[r] = q;
    this.eliminate(r, u);
    this.pivots++;
    this.work += this.m * (this.n + this.m);
    this.sinceRefactor++;
    if (this.sinceRefactor >= REFACTOR_EVERY) this.refactor();
  }

  /** B⁻¹M_q. */
  private column(q: number): Float64Array {
    const m = this.m;
    const cap = this.cap;
    const u = new Float64Array(m);
    if (q >= this.n) {
      const k = q - this.n;
      for (let i = 0; i < m; i++) u[i] = -(this.binv[i * cap + k] as number);
      return u;
    }
    const col = new Float64Array(m);
    for (let c = 0; c < m; c++) col[c] = (this.rows[c] as Float64Array)[q] as number;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let c = 0; c < m; c++) s += (this.binv[i * cap + c] as number) * (col[c] as number);
      u[i] = s;
    }
    return u;
  }

  /** The product-form update of B⁻¹ for the pivot on position r with entering column u = B⁻¹M_q. */
  private eliminate(r: number, u: Float64Array): void {
    const m = this.m;
    const cap = this.cap;
    const b = this.binv;
    const ur = u[r] as number;
    for (let c = 0; c < m; c++) b[r * cap + c] = (b[r * cap + c] as number) / ur;
    for (let i = 0; i < m; i++) {
      const f = u[i] as number;
      if (i === r || f === 0) continue;
      for (let c = 0; c < m; c++)
        b[i * cap + c] = (b[i * cap + c] as number) - f * (b[r * cap + c] as number);
    }
  }

  /**
   * Rebuild B⁻¹ from the basis, then the basic values and the reduced costs. With K the basic structural
   * columns and R the rows whose slack is nonbasic (|R| = |K|), B x = b reads F x_K = b_R (F = A[R, K])
   * and s_S = A[S, K] x_K − b_S for the rows S whose slack is basic.
   */
  private refactor(): void {
    const m = this.m;
    const cap = this.cap;
    const posOf = new Int32Array(this.n + m).fill(-1);
    this.basis.forEach((v, p) => (posOf[v] = p));
    const K: number[] = [];
    for (let j = 0; j < this.n; j++) if (this.status[j] === BASIC) K.push(j);
    const R: number[] = [];
    for (let i = 0; i < m; i++) if (this.status[this.n + i] !== BASIC) R.push(i);
    const k = K.length;
    const F = new Float64Array(k * k);
    R.forEach((i, a) => K.forEach((j, b) => (F[a * k + b] = (this.rows[i] as Float64Array)[j] as number)));
    const Finv = invert(F, k);
    this.binv.fill(0);
    K.forEach((j, a) => {
      const p = posOf[j] as number;
      R.forEach((i, b) => (this.binv[p * cap + i] = Finv[a * k + b] as number));
    });
    for (let i = 0; i < m; i++) {
      if (this.status[this.n + i] !== BASIC) continue;
      const p = posOf[this.n + i] as number;
      const row = this.rows[i] as Float64Array;
      R.forEach((ri, b) => {
        let s = 0;
        K.forEach((j, a) => (s += (row[j] as number) * (Finv[a * k + b] as number)));
        this.binv[p * cap + ri] = s;
      });
      this.binv[p * cap + i] = -1;
    }
    this.sinceRefactor = 0;
    this.recompute();
  }

  /** Basic values x_B = −B⁻¹N x_N and reduced costs d = c − (c_BᵀB⁻¹)M from scratch. */
  private recompute(): void {
    const m = this.m;
    const n = this.n;
    const cap = this.cap;
    const rhs = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const row = this.rows[i] as Float64Array;
      let s = 0;
      for (let j = 0; j < n; j++)
        if (this.status[j] !== BASIC) s += (row[j] as number) * (this.value[j] as number);
      if (this.status[n + i] !== BASIC) s -= this.value[n + i] as number;
      rhs[i] = -s;
    }
    const y = new Float64Array(m);
    for (let p = 0; p < m; p++) {
      const v = this.basis[p] as number;
      let s = 0;
      for (let c = 0; c < m; c++) s += (this.binv[p * cap + c] as number) * (rhs[c] as number);
      this.value[v] = s;
      const cb = v < n ? (this.cost[v] as number) : 0;
      if (cb !== 0)
        for (let c = 0; c < m; c++) y[c] = (y[c] as number) + cb * (this.binv[p * cap + c] as number);
    }
    for (let j = 0; j < n; j++) {
      let s = this.cost[j] as number;
      for (let i = 0; i < m; i++) s -= (y[i] as number) * ((this.rows[i] as Float64Array)[j] as number);
      this.reduced[j] = this.status[j] === BASIC ? 0 : s;
    }
    for (let i = 0; i < m; i++) this.reduced[n + i] = this.status[n + i] === BASIC ? 0 : (y[i] as number);
  }

  private report(status: 'optimal' | 'infeasible'): DualSimplexReport {
    const { n, m, lower, upper, value, reduced, rows } = this;
    return simplexReport(
      status,
      this.cost,
      { n, m, lower, upper, status: this.status, value, reduced, rows },
      this.pivots,
    );
  }
}

/** The final state of a bounded simplex: structural columns 0..n−1, then one slack per row. */
export interface SimplexState {
  readonly n: number;
  readonly m: number;
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly status: readonly number[];
  readonly value: readonly number[];
  readonly reduced: readonly number[];
  readonly rows: readonly Float64Array[];
}

/**
 * The objective under `cost` and the largest primal (bounds, rows) and dual (reduced-cost sign)
 * residuals of a simplex's final state.
 */
export function simplexReport(
  status: 'optimal' | 'infeasible',
  cost: Float64Array,
  state: SimplexState,
  pivots: number,
): DualSimplexReport {
  const { n, m, lower, upper, value, reduced, rows } = state;
  let objective = 0;
  for (let j = 0; j < n; j++) objective += (cost[j] as number) * (value[j] as number);
  let primal = 0;
  for (let v = 0; v < n + m; v++) {
    const x = value[v] as number;
    primal = Math.max(primal, (lower[v] as number) - x, x - (upper[v] as number));
  }
  for (let i = 0; i < m; i++) {
    const row = rows[i] as Float64Array;
    let s = 0;
    for (let j = 0; j < n; j++) s += (row[j] as number) * (value[j] as number);
    primal = Math.max(primal, Math.abs(s - (value[n + i] as number)));
  }
  let dual = 0;
  for (let v = 0; v < n + m; v++) {
    const d = reduced[v] as number;
    const s = state.status[v];
    if (s === BASIC || (upper[v] as number) === (lower[v] as number)) continue;
    dual = Math.max(dual, s === AT_LOWER ? -d : d);
  }
  return { status, objective, pivots, primalResidual: primal, dualResidual: dual };
}

/** Inverse of a k × k matrix by Gauss–Jordan elimination with partial pivoting. */
export function invert(a: Float64Array, k: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++)
      if (Math.abs(m[r * k + c] as number) > Math.abs(m[piv * k + c] as number)) piv = r;
    const pv = m[piv * k + c] as number;
    if (pv === 0) throw new QuantError('E_SOLVER', 'the LP basis became singular');
    if (piv !== c) {
      swapRows(m, k, piv, c);
      swapRows(inv, k, piv, c);
    }
    for (let j = 0; j < k; j++) {
      m[c * k + j] = (m[c * k + j] as number) / pv;
      inv[c * k + j] = (inv[c * k + j] as number) / pv;
    }
    for (let r = 0; r < k; r++) {
      const f = m[r * k + c] as number;
      if (r === c || f === 0) continue;
      for (let j = 0; j < k; j++) {
        m[r * k + j] = (m[r * k + j] as number) - f * (m[c * k + j] as number);
        inv[r * k + j] = (inv[r * k + j] as number) - f * (inv[c * k + j] as number);
      }
    }
  }
  return inv;
}

function swapRows(a: Float64Array, k: number, r1: number, r2: number): void {
  for (let j = 0; j < k; j++) {
    const t = a[r1 * k + j] as number;
    a[r1 * k + j] = a[r2 * k + j] as number;
    a[r2 * k + j] = t;
  }
}
