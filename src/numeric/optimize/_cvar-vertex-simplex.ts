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
 *
 * Scenarios far from the tail never matter: a kink with h_t ≤ 0 adds nothing to F. On many scenarios
 * the simplex therefore runs on a working set — the worst scenarios of the equal-weight portfolio, a few
 * times the tail count plus N — with the full problem's 1/k, a relaxation of the full problem (it drops
 * non-negative terms). Every few pivots, and at its optimum, every other scenario is priced: those with
 * h_t > 0 join the set and the simplex continues from the same vertex (the active set and the inverse
 * carry over; the active kinks always stay). When none is left at an optimum of the set, the vertex is
 * feasible for the full problem with the same objective, hence optimal for it. The optimum is the full
 * LP's vertex; only the pivots that reach it differ, so the weights agree with a run on every scenario
 * up to rounding (identical bits on the 200 × 2,520 benchmark problem, ≤ 6e-16 on 300 random ones).
 * The inverse is stored by columns and the returns of the set column by column, so the passes of an
 * iteration run over contiguous memory. From 300 assets the inverse leaves out the rows of the weights held
 * at a bound, which are exact unit vectors (`VertexState.compact`): a pivot then touches (free weights + 1)
 * × N entries instead of N², and a refactorisation inverts the block of the free weights only. From 4,096
 * returns those passes run in WebAssembly SIMD (_cvar-vertex-simd.ts), with the same operations in the
 * same order: the same pivots and bits.
 */
import type { Matrix } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import { scenarioAtLossRank, tailCount, tailCvar, worstScenarioMask } from '../stats/tail-risk.js';
import { VertexArena } from './_cvar-vertex-simd.js';

/**
 * Kinds of active hyperplanes: budget (equality), a lower or upper bound of w_i, a kink h_t = 0, a linear
 * row at one of its sides.
 */
const BUDGET = 0;
const LOWER = 1;
const UPPER = 2;
const KINK = 3;
/** A general linear row a_rᵀw at its lower or upper side, or an equality row (always active). */
const ROW_LOWER = 4;
const ROW_UPPER = 5;
const ROW_EQUAL = 6;

const SLOPE_TOL = 1e-12;
/** A linear row is tight at the start within this much (relative to its bound, at least 1). */
const TIGHT_TOL = 1e-10;
/** A constraint's gradient is independent of those before when this much of it (relative) remains. */
const INDEPENDENT_TOL = 1e-9;
/**
 * Pivots between refactorisations, at least: a refactorisation costs about as much as N pivots' updates
 * of the inverse when most active hyperplanes are kinks (a Gauss–Jordan pass over N columns per dense
 * row), so from N = 300 it comes every N pivots — one more pass over the inverse per pivot at most.
 */
const REFACTOR_EVERY = 300;
/**
 * From this many assets the inverse is stored without the rows of the weights held at a bound (exactly
 * unit rows): the same vertex, other rounding; below it the dense inverse, as before.
 */
const COMPACT_FROM = 300;

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

export interface VertexSimplexOptions {
  readonly maxIterations?: number;
  /** Solve on a working set of scenarios when there are many (default true); false: on all of them. */
  readonly workingSet?: boolean;
  /**
   * General linear rows lower ≤ A·w ≤ upper, with `start`: weights satisfying them, the bounds and the
   * budget at a vertex of that polytope (n independent constraints tight there), from which the simplex
   * starts instead of its greedy vertex.
   */
  readonly rows?: VertexSimplexRows;
  /** Pivots between refactorisations of the inverse (default max(300, n + 1); a test compares others). */
  readonly refactorEvery?: number;
  /** The inverse without the rows of weights at a bound (default from 300 assets; a test compares). */
  readonly compact?: boolean;
  /**
   * The passes over long arrays (the slopes, the gradient, the update of the inverse, a refactorisation)
   * by the WebAssembly SIMD kernels where they run and pay (default true; the same bits as the JavaScript
   * loops, which the tests compare).
   */
  readonly simd?: boolean;
}

/** Linear rows of the weights: `lower ≤ A·w ≤ upper` (count × n, row-major; ±Infinity for an open side). */
export interface VertexSimplexRows {
  readonly count: number;
  readonly a: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** A feasible vertex of {Σw = 1, lo ≤ w ≤ hi, lower ≤ A·w ≤ upper}. */
  readonly start: Float64Array;
}

/** Largest violation of the constraints (scaled units) of an answer taken as a vertex of the LP. */
const PRIMAL_TOL = 1e-9;

/**
 * Whether an answer of the vertex simplex satisfies its constraints. It always should; one that does not
 * has walked through a singular active set between refactorisations (dependent linear rows can lead
 * there, the rounding deciding), and the caller solves the LP another way instead of returning weights
 * outside the constraints.
 */
export function holdsConstraints(v: VertexSimplexResult): boolean {
  return v.primalResidual <= PRIMAL_TOL;
}

/** No n independent constraints are tight at the given start: the caller takes another method. */
export class NotAVertexError extends Error {}

/**
 * @param returns T × n scenarios, scaled to O(1).
 * @param lo, hi per-asset bounds, feasible (Σlo ≤ 1 ≤ Σhi).
 */
export function cvarVertexSimplex(
  returns: Matrix,
  beta: number,
  lo: Float64Array,
  hi: Float64Array,
  options: VertexSimplexOptions = {},
): VertexSimplexResult {
  const simplex = new CvarVertexSimplex(returns, beta, lo, hi, options);
  try {
    return simplex.solve();
  } finally {
    simplex.release();
  }
}

/**
 * The vertex simplex as an object that can be solved again with another linear term in the objective,
 *
 *   min_{w, α} α + (1/k) Σ_t (−r_tᵀw − α)⁺ + costᵀw   s.t.   Σw = 1,  lo ≤ w ≤ hi,  lower ≤ A·w ≤ upper,
 *
 * each solve starting from the vertex where the previous one ended (the feasible polytope does not
 * change, only the objective): the ratio problem of `mean_cvar` solves a short sequence of them. The
 * pivots are counted over every solve. {@link release} hands its kernel memory on to the next simplex.
 */
export class CvarVertexSimplex {
  private readonly s: VertexState;
  private readonly size: number;
  private readonly fullT: number;
  private readonly maxIterations: number;
  private rebuilds = 0;

  /** @throws NotAVertexError when `options.rows.start` is not a vertex. */
  constructor(
    returns: Matrix,
    beta: number,
    lo: Float64Array,
    hi: Float64Array,
    options: VertexSimplexOptions = {},
  ) {
    this.maxIterations = options.maxIterations ?? 100000;
    const initial =
      options.workingSet === false ? everyScenario(returns.rows) : initialScenarios(returns, beta);
    const refactorEvery = options.refactorEvery ?? Math.max(REFACTOR_EVERY, returns.cols + 1);
    const compact = options.compact ?? returns.cols >= COMPACT_FROM;
    const simd = options.simd ?? true;
    this.s = new VertexState(returns, beta, lo, hi, initial, refactorEvery, compact, simd, options.rows);
    this.size = initial.length;
    this.fullT = returns.rows;
  }

  /** Done with this simplex: its kernel memory serves the next one (solving again is an error). */
  release(): void {
    this.s.release();
  }

  /** The optimum with `cost` (n entries) added to the objective; none: the minimum CVaR. */
  solve(cost?: Float64Array): VertexSimplexResult {
    const { s, size } = this;
    s.assertHeld();
    s.setCost(cost);
    for (;;) {
      const entering = s.price();
      if (entering === null) {
        if (!s.hasViolators()) break;
        s.rebuild(size, ++this.rebuilds <= MAX_DROPS);
        continue;
      }
      if (s.iterations >= this.maxIterations) {
        throw new QuantError(
          'E_SOLVER',
          `min_cvar did not reach an optimum within ${this.maxIterations} iterations`,
          {
            hint: 'report the input; min_variance is an alternative without a linear program',
          },
        );
      }
      s.step(entering.position, entering.sign);
      // Every REBUILD_EVERY pivots (between a step and the next pricing, whose slope depends on the set)
      // the working set follows the vertex: the scenarios that turned positive join, those far below the
      // tail leave (only in the first MAX_DROPS rebuilds, so that the set grows monotonically afterwards
      // and the method terminates like the plain simplex).
      if (size < this.fullT && s.iterations % REBUILD_EVERY === 0) {
        s.rebuild(size, ++this.rebuilds <= MAX_DROPS);
      }
    }
    return s.result();
  }
}

/** The working set is used from this many scenarios per scenario of the initial set. */
const WORKING_SET_RATIO = 2;
/** Nor below this many assets. */
const WORKING_SET_ASSETS = 10;
const REBUILD_EVERY = 30;
const MAX_DROPS = 20;

/** 0, 1, …, T − 1. */
function everyScenario(T: number): Int32Array {
  const all = new Int32Array(T);
  for (let t = 0; t < T; t++) all[t] = t;
  return all;
}

/**
 * The initial working set, ascending: every scenario when the problem is small, else the
 * 3·⌈k⌉ + N worst scenarios of the equal-weight portfolio.
 */
function initialScenarios(returns: Matrix, beta: number): Int32Array {
  const T = returns.rows;
  const n = returns.cols;
  const size = 3 * Math.ceil(tailCount(T, beta)) + n + 1;
  // Few scenarios, or few assets (a pass over the scenarios is cheap, extra pivots are not): all of them.
  if (size * WORKING_SET_RATIO > T || n < WORKING_SET_ASSETS) return everyScenario(T);
  const losses = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s -= returns.data[t * n + i] as number;
    losses[t] = s;
  }
  const worst = worstScenarioMask(losses, size);
  const out = new Int32Array(size);
  for (let t = 0, p = 0; t < T; t++) if (worst[t] === 1) out[p++] = t;
  return out;
}

class VertexState {
  /** Scenarios in the working set. */
  private T = 0;
  /** All scenarios. */
  private readonly fullT: number;
  private readonly n: number;
  private readonly N: number;
  private readonly r: Float64Array;
  /** The working set's scenarios, ascending (position p in the set ↔ scenario scenarios[p]). */
  private scenarios: Int32Array = new Int32Array(0);
  /** Position of each scenario in the working set, −1 outside it. */
  private readonly slot: Int32Array;
  /**
   * The working set's returns column by column (n × T): the slopes along an edge are contiguous passes.
   */
  private rCols: Float64Array = new Float64Array(0);
  /** The scenarios of the kinks with h_t > 0, listed for the gradient's kernel. */
  private readonly positiveRows: Int32Array;
  /** The WebAssembly memory of D, rCols and ρ and the kernels on them, where they are used. */
  private readonly arena: VertexArena | undefined;
  private readonly c: number;
  /** z = (w, α). */
  private readonly z: Float64Array;
  /** h_p = −r_tᵀw − α for the scenario t at position p of the working set. */
  private h: Float64Array = new Float64Array(0);
  private readonly active: Active[] = [];
  /**
   * The N × N inverse of the active set's matrix, stored by columns (entry (i, j) at j·N + i): column j
   * is the edge leaving hyperplane j, and every use of it — the edge of a step, its norm, the multiplier
   * y_j = gᵀd_j, the product-form update — reads or writes whole columns.
   */
  private readonly D: Float64Array;
  /**
   * Compact storage of D (from {@link COMPACT_FROM} assets): the row of a weight held at an active bound
   * is exactly the unit vector of that bound's position (row j of M is e_i, and M·D = I), so only the
   * other rows — the free weights and α, `used` of them — are stored, in slots 0 … used − 1 of each column
   * (row `rowOfSlot[s]` in slot s), and the column of a bound has its unit entry implicit (`unitVar`: the
   * weight, −1 for other columns). A pivot then reads used × N entries instead of N². Dense: every row in
   * its own slot, nothing implicit.
   */
  private readonly compact: boolean;
  private used: number;
  private readonly rowOfSlot: Int32Array;
  private readonly slotOfRow: Int32Array;
  private readonly unitVar: Int32Array;
  private isActiveKink = new Uint8Array(0);
  /**
   * Per position: 1 for an inactive kink at h_p = 0 exactly that counts on the positive side (u_t = h_t,
   * in the gradient with weight c) — the side a zero-length step left it on, crossing it upward or leaving
   * it upward. The sign of h cannot tell: at h_p = 0 both sides hold, and taking every such kink as
   * non-positive undid each degenerate pivot (tied scenarios: duplicates, a riskless asset's zero losses),
   * so that the simplex swapped two tied kinks forever. Invariant: 1 only where h_p = 0 and p is inactive.
   */
  private zeroAbove = new Uint8Array(0);
  /** How many entries of {@link zeroAbove} are 1: none in a problem without such ties, and no pass then. */
  private zeroAboveCount = 0;
  private readonly isActiveBound: Int8Array;
  /** Per linear row: 0, or the kind it is active as. */
  private readonly isActiveRow: Int8Array;
  private rho: Float64Array = new Float64Array(0);
  private breakAt = new Float64Array(0);
  /**
   * Scratch of every step, allocated once: the edge d (N entries), its moving assets, the breakpoints'
   * heap over the working set and the entering hyperplane's gradient.
   */
  private readonly edge: Float64Array;
  private readonly moving: number[] = [];
  private heap = new BreakpointHeap(0);
  private readonly entering: Float64Array;
  iterations = 0;
  private sinceRefactor = 0;
  /**
   * The multipliers y = gᵀD and the squared norms of D's columns, as the last pivot's update left them
   * (computed from each column as it was written); null when D, the working set or h changed otherwise
   * (a refactorisation, a rebuild), and the next pricing computes them afresh — the same numbers.
   */
  private nextY: Float64Array | null = null;
  private norms: Float64Array | null = null;
  /** The linear term of the objective over w (n entries), or none. */
  private cost: Float64Array | undefined;

  constructor(
    returns: Matrix,
    private readonly beta: number,
    private readonly lo: Float64Array,
    private readonly hi: Float64Array,
    initial: Int32Array,
    private readonly refactorEvery: number,
    compact: boolean,
    simd: boolean,
    private readonly rows?: VertexSimplexRows,
  ) {
    this.fullT = returns.rows;
    this.n = returns.cols;
    this.N = this.n + 1;
    this.compact = compact;
    this.used = this.N;
    this.rowOfSlot = Int32Array.from({ length: this.N }, (_, i) => i);
    this.slotOfRow = Int32Array.from({ length: this.N }, (_, i) => i);
    this.unitVar = new Int32Array(this.N).fill(-1);
    this.r = returns.data;
    this.arena = VertexArena.create(this.n, this.fullT, simd);
    this.arena?.setReturns(this.r);
    this.positiveRows = new Int32Array(this.arena === undefined ? 0 : this.fullT);
    this.slot = new Int32Array(this.fullT).fill(-1);
    this.c = 1 / tailCount(this.fullT, beta);
    this.z = new Float64Array(this.N);
    this.edge = new Float64Array(this.N);
    this.entering = new Float64Array(this.N);
    // A reused memory holds the last simplex's numbers: zeros, as a fresh array.
    this.D = this.arena === undefined ? new Float64Array(this.N * this.N) : this.arena.inverse().fill(0);
    this.isActiveBound = new Int8Array(this.n);
    this.isActiveRow = new Int8Array(rows?.count ?? 0);
    this.setScenarios(initial, new Float64Array(initial.length));
    if (rows === undefined) this.start();
    else this.startAt(rows);
  }

  private released = false;

  release(): void {
    this.released = true;
    this.arena?.release();
  }

  assertHeld(): void {
    if (this.released) throw new Error('internal: the vertex simplex was released');
  }

  /** Make `scenarios` (ascending) the working set, with h given per position (kept for those already in). */
  private setScenarios(scenarios: Int32Array, h: Float64Array): void {
    const { n, r } = this;
    const T = scenarios.length;
    const kinks = new Uint8Array(T);
    const slot = this.slot;
    const above = this.zeroAboveScenarios();
    slot.fill(-1);
    for (let p = 0; p < T; p++) slot[scenarios[p] as number] = p;
    const arena = this.arena;
    const prev = this.scenarios;
    if (prev.length > 0 && prev.length <= T && isSubset(prev, scenarios)) {
      // A grown set (every rebuild after the first MAX_DROPS): the members' columns are moved, not read
      // again from the rows — the same numbers, in place in the kernels' memory.
      const cols = arena === undefined ? new Float64Array(T * n) : arena.columns(T);
      growColumns(arena === undefined ? this.rCols : cols, cols, r, n, prev, scenarios);
      this.rCols = cols;
    } else {
      this.rCols =
        arena === undefined
          ? transposeRows(r, n, scenarios)
          : transposeRows(r, n, scenarios, arena.columns(T));
    }
    this.nextY = null;
    for (const a of this.active) if (a.kind === KINK) kinks[this.slot[a.index] as number] = 1;
    this.T = T;
    this.scenarios = scenarios;
    this.h = h;
    this.isActiveKink = kinks;
    this.zeroAbove = new Uint8Array(T);
    this.zeroAboveCount = 0;
    for (const t of above) {
      const p = slot[t] as number;
      if (p >= 0 && h[p] === 0) {
        this.zeroAbove[p] = 1;
        this.zeroAboveCount++;
      }
    }
    this.rho = arena === undefined ? new Float64Array(T) : arena.rho(T);
    this.breakAt = new Float64Array(T);
    if (this.heap.capacity < T) this.heap = new BreakpointHeap(T);
  }

  /** h_t = −r_tᵀw − α at the current vertex of the scenarios `rows`, into `out` (position k ↔ rows[k]). */
  private freshH(rows: Int32Array, out: Float64Array): void {
    const { n, r, z } = this;
    rowDots(r, n, rows, z, out);
    const alpha = z[n] as number;
    for (let k = 0; k < rows.length; k++) out[k] = -(out[k] as number) - alpha;
  }

  /** The scenarios of the kinks counted positive at h = 0 ({@link zeroAbove}). */
  private zeroAboveScenarios(): number[] {
    const out: number[] = [];
    if (this.zeroAboveCount === 0) return out;
    for (let p = 0; p < this.T; p++) if (this.zeroAbove[p] === 1) out.push(this.scenarios[p] as number);
    return out;
  }

  /** Whether the kink at position p counts on the positive side: h_p > 0, or h_p = 0 and left there. */
  private isPositive(p: number): boolean {
    const hp = this.h[p] as number;
    return hp > 0 || (hp === 0 && this.zeroAbove[p] === 1);
  }

  /** The scenarios outside the working set, ascending. */
  private outsiders(): Int32Array {
    const rows = new Int32Array(this.fullT - this.T);
    let k = 0;
    for (let t = 0; t < this.fullT; t++) if (this.slot[t] === -1) rows[k++] = t;
    return rows;
  }

  /** Whether a scenario outside the working set has h_t > 0 at the current vertex. */
  hasViolators(): boolean {
    const rows = this.outsiders();
    const h = new Float64Array(rows.length);
    this.freshH(rows, h);
    for (let k = 0; k < rows.length; k++) if ((h[k] as number) > 0) return true;
    return false;
  }

  /**
   * The working set becomes the scenarios with h_t > 0, the active kinks and the `size` scenarios of
   * largest h_t; with `drop` false the present members stay too. h is kept for members (their values
   * carry the same rounding as the walk so far) and computed afresh for the others.
   */
  rebuild(size: number, drop: boolean): void {
    const all = new Float64Array(this.fullT);
    const rows = this.outsiders();
    const fresh = new Float64Array(rows.length);
    this.freshH(rows, fresh);
    for (let k = 0; k < rows.length; k++) all[rows[k] as number] = fresh[k] as number;
    for (let p = 0; p < this.T; p++) all[this.scenarios[p] as number] = this.h[p] as number;
    const keep = worstScenarioMask(all, size);
    for (let t = 0; t < this.fullT; t++) {
      const p = this.slot[t] as number;
      const member = p >= 0 && (!drop || this.isActiveKink[p] === 1 || this.zeroAbove[p] === 1);
      if ((all[t] as number) > 0 || member) keep[t] = 1;
    }
    const next: number[] = [];
    for (let t = 0; t < this.fullT; t++) if (keep[t] === 1) next.push(t);
    const scenarios = Int32Array.from(next);
    this.setScenarios(
      scenarios,
      Float64Array.from(scenarios, (t) => all[t] as number),
    );
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
    this.alphaAtVaR();
  }

  /**
   * The vertex `rows.start`: n linearly independent constraints tight there (the budget and equality rows
   * first, then bounds, then rows at a side; each kept when it is independent of those before, by
   * Gaussian elimination), and α at the VaR scenario as in {@link start}. Throws
   * {@link NotAVertexError} when fewer than n are tight and independent.
   */
  private startAt(rows: VertexSimplexRows): void {
    const { n, z, lo, hi } = this;
    const w = rows.start;
    for (let i = 0; i < n; i++) z[i] = w[i] as number;
    const candidates: Active[] = [{ kind: BUDGET, index: -1 }];
    for (let r = 0; r < rows.count; r++) {
      if (rows.lower[r] === rows.upper[r]) candidates.push({ kind: ROW_EQUAL, index: r });
    }
    for (let i = 0; i < n; i++) {
      if (z[i] === lo[i]) candidates.push({ kind: LOWER, index: i });
      else if (z[i] === hi[i]) candidates.push({ kind: UPPER, index: i });
    }
    for (let r = 0; r < rows.count; r++) {
      const lower = rows.lower[r] as number;
      const upper = rows.upper[r] as number;
      if (lower === upper) continue;
      let v = 0;
      for (let i = 0; i < n; i++) v += (rows.a[r * n + i] as number) * (w[i] as number);
      if (Number.isFinite(lower) && Math.abs(v - lower) <= TIGHT_TOL * Math.max(1, Math.abs(lower))) {
        candidates.push({ kind: ROW_LOWER, index: r });
      } else if (Number.isFinite(upper) && Math.abs(v - upper) <= TIGHT_TOL * Math.max(1, Math.abs(upper))) {
        candidates.push({ kind: ROW_UPPER, index: r });
      }
    }
    // Independence by elimination: each accepted gradient (reduced) with its pivot entry.
    const accepted: { g: Float64Array; pivot: number }[] = [];
    const row = new Float64Array(this.N);
    for (const a of candidates) {
      if (accepted.length === n) break;
      this.gradient(a, row);
      const g = Float64Array.from(row.subarray(0, n));
      let size = 0;
      for (let i = 0; i < n; i++) size = Math.max(size, Math.abs(g[i] as number));
      for (const b of accepted) {
        const f = (g[b.pivot] as number) / (b.g[b.pivot] as number);
        if (f === 0) continue;
        for (let i = 0; i < n; i++) g[i] = (g[i] as number) - f * (b.g[i] as number);
      }
      let pivot = -1;
      let best = 0;
      for (let i = 0; i < n; i++) {
        if (Math.abs(g[i] as number) > best) {
          best = Math.abs(g[i] as number);
          pivot = i;
        }
      }
      if (pivot < 0 || best <= INDEPENDENT_TOL * size) continue;
      accepted.push({ g, pivot });
      this.active.push(a);
      this.markActive(a);
    }
    if (accepted.length < n) {
      throw new NotAVertexError(`${accepted.length} of ${n} constraints tight and independent at the start`);
    }
    this.alphaAtVaR();
  }

  /**
   * With the weights of the first vertex in z: α at the VaR scenario (the (i_k + 1)-th largest loss, ties
   * by index), whose kink completes the active set; then D, z and h from it.
   */
  private alphaAtVaR(): void {
    const { n, z } = this;
    z[n] = 0;
    this.computeH();
    const losses = new Float64Array(this.T);
    for (let t = 0; t < this.T; t++) losses[t] = this.h[t] as number;
    const ik = Math.max(0, Math.ceil(tailCount(this.fullT, this.beta)) - 1);
    const p0 = scenarioAtLossRank(losses, ik);
    z[n] = this.h[p0] as number;
    this.active.push({ kind: KINK, index: this.scenarios[p0] as number });
    this.isActiveKink[p0] = 1;
    this.computeH();
    this.refactor();
  }

  /** Record `a` as active (kinks are recorded by their position in the working set, elsewhere). */
  private markActive(a: Active): void {
    if (a.kind === LOWER || a.kind === UPPER) this.isActiveBound[a.index] = a.kind;
    else if (a.kind >= ROW_LOWER) this.isActiveRow[a.index] = a.kind;
  }

  /** Gradient row of an active hyperplane, into `out` (length N). */
  private gradient(a: Active, out: Float64Array): void {
    out.fill(0);
    const { n } = this;
    if (a.kind === BUDGET) out.fill(1, 0, n);
    else if (a.kind === KINK) {
      for (let i = 0; i < n; i++) out[i] = -(this.r[a.index * n + i] as number);
      out[n] = -1;
    } else if (a.kind >= ROW_LOWER) {
      const rows = this.rows as VertexSimplexRows;
      for (let i = 0; i < n; i++) out[i] = rows.a[a.index * n + i] as number;
    } else out[a.index] = 1;
  }

  private rhs(a: Active): number {
    if (a.kind === BUDGET) return 1;
    if (a.kind === KINK) return 0;
    if (a.kind === ROW_LOWER || a.kind === ROW_EQUAL)
      return (this.rows as VertexSimplexRows).lower[a.index] as number;
    if (a.kind === ROW_UPPER) return (this.rows as VertexSimplexRows).upper[a.index] as number;
    return a.kind === LOWER ? (this.lo[a.index] as number) : (this.hi[a.index] as number);
  }

  private computeH(): void {
    this.freshH(this.scenarios, this.h);
    this.dropStaleSides();
  }

  /** Keep {@link zeroAbove}'s invariant: a kink no longer at h = 0 exactly has its side from the sign of h. */
  private dropStaleSides(): void {
    if (this.zeroAboveCount === 0) return;
    const { h, zeroAbove } = this;
    let count = 0;
    for (let p = 0; p < this.T; p++) {
      if (zeroAbove[p] === 0) continue;
      if (h[p] !== 0 || this.isActiveKink[p] === 1) zeroAbove[p] = 0;
      else count++;
    }
    this.zeroAboveCount = count;
  }

  /**
   * After a step: the kinks it crossed and the kink it left (upward for `sign` 1) that still sit at h = 0
   * exactly are on the side the step took them to, which the sign of h no longer shows.
   */
  private recordSides(crossed: Int32Array, count: number, leaving: Active, sign: number): void {
    this.dropStaleSides();
    const { h, rho, zeroAbove } = this;
    const set = (p: number, up: boolean): void => {
      if (h[p] !== 0 || zeroAbove[p] === (up ? 1 : 0)) return;
      zeroAbove[p] = up ? 1 : 0;
      this.zeroAboveCount += up ? 1 : -1;
    };
    for (let k = 0; k < count; k++) {
      const p = crossed[k] as number;
      set(p, (rho[p] as number) > 0);
    }
    if (leaving.kind === KINK) set(this.slot[leaving.index] as number, sign > 0);
  }

  /**
   * The bounds' columns of a compact refactorisation by the kernel, four at a time: −G⁻¹·M[P, i] for the
   * bound of weight i, each entry the sum in order of r as in {@link refactorCompact}'s loop.
   */
  private boundColumns(arena: VertexArena, rowsOfP: Float64Array, L: number): void {
    const { N, D, unitVar } = this;
    const bounds: number[] = [];
    for (let j = 0; j < N; j++) if ((unitVar[j] as number) >= 0) bounds.push(j);
    for (let k = 0; k < bounds.length; k += 4) {
      const group = bounds.slice(k, k + 4);
      const packed = arena.packed(L);
      // A group of fewer than four leaves its other lanes zero (their products are not read).
      if (group.length < 4) packed.fill(0);
      group.forEach((j, c) => {
        const i = unitVar[j] as number;
        for (let r = 0; r < L; r++) packed[4 * r + c] = rowsOfP[r * N + i] as number;
      });
      const products = arena.products(L);
      group.forEach((j, c) => {
        for (let s = 0; s < L; s++) D[j * N + s] = -(products[4 * s + c] as number);
      });
    }
  }

  /** D = M⁻¹ from scratch (Gauss–Jordan, partial pivoting), then z = D·b and h. */
  private refactor(): void {
    if (this.compact) {
      this.refactorCompact();
      return;
    }
    const N = this.N;
    const M = new Float64Array(N * N);
    const row = new Float64Array(N);
    this.active.forEach((a, j) => {
      this.gradient(a, row);
      M.set(row, j * N);
    });
    const inv = invertDense(M, N, this.arena);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) this.D[j * N + i] = inv[i * N + j] as number;
    }
    const b = this.active.map((a) => this.rhs(a));
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += (inv[i * N + j] as number) * (b[j] as number);
      this.z[i] = s;
    }
    this.computeH();
    this.sinceRefactor = 0;
    this.nextY = null;
    this.norms = null;
  }

  /**
   * The compact D from scratch. With L the free weights and α (the live rows) and P the positions of the
   * other hyperplanes (|P| = |L| at a vertex), G = M restricted to P × L: the column of position P[c] is
   * G⁻¹'s column c on the live rows, the column of the bound of weight i is −G⁻¹·M[P, i] there (plus its
   * implicit unit). A Gauss–Jordan of order |L| instead of N, then z = D·b and h.
   */
  private refactorCompact(): void {
    const { n, N, D, rowOfSlot, slotOfRow, unitVar } = this;
    slotOfRow.fill(-1);
    unitVar.fill(-1);
    this.unitFlags = null;
    let L = 0;
    for (let i = 0; i < n; i++) {
      if (this.isActiveBound[i] !== 0) continue;
      rowOfSlot[L] = i;
      slotOfRow[i] = L++;
    }
    rowOfSlot[L] = n;
    slotOfRow[n] = L++;
    const P: number[] = [];
    this.active.forEach((a, j) => {
      if (a.kind === LOWER || a.kind === UPPER) unitVar[j] = a.index;
      else P.push(j);
    });
    if (P.length !== L) throw new QuantError('E_SOLVER', 'min_cvar: the active set became singular');
    // The gradients of P (rows of M), and G: those rows on the live columns.
    const rowsOfP = new Float64Array(L * N);
    const G = new Float64Array(L * L);
    const row = new Float64Array(N);
    P.forEach((j, r) => {
      this.gradient(this.active[j] as Active, row);
      rowsOfP.set(row, r * N);
      for (let s = 0; s < L; s++) G[r * L + s] = row[rowOfSlot[s] as number] as number;
    });
    const arena = this.arena;
    const inv = invertDense(G, L, arena);
    P.forEach((j, c) => {
      for (let s = 0; s < L; s++) D[j * N + s] = inv[s * L + c] as number;
    });
    if (arena !== undefined) this.boundColumns(arena, rowsOfP, L);
    const column = new Float64Array(L);
    for (let j = 0; j < N; j++) {
      const i = unitVar[j] as number;
      if (i < 0 || arena !== undefined) continue;
      for (let r = 0; r < L; r++) column[r] = rowsOfP[r * N + i] as number;
      for (let s = 0; s < L; s++) {
        let acc = 0;
        for (let r = 0; r < L; r++) acc += (inv[s * L + r] as number) * (column[r] as number);
        D[j * N + s] = -acc;
      }
    }
    this.used = L;
    const b = this.active.map((a) => this.rhs(a));
    for (let s = 0; s < L; s++) {
      let acc = 0;
      for (let j = 0; j < N; j++) acc += (D[j * N + s] as number) * (b[j] as number);
      this.z[rowOfSlot[s] as number] = acc;
    }
    for (let j = 0; j < N; j++)
      if ((unitVar[j] as number) >= 0) this.z[unitVar[j] as number] = b[j] as number;
    this.computeH();
    this.sinceRefactor = 0;
    this.nextY = null;
    this.norms = null;
  }

  /** `v` (by row) in slot order: `v` itself when dense. */
  private inSlots(v: Float64Array): Float64Array {
    if (!this.compact) return v;
    const out = new Float64Array(this.used);
    for (let s = 0; s < this.used; s++) out[s] = v[this.rowOfSlot[s] as number] as number;
    return out;
  }

  /** Per position, `v` at the row of the column's implicit unit entry (0 without one). */
  private atUnits(v: Float64Array): Float64Array {
    const out = new Float64Array(this.N);
    for (let j = 0; j < this.N; j++) {
      const i = this.unitVar[j] as number;
      if (i >= 0) out[j] = v[i] as number;
    }
    return out;
  }

  /** {@link unitNorms} as unitVar last gave it; null when unitVar changed since. */
  private unitFlags: Float64Array | null = null;

  /** Per position, 1 for a column with an implicit unit entry; null when dense. Read only. */
  private unitNorms(): Float64Array | null {
    if (!this.compact) return null;
    if (this.unitFlags === null) {
      const { N, unitVar } = this;
      const flags = new Float64Array(N);
      for (let j = 0; j < N; j++) if ((unitVar[j] as number) >= 0) flags[j] = 1;
      this.unitFlags = flags;
    }
    return this.unitFlags;
  }

  /** The row of weight i (whose bound at `position` leaves) is stored from now on: e_position. */
  private makeLive(i: number, position: number): void {
    const { N, D } = this;
    const s = this.used++;
    this.rowOfSlot[s] = i;
    this.slotOfRow[i] = s;
    for (let j = 0; j < N; j++) D[j * N + s] = 0;
    D[position * N + s] = 1;
    this.unitVar[position] = -1;
    this.unitFlags = null;
  }

  /**
   * Weight k's bound entered at `position`: its row is now exactly e_position (the update left 1 there and
   * exact zeros elsewhere), so it leaves the slots (the last slot's row takes its place) and becomes the
   * column's implicit unit entry.
   */
  private makeImplicit(k: number, position: number): void {
    const { N, D } = this;
    const s = this.slotOfRow[k] as number;
    const last = --this.used;
    if (s !== last) {
      const moved = this.rowOfSlot[last] as number;
      for (let j = 0; j < N; j++) D[j * N + s] = D[j * N + last] as number;
      this.rowOfSlot[s] = moved;
      this.slotOfRow[moved] = s;
    }
    this.slotOfRow[k] = -1;
    this.unitVar[position] = k;
    this.unitFlags = null;
  }

  /** A new linear term of the objective (none: 0): the multipliers change, the vertex and D do not. */
  setCost(cost: Float64Array | undefined): void {
    if (cost === undefined && this.cost === undefined) return;
    this.cost = cost === undefined ? undefined : Float64Array.from(cost);
    this.nextY = null;
  }

  /** y_j = gᵀd_j with g the gradient of F on the kinks strictly positive. */
  private multipliers(): Float64Array {
    const g = this.objectiveGradient();
    if (!this.compact) return columnProducts(g, this.D, this.N);
    return columnProducts(this.inSlots(g), this.D, this.N, this.used, this.atUnits(g));
  }

  /**
   * g: the gradient of F on the kinks strictly positive (1 for α, less c per such kink), plus the linear
   * term's cost for w.
   */
  private objectiveGradient(): Float64Array {
    const { n, N, T, r, c } = this;
    const g = new Float64Array(N);
    if (this.cost !== undefined) g.set(this.cost);
    g[n] = 1;
    const arena = this.arena;
    if (arena !== undefined) {
      // The same subtractions, row after row in the same order, by the kernel; α's entry here.
      const rows = this.positiveRows;
      let count = 0;
      for (let p = 0; p < T; p++) {
        if (!this.isPositive(p) || this.isActiveKink[p] === 1) continue;
        rows[count++] = this.scenarios[p] as number;
        g[n] = (g[n] as number) - c;
      }
      arena.gradient(g, rows, count, c);
      return g;
    }
    for (let p = 0; p < T; p++) {
      if (!this.isPositive(p) || this.isActiveKink[p] === 1) continue;
      const t = this.scenarios[p] as number;
      for (let i = 0; i < n; i++) g[i] = (g[i] as number) - c * (r[t * n + i] as number);
      g[n] = (g[n] as number) - c;
    }
    return g;
  }

  /** The edge of steepest descent of F (Dantzig's rule, lowest position on ties), or null at an optimum. */
  price(): { position: number; sign: number } | null {
    const y = this.nextY ?? this.multipliers();
    this.nextY = null;
    const { N, D } = this;
    let best: { position: number; sign: number } | null = null;
    let bestScore = 0;
    let bestSlope = 0;
    // The descending edges in order of position (a kink descends on at most one side: both would need
    // y_j > 0 and y_j < −c), each scored as it is found: the slope per unit of distance moved in (w, α)
    // (steepest edge), the first of equal scores kept.
    let norms = this.norms;
    const active = this.active;
    for (let j = 0; j < N; j++) {
      const a = active[j] as Active;
      const yj = y[j] as number;
      const kind = a.kind;
      let slope = 0;
      let sign = 0;
      if (kind === KINK) {
        if (yj + this.c < -SLOPE_TOL) {
          slope = yj + this.c;
          sign = 1;
        } else if (-yj < -SLOPE_TOL) {
          slope = -yj;
          sign = -1;
        }
      } else if (kind === LOWER || kind === UPPER) {
        // A weight fixed by its bounds (lo = hi) never leaves them, like the budget.
        const down = kind === LOWER ? yj : -yj;
        if (this.lo[a.index] !== this.hi[a.index] && down < -SLOPE_TOL) {
          slope = down;
          sign = kind === LOWER ? 1 : -1;
        }
      } else if (kind === ROW_LOWER && yj < -SLOPE_TOL) {
        slope = yj;
        sign = 1;
      } else if (kind === ROW_UPPER && -yj < -SLOPE_TOL) {
        slope = -yj;
        sign = -1;
      }
      if (sign === 0) continue;
      if (norms === null) {
        norms = columnSquares(
          D,
          N,
          Array.from({ length: N }, (_, i) => i),
          this.used,
          this.unitNorms(),
        );
        this.norms = norms;
      }
      const score = slope / Math.sqrt(norms[j] as number);
      if (score < bestScore) {
        bestScore = score;
        bestSlope = slope;
        best = { position: j, sign };
      }
    }
    this.slope = bestSlope;
    return best;
  }

  private slope = 0;

  /** Walk along σ·d_j past the kinks while the slope stays negative; the blocking hyperplane enters. */
  step(position: number, sign: number): void {
    const { n, N, T, h, c, z } = this;
    const d = this.edge;
    if (!this.compact) for (let i = 0; i < N; i++) d[i] = sign * (this.D[position * N + i] as number);
    else {
      d.fill(0);
      for (let k = 0; k < this.used; k++) {
        d[this.rowOfSlot[k] as number] = sign * (this.D[position * N + k] as number);
      }
      const u = this.unitVar[position] as number;
      if (u >= 0) d[u] = sign;
    }
    // Weights held at an active bound do not move along an edge: only the others enter the slopes.
    const moving = this.moving;
    moving.length = 0;
    for (let i = 0; i < n; i++) if ((d[i] as number) !== 0) moving.push(i);
    const dAlpha = d[n] as number;
    // Slopes of the kinks along d, ρ_t = −r_tᵀd_w − d_α, accumulated one moving asset at a time (the
    // same operations in the same order per scenario as a row-by-row sum), and the breakpoints
    // s_t = −h_t / ρ_t ≥ 0 where the kinks change side.
    const rho = this.rho;
    rho.fill(-dAlpha);
    if (this.arena === undefined) subtractColumns(rho, this.rCols, T, moving, d);
    else this.arena.subtract(T, moving, d);
    const breakAt = this.breakAt;
    const isActiveKink = this.isActiveKink;
    const heap = this.heap;
    const items = heap.items;
    let count = 0;
    for (let t = 0; t < T; t++) {
      const s = rho[t] as number;
      if (isActiveKink[t] === 1 || s === 0) continue;
      const ht = h[t] as number;
      const up = this.isPositive(t);
      if ((up && s < 0) || (ht <= 0 && !up && s > 0)) {
        items[count++] = t;
        breakAt[t] = Math.max(0, -ht / s);
      }
    }
    heap.order(count, breakAt);
    const bound = this.boundStop(d, this.active[position] as Active);
    let slope = this.slope;
    let enter: Active | null = null;
    let stepLength = bound.step;
    const crossed = heap.crossed;
    let crossings = 0;
    for (let t = heap.pop(); t >= 0; t = heap.pop()) {
      const st = breakAt[t] as number;
      if (st > bound.step) break;
      slope += c * Math.abs(rho[t] as number);
      if (slope >= -SLOPE_TOL) {
        enter = { kind: KINK, index: this.scenarios[t] as number };
        stepLength = st;
        break;
      }
      crossed[crossings++] = t;
    }
    if (enter === null) {
      if (bound.asset < 0) throw new QuantError('E_SOLVER', 'min_cvar: the LP is unbounded along an edge');
      enter = { kind: bound.kind, index: bound.asset };
    }
    for (let i = 0; i < N; i++) z[i] = (z[i] as number) + stepLength * (d[i] as number);
    for (let t = 0; t < T; t++) h[t] = (h[t] as number) + stepLength * (rho[t] as number);
    this.recordSides(crossed, crossings, this.active[position] as Active, sign);
    this.replace(position, enter);
  }

  /**
   * The first bound of a free weight, or side of an inactive linear row, reached along d — and the other
   * side of the hyperplane `leaving` d moves off (a weight leaving its lower bound may reach its upper).
   */
  private boundStop(d: Float64Array, leaving: Active): { step: number; asset: number; kind: number } {
    let step = Infinity;
    let asset = -1;
    let kind = LOWER;
    const leavingBound = leaving.kind === LOWER || leaving.kind === UPPER ? leaving.index : -1;
    const leavingRow = leaving.kind === ROW_LOWER || leaving.kind === ROW_UPPER ? leaving.index : -1;
    for (let i = 0; i < this.n; i++) {
      if (this.isActiveBound[i] !== 0 && i !== leavingBound) continue;
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
    const rows = this.rows;
    if (rows === undefined) return { step, asset, kind };
    const n = this.n;
    for (let r = 0; r < rows.count; r++) {
      if (this.isActiveRow[r] !== 0 && r !== leavingRow) continue;
      let rate = 0;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const ari = rows.a[r * n + i] as number;
        rate += ari * (d[i] as number);
        v += ari * (this.z[i] as number);
      }
      if (Math.abs(rate) < 1e-14) continue;
      const side = rate > 0 ? (rows.upper[r] as number) : (rows.lower[r] as number);
      if (!Number.isFinite(side)) continue;
      const s = Math.max(0, (side - v) / rate);
      if (s < step) {
        step = s;
        asset = r;
        kind = rate > 0 ? ROW_UPPER : ROW_LOWER;
      }
    }
    return { step, asset, kind };
  }

  /** Hyperplane `enter` replaces the active one at `position`: the product-form update of D. */
  private replace(position: number, enter: Active): void {
    const N = this.N;
    const D = this.D;
    const leaving = this.active[position] as Active;
    if (leaving.kind === KINK) this.isActiveKink[this.slot[leaving.index] as number] = 0;
    else if (leaving.kind === LOWER || leaving.kind === UPPER) this.isActiveBound[leaving.index] = 0;
    else if (leaving.kind >= ROW_LOWER) this.isActiveRow[leaving.index] = 0;
    if (enter.kind === KINK) this.isActiveKink[this.slot[enter.index] as number] = 1;
    else this.markActive(enter);
    if (this.compact && (leaving.kind === LOWER || leaving.kind === UPPER))
      this.makeLive(leaving.index, position);
    this.active[position] = enter;
    const a = this.entering;
    this.gradient(enter, a);
    // The next pricing's multipliers and norms are taken from each column as the update writes it.
    const y = new Float64Array(N);
    const norms = new Float64Array(N);
    const g = this.objectiveGradient();
    const arena = this.arena;
    if (!this.compact) productFormUpdate(D, N, a, position, { g, y, norms }, N, null, arena);
    else {
      const implicit = { a: this.atUnits(a), g: this.atUnits(g), unit: this.unitNorms() as Float64Array };
      productFormUpdate(
        D,
        N,
        this.inSlots(a),
        position,
        { g: this.inSlots(g), y, norms },
        this.used,
        implicit,
        arena,
      );
      if (enter.kind === LOWER || enter.kind === UPPER) this.makeImplicit(enter.index, position);
    }
    this.nextY = y;
    this.norms = norms;
    this.iterations++;
    if (++this.sinceRefactor >= this.refactorEvery) this.refactor();
  }

  result(): VertexSimplexResult {
    // The measures below are over every scenario: the rest of them join the working set (h_t ≤ 0 there).
    if (this.T < this.fullT) this.rebuild(this.fullT, false);
    if (this.sinceRefactor > 0) this.refactor();
    const { n, T, h, z } = this;
    const weights = Float64Array.from(z.subarray(0, n));
    const losses = new Float64Array(T);
    const alpha = z[n] as number;
    for (let t = 0; t < T; t++) losses[t] = (h[t] as number) + alpha;
    const value = tailCvar(losses, this.beta);
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
    const rows = this.rows;
    for (let r = 0; r < (rows?.count ?? 0); r++) {
      const { a, lower, upper } = rows as VertexSimplexRows;
      let v = 0;
      for (let i = 0; i < n; i++) v += (a[r * n + i] as number) * (weights[i] as number);
      primal = Math.max(primal, (lower[r] as number) - v, v - (upper[r] as number));
    }
    for (const a of this.active)
      if (a.kind === KINK) primal = Math.max(primal, Math.abs(h[this.slot[a.index] as number] as number));
    const y = this.multipliers();
    let dual = 0;
    this.active.forEach((a, j) => {
      const yj = (y[j] as number) / this.c;
      // A weight fixed by lo = hi holds an equality, whose multiplier has either sign (like the budget's).
      const fixed = (a.kind === LOWER || a.kind === UPPER) && this.lo[a.index] === this.hi[a.index];
      if (a.kind === KINK) dual = Math.max(dual, -(yj + 1), yj);
      else if (fixed) return;
      else if (a.kind === LOWER || a.kind === ROW_LOWER) dual = Math.max(dual, -yj);
      else if (a.kind === UPPER || a.kind === ROW_UPPER) dual = Math.max(dual, yj);
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

/** Whether every entry of `a` is in `b` (both ascending). */
function isSubset(a: Int32Array, b: Int32Array): boolean {
  let q = 0;
  for (let p = 0; p < a.length; p++) {
    const t = a[p] as number;
    while (q < b.length && (b[q] as number) < t) q++;
    if (q === b.length || b[q] !== t) return false;
    q++;
  }
  return true;
}

/**
 * The column-major returns of `next` (ascending; entry (i, q) at i·|next| + q) into `to`, from those of
 * `prev` (ascending, a subset of `next`) in `from` — which may be the same memory: the members' entries
 * are moved in runs and only the new scenarios' read from the row-major `r`. `transposeRows(r, n, next)`,
 * the same numbers, with contiguous copies instead of one strided read per entry. In place it is safe
 * because every entry moves up (to a later column base and a position no lower) and the columns, their
 * runs and each run's entries go from the last: no entry is overwritten before it is read.
 */
export function growColumns(
  from: Float64Array,
  to: Float64Array,
  r: Float64Array,
  n: number,
  prev: Int32Array,
  next: Int32Array,
): void {
  const before = prev.length;
  const after = next.length;
  // The members in runs (next[q0 + j] = prev[p0 + j] for j < length: triples p0, q0, length) and the
  // positions of the new scenarios, found once for every column.
  const runs: number[] = [];
  const fresh: number[] = [];
  for (let p = 0, q = 0; q < after;) {
    if (p < before && prev[p] === next[q]) {
      const p0 = p;
      const q0 = q;
      while (p < before && q < after && prev[p] === next[q]) {
        p++;
        q++;
      }
      runs.push(p0, q0, p - p0);
    } else fresh.push(q++);
  }
  for (let i = n - 1; i >= 0; i--) {
    const source = i * before;
    const target = i * after;
    for (let k = runs.length - 3; k >= 0; k -= 3) {
      const a = source + (runs[k] as number);
      const b = target + (runs[k + 1] as number);
      for (let j = (runs[k + 2] as number) - 1; j >= 0; j--) to[b + j] = from[a + j] as number;
    }
    for (const q of fresh) to[target + q] = r[(next[q] as number) * n + i] as number;
  }
}

/**
 * The returns of `scenarios` column by column (n × T, entry (i, p) at i·T + p) from the row-major
 * `r`, in tiles of 8 scenarios so that both sides are read and written in runs.
 */
export function transposeRows<A extends ArrayBufferLike = ArrayBuffer>(
  r: Float64Array,
  n: number,
  scenarios: Int32Array,
  out: Float64Array<A> = new Float64Array(scenarios.length * n) as Float64Array<A>,
): Float64Array<A> {
  const T = scenarios.length;
  const TILE = 8;
  for (let p0 = 0; p0 < T; p0 += TILE) {
    const p1 = Math.min(T, p0 + TILE);
    for (let p = p0; p < p1; p++) {
      const row = (scenarios[p] as number) * n;
      for (let i = 0, q = p; i < n; i++, q += T) out[q] = r[row + i] as number;
    }
  }
  return out;
}

/**
 * ρ_t −= Σ_k cols[moving_k][t]·d[moving_k], the moving assets subtracted one after another in their
 * order for every t — the same operations as one pass per asset, so the same bits — but four assets per
 * pass over ρ, which then stays in registers for four products instead of one.
 */
export function subtractColumns(
  rho: Float64Array,
  cols: Float64Array,
  T: number,
  moving: readonly number[],
  d: Float64Array,
): void {
  const m = moving.length;
  let k = 0;
  for (; k + 4 <= m; k += 4) {
    const i0 = moving[k] as number;
    const i1 = moving[k + 1] as number;
    const i2 = moving[k + 2] as number;
    const i3 = moving[k + 3] as number;
    const d0 = d[i0] as number;
    const d1 = d[i1] as number;
    const d2 = d[i2] as number;
    const d3 = d[i3] as number;
    const o0 = i0 * T;
    const o1 = i1 * T;
    const o2 = i2 * T;
    const o3 = i3 * T;
    for (let t = 0; t < T; t++) {
      rho[t] =
        (rho[t] as number) -
        (cols[o0 + t] as number) * d0 -
        (cols[o1 + t] as number) * d1 -
        (cols[o2 + t] as number) * d2 -
        (cols[o3 + t] as number) * d3;
    }
  }
  for (; k < m; k++) {
    const i = moving[k] as number;
    const di = d[i] as number;
    const o = i * T;
    for (let t = 0; t < T; t++) rho[t] = (rho[t] as number) - (cols[o + t] as number) * di;
  }
}

/**
 * vᵀD for D stored by columns: entry j = Σ_i v_i D_ij, summed in order of i over the non-zero v_i. Four
 * columns are summed side by side: each sum is still one chain in order of i (the same bits), and the
 * four chains hide each other's addition latency.
 */
function columnProducts(
  v: Float64Array,
  D: Float64Array,
  N: number,
  rows = N,
  extra: Float64Array | null = null,
): Float64Array {
  const nonZero: number[] = [];
  for (let i = 0; i < rows; i++) if ((v[i] as number) !== 0) nonZero.push(i);
  // Dense v: a zero v_i adds an exact zero, so the sums over every i are the same.
  const idx = 2 * nonZero.length > rows ? null : Int32Array.from(nonZero);
  const m = idx === null ? rows : idx.length;
  const out = new Float64Array(N);
  let j = 0;
  for (; j + 4 <= N; j += 4) dotFour(v, D, idx, m, j, j + 1, j + 2, j + 3, N, out, j);
  for (; j < N; j++) {
    const q = j * N;
    let s = 0;
    for (let k = 0; k < m; k++) {
      const i = idx === null ? k : (idx[k] as number);
      s += (v[i] as number) * (D[q + i] as number);
    }
    out[j] = s;
  }
  if (extra !== null) for (let k = 0; k < N; k++) out[k] = (out[k] as number) + (extra[k] as number);
  return out;
}

/** What {@link productFormUpdate} also measures on the updated D: y_j = gᵀd_j and ‖d_j‖² per column. */
export interface ColumnMeasures {
  readonly g: Float64Array;
  readonly y: Float64Array;
  readonly norms: Float64Array;
}

/**
 * A compact inverse (see `VertexState`) stores the first `rows` entries of each column; a column j may also
 * hold an implicit unit entry outside them, whose terms are added after each column's sum: `a[j]` to
 * aᵀd_j, `g[j]` to gᵀd_j and `unit[j]` (1 or 0) to ‖d_j‖².
 */
export interface ImplicitUnits {
  readonly a: Float64Array;
  readonly g: Float64Array | null;
  readonly unit: Float64Array;
}

/**
 * The product-form update of D (stored by columns) when the hyperplane with gradient `a` replaces the
 * one at `position`: with f_j = aᵀd_j (summed in order of i over the non-zero a_i), column `position`
 * is divided by its f and every other column j with f_j ≠ 0 loses f_j times it. Each f_j is taken just
 * before its column changes and from its old entries, four columns at a time, so D is read once per
 * update; the values are those of computing every f_j first. With `measure`, gᵀd_j and ‖d_j‖² of every
 * updated column are summed in order of i as its entries are written — the bits of
 * {@link columnProducts} and {@link columnSquares} run afterwards.
 */
export function productFormUpdate(
  D: Float64Array,
  N: number,
  a: Float64Array,
  position: number,
  measure?: ColumnMeasures,
  rows = N,
  implicit: ImplicitUnits | null = null,
  arena: VertexArena | undefined = undefined,
): void {
  const nonZero: number[] = [];
  for (let i = 0; i < rows; i++) if ((a[i] as number) !== 0) nonZero.push(i);
  // Dense a: a zero a_i adds an exact zero, so the sums over every i are the same.
  const idx = 2 * nonZero.length > rows ? null : Int32Array.from(nonZero);
  // The WebAssembly kernels work on D in their memory (the simplex's own D); aᵀd_j there only for a dense a.
  const kernels = arena !== undefined && measure !== undefined ? arena : undefined;
  if (kernels !== undefined) kernels.setVectors(a, (measure as ColumnMeasures).g, rows);
  const dotKernel = idx === null ? kernels : undefined;
  const m = idx === null ? rows : idx.length;
  const p = position * N;
  let piv = 0;
  for (let k = 0; k < m; k++) {
    const i = idx === null ? k : (idx[k] as number);
    piv += (a[i] as number) * (D[p + i] as number);
  }
  if (implicit !== null) piv += implicit.a[position] as number;
  for (let i = 0; i < rows; i++) D[p + i] = (D[p + i] as number) / piv;
  if (measure !== undefined) measureColumn(D, N, position, 0, p, measure, rows, implicit);
  const others: number[] = [];
  for (let j = 0; j < N; j++) if (j !== position) others.push(j);
  const f = new Float64Array(4);
  const count = others.length;
  let c = 0;
  for (; c + 4 <= count; c += 4) {
    const j0 = others[c] as number;
    const j1 = others[c + 1] as number;
    const j2 = others[c + 2] as number;
    const j3 = others[c + 3] as number;
    if (dotKernel === undefined) dotFour(a, D, idx, m, j0, j1, j2, j3, N, f, 0);
    else {
      dotKernel.dot4(j0, j1, j2, j3, rows);
      f.set(dotKernel.out.subarray(0, 4));
    }
    if (implicit !== null) {
      f[0] = (f[0] as number) + (implicit.a[j0] as number);
      f[1] = (f[1] as number) + (implicit.a[j1] as number);
      f[2] = (f[2] as number) + (implicit.a[j2] as number);
      f[3] = (f[3] as number) + (implicit.a[j3] as number);
    }
    const f0 = f[0] as number;
    const f1 = f[1] as number;
    const f2 = f[2] as number;
    const f3 = f[3] as number;
    if (measure !== undefined && f0 !== 0 && f1 !== 0 && f2 !== 0 && f3 !== 0) {
      if (kernels === undefined)
        updateFour(D, N, p, [j0, j1, j2, j3], [f0, f1, f2, f3], measure, rows, implicit);
      else updateFourIn(kernels, position, [j0, j1, j2, j3], [f0, f1, f2, f3], measure, rows, implicit);
      continue;
    }
    if (measure === undefined) {
      if (f0 !== 0) measureColumn(D, N, j0, f0, p, undefined, rows, implicit);
      if (f1 !== 0) measureColumn(D, N, j1, f1, p, undefined, rows, implicit);
      if (f2 !== 0) measureColumn(D, N, j2, f2, p, undefined, rows, implicit);
      if (f3 !== 0) measureColumn(D, N, j3, f3, p, undefined, rows, implicit);
    } else {
      measureColumn(D, N, j0, f0, p, measure, rows, implicit);
      measureColumn(D, N, j1, f1, p, measure, rows, implicit);
      measureColumn(D, N, j2, f2, p, measure, rows, implicit);
      measureColumn(D, N, j3, f3, p, measure, rows, implicit);
    }
  }
  for (; c < count; c++) {
    const j = others[c] as number;
    const q = j * N;
    let f = 0;
    for (let k = 0; k < m; k++) {
      const i = idx === null ? k : (idx[k] as number);
      f += (a[i] as number) * (D[q + i] as number);
    }
    if (implicit !== null) f += implicit.a[j] as number;
    if (f !== 0 || measure !== undefined) measureColumn(D, N, j, f, p, measure, rows, implicit);
  }
}

/**
 * Column j of D loses f times column p (left alone when f is 0, so that no zero changes sign), then, with
 * `measure`, its y_j and ‖d_j‖² are summed in order of i from the entries written.
 */
function measureColumn(
  D: Float64Array,
  N: number,
  j: number,
  f: number,
  p: number,
  measure: ColumnMeasures | undefined,
  rows: number,
  implicit: ImplicitUnits | null,
): void {
  const q = j * N;
  if (measure === undefined) {
    for (let i = 0; i < rows; i++) D[q + i] = (D[q + i] as number) - f * (D[p + i] as number);
    return;
  }
  const g = measure.g;
  let s = 0;
  let sq = 0;
  if (f === 0) {
    for (let i = 0; i < rows; i++) {
      const v = D[q + i] as number;
      s += (g[i] as number) * v;
      sq += v * v;
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const v = (D[q + i] as number) - f * (D[p + i] as number);
      D[q + i] = v;
      s += (g[i] as number) * v;
      sq += v * v;
    }
  }
  if (implicit !== null) {
    s += implicit.g?.[j] as number;
    sq += implicit.unit[j] as number;
  }
  measure.y[j] = s;
  measure.norms[j] = sq;
}

/** {@link measureColumn} of four columns with non-zero factors in one pass over i. */
function updateFour(
  D: Float64Array,
  N: number,
  p: number,
  [j0, j1, j2, j3]: readonly [number, number, number, number],
  [f0, f1, f2, f3]: readonly [number, number, number, number],
  { g, y, norms }: ColumnMeasures,
  rows: number,
  implicit: ImplicitUnits | null,
): void {
  const q0 = j0 * N;
  const q1 = j1 * N;
  const q2 = j2 * N;
  const q3 = j3 * N;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let n0 = 0;
  let n1 = 0;
  let n2 = 0;
  let n3 = 0;
  for (let i = 0; i < rows; i++) {
    const di = D[p + i] as number;
    const gi = g[i] as number;
    const v0 = (D[q0 + i] as number) - f0 * di;
    const v1 = (D[q1 + i] as number) - f1 * di;
    const v2 = (D[q2 + i] as number) - f2 * di;
    const v3 = (D[q3 + i] as number) - f3 * di;
    D[q0 + i] = v0;
    D[q1 + i] = v1;
    D[q2 + i] = v2;
    D[q3 + i] = v3;
    s0 += gi * v0;
    s1 += gi * v1;
    s2 += gi * v2;
    s3 += gi * v3;
    n0 += v0 * v0;
    n1 += v1 * v1;
    n2 += v2 * v2;
    n3 += v3 * v3;
  }
  if (implicit !== null) {
    const ig = implicit.g as Float64Array;
    const u = implicit.unit;
    s0 += ig[j0] as number;
    s1 += ig[j1] as number;
    s2 += ig[j2] as number;
    s3 += ig[j3] as number;
    n0 += u[j0] as number;
    n1 += u[j1] as number;
    n2 += u[j2] as number;
    n3 += u[j3] as number;
  }
  y[j0] = s0;
  y[j1] = s1;
  y[j2] = s2;
  y[j3] = s3;
  norms[j0] = n0;
  norms[j1] = n1;
  norms[j2] = n2;
  norms[j3] = n3;
}

/** {@link updateFour} by the WebAssembly kernel on the arena's D (its sums, then the implicit terms). */
function updateFourIn(
  arena: VertexArena,
  position: number,
  js: readonly [number, number, number, number],
  fs: readonly [number, number, number, number],
  { y, norms }: ColumnMeasures,
  rows: number,
  implicit: ImplicitUnits | null,
): void {
  arena.update4(position, js[0], js[1], js[2], js[3], fs, rows);
  const out = arena.out;
  for (let k = 0; k < 4; k++) {
    const j = js[k] as number;
    let s = out[k] as number;
    let sq = out[k + 4] as number;
    if (implicit !== null) {
      s += (implicit.g as Float64Array)[j] as number;
      sq += implicit.unit[j] as number;
    }
    y[j] = s;
    norms[j] = sq;
  }
}

/**
 * out[at … at + 3] = vᵀd_j of the columns j0 … j3 of D (stored by columns, N rows), each summed in order
 * over the indices `idx` (every i < m when null), side by side.
 */
function dotFour(
  v: Float64Array,
  D: Float64Array,
  idx: Int32Array | null,
  m: number,
  j0: number,
  j1: number,
  j2: number,
  j3: number,
  N: number,
  out: Float64Array,
  at: number,
): void {
  const q0 = j0 * N;
  const q1 = j1 * N;
  const q2 = j2 * N;
  const q3 = j3 * N;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 0; k < m; k++) {
    const i = idx === null ? k : (idx[k] as number);
    const vi = v[i] as number;
    s0 += vi * (D[q0 + i] as number);
    s1 += vi * (D[q1 + i] as number);
    s2 += vi * (D[q2 + i] as number);
    s3 += vi * (D[q3 + i] as number);
  }
  out[at] = s0;
  out[at + 1] = s1;
  out[at + 2] = s2;
  out[at + 3] = s3;
}

/** Σ_i D_ij² of the columns `positions` of D (stored by columns), each summed in order of i, four at a time. */
export function columnSquares(
  D: Float64Array,
  N: number,
  positions: readonly number[],
  rows = N,
  unit: Float64Array | null = null,
): Float64Array {
  const count = positions.length;
  const out = new Float64Array(count);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const q0 = (positions[k] as number) * N;
    const q1 = (positions[k + 1] as number) * N;
    const q2 = (positions[k + 2] as number) * N;
    const q3 = (positions[k + 3] as number) * N;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < rows; i++) {
      const a0 = D[q0 + i] as number;
      const a1 = D[q1 + i] as number;
      const a2 = D[q2 + i] as number;
      const a3 = D[q3 + i] as number;
      s0 += a0 * a0;
      s1 += a1 * a1;
      s2 += a2 * a2;
      s3 += a3 * a3;
    }
    out[k] = s0;
    out[k + 1] = s1;
    out[k + 2] = s2;
    out[k + 3] = s3;
  }
  for (; k < count; k++) {
    const q = (positions[k] as number) * N;
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const a = D[q + i] as number;
      s += a * a;
    }
    out[k] = s;
  }
  if (unit !== null) {
    for (let k2 = 0; k2 < count; k2++)
      out[k2] = (out[k2] as number) + (unit[positions[k2] as number] as number);
  }
  return out;
}

/**
 * out_k = Σ_i r[rows_k·n + i]·z_i for the rows `rows` of the row-major `r` (n columns), each summed in
 * order of i; four rows side by side.
 */
export function rowDots(
  r: Float64Array,
  n: number,
  rows: Int32Array,
  z: Float64Array,
  out: Float64Array,
): void {
  const count = rows.length;
  let k = 0;
  // Row t of r is the "column" t of stride n: dotFour's products zᵢ·r_ti are those of r_ti·zᵢ.
  for (; k + 4 <= count; k += 4) {
    const [t0, t1, t2, t3] = [rows[k], rows[k + 1], rows[k + 2], rows[k + 3]] as number[];
    dotFour(z, r, null, n, t0 as number, t1 as number, t2 as number, t3 as number, n, out, k);
  }
  for (; k < count; k++) {
    const a = (rows[k] as number) * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += (r[a + i] as number) * (z[i] as number);
    out[k] = s;
  }
}

/** Inverse of an N × N matrix by Gauss–Jordan elimination with partial pivoting. */
export function invertDense(a: Float64Array, k: number, arena?: VertexArena): Float64Array {
  const inArena = arena?.gaussJordan(k);
  const m = inArena === undefined ? Float64Array.from(a) : inArena.matrix;
  const inv = inArena === undefined ? new Float64Array(k * k) : inArena.inverse;
  if (inArena !== undefined) {
    m.set(a.subarray(0, k * k));
    inv.fill(0);
  }
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  const nonZero = inArena === undefined ? new Int32Array(k) : inArena.columns;
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) {
      if (Math.abs(m[r * k + col] as number) > Math.abs(m[piv * k + col] as number)) piv = r;
    }
    const pv = m[piv * k + col] as number;
    if (pv === 0) throw new QuantError('E_SOLVER', 'min_cvar: the active set became singular');
    // Columns left of `col` of m are never read again (the pivot search and the factors f read column
    // col onwards), so m is updated from column col on; inv entirely.
    for (let j = col; j < k; j++) {
      const a1 = m[piv * k + j] as number;
      m[piv * k + j] = m[col * k + j] as number;
      m[col * k + j] = a1 / pv;
    }
    for (let j = 0; j < k; j++) {
      const b1 = inv[piv * k + j] as number;
      inv[piv * k + j] = inv[col * k + j] as number;
      inv[col * k + j] = b1 / pv;
    }
    const pc = col * k;
    // Row col of inv is zero but where earlier pivot rows and its own unit entry reached it (at most
    // col + 1 entries): subtracting f times a zero leaves an entry as it is (but for the sign of a zero,
    // which nothing reads: sums from +0 never give −0), so only its non-zero columns are updated.
    let count = 0;
    for (let j = 0; j < k; j++) if ((inv[pc + j] as number) !== 0) nonZero[count++] = j;
    if (arena !== undefined) {
      arena.eliminate(k, col, count);
      continue;
    }
    for (let r = 0; r < k; r++) {
      const f = m[r * k + col] as number;
      if (r === col || f === 0) continue;
      const rc = r * k;
      for (let j = col + 1; j < k; j++) m[rc + j] = (m[rc + j] as number) - f * (m[pc + j] as number);
      for (let q = 0; q < count; q++) {
        const j = nonZero[q] as number;
        inv[rc + j] = (inv[rc + j] as number) - f * (inv[pc + j] as number);
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
  /** The scenarios to order: the caller writes them here, then calls {@link order}. */
  readonly items: Int32Array;
  /** Scratch of the same capacity for the caller: the breakpoints a walk crossed, in order. */
  readonly crossed: Int32Array;
  private size = 0;
  private key: Float64Array = new Float64Array(0);

  constructor(readonly capacity: number) {
    this.items = new Int32Array(capacity);
    this.crossed = new Int32Array(capacity);
  }

  /** Make the first `count` of {@link items} a heap keyed by `key`. */
  order(count: number, key: Float64Array): void {
    this.size = count;
    this.key = key;
    for (let i = (count >> 1) - 1; i >= 0; i--) this.down(i);
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
