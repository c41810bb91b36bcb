/**
 * Minimum-CVaR and minimum-CDaR portfolios on historical scenarios (each of the T return rows one
 * equally likely scenario, weight 1/T, as in skfolio and Riskfolio-Lib), and the maximum expected
 * return per unit of CVaR — exact linear programs. min_cvar, with or without linear rows, is solved by a
 * primal simplex on the piecewise-linear objective (`_cvar-vertex-simplex.ts`); min_cdar, and min_cvar
 * where that simplex cannot start, by constraint generation (`_tail-cutting-plane.ts`) over a dense dual
 * simplex (`_dual-simplex.ts`).
 */
import type { Matrix } from '../linalg/matrix.js';
import { QuantError, isQuantError } from '../../errors.js';
import { DEFAULT_CVAR_LEVEL, assertTailLevel } from '../stats/tail-risk.js';
import { DualSimplex } from './_dual-simplex.js';
import { CutMasterSimplex } from './_cut-master-simplex.js';
import {
  cdarOracle,
  cvarOracle,
  scaledReturns,
  solveByCuts,
  type CuttingPlaneReport,
  type TailOracle,
} from './_tail-cutting-plane.js';
import { resolveBounds, type WeightBound } from './feasibility.js';
import {
  CvarVertexSimplex,
  holdsConstraints,
  NotAVertexError,
  type VertexSimplexOptions,
  type VertexSimplexResult,
} from './_cvar-vertex-simplex.js';

/** General linear rows `lower ≤ A·w ≤ upper` (rows × n, row-major; ±Infinity for an open side). */
export interface TailLinearRows {
  readonly n: number;
  readonly rows: number;
  readonly a: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly names: readonly string[];
}

export interface TailRiskOptions {
  /** Confidence level β of CVaR / CDaR, 0 < β < 1 (default 0.95: the worst 5 % of scenarios). */
  readonly level?: number;
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
  /** Further linear constraints on the weights. */
  readonly linear?: TailLinearRows;
}

export interface TailRiskResult {
  /** n weights, lo ≤ w ≤ hi, Σw = 1, within the linear rows. */
  readonly weights: Float64Array;
  /** The optimum: CVaR_β or CDaR_β of the weights, per period, as a positive loss. */
  readonly value: number;
  /**
   * The LP: the solver (`vertex simplex` for min_cvar without linear rows, else `cutting-plane dual
   * simplex`), cuts added, pivots, gap (per period: f(w) − θ for the cutting plane, the vertex's LP
   * objective − the sorted CVaR for the vertex simplex), primal and dual residuals.
   */
  readonly lp: CuttingPlaneReport & { readonly solver: string };
}

/**
 * Minimum-CVaR weights (Rockafellar & Uryasev 2000):
 *
 *   min_{w, α, u}  α + 1/((1 − β)T) Σ_t u_t   s.t.  u_t ≥ −r_tᵀw − α,  u_t ≥ 0,  Σw = 1,  lo ≤ w ≤ hi,
 *                  lower ≤ A w ≤ upper.
 *
 * @param returns T × n simple returns (T scenarios).
 */
export function minCvar(returns: Matrix, options: TailRiskOptions = {}): TailRiskResult {
  return minimizeTail(returns, options, cvarOracle);
}

/**
 * {@link minCvar} by constraint generation alone (the method of min_cdar), never the vertex simplex: an
 * independent solve of the same LP, which the tests hold the vertex simplex to.
 */
export function minCvarByCuts(returns: Matrix, options: TailRiskOptions = {}): TailRiskResult {
  return minimizeTail(returns, options, cvarOracle, false);
}

/**
 * Minimum-CDaR weights (Chekhlov, Uryasev & Zabarankin 2005) on the uncompounded cumulative returns,
 * C₀ = 0 counted as a peak (Riskfolio-Lib's `CDaR`, skfolio's `cdar` with `compounded=False`):
 *
 *   min α + 1/((1 − β)T) Σ_t z_t  s.t.  z_t ≥ u_t − C_tᵀw − α,  z_t ≥ 0,  u_t ≥ C_tᵀw,  u_t ≥ u_{t−1},
 *   u₀ = 0,  Σw = 1,  lo ≤ w ≤ hi,  lower ≤ A w ≤ upper.
 */
export function minCdar(returns: Matrix, options: TailRiskOptions = {}): TailRiskResult {
  return minimizeTail(returns, options, cdarOracle);
}

/** The weight of the best answer so far in the point where min_cdar's cuts are taken first. */
const CDAR_IN_OUT = 0.9;

type OracleFactory = (returns: Matrix, beta: number) => TailOracle;

function minimizeTail(
  returns: Matrix,
  options: TailRiskOptions,
  factory: OracleFactory,
  vertex = true,
): TailRiskResult {
  const n = returns.cols;
  const beta = options.level ?? DEFAULT_CVAR_LEVEL;
  assertTailLevel(beta);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const { scaled, scale } = scaledReturns(returns);
  const linear = options.linear === undefined || options.linear.rows === 0 ? undefined : options.linear;
  const v = vertex && factory === cvarOracle ? vertexSolve(scaled, beta, lo, hi, linear) : null;
  if (v !== null)
    return { weights: clamp(v.weights, lo, hi), value: v.value * scale, lp: vertexReport(v, scale) };
  const oracle = factory(scaled, beta);
  // |loss_t(w)| ≤ Σ|r_ti||w_i| ≤ Σ max(|lo_i|, |hi_i|) on scaled data: a valid floor for θ.
  let reach = 1;
  for (let i = 0; i < n; i++) reach += Math.max(Math.abs(lo[i] as number), Math.abs(hi[i] as number));
  const columns = n + 1;
  const cost = new Float64Array(columns);
  cost[n] = 1;
  const colLo = new Float64Array(columns);
  const colHi = new Float64Array(columns);
  colLo.set(lo);
  colHi.set(hi);
  colLo[n] = oracle.measure === 'cdar' ? 0 : -reach;
  colHi[n] = Infinity;
  // min_cdar's master: the simplex for many rows and few columns, with perturbed costs, and in-out
  // stabilised cuts (docs/architecture.md, "Tail-risk LPs"); constraint generation for min_cvar keeps the
  // dense dual simplex and its bits.
  const cdar = oracle.measure === 'cdar';
  const lp = cdar
    ? new CutMasterSimplex(cost, colLo, colHi, { perturb: true })
    : new DualSimplex(cost, colLo, colHi);
  const budget = new Float64Array(columns);
  budget.fill(1, 0, n);
  lp.addRow(budget, 1, 1);
  addLinearRows(lp, options.linear, n, columns, null);
  const solved = solveByCuts({ lp, columns, n, theta: n, inOut: cdar ? CDAR_IN_OUT : 0 }, oracle);
  if (solved === null) throw infeasible(options.linear);
  const weights = clamp(solved.x.subarray(0, n), lo, hi);
  return {
    weights,
    value: solved.value * scale,
    lp: { solver: 'cutting-plane dual simplex', ...solved.report, gap: solved.report.gap * scale },
  };
}

/** The `lp` report of a vertex simplex answer on returns scaled by 1/`scale` (the gap per period). */
export function vertexReport(v: VertexSimplexResult, scale: number): TailRiskResult['lp'] {
  return {
    solver: 'vertex simplex',
    cuts: 0,
    pivots: v.iterations,
    gap: v.gap * scale,
    primalResidual: v.primalResidual,
    dualResidual: v.dualResidual,
  };
}

/**
 * min_cvar by the vertex simplex: with linear rows, from a vertex of the weights' polytope that a dual
 * simplex finds first (phase 1: the same LP without an objective). `null` when the vertex simplex cannot
 * take the problem — no vertex found at the phase-1 answer, its pivots exhausted in a degenerate corner,
 * or an answer outside the constraints ({@link holdsConstraints}) — and constraint generation solves it
 * instead. Infeasible rows are `E_INFEASIBLE_CONSTRAINTS`.
 */
export function vertexSolve(
  scaled: Matrix,
  beta: number,
  lo: Float64Array,
  hi: Float64Array,
  linear: TailLinearRows | undefined,
): VertexSimplexResult | null {
  const solver = tailVertexSimplex(scaled, beta, lo, hi, linear);
  if (solver === null) return null;
  let v: VertexSimplexResult;
  try {
    v = solver.solve();
  } catch (error) {
    if (linear !== undefined && isQuantError(error) && error.code === 'E_SOLVER') return null;
    throw error;
  } finally {
    solver.release();
  }
  return holdsConstraints(v) ? v : null;
}

/**
 * The vertex simplex of the tail LP at its first vertex: the greedy one under bounds alone, with linear
 * rows the vertex a phase-1 dual simplex finds (`null` when its answer is not a vertex: constraint
 * generation then). Infeasible rows are `E_INFEASIBLE_CONSTRAINTS`.
 */
export function tailVertexSimplex(
  scaled: Matrix,
  beta: number,
  lo: Float64Array,
  hi: Float64Array,
  linear: TailLinearRows | undefined,
  storage: Pick<VertexSimplexOptions, 'compact' | 'simd'> = {},
): CvarVertexSimplex | null {
  if (linear === undefined) return new CvarVertexSimplex(scaled, beta, lo, hi, storage);
  const n = lo.length;
  const phase1 = new DualSimplex(new Float64Array(n), lo, hi);
  const budget = new Float64Array(n).fill(1);
  phase1.addRow(budget, 1, 1);
  addLinearRows(phase1, linear, n, n, null);
  if (phase1.solve(PHASE1_PIVOTS).status === 'infeasible') throw infeasible(linear);
  const rows = {
    count: linear.rows,
    a: linear.a,
    lower: linear.lower,
    upper: linear.upper,
    start: phase1.solution(),
  };
  try {
    return new CvarVertexSimplex(scaled, beta, lo, hi, { ...storage, rows });
  } catch (error) {
    if (error instanceof NotAVertexError) return null;
    throw error;
  }
}

const PHASE1_PIVOTS = 200000;

/**
 * Add `lower ≤ A·x ≤ upper` over the first n of `columns` LP columns; with a column `homogenise`, the
 * rows become `lower·x[h] ≤ A·x ≤ upper·x[h]` (h = homogenise, the scale column of a ratio problem).
 */
export function addLinearRows(
  lp: Pick<DualSimplex, 'addRow'>,
  linear: TailLinearRows | undefined,
  n: number,
  columns: number,
  homogenise: number | null,
): void {
  if (linear === undefined) return;
  if (linear.n !== n || linear.a.length !== linear.rows * n) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `the linear constraints are on ${linear.n} assets (${linear.a.length} coefficients), the problem has ${n}`,
      { hint: 'give one coefficient per asset and row' },
    );
  }
  for (let k = 0; k < linear.rows; k++) {
    const coef = new Float64Array(columns);
    coef.set(linear.a.subarray(k * n, (k + 1) * n));
    const l = linear.lower[k] as number;
    const u = linear.upper[k] as number;
    if (homogenise === null) {
      lp.addRow(coef, l, u);
      continue;
    }
    for (const [side, bound] of [
      ['lower', l],
      ['upper', u],
    ] as const) {
      if (!Number.isFinite(bound)) continue;
      const row = Float64Array.from(coef);
      row[homogenise] = -bound;
      if (side === 'lower') lp.addRow(row, 0, Infinity);
      else lp.addRow(row, -Infinity, 0);
    }
  }
}

/** The error of a master LP without a feasible point: the bounds passed their own check, so the rows conflict. */
export function infeasible(linear: TailLinearRows | undefined): QuantError {
  const names = linear?.names.join(', ') ?? '';
  return new QuantError(
    'E_INFEASIBLE_CONSTRAINTS',
    `no weights satisfy the budget Σw = 1, the weight bounds and the linear constraints (${names}) together`,
    { hint: 'loosen the constraints or the weight bounds', details: { constraints: linear?.names ?? [] } },
  );
}

/** Weights of the LP clamped to their bounds (the solver may leave them 1e-16 outside). */
export function clamp(w: Float64Array, lo: Float64Array, hi: Float64Array): Float64Array {
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    out[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, w[i] as number));
  }
  return out;
}
