/**
 * Minimum CVaR under box bounds and the budget by a primal simplex on the piecewise-linear objective
 * (the form in which Barrodale & Roberts (1973) solve L1 regression, here for the Rockafellar–Uryasev
 * function):
 *
 *   min_{w, α} F(w, α) = α + (1/k) Σ_t (−r_tᵀw − α)⁺   s.t.   Σw = 1,  lo ≤ w ≤ hi.
 *
 * A vertex is N = n + 1 active hyperplanes among the budget, the bounds and the kinks h_t = −r_tᵀw − α = 0
 * (the u_t of the LP are never materialised). From a vertex the method leaves one active hyperplane along
 * the edge where F falls fastest and walks along it past every kink while the slope stays negative —
 * one iteration crosses many kinks (the long step of a bound-flipping ratio test) — stopping at the kink
 * or bound where the slope turns non-negative, which enters the active set. Each iteration costs
 * O(T·N) for the slopes of the T kinks along the edge plus O(N²) for the update of the inverse of the
 * active set's matrix. At the end, the multipliers of the active kinks q_t = −y_t lie in [0, 1/k]
 * (they are the scenario weights of the dual, summing to 1) and those of the bounds have the right sign:
 * the LP's optimality conditions, whose largest violation is reported.
 */
import type { Matrix } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import { forEachTailWeight, orderByLoss, tailCount } from '../stats/tail-risk.js';

/** Kinds of active hyperplanes: budget (equality), a lower or upper bound of w_i, a kink h_t = 0. */
const BUDGET = 0;
const LOWER = 1;
const UPPER = 2;
const KINK = 3;

const SLOPE_TOL = 1e-12;
const REFACTOR_EVERY = 300;

interface Active {
  kind: number;
  /** The asset of a bound, the scenario of a kink. */
  index: number;
}

export interface VertexSimplexResult {
  readonly weights: Float64Array;
  /** CVaR at the optimum (scaled units). */
  readonly value: number;
  /** The LP objective at the vertex minus `value` (0 up to rounding: the same number computed twice). */
  readonly gap: number;
  readonly iterations: number;
  /** Largest violation of the bounds, the budget and |h_t| of the active kinks. */
  readonly primalResidual: number;
  /** Largest violation of the multipliers' signs (relative to 1/k). */
  readonly dualResidual: number;
}

/**
 * @param returns T × n scenarios, scaled to O(1).
 * @param lo, hi per-asset bounds, feasible (Σlo ≤ 1 ≤ Σhi).
 */
export function cvarVertexSimplex(
  returns: Matrix,
  beta: number,
  lo: Float64Array,
  hi: Float64Array,
  maxIterations = 100000,
): VertexSimplexResult {
  const s = new VertexState(returns, beta, lo, hi);
  for (;;) {
    const entering = s.price();
    if (entering === null) break;
    if (s.iterations >= maxIterations) {
      throw new QuantError(
        'E_SOLVER',
        `min_cvar did not reach an optimum within ${maxIterations} iterations`,
        {
          hint: 'report the input; min_variance is an alternative without a linear program',
        },
      );
    }
    s.step(entering.position, entering.sign);
  }
  return s.result();
}

class VertexState {
  private readonly T: number;
  private readonly n: number;
  private readonly N: number;
  private readonly r: Float64Array;
  private readonly c: number;
  /** z = (w, α). */
  private readonly z: Float64Array;
  /** h_t = −r_tᵀw − α. */
  private readonly h: Float64Array;
  private readonly active: Active[] = [];
  /** Row-major N × N inverse of the active set's matrix; column j = the edge leaving hyperplane j. */
  private readonly D: Float64Array;
  private readonly isActiveKink: Uint8Array;
  private readonly isActiveBound: Int8Array;
  private readonly rho: Float64Array;
  private readonly breakAt: Float64Array;
  iterations = 0;
  private sinceRefactor = 0;

  constructor(
    returns: Matrix,
    private readonly beta: number,
    private readonly lo: Float64Array,
    private readonly hi: Float64Array,
  ) {
    this.T = returns.rows;
    this.n = returns.cols;
    this.N = this.n + 1;
    this.r = returns.data;
    this.c = 1 / tailCount(this.T, beta);
    this.z = new Float64Array(this.N);
    this.h = new Float64Array(this.T);
    this.D = new Float64Array(this.N * this.N);
    this.isActiveKink = new Uint8Array(this.T);
    this.isActiveBound = new Int8Array(this.n);
    this.rho = new Float64Array(this.T);
    this.breakAt = new Float64Array(this.T);
    this.start();
  }

  /** Greedy vertex: every weight at lo, then filled up to hi in index order; α at the VaR scenario. */
  private start(): void {
    const { n, z, lo, hi } = this;
    let rest = 1;
    for (let i = 0; i < n; i++) {
      z[i] = lo[i] as number;
      rest -= lo[i] as number;
    }
    let free = n - 1;
    for (let i = 0; i < n && rest > 0; i++) {
      const room = (hi[i] as number) - (lo[i] as number);
      const add = Math.min(room, rest);
      z[i] = (z[i] as number) + add;
      rest -= add;
      free = i;
    }
    z[free] = (z[free] as number) + rest;
    for (let i = 0; i < n; i++) {
      if (i === free) continue;
      const atLower = (z[i] as number) === (lo[i] as number);
      this.active.push({ kind: atLower ? LOWER : UPPER, index: i });
      this.isActiveBound[i] = atLower ? LOWER : UPPER;
    }
    this.active.push({ kind: BUDGET, index: -1 });
    z[n] = 0;
    this.computeH();
    const losses = new Float64Array(this.T);
    for (let t = 0; t < this.T; t++) losses[t] = this.h[t] as number;
    const order = orderByLoss(losses);
    const ik = Math.max(0, Math.ceil(tailCount(this.T, this.beta)) - 1);
    const t0 = order[ik] as number;
    z[n] = this.h[t0] as number;
    this.active.push({ kind: KINK, index: t0 });
    this.isActiveKink[t0] = 1;
    this.computeH();
    this.refactor();
  }

  /** Gradient row of an active hyperplane, into `out` (length N). */
  private gradient(a: Active, out: Float64Array): void {
    out.fill(0);
    const { n } = this;
    if (a.kind === BUDGET) out.fill(1, 0, n);
    else if (a.kind === KINK) {
      for (let i = 0; i < n; i++) out[i] = -(this.r[a.index * n + i] as number);
      out[n] = -1;
    } else out[a.index] = 1;
  }

  private rhs(a: Active): number {
    if (a.kind === BUDGET) return 1;
    if (a.kind === KINK) return 0;
    return a.kind === LOWER ? (this.lo[a.index] as number) : (this.hi[a.index] as number);
  }

  private computeH(): void {
    const { n, T, r, z } = this;
    const alpha = z[n] as number;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (r[t * n + i] as number) * (z[i] as number);
      this.h[t] = -s - alpha;
    }
  }

  /** D = M⁻¹ from scratch (Gauss–Jordan, partial pivoting), then z = D·b and h. */
  private refactor(): void {
    const N = this.N;
    const M = new Float64Array(N * N);
    const row = new Float64Array(N);
    this.active.forEach((a, j) => {
      this.gradient(a, row);
      M.set(row, j * N);
    });
    const inv = invertDense(M, N);
    this.D.set(inv);
    const b = this.active.map((a) => this.rhs(a));
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += (inv[i * N + j] as number) * (b[j] as number);
      this.z[i] = s;
    }
    this.computeH();
    this.sinceRefactor = 0;
  }

  /** y_j = gᵀd_j with g the gradient of F on the kinks strictly positive. */
  private multipliers(): Float64Array {
    const { n, N, T, r, h, c } = this;
    const g = new Float64Array(N);
    g[n] = 1;
    for (let t = 0; t < T; t++) {
      if ((h[t] as number) <= 0 || this.isActiveKink[t] === 1) continue;
      for (let i = 0; i < n; i++) g[i] = (g[i] as number) - c * (r[t * n + i] as number);
      g[n] = (g[n] as number) - c;
    }
    const y = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const gi = g[i] as number;
      if (gi === 0) continue;
      for (let j = 0; j < N; j++) y[j] = (y[j] as number) + gi * (this.D[i * N + j] as number);
    }
    return y;
  }

  /** The edge of steepest descent of F (Dantzig's rule, lowest position on ties), or null at an optimum. */
  price(): { position: number; sign: number } | null {
    const y = this.multipliers();
    const { N, D } = this;
    const norms = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) norms[j] = (norms[j] as number) + (D[i * N + j] as number) ** 2;
    }
    let best: { position: number; sign: number } | null = null;
    let bestScore = 0;
    let bestSlope = 0;
    const consider = (j: number, slope: number, sign: number): void => {
      if (slope >= -SLOPE_TOL) return;
      // Steepest edge: the slope per unit of distance moved in (w, α).
      const score = slope / Math.sqrt(norms[j] as number);
      if (score < bestScore) {
        bestScore = score;
        bestSlope = slope;
        best = { position: j, sign };
      }
    };
    this.active.forEach((a, j) => {
      const yj = y[j] as number;
      if (a.kind === KINK) {
        consider(j, yj + this.c, 1);
        consider(j, -yj, -1);
      } else if (a.kind === LOWER) consider(j, yj, 1);
      else if (a.kind === UPPER) consider(j, -yj, -1);
    });
    this.slope = bestSlope;
    return best;
  }

  private slope = 0;

  /** Walk along σ·d_j past the kinks while the slope stays negative; the blocking hyperplane enters. */
  step(position: number, sign: number): void {
    const { n, N, T, r, h, c, z } = this;
    const d = new Float64Array(N);
    for (let i = 0; i < N; i++) d[i] = sign * (this.D[i * N + position] as number);
    // Weights held at an active bound do not move along an edge: only the others enter the slopes.
    const moving: number[] = [];
    for (let i = 0; i < n; i++) if ((d[i] as number) !== 0) moving.push(i);
    const m = moving.length;
    const idx = Int32Array.from(moving);
    const dv = Float64Array.from(moving, (i) => d[i] as number);
    const dAlpha = d[n] as number;
    // Slopes of the kinks along d, and the breakpoints s_t = −h_t / ρ_t ≥ 0 where they change side.
    const rho = this.rho;
    const breakAt = this.breakAt;
    const cand: number[] = [];
    for (let t = 0; t < T; t++) {
      const row = t * n;
      let s = -dAlpha;
      for (let k = 0; k < m; k++) s -= (r[row + (idx[k] as number)] as number) * (dv[k] as number);
      rho[t] = s;
      if (this.isActiveKink[t] === 1 || s === 0) continue;
      const ht = h[t] as number;
      if ((ht > 0 && s < 0) || (ht <= 0 && s > 0)) {
        cand.push(t);
        breakAt[t] = Math.max(0, -ht / s);
      }
    }
    const at = (t: number): number => breakAt[t] as number;
    const heap = new BreakpointHeap(cand, breakAt);
    const bound = this.boundStop(d);
    let slope = this.slope;
    let enter: Active | null = null;
    let stepLength = bound.step;
    for (let t = heap.pop(); t >= 0; t = heap.pop()) {
      const st = at(t);
      if (st > bound.step) break;
      slope += c * Math.abs(rho[t] as number);
      if (slope >= -SLOPE_TOL) {
        enter = { kind: KINK, index: t };
        stepLength = st;
        break;
      }
    }
    if (enter === null) {
      if (bound.asset < 0) throw new QuantError('E_SOLVER', 'min_cvar: the LP is unbounded along an edge');
      enter = { kind: bound.kind, index: bound.asset };
    }
    for (let i = 0; i < N; i++) z[i] = (z[i] as number) + stepLength * (d[i] as number);
    for (let t = 0; t < T; t++) h[t] = (h[t] as number) + stepLength * (rho[t] as number);
    this.replace(position, enter);
  }

  /** The first bound of a free weight reached along d. */
  private boundStop(d: Float64Array): { step: number; asset: number; kind: number } {
    let step = Infinity;
    let asset = -1;
    let kind = LOWER;
    for (let i = 0; i < this.n; i++) {
      if (this.isActiveBound[i] !== 0) continue;
      const di = d[i] as number;
      if (Math.abs(di) < 1e-14) continue;
      const zi = this.z[i] as number;
      const s = di > 0 ? ((this.hi[i] as number) - zi) / di : ((this.lo[i] as number) - zi) / di;
      if (Math.max(0, s) < step) {
        step = Math.max(0, s);
        asset = i;
        kind = di > 0 ? UPPER : LOWER;
      }
    }
    return { step, asset, kind };
  }

  /** Hyperplane `enter` replaces the active one at `position`: the product-form update of D. */
  private replace(position: number, enter: Active): void {
    const N = this.N;
    const D = this.D;
    const leaving = this.active[position] as Active;
    if (leaving.kind === KINK) this.isActiveKink[leaving.index] = 0;
    else if (leaving.kind !== BUDGET) this.isActiveBound[leaving.index] = 0;
    if (enter.kind === KINK) this.isActiveKink[enter.index] = 1;
    else this.isActiveBound[enter.index] = enter.kind === LOWER ? LOWER : UPPER;
    this.active[position] = enter;
    const a = new Float64Array(N);
    this.gradient(enter, a);
    const ad = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const ai = a[i] as number;
      if (ai === 0) continue;
      for (let j = 0; j < N; j++) ad[j] = (ad[j] as number) + ai * (D[i * N + j] as number);
    }
    const piv = ad[position] as number;
    for (let i = 0; i < N; i++) D[i * N + position] = (D[i * N + position] as number) / piv;
    for (let j = 0; j < N; j++) {
      if (j === position) continue;
      const f = ad[j] as number;
      if (f === 0) continue;
      for (let i = 0; i < N; i++)
        D[i * N + j] = (D[i * N + j] as number) - f * (D[i * N + position] as number);
    }
    this.iterations++;
    if (++this.sinceRefactor >= REFACTOR_EVERY) this.refactor();
  }

  result(): VertexSimplexResult {
    if (this.sinceRefactor > 0) this.refactor();
    const { n, T, h, z } = this;
    const weights = Float64Array.from(z.subarray(0, n));
    const losses = new Float64Array(T);
    const alpha = z[n] as number;
    for (let t = 0; t < T; t++) losses[t] = (h[t] as number) + alpha;
    const order = orderByLoss(losses);
    let value = 0;
    forEachTailWeight(T, this.beta, (p, q) => (value += q * (losses[order[p] as number] as number)));
    // The LP objective at the vertex, α + (1/k) Σ h_t⁺, against the CVaR of the weights by sorting.
    let objective = alpha;
    for (let t = 0; t < T; t++) objective += this.c * Math.max(0, h[t] as number);
    let primal = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i] as number;
      sum += w;
      primal = Math.max(primal, (this.lo[i] as number) - w, w - (this.hi[i] as number));
    }
    primal = Math.max(primal, Math.abs(sum - 1));
    for (const a of this.active)
      if (a.kind === KINK) primal = Math.max(primal, Math.abs(h[a.index] as number));
    const y = this.multipliers();
    let dual = 0;
    this.active.forEach((a, j) => {
      const yj = (y[j] as number) / this.c;
      if (a.kind === KINK) dual = Math.max(dual, -(yj + 1), yj);
      else if (a.kind === LOWER) dual = Math.max(dual, -yj);
      else if (a.kind === UPPER) dual = Math.max(dual, yj);
    });
    return {
      weights,
      value,
      gap: objective - value,
      iterations: this.iterations,
      primalResidual: primal,
      dualResidual: dual,
    };
  }
}

/** Inverse of an N × N matrix by Gauss–Jordan elimination with partial pivoting. */
function invertDense(a: Float64Array, k: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) {
      if (Math.abs(m[r * k + col] as number) > Math.abs(m[piv * k + col] as number)) piv = r;
    }
    const pv = m[piv * k + col] as number;
    if (pv === 0) throw new QuantError('E_SOLVER', 'min_cvar: the active set became singular');
    for (let j = 0; j < k; j++) {
      const a1 = m[piv * k + j] as number;
      m[piv * k + j] = m[col * k + j] as number;
      m[col * k + j] = a1 / pv;
      const b1 = inv[piv * k + j] as number;
      inv[piv * k + j] = inv[col * k + j] as number;
      inv[col * k + j] = b1 / pv;
    }
    for (let r = 0; r < k; r++) {
      const f = m[r * k + col] as number;
      if (r === col || f === 0) continue;
      for (let j = 0; j < k; j++) {
        m[r * k + j] = (m[r * k + j] as number) - f * (m[col * k + j] as number);
        inv[r * k + j] = (inv[r * k + j] as number) - f * (inv[col * k + j] as number);
      }
    }
  }
  return inv;
}

/**
 * A binary min-heap of scenario indices keyed by their breakpoint (ties: the lower index), so that the
 * walk along an edge pops only the breakpoints it passes instead of sorting all of them.
 */
class BreakpointHeap {
  private readonly items: Int32Array;
  private size: number;

  constructor(
    items: readonly number[],
    private readonly key: Float64Array,
  ) {
    this.items = Int32Array.from(items);
    this.size = items.length;
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The next index, or −1 when empty. */
  pop(): number {
    if (this.size === 0) return -1;
    const top = this.items[0] as number;
    this.size--;
    if (this.size > 0) {
      this.items[0] = this.items[this.size] as number;
      this.down(0);
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a] as number;
    const kb = this.key[b] as number;
    return ka < kb || (ka === kb && a < b);
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) return;
      const r = l + 1;
      let c = l;
      if (r < this.size && this.less(items[r] as number, items[l] as number)) c = r;
      if (!this.less(items[c] as number, items[i] as number)) return;
      const t = items[i] as number;
      items[i] = items[c] as number;
      items[c] = t;
      i = c;
    }
  }
}
