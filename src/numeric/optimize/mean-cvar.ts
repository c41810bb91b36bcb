import type { Matrix } from '../linalg/matrix.js';
import { QuantError, isQuantError } from '../../errors.js';
import { meanReturns } from '../covariance/sample-covariance.js';
import { DEFAULT_CVAR_LEVEL, assertTailLevel, tailCvar } from '../stats/tail-risk.js';
import {
  holdsConstraints,
  type CvarVertexSimplex,
  type VertexSimplexResult,
} from './_cvar-vertex-simplex.js';
import { DualSimplex } from './_dual-simplex.js';
import { cvarOracle, scaledReturns, solveByCuts, type CuttingPlaneReport } from './_tail-cutting-plane.js';
import { resolveBounds } from './feasibility.js';
import {
  addLinearRows,
  clamp,
  infeasible,
  tailVertexSimplex,
  vertexReport,
  type TailLinearRows,
  type TailRiskOptions,
} from './min-cvar.js';

export interface MeanCvarOptions extends TailRiskOptions {
  /** Risk-free return per period (the annual rate / A), subtracted from every mean; default 0. */
  readonly riskFreePerPeriod?: number;
}

export interface MeanCvarResult {
  readonly weights: Float64Array;
  /** CVaR_β of the weights, per period. */
  readonly cvar: number;
  /** Expected excess return of the weights, per period (mean of the scenarios − r_f). */
  readonly excessReturn: number;
  /** excessReturn / cvar: the maximum over the feasible weights. */
  readonly ratio: number;
  /** The LP: `vertex simplex` (Dinkelbach's steps, pivots over all of them) or `cutting-plane dual simplex`. */
  readonly lp: CuttingPlaneReport & { readonly solver: string };
}

/**
 * The maximum expected excess return per unit of CVaR_β (the CVaR analogue of the maximum Sharpe ratio;
 * Riskfolio-Lib `obj='Sharpe', rm='CVaR'`, skfolio `ObjectiveFunction.MAXIMIZE_RATIO` with CVaR):
 *
 *   max (μ − r_f)ᵀw / CVaR_β(w)  s.t.  Σw = 1,  lo ≤ w ≤ hi,  lower ≤ A w ≤ upper,
 *
 * μ the mean of the T scenarios (per period). Solved by Dinkelbach's method (1967) on the vertex
 * simplex of `min_cvar`: with q the CVaR per unit of excess return of the best weights so far, the
 * minimum of CVaR_β(v) − q·(μ − r_f)ᵀv is 0 when no weights do better, else its minimiser v has a smaller
 * q = CVaR_β(v) / (μ − r_f)ᵀv; each such LP starts from the vertex where the previous one ended, and
 * their number is small (superlinear convergence; finite, since each is a vertex of the same polytope).
 * The first q is that of the weights of the largest excess return. Where the vertex simplex cannot take
 * the problem (no vertex at the start of the rows, pivots exhausted) {@link meanCvarByCuts} solves it.
 *
 * @throws QuantError E_NO_POSITIVE_EXCESS_RETURN when no feasible weights have a positive excess
 *   return; E_UNBOUNDED_SHARPE when such weights have no tail loss (CVaR ≤ 0): the ratio is unbounded.
 */
export function meanCvar(returns: Matrix, options: MeanCvarOptions = {}): MeanCvarResult {
  const p = prepare(returns, options);
  try {
    const r = byDinkelbach(returns, p);
    if (r !== null) return r;
  } catch (error) {
    if (!(isQuantError(error) && error.code === 'E_SOLVER')) throw error;
  }
  return byCuts(returns, p);
}

/**
 * {@link meanCvar} by constraint generation on the Charnes–Cooper homogenisation (y = κw, κ > 0; CVaR is
 * positively homogeneous), never the vertex simplex — an independent solve of the same problem, which the
 * tests hold the first to:
 *
 *   min CVaR_β(y)  s.t.  (μ − r_f)ᵀy = 1,  Σy = κ,  κ·lo ≤ y ≤ κ·hi,  κ·lower ≤ A y ≤ κ·upper,  κ ≥ 0,
 *
 * then w = y/κ.
 */
export function meanCvarByCuts(returns: Matrix, options: MeanCvarOptions = {}): MeanCvarResult {
  return byCuts(returns, prepare(returns, options));
}

interface Prepared {
  readonly n: number;
  readonly beta: number;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Mean excess return per period of each asset. */
  readonly mu: Float64Array;
  readonly muScale: number;
  readonly linear: TailLinearRows | undefined;
}

function prepare(returns: Matrix, options: MeanCvarOptions): Prepared {
  const n = returns.cols;
  const beta = options.level ?? DEFAULT_CVAR_LEVEL;
  assertTailLevel(beta);
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const linear = options.linear === undefined || options.linear.rows === 0 ? undefined : options.linear;
  if (options.linear !== undefined) assertFeasible(n, lo, hi, options);
  const rf = options.riskFreePerPeriod ?? 0;
  const mu = meanReturns(returns).map((m) => m - rf);
  let muScale = 0;
  for (let i = 0; i < n; i++) muScale = Math.max(muScale, Math.abs(mu[i] as number));
  if (muScale === 0) throw noPositiveExcess();
  return { n, beta, lo, hi, mu, muScale, linear };
}

/** Dinkelbach steps at most (each a vertex simplex solve from the previous vertex). */
const MAX_STEPS = 100;
/** The minimum of CVaR − q·excess counts as 0 within this much of the terms' size. */
const STEP_TOL = 1e-12;

function byDinkelbach(returns: Matrix, p: Prepared): MeanCvarResult | null {
  const { beta, lo, hi, mu, linear } = p;
  const { scaled, scale } = scaledReturns(returns);
  // The ratio on the scaled scenarios: μ scaled alike, so that q is the same number in both units.
  const muScaled = mu.map((m) => m / scale);
  const first = largestExcess(p);
  const firstExcess = dot(muScaled, first);
  if (!(firstExcess > 1e-12 * (p.muScale / scale))) throw noPositiveExcess();
  const firstCvar = portfolioCvar(scaled, first, beta);
  if (!(firstCvar > 0)) throw unboundedRatio();
  const solver = tailVertexSimplex(scaled, beta, lo, hi, linear);
  if (solver === null) return null;
  try {
    return dinkelbachSteps(solver, p, muScaled, firstCvar / firstExcess, scale);
  } finally {
    solver.release();
  }
}

/** The ratio's steps from q: each the vertex simplex with cost −q·μ, from where the last one ended. */
function dinkelbachSteps(
  solver: CvarVertexSimplex,
  p: Prepared,
  muScaled: Float64Array,
  q0: number,
  scale: number,
): MeanCvarResult | null {
  const { n, lo, hi, mu } = p;
  let q = q0;
  const cost = new Float64Array(n);
  for (let step = 0; step < MAX_STEPS; step++) {
    for (let i = 0; i < n; i++) cost[i] = -q * (muScaled[i] as number);
    const v = solver.solve(cost);
    // An answer outside the constraints: constraint generation instead (see holdsConstraints).
    if (!holdsConstraints(v)) return null;
    const weights = clamp(v.weights, lo, hi);
    const excess = dot(muScaled, weights);
    const least = v.value - q * excess;
    if (least >= -STEP_TOL * (Math.abs(v.value) + Math.abs(q * excess))) {
      // No weights do better than q: v is optimal (its CVaR − q·excess ≤ 0 as the minimum).
      if (!(excess > 0) || !(v.value > 0)) return null;
      return result(weights, v, mu, scale);
    }
    // A negative minimum with no excess return (or no tail loss) makes the homogenised LP unbounded:
    // adding t·v to the weights so far lowers CVaR per unit of excess without end.
    if (!(excess > 0) || !(v.value > 0)) throw unboundedRatio();
    q = v.value / excess;
  }
  return null;
}

function result(
  weights: Float64Array,
  v: VertexSimplexResult,
  mu: Float64Array,
  scale: number,
): MeanCvarResult {
  const excessReturn = dot(mu, weights);
  const cvar = v.value * scale;
  return {
    weights,
    cvar,
    excessReturn,
    ratio: excessReturn / cvar,
    lp: vertexReport(v, scale),
  };
}

/**
 * Weights of the largest excess return: the assets by descending mean filled to their upper bounds
 * (ties by index) under bounds alone; with linear rows a dual simplex on the costs max μ − μ_i ≥ 0 (the
 * budget makes max μ·Σw a constant).
 */
function largestExcess(p: Prepared): Float64Array {
  const { n, lo, hi, mu, linear } = p;
  if (linear === undefined) {
    const w = Float64Array.from(lo);
    let rest = 1;
    for (let i = 0; i < n; i++) rest -= lo[i] as number;
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (mu[b] as number) - (mu[a] as number) || a - b,
    );
    for (const i of order) {
      if (!(rest > 0)) break;
      const add = Math.min((hi[i] as number) - (lo[i] as number), rest);
      w[i] = (w[i] as number) + add;
      rest -= add;
    }
    return w;
  }
  let top = -Infinity;
  for (let i = 0; i < n; i++) top = Math.max(top, mu[i] as number);
  const lp = new DualSimplex(
    Float64Array.from(mu, (m) => top - m),
    lo,
    hi,
  );
  lp.addRow(new Float64Array(n).fill(1), 1, 1);
  addLinearRows(lp, linear, n, n, null);
  if (lp.solve(LARGEST_EXCESS_PIVOTS).status === 'infeasible') throw infeasible(linear);
  return clamp(lp.solution(), lo, hi);
}

const LARGEST_EXCESS_PIVOTS = 200000;

function portfolioCvar(returns: Matrix, w: Float64Array, beta: number): number {
  const { rows: T, cols: n, data } = returns;
  const losses = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (data[t * n + i] as number) * (w[i] as number);
    losses[t] = -s;
  }
  return tailCvar(losses, beta);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function byCuts(returns: Matrix, p: Prepared): MeanCvarResult {
  const { n, beta, lo, hi, mu, muScale } = p;
  const { scaled, scale } = scaledReturns(returns);
  const columns = n + 2;
  const kappa = n;
  const theta = n + 1;
  const cost = new Float64Array(columns);
  cost[theta] = 1;
  const lp = new DualSimplex(cost, new Float64Array(columns), new Float64Array(columns).fill(Infinity));
  const target = new Float64Array(columns);
  for (let i = 0; i < n; i++) target[i] = (mu[i] as number) / muScale;
  lp.addRow(target, 1, 1);
  const budget = new Float64Array(columns);
  budget.fill(1, 0, n);
  budget[kappa] = -1;
  lp.addRow(budget, 0, 0);
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(columns);
    row[i] = 1;
    if ((lo[i] as number) > 0) {
      row[kappa] = -(lo[i] as number);
      lp.addRow(row, 0, Infinity);
    }
    if ((hi[i] as number) < 1) {
      row[kappa] = -(hi[i] as number);
      lp.addRow(row, -Infinity, 0);
    }
  }
  addLinearRows(lp, p.linear, n, columns, kappa);
  const solved = solveByCuts({ lp, columns, n, theta }, cvarOracle(scaled, beta));
  if (solved === null) throw noPositiveExcess();
  const k = solved.x[kappa] as number;
  if (!(solved.value > 1e-12) || !(k > 0)) throw unboundedRatio();
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    weights[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, (solved.x[i] as number) / k));
  }
  let excessReturn = 0;
  for (let i = 0; i < n; i++) excessReturn += (mu[i] as number) * (weights[i] as number);
  const cvar = (solved.value * scale) / k;
  return {
    weights,
    cvar,
    excessReturn,
    ratio: excessReturn / cvar,
    lp: { solver: 'cutting-plane dual simplex', ...solved.report, gap: (solved.report.gap * scale) / k },
  };
}

function unboundedRatio(): QuantError {
  return new QuantError(
    'E_UNBOUNDED_SHARPE',
    'weights with a positive expected excess return have no tail loss (CVaR ≤ 0): the return per unit of CVaR is unbounded',
    { hint: 'use min_cvar, or a longer history with losses in every asset' },
  );
}

function noPositiveExcess(): QuantError {
  return new QuantError(
    'E_NO_POSITIVE_EXCESS_RETURN',
    'no feasible weights have a mean return above the risk-free rate: the return per unit of CVaR has no positive maximum',
    { hint: 'use min_cvar, or lower risk_free_rate' },
  );
}

/** Throw when the budget, the bounds and the linear rows have no common point. */
function assertFeasible(n: number, lo: Float64Array, hi: Float64Array, options: MeanCvarOptions): void {
  const lp = new DualSimplex(new Float64Array(n), lo, hi);
  lp.addRow(new Float64Array(n).fill(1), 1, 1);
  addLinearRows(lp, options.linear, n, n, null);
  if (lp.solve(100000).status === 'infeasible') throw infeasible(options.linear);
}
