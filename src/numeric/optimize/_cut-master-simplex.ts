/**
 * The dual simplex of `min_cdar`'s constraint generation: the master LP
 *
 *   min cᵀx   s.t.   rowLo ≤ A x ≤ rowHi,   colLo ≤ x ≤ colHi,
 *
 * with few columns (the n weights and θ) and many rows (one per cut), which grows by rows. The method is
 * that of {@link DualSimplex} (bounded dual simplex from a dual feasible basis, Harris's ratio test, Bland's
 * rule after many pivots of one solve), with two differences.
 *
 * The basis inverse is not the m × m matrix but that of F = A[R, K], K the basic structural columns and R
 * the rows whose slack is nonbasic (|K| = |R| = k ≤ columns): x_K solves F x_K = s_R − A[R, N] x_N and every
 * basic slack is its row times x. A pivot then costs O(m·k + k·(n + k)) instead of O(m·(n + m)): on 200
 * assets and 2,000 cuts, a few hundred times less. F⁻¹ is updated by a bordering, a row or column exchange
 * or a deletion (the four kinds of pivot: which of the entering and leaving variables is a slack) and
 * rebuilt by Gauss–Jordan every {@link REFACTOR_EVERY} pivots and at the end of every solve.
 *
 * The master is massively dual degenerate (only θ has a cost): most nonbasic columns have a zero reduced
 * cost, and a re-optimisation after a cut took runs of thousands of pivots that do not move the dual
 * objective. With `perturb`, the nonbasic columns' costs are moved away from their bound by a small fixed
 * amount each ({@link perturb}), as production dual simplex codes do, so that every pivot makes progress;
 * {@link unperturb} restores the costs and re-optimises by primal simplex pivots, after which the basis is
 * optimal for the LP itself. Ties are broken by the lowest index: the same problem gives the same bytes.
 */
import { QuantError } from '../../errors.js';
import { invert, simplexReport, type DualSimplexReport } from './_dual-simplex.js';

const AT_LOWER = 0;
const AT_UPPER = 1;
const BASIC = 2;

/** Primal feasibility tolerance (the callers scale the data to O(1)). */
const PRIMAL_TOL = 1e-11;
/** Dual feasibility tolerance of the Harris ratio test and of the primal clean-up. */
const DUAL_TOL = 1e-12;
/** Smallest |pivot| a pivot may use. */
const PIVOT_TOL = 1e-9;
const REFACTOR_EVERY = 64;
/** Pivots of one solve (plus 50 per row and column) after which it switches to Bland's rule. */
const BLAND_AFTER = 5000;
/** Relative size of the cost perturbation ({@link CutMasterSimplex.perturb}). */
const PERTURBATION = 1e-7;

export interface CutMasterOptions {
  /** Perturb the costs from the start ({@link CutMasterSimplex.perturb}). */
  readonly perturb?: boolean;
}

export class CutMasterSimplex {
  private readonly n: number;
  /** The LP's costs, and the ones the pivots use (the same unless perturbed). */
  private readonly baseCost: Float64Array;
  private readonly cost: Float64Array;
  /** Bounds, status, value and reduced cost of every variable: structural columns 0..n−1, then slacks. */
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private readonly status: number[] = [];
  private readonly value: number[] = [];
  private readonly reduced: number[] = [];
  private readonly rows: Float64Array[] = [];
  /** K: the basic structural columns; R: the rows whose slack is nonbasic; kAt/rAt: their positions or −1. */
  private readonly K: number[] = [];
  private readonly R: number[] = [];
  private readonly kAt: number[] = [];
  private readonly rAt: number[] = [];
  /** F⁻¹ (cap × cap, row a ↔ column K[a], column b ↔ row R[b]) of F = A[R, K]. */
  private finv = new Float64Array(0);
  private cap = 0;
  private m = 0;
  private sinceRefactor = 0;
  /** Whether the costs hold a perturbation that {@link unperturb} has not yet removed. */
  perturbed = false;
  pivots = 0;
  /**
   * Σ over the pivots so far of (m + n)·(k + 1) + k² (m rows, n columns, k basic columns at the time): the
   * entries a pivot computes (the basic values it moves, its tableau row, the update of F⁻¹).
   */
  work = 0;

  constructor(cost: Float64Array, colLo: Float64Array, colHi: Float64Array, options: CutMasterOptions = {}) {
    this.n = cost.length;
    this.baseCost = Float64Array.from(cost);
    this.cost = Float64Array.from(cost);
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
      this.kAt.push(-1);
    }
    if (options.perturb === true) this.perturb();
  }

  /** The structural values x (length n). */
  solution(): Float64Array {
    return Float64Array.from(this.value.slice(0, this.n));
  }

  /** Add the row lo ≤ coefᵀx ≤ hi (coef: length n, copied); its slack enters the basis. */
  addRow(coef: Float64Array, lo: number, hi: number): void {
    const row = Float64Array.from(coef.subarray(0, this.n));
    let s = 0;
    for (let j = 0; j < this.n; j++) s += (row[j] as number) * (this.value[j] as number);
    this.rows.push(row);
    this.lower.push(lo);
    this.upper.push(hi);
    this.status.push(BASIC);
    this.value.push(s);
    this.reduced.push(0);
    this.rAt.push(-1);
    this.m++;
  }

  /**
   * Move each nonbasic structural column's cost away from its reduced cost's bound, by
   * {@link PERTURBATION}·(1 + |c_j|)·(1 + ξ_j) with ξ_j ∈ [0, 1) fixed by j (up at a lower bound, down at
   * an upper): the basis stays dual feasible (the basic costs, and so the duals, are unchanged) and no
   * nonbasic column starts with a zero reduced cost. The answer is then optimal for the perturbed costs
   * only, until {@link unperturb}.
   */
  perturb(): void {
    for (let j = 0; j < this.n; j++) {
      const s = this.status[j];
      if (s === BASIC || (this.upper[j] as number) === (this.lower[j] as number)) continue;
      const base = this.baseCost[j] as number;
      const delta = PERTURBATION * (1 + Math.abs(base)) * (1 + spread(j));
      const signed = s === AT_LOWER ? delta : -delta;
      this.cost[j] = (this.cost[j] as number) + signed;
      this.reduced[j] = (this.reduced[j] as number) + signed;
    }
    this.perturbed = true;
  }

  /**
   * Restore the LP's costs and re-optimise by primal simplex pivots from the current basis, which stays
   * primal feasible: the entering column is the nonbasic one whose reduced cost has the wrong sign by the
   * most (the lowest index on ties); it moves until a basic variable reaches a bound (the largest |pivot|
   * among ties, then the lowest index) or it reaches its own other bound. A no-op without a perturbation.
   */
  unperturb(maxPivots: number): DualSimplexReport {
    if (!this.perturbed) return this.report('optimal');
    this.cost.set(this.baseCost);
    this.perturbed = false;
    this.refactor();
    const start = this.pivots;
    for (;;) {
      const q = this.primalEntering();
      if (q < 0) {
        if (this.sinceRefactor === 0) return this.report('optimal');
        this.refactor();
        continue;
      }
      if (this.pivots - start >= maxPivots) throw pivotLimit(maxPivots);
      this.primalStep(q);
    }
  }

  /**
   * Re-optimise from the current basis; `E_SOLVER` after `maxPivots` pivots of this solve (a constraint
   * generation re-optimises once per cut: its earlier solves do not count against the limit).
   */
  solve(maxPivots: number): DualSimplexReport {
    const start = this.pivots;
    for (;;) {
      const bland = this.pivots - start > BLAND_AFTER + 50 * (this.n + this.m);
      const p = this.leaving(bland);
      if (p < 0) {
        if (this.sinceRefactor === 0) return this.report('optimal');
        this.refactor();
        continue;
      }
      if (this.pivots - start >= maxPivots) throw pivotLimit(maxPivots);
      const alpha = this.tableauRow(p);
      const below = (this.value[p] as number) < (this.lower[p] as number);
      const q = this.entering(alpha, below, bland);
      if (q < 0) {
        if (this.sinceRefactor > 0) {
          this.refactor();
          continue;
        }
        return this.report('infeasible');
      }
      this.pivot(p, q, alpha, below);
    }
  }

  /**
   * The basic variable farthest outside its bounds (relative; the lowest index on ties), or with `bland`
   * the lowest-numbered one outside them; −1 when none is.
   */
  private leaving(bland: boolean): number {
    let best = -1;
    let worst = PRIMAL_TOL;
    const total = this.n + this.m;
    for (let v = 0; v < total; v++) {
      if (this.status[v] !== BASIC) continue;
      const x = this.value[v] as number;
      const excess = Math.max((this.lower[v] as number) - x, x - (this.upper[v] as number));
      const scale = 1 + Math.abs(x);
      if (bland) {
        if (excess > PRIMAL_TOL * scale) return v;
      } else if (excess > worst * scale) {
        worst = excess / scale;
        best = v;
      }
    }
    return best;
  }

  /**
   * The row of B⁻¹ of basic variable p over the rows R (length k): F⁻¹'s row of p for a structural column,
   * a_p[K]ᵀF⁻¹ for the slack of row p − n (whose own row then has the coefficient −1).
   */
  private btran(p: number): Float64Array {
    const k = this.K.length;
    const cap = this.cap;
    const rho = new Float64Array(k);
    if (p < this.n) {
      const a = this.kAt[p] as number;
      for (let b = 0; b < k; b++) rho[b] = this.finv[a * cap + b] as number;
      return rho;
    }
    const row = this.rows[p - this.n] as Float64Array;
    for (let a = 0; a < k; a++) {
      const g = row[this.K[a] as number] as number;
      if (g === 0) continue;
      for (let b = 0; b < k; b++) rho[b] = (rho[b] as number) + g * (this.finv[a * cap + b] as number);
    }
    return rho;
  }

  /** α_j = e_pᵀB⁻¹M_j for every nonbasic j (0 for basic ones); M = [A | −I]. */
  private tableauRow(p: number): Float64Array {
    const n = this.n;
    const k = this.K.length;
    const rho = this.btran(p);
    const alpha = new Float64Array(n + this.m);
    for (let b = 0; b < k; b++) {
      const rb = rho[b] as number;
      const i = this.R[b] as number;
      alpha[n + i] = -rb;
      if (rb === 0) continue;
      const row = this.rows[i] as Float64Array;
      for (let j = 0; j < n; j++) alpha[j] = (alpha[j] as number) + rb * (row[j] as number);
    }
    if (p >= n) {
      const row = this.rows[p - n] as Float64Array;
      for (let j = 0; j < n; j++) alpha[j] = (alpha[j] as number) - (row[j] as number);
    }
    for (let a = 0; a < k; a++) alpha[this.K[a] as number] = 0;
    return alpha;
  }

  /**
   * The entering column of the dual ratio test: Harris's two passes (the largest |α_j| among the columns
   * whose ratio |d_j/α_j| is within the dual tolerance of the smallest), or with `bland` the smallest
   * exact ratio; the lowest index on ties. Only nonbasic columns have α_j ≠ 0: the structural ones and the
   * slacks of R.
   */
  private entering(alpha: Float64Array, below: boolean, bland: boolean): number {
    const n = this.n;
    const k = this.R.length;
    const candidate = (c: number): number => (c < n ? c : n + (this.R[c - n] as number));
    let bound = Infinity;
    let best = -1;
    for (let c = 0; c < n + k; c++) {
      const j = candidate(c);
      const a = this.eligible(j, alpha[j] as number, below);
      if (a === 0) continue;
      const d = Math.abs(this.reduced[j] as number);
      if (bland) {
        const ratio = d / Math.abs(a);
        if (ratio < bound || (ratio === bound && j < best)) {
          bound = ratio;
          best = j;
        }
      } else {
        const ratio = (d + DUAL_TOL) / Math.abs(a);
        if (ratio < bound) bound = ratio;
      }
    }
    if (bland) return best;
    let bestAlpha = 0;
    for (let c = 0; c < n + k; c++) {
      const j = candidate(c);
      const a = this.eligible(j, alpha[j] as number, below);
      if (a === 0) continue;
      if (Math.abs(this.reduced[j] as number) / Math.abs(a) > bound) continue;
      if (Math.abs(a) > bestAlpha || (Math.abs(a) === bestAlpha && j < best)) {
        bestAlpha = Math.abs(a);
        best = j;
      }
    }
    return best;
  }

  /** α_j when moving column j away from its bound pushes the leaving variable the right way, else 0. */
  private eligible(j: number, a: number, below: boolean): number {
    const s = this.status[j];
    if (s === BASIC || Math.abs(a) < PIVOT_TOL) return 0;
    if ((this.upper[j] as number) === (this.lower[j] as number)) return 0;
    // x_p = β − Σ α_j x_j: raising x_p needs a column at its lower bound with α < 0 or at its upper with α > 0.
    const up = s === AT_LOWER;
    return below === up ? (a < 0 ? a : 0) : a > 0 ? a : 0;
  }

  /**
   * u = B⁻¹M_q: how each basic variable falls per unit rise of x_q. `h` over K, `slack` over every row
   * (0 where the slack is nonbasic).
   */
  private column(q: number): { readonly h: Float64Array; readonly slack: Float64Array } {
    const n = this.n;
    const k = this.K.length;
    const cap = this.cap;
    const h = new Float64Array(k);
    if (q < n) {
      for (let b = 0; b < k; b++) {
        const f = (this.rows[this.R[b] as number] as Float64Array)[q] as number;
        if (f === 0) continue;
        for (let a = 0; a < k; a++) h[a] = (h[a] as number) + (this.finv[a * cap + b] as number) * f;
      }
    } else {
      const b = this.rAt[q - n] as number;
      for (let a = 0; a < k; a++) h[a] = -(this.finv[a * cap + b] as number);
    }
    const slack = new Float64Array(this.m);
    for (let i = 0; i < this.m; i++) {
      if (this.status[n + i] !== BASIC) continue;
      const row = this.rows[i] as Float64Array;
      let s = q < n ? -(row[q] as number) : 0;
      for (let a = 0; a < k; a++) s += (row[this.K[a] as number] as number) * (h[a] as number);
      slack[i] = s;
    }
    return { h, slack };
  }

  private pivot(p: number, q: number, alpha: Float64Array, below: boolean): void {
    const n = this.n;
    const k = this.K.length;
    const thetaD = (this.reduced[q] as number) / (alpha[q] as number);
    for (let j = 0; j < n; j++) {
      if (this.status[j] !== BASIC)
        this.reduced[j] = (this.reduced[j] as number) - thetaD * (alpha[j] as number);
    }
    for (let b = 0; b < k; b++) {
      const j = n + (this.R[b] as number);
      this.reduced[j] = (this.reduced[j] as number) - thetaD * (alpha[j] as number);
    }
    const { h, slack } = this.column(q);
    const up = p < n ? (h[this.kAt[p] as number] as number) : (slack[p - n] as number);
    const bound = below ? (this.lower[p] as number) : (this.upper[p] as number);
    const step = ((this.value[p] as number) - bound) / up;
    for (let a = 0; a < k; a++) {
      const v = this.K[a] as number;
      this.value[v] = (this.value[v] as number) - step * (h[a] as number);
    }
    for (let i = 0; i < this.m; i++) {
      if (this.status[n + i] === BASIC)
        this.value[n + i] = (this.value[n + i] as number) - step * (slack[i] as number);
    }
    this.value[q] = (this.value[q] as number) + step;
    this.value[p] = bound;
    this.reduced[p] = -thetaD;
    this.reduced[q] = 0;
    this.status[p] = below ? AT_LOWER : AT_UPPER;
    this.status[q] = BASIC;
    this.updateInverse(p, q, h);
    this.pivots++;
    this.work += (this.m + n) * (k + 1) + k * k;
    this.sinceRefactor++;
    if (this.sinceRefactor >= REFACTOR_EVERY) this.refactor();
  }

  /** F⁻¹ after p left the basis and q entered it (h = F⁻¹ times q's column over R, before the pivot). */
  private updateInverse(p: number, q: number, h: Float64Array): void {
    const n = this.n;
    const k = this.K.length;
    const fi = this.finv;
    if (q < n && p >= n) {
      // Bordering: q joins K and p's row joins R. z = a_p[K]ᵀF⁻¹, σ = a_pq − z·A[R, q].
      const i = p - n;
      const row = this.rows[i] as Float64Array;
      const z = this.btran(p);
      let sigma = row[q] as number;
      for (let a = 0; a < k; a++) sigma -= (row[this.K[a] as number] as number) * (h[a] as number);
      this.grow(k + 1);
      const cap = this.cap;
      const f = this.finv;
      for (let a = 0; a < k; a++) {
        const ha = (h[a] as number) / sigma;
        for (let b = 0; b < k; b++) f[a * cap + b] = (f[a * cap + b] as number) + ha * (z[b] as number);
        f[a * cap + k] = -ha;
      }
      for (let b = 0; b < k; b++) f[k * cap + b] = -(z[b] as number) / sigma;
      f[k * cap + k] = 1 / sigma;
      this.K.push(q);
      this.kAt[q] = k;
      this.R.push(i);
      this.rAt[i] = k;
      return;
    }
    const cap = this.cap;
    if (q < n) {
      // Column exchange: q replaces p in K.
      const a0 = this.kAt[p] as number;
      const hr = h[a0] as number;
      for (let b = 0; b < k; b++) fi[a0 * cap + b] = (fi[a0 * cap + b] as number) / hr;
      for (let a = 0; a < k; a++) {
        const f = h[a] as number;
        if (a === a0 || f === 0) continue;
        for (let b = 0; b < k; b++)
          fi[a * cap + b] = (fi[a * cap + b] as number) - f * (fi[a0 * cap + b] as number);
      }
      this.K[a0] = q;
      this.kAt[q] = a0;
      this.kAt[p] = -1;
      return;
    }
    const c = q - n;
    const bc = this.rAt[c] as number;
    if (p >= n) {
      // Row exchange: p's row replaces q's row in R. z = a_p[K]ᵀF⁻¹.
      const i = p - n;
      const z = this.btran(p);
      const zc = z[bc] as number;
      for (let a = 0; a < k; a++) fi[a * cap + bc] = (fi[a * cap + bc] as number) / zc;
      for (let b = 0; b < k; b++) {
        const f = z[b] as number;
        if (b === bc || f === 0) continue;
        for (let a = 0; a < k; a++)
          fi[a * cap + b] = (fi[a * cap + b] as number) - f * (fi[a * cap + bc] as number);
      }
      this.R[bc] = i;
      this.rAt[i] = bc;
      this.rAt[c] = -1;
      return;
    }
    // Deletion: p leaves K and q's row leaves R; F⁻¹ loses the row of p and the column of q's row.
    const a0 = this.kAt[p] as number;
    const gamma = fi[a0 * cap + bc] as number;
    for (let a = 0; a < k; a++) {
      if (a === a0) continue;
      const f = (fi[a * cap + bc] as number) / gamma;
      if (f === 0) continue;
      for (let b = 0; b < k; b++)
        fi[a * cap + b] = (fi[a * cap + b] as number) - f * (fi[a0 * cap + b] as number);
    }
    const last = k - 1;
    if (a0 !== last) {
      for (let b = 0; b < k; b++) fi[a0 * cap + b] = fi[last * cap + b] as number;
      const moved = this.K[last] as number;
      this.K[a0] = moved;
      this.kAt[moved] = a0;
    }
    if (bc !== last) {
      for (let a = 0; a < k; a++) fi[a * cap + bc] = fi[a * cap + last] as number;
      const moved = this.R[last] as number;
      this.R[bc] = moved;
      this.rAt[moved] = bc;
    }
    this.K.pop();
    this.R.pop();
    this.kAt[p] = -1;
    this.rAt[c] = -1;
  }

  private grow(k: number): void {
    if (k <= this.cap) return;
    const cap = Math.max(16, 2 * this.cap, k);
    const next = new Float64Array(cap * cap);
    const old = this.K.length;
    for (let a = 0; a < old; a++) next.set(this.finv.subarray(a * this.cap, a * this.cap + old), a * cap);
    this.finv = next;
    this.cap = cap;
  }

  /** The nonbasic column whose reduced cost has the wrong sign by the most, beyond DUAL_TOL; −1 if none. */
  private primalEntering(): number {
    let best = -1;
    let worst = DUAL_TOL;
    const total = this.n + this.m;
    for (let j = 0; j < total; j++) {
      const s = this.status[j];
      if (s === BASIC || (this.upper[j] as number) === (this.lower[j] as number)) continue;
      const d = this.reduced[j] as number;
      const wrong = s === AT_LOWER ? -d : d;
      if (wrong > worst) {
        worst = wrong;
        best = j;
      }
    }
    return best;
  }

  /** One primal simplex step on entering column q: a pivot, or q moving to its other bound. */
  private primalStep(q: number): void {
    const n = this.n;
    const { h, slack } = this.column(q);
    // x_q moves by t·dir (t ≥ 0) and basic variable v by −t·dir·u_v.
    const dir = this.status[q] === AT_LOWER ? 1 : -1;
    let limit = (this.upper[q] as number) - (this.lower[q] as number);
    let leave = -1;
    let leaveAlpha = 0;
    let toLower = false;
    const consider = (v: number, u: number): void => {
      if (Math.abs(u) < PIVOT_TOL) return;
      const x = this.value[v] as number;
      const rate = -dir * u;
      const room = rate < 0 ? x - (this.lower[v] as number) : (this.upper[v] as number) - x;
      if (room === Infinity) return;
      const t = Math.max(0, room) / Math.abs(rate);
      if (t < limit || (leave >= 0 && t === limit && Math.abs(u) > leaveAlpha)) {
        limit = t;
        leave = v;
        leaveAlpha = Math.abs(u);
        toLower = rate < 0;
      }
    };
    const total = n + this.m;
    for (let v = 0; v < total; v++) {
      if (this.status[v] !== BASIC) continue;
      consider(v, v < n ? (h[this.kAt[v] as number] as number) : (slack[v - n] as number));
    }
    if (limit === Infinity) throw new QuantError('E_SOLVER', 'the LP is unbounded');
    if (leave < 0) {
      this.pivots++;
      // x_q reaches its other bound first: no basis change.
      const step = dir * limit;
      const k = this.K.length;
      for (let a = 0; a < k; a++) {
        const v = this.K[a] as number;
        this.value[v] = (this.value[v] as number) - step * (h[a] as number);
      }
      for (let i = 0; i < this.m; i++) {
        if (this.status[n + i] === BASIC)
          this.value[n + i] = (this.value[n + i] as number) - step * (slack[i] as number);
      }
      this.value[q] = dir > 0 ? (this.upper[q] as number) : (this.lower[q] as number);
      this.status[q] = dir > 0 ? AT_UPPER : AT_LOWER;
      return;
    }
    this.pivot(leave, q, this.tableauRow(leave), toLower);
  }

  /**
   * Rebuild F⁻¹ from the basis (Gauss–Jordan with partial pivoting), then the basic values and the reduced
   * costs: x_K = F⁻¹(s_R − A[R, N] x_N), each basic slack its row times x, the duals y_R = c_KᵀF⁻¹.
   */
  private refactor(): void {
    const n = this.n;
    const k = this.K.length;
    const cap = this.cap;
    const F = new Float64Array(k * k);
    for (let b = 0; b < k; b++) {
      const row = this.rows[this.R[b] as number] as Float64Array;
      for (let a = 0; a < k; a++) F[b * k + a] = row[this.K[a] as number] as number;
    }
    const inv = invert(F, k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) this.finv[a * cap + b] = inv[a * k + b] as number;
    const rhs = new Float64Array(k);
    for (let b = 0; b < k; b++) {
      const i = this.R[b] as number;
      const row = this.rows[i] as Float64Array;
      let s = this.value[n + i] as number;
      for (let j = 0; j < n; j++)
        if (this.status[j] !== BASIC) s -= (row[j] as number) * (this.value[j] as number);
      rhs[b] = s;
    }
    const y = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let b = 0; b < k; b++) s += (inv[a * k + b] as number) * (rhs[b] as number);
      const v = this.K[a] as number;
      this.value[v] = s;
      const cb = this.cost[v] as number;
      if (cb !== 0) for (let b = 0; b < k; b++) y[b] = (y[b] as number) + cb * (inv[a * k + b] as number);
    }
    for (let i = 0; i < this.m; i++) {
      if (this.status[n + i] !== BASIC) continue;
      const row = this.rows[i] as Float64Array;
      let s = 0;
      for (let j = 0; j < n; j++) s += (row[j] as number) * (this.value[j] as number);
      this.value[n + i] = s;
    }
    for (let j = 0; j < n; j++) {
      if (this.status[j] === BASIC) {
        this.reduced[j] = 0;
        continue;
      }
      let s = this.cost[j] as number;
      for (let b = 0; b < k; b++)
        s -= (y[b] as number) * ((this.rows[this.R[b] as number] as Float64Array)[j] as number);
      this.reduced[j] = s;
    }
    for (let i = 0; i < this.m; i++) this.reduced[n + i] = 0;
    for (let b = 0; b < k; b++) this.reduced[n + (this.R[b] as number)] = y[b] as number;
    this.sinceRefactor = 0;
  }

  private report(status: 'optimal' | 'infeasible'): DualSimplexReport {
    const { n, m, lower, upper, value, reduced, rows } = this;
    return simplexReport(
      status,
      this.baseCost,
      { n, m, lower, upper, status: this.status, value, reduced, rows },
      this.pivots,
    );
  }
}

function pivotLimit(maxPivots: number): QuantError {
  return new QuantError('E_SOLVER', `the LP did not reach an optimum within ${maxPivots} pivots`, {
    hint: 'report the input; a method without a linear program (min_variance) is an alternative',
  });
}

/** A number in [0, 1) fixed by j (Knuth's multiplicative hash): the spread of the cost perturbation. */
function spread(j: number): number {
  return (Math.imul(j + 1, 2654435761) >>> 0) / 4294967296;
}
