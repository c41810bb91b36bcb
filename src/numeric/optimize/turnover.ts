/**
 * Turnover-aware allocation: weights near a reference portfolio p (the previous allocation), measured by
 * the one-way-sum L1 turnover TO(w) = Σ|w_i − p_i|, as a bound TO(w) ≤ τ and as a penalty λ·TO(w).
 * min_variance and max_sharpe solve it exactly (`_turnover-qp.ts`); any other answer is projected onto
 * the turnover ball intersected with the limits (least squares, the penalty soft-thresholding the moves).
 */
import { dividedBy, plusScalar } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { buildConstraintSystem, type ConstraintSystem } from './_constraint-system.js';
import { DualSimplex } from './_dual-simplex.js';
import type { DualQpProblem } from './_dual-active-set-qp.js';
import { solveTurnoverQp, type TurnoverQpResult } from './_turnover-qp.js';
import { checkCovariance } from './_inputs.js';
import { maxSharpeConstrained, minVarianceConstrained } from './constrained-qp.js';
import { resolveBounds, type ResolvedBounds, type WeightBound } from './feasibility.js';
import { validateLinearConstraints, type LinearConstraints } from './linear-constraints.js';

/** The reference weights and how far from them the answer may move. */
export interface TurnoverOptions {
  /** p: n weights of the previous allocation (finite, ≥ 0; their sum need not be 1). */
  readonly reference: ArrayLike<number>;
  /** τ ≥ 0: Σ|w − p| ≤ τ. */
  readonly maxTurnover?: number;
  /**
   * λ ≥ 0 on Σ|w − p|: added to the annualised variance (min_variance), subtracted from the annualised
   * excess return (max_sharpe: the Sharpe ratio net of λ per unit of turnover), or to ½‖w − w₀‖² of a
   * projected answer w₀.
   */
  readonly penalty?: number;
}

/** Bounds, names and the turnover of a turnover-aware solve. */
export interface TurnoverSolveOptions {
  readonly minWeight?: WeightBound;
  readonly maxWeight?: WeightBound;
  readonly labels?: readonly string[];
  readonly turnover: TurnoverOptions;
  /** A point of the feasible set whose sign pattern starts the search (default: the least-turnover point). */
  readonly start?: Float64Array;
}

export interface TurnoverResult {
  readonly weights: Float64Array;
  /** Σ|w − p| of the answer. */
  readonly turnover: number;
  /** The least turnover the limits allow (Σ|w − p| minimised over them). */
  readonly minimum: number;
  /** Whether Σ|w − p| = τ within 1e-9 with a positive multiplier. */
  readonly binding: boolean;
  readonly flips: number;
  readonly iterations: number;
  readonly kkt: { readonly maxViolation: number };
}

/** Σ|w_i − p_i|. */
export function turnoverOf(w: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.abs((w[i] as number) - (p[i] as number));
  return s;
}

/** Throw E_INPUT_VALUE unless the reference, τ and λ are usable for n assets. */
function checkTurnoverOptions(t: TurnoverOptions, n: number): void {
  const bad = (message: string, hint: string): QuantError =>
    new QuantError('E_INPUT_VALUE', `invalid turnover: ${message}`, { hint });
  if (t.reference.length !== n)
    throw bad(`the reference has ${t.reference.length} weights for ${n} assets`, 'give one weight per asset');
  for (let i = 0; i < n; i++) {
    const v = t.reference[i] as number;
    if (!Number.isFinite(v) || v < 0)
      throw bad(`reference weight ${i} is ${v}`, 'use finite weights ≥ 0 (long-only)');
  }
  if (t.maxTurnover !== undefined && !(t.maxTurnover >= 0 && Number.isFinite(t.maxTurnover)))
    throw bad(`max_turnover is ${t.maxTurnover}`, 'use a finite max_turnover ≥ 0 (2 = no limit)');
  if (t.penalty !== undefined && !(t.penalty >= 0 && Number.isFinite(t.penalty)))
    throw bad(`penalty is ${t.penalty}`, 'use a finite penalty ≥ 0');
}

/**
 * The least turnover from p that the budget, the box and the rows allow, and a point reaching it: the LP
 * min 1ᵀ(u + v) over u, v ≥ 0 with w = p + u − v feasible (dense bounded dual simplex).
 */
export function minimumTurnover(
  reference: ArrayLike<number>,
  c: LinearConstraints,
  box: ResolvedBounds,
): { turnover: number; weights: Float64Array } {
  const n = c.n;
  const p = Float64Array.from(reference);
  const lp = new DualSimplex(
    new Float64Array(2 * n).fill(1),
    new Float64Array(2 * n),
    new Float64Array(2 * n).fill(Infinity),
  );
  const lifted = (a: ArrayLike<number>): Float64Array => {
    const row = new Float64Array(2 * n);
    for (let j = 0; j < n; j++) {
      row[j] = a[j] as number;
      row[n + j] = -(a[j] as number);
    }
    return row;
  };
  const shift = (a: ArrayLike<number>): number => {
    let s = 0;
    for (let j = 0; j < n; j++) s += (a[j] as number) * (p[j] as number);
    return s;
  };
  const ones = new Float64Array(n).fill(1);
  lp.addRow(lifted(ones), 1 - shift(ones), 1 - shift(ones));
  const unit = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    unit.fill(0);
    unit[i] = 1;
    lp.addRow(
      lifted(unit),
      (box.lo[i] as number) - (p[i] as number),
      (box.hi[i] as number) - (p[i] as number),
    );
  }
  for (let k = 0; k < c.rows; k++) {
    const a = c.a.subarray(k * n, (k + 1) * n);
    lp.addRow(lifted(a), (c.lower[k] as number) - shift(a), (c.upper[k] as number) - shift(a));
  }
  const report = lp.solve(100_000);
  if (report.status !== 'optimal') {
    throw new QuantError(
      'E_INFEASIBLE_CONSTRAINTS',
      'infeasible constraints: no weights satisfy the limits',
      {
        hint: 'loosen the limits',
      },
    );
  }
  const x = lp.solution();
  const w = p.map((v, i) => v + (x[i] as number) - (x[n + i] as number));
  return { turnover: report.objective, weights: w };
}

/**
 * The least turnover the limits allow; E_INFEASIBLE_CONSTRAINTS when it exceeds τ (the arithmetic: the
 * least turnover, τ, the limits the reference weights break — what forces turnover at all — and the moves
 * the least-turnover weights make).
 */
function assertTurnoverFeasible(
  t: TurnoverOptions,
  c: LinearConstraints,
  box: ResolvedBounds,
  system: ConstraintSystem,
  labels?: readonly string[],
): { turnover: number; weights: Float64Array } {
  const least = minimumTurnover(t.reference, c, box);
  const tau = t.maxTurnover;
  if (tau === undefined || least.turnover <= tau + 1e-9) return least;
  const moves: string[] = [];
  for (let i = 0; i < c.n; i++) {
    const d = (least.weights[i] as number) - (t.reference[i] as number);
    if (Math.abs(d) > 1e-12) moves.push(`${labels?.[i] ?? `asset ${i}`} ${d > 0 ? '+' : ''}${fmt(d)}`);
  }
  const broken = limitsBrokenBy(system, t.reference);
  const breaks = broken
    .map((b) => `"${b.name}" ${b.side === 'eq' ? '=' : b.side} ${fmt(b.bound)} (reference ${fmt(b.value)})`)
    .join(', ');
  throw new QuantError(
    'E_INFEASIBLE_CONSTRAINTS',
    `infeasible constraints: max_turnover ${fmt(tau)} < ${fmt(least.turnover)}, the least turnover from the reference weights that the limits allow: the reference breaks ${breaks} (least moves: ${moves.join(', ')})`,
    {
      hint: `raise max_turnover to at least ${fmt(least.turnover)}, or loosen the limits the reference breaks`,
      details: {
        // `constraints[k]` with `sides[k]`: max_turnover, then each limit the reference weights break.
        constraints: ['max_turnover', ...broken.map((b) => b.name)],
        sides: ['max', ...broken.map((b) => b.side)],
        max_turnover: tau,
        minimum_turnover: least.turnover,
        reference_breaks: Object.fromEntries(broken.map((b) => [b.name, b.value])),
        forced_moves: Object.fromEntries(
          Array.from(least.weights, (w, i) => [labels?.[i] ?? `asset ${i}`, w - (t.reference[i] as number)]),
        ),
      },
    },
  );
}

/**
 * The limits of `system` that the weights `w` break by more than 1e-9 (relative to the bound's size),
 * each with its side and bound and the weights' value, as the caller wrote the row (rescaled rows read
 * back). Reference weights that break none need no turnover, so when the least turnover is above the
 * bound these are what forces it.
 */
function limitsBrokenBy(
  system: ConstraintSystem,
  w: ArrayLike<number>,
): { name: string; side: 'min' | 'max' | 'eq'; bound: number; value: number }[] {
  const n = system.n;
  const out: { name: string; side: 'min' | 'max' | 'eq'; bound: number; value: number }[] = [];
  system.rows.forEach((row, i) => {
    let dot = 0;
    for (let j = 0; j < n; j++) dot += (system.normals[i * n + j] as number) * (w[j] as number);
    const b = system.rhs[i] as number;
    const tol = 1e-9 * Math.max(1, Math.abs(b));
    const broken = row.side === 'eq' ? Math.abs(dot - b) > tol : dot < b - tol;
    if (!broken) return;
    const s = row.scale ?? 1;
    const sign = row.side === 'max' ? -1 : 1;
    out.push({ name: row.name, side: row.side, bound: row.bound * s, value: sign * dot * s });
  });
  return out;
}

interface Prepared {
  readonly n: number;
  readonly box: ResolvedBounds;
  readonly system: ConstraintSystem;
  readonly least: { turnover: number; weights: Float64Array };
  readonly start: Int8Array;
  readonly forced: Int8Array;
  readonly p: Float64Array;
}

function prepare(c: LinearConstraints, options: TurnoverSolveOptions): Prepared {
  const n = c.n;
  validateLinearConstraints(c, n);
  checkTurnoverOptions(options.turnover, n);
  const box = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const system = buildConstraintSystem(box.lo, box.hi, c, options.labels);
  const least = assertTurnoverFeasible(options.turnover, c, box, system, options.labels);
  const p = Float64Array.from(options.turnover.reference);
  const tau = options.turnover.maxTurnover;
  const hint = options.start;
  const from = hint !== undefined && (tau === undefined || turnoverOf(hint, p) <= tau) ? hint : least.weights;
  const forced = new Int8Array(n);
  const start = new Int8Array(n);
  // Coordinates at the reference take the sign of the hint, else alternate: an orthant where every
  // coordinate may only grow (or only shrink) holds at most one point of the budget.
  let alternate = 1;
  for (let i = 0; i < n; i++) {
    const pi = p[i] as number;
    if (pi <= (box.lo[i] as number)) forced[i] = 1;
    else if (pi >= (box.hi[i] as number)) forced[i] = -1;
    const d = (from[i] as number) - pi;
    const tie = (hint?.[i] ?? pi) - pi;
    const sign = d !== 0 ? d : tie !== 0 ? tie : (alternate = -alternate);
    start[i] = forced[i] !== 0 ? (forced[i] as number) : sign > 0 ? 1 : -1;
  }
  mixSigns(start, forced, from, p, hint);
  return { n, box, system, least, start, forced, p };
}

/**
 * When every coordinate has the same sign, flip the free coordinate at the reference whose hint moves
 * least: with Σp = 1 that orthant holds p alone, which rounding can make empty.
 */
function mixSigns(
  start: Int8Array,
  forced: Int8Array,
  from: ArrayLike<number>,
  p: Float64Array,
  hint: ArrayLike<number> | undefined,
): void {
  if (start.every((v) => v === 1) || start.every((v) => v === -1)) {
    let pick = -1;
    let least = Infinity;
    for (let i = 0; i < start.length; i++) {
      const move = Math.abs((hint?.[i] ?? (p[i] as number)) - (p[i] as number));
      if (forced[i] === 0 && from[i] === p[i] && move < least) {
        least = move;
        pick = i;
      }
    }
    if (pick >= 0) start[pick] = -(start[pick] as number);
  }
}

function finish(
  prepared: Prepared,
  r: TurnoverQpResult,
  weights: Float64Array,
  tau: number | undefined,
): TurnoverResult {
  const turnover = turnoverOf(weights, prepared.p);
  return {
    weights,
    turnover,
    minimum: prepared.least.turnover,
    binding: tau !== undefined && Math.abs(turnover - tau) <= 1e-9 && r.boundMultiplier > 0,
    flips: r.flips,
    iterations: r.iterations,
    kkt: { maxViolation: r.kktViolation },
  };
}

function turnoverQp(
  prepared: Prepared,
  base: DualQpProblem,
  t: TurnoverOptions,
  penalty: number,
): TurnoverQpResult {
  return solveTurnoverQp({
    base,
    reference: prepared.p,
    homogeneous: false,
    penalty,
    ...(t.maxTurnover === undefined ? {} : { maxTurnover: t.maxTurnover }),
    start: prepared.start,
    forced: prepared.forced,
  });
}

/**
 * Exact minimum variance near a reference:
 *
 *   min wᵀΣw + λ·Σ|w − p|   s.t.   Σw = 1,  lo ≤ w ≤ hi,  lower ≤ A·w ≤ upper,  Σ|w − p| ≤ τ.
 *
 * Σ is scaled to a unit largest variance with (1ᵀw)² added, as in `minVarianceConstrained`.
 *
 * @throws QuantError E_INFEASIBLE_CONSTRAINTS (τ below the least turnover the limits allow, with the
 *   arithmetic), E_INFEASIBLE_BOUNDS, E_SINGULAR_COVARIANCE, E_SOLVER, E_INPUT_VALUE.
 */
export function minVarianceTurnover(
  cov: Matrix,
  constraints: LinearConstraints,
  options: TurnoverSolveOptions,
): TurnoverResult {
  const n = checkCovariance(cov);
  const bounds = { minWeight: options.minWeight ?? 0, maxWeight: options.maxWeight ?? 1 };
  const start = options.start ?? minVarianceConstrained(cov, constraints, bounds).weights;
  const prepared = prepare(constraints, { ...options, start });
  const s = maxVariance(cov, n);
  const g = plusScalar(dividedBy(cov.data, s), 1);
  const base = { n, g, c: new Float64Array(n), ...rowsOf(prepared.system) };
  const t = options.turnover;
  const r = turnoverQp(prepared, base, t, (t.penalty ?? 0) / (2 * s));
  return finish(prepared, r, r.x, t.maxTurnover);
}

/**
 * Exact maximum Sharpe ratio near a reference, net of λ per unit of turnover:
 *
 *   max (mᵀw − λ·Σ|w − p|) / √(wᵀΣw)   s.t.   the limits,   Σ|w − p| ≤ τ,
 *
 * homogenised as in `maxSharpeConstrained` (y = κw, κ = 1ᵀy): every row, the bound τ·1ᵀy − Σ|y − p·1ᵀy| ≥ 0
 * included, is a cone constraint, and the normalisation mᵀy − λ·Σ|y − p·1ᵀy| = 1 is linear in each orthant.
 *
 * @throws as {@link minVarianceTurnover}, and E_NO_POSITIVE_EXCESS_RETURN when no weights of the orthant
 *   searched beat r_f net of the penalty.
 */
export function maxSharpeTurnover(
  cov: Matrix,
  mu: Float64Array,
  constraints: LinearConstraints,
  options: TurnoverSolveOptions & { readonly riskFreeRate?: number },
): TurnoverResult {
  const n = checkCovariance(cov);
  const start = options.start ?? tangency(cov, mu, constraints, options);
  const prepared = prepare(constraints, start === undefined ? options : { ...options, start });
  const { system } = prepared;
  const rf = options.riskFreeRate ?? 0;
  const m = mu.map((x) => x - rf);
  const s = maxVariance(cov, n);
  const rows = system.rhs.length;
  const normals = new Float64Array(rows * n);
  const rhs = new Float64Array(rows);
  normals.set(m, 0);
  rhs[0] = 1;
  for (let i = 1; i < rows; i++) {
    const b = system.rhs[i] as number;
    for (let k = 0; k < n; k++) normals[i * n + k] = (system.normals[i * n + k] as number) - b;
  }
  let mMax = 0;
  for (const v of m) mMax = Math.max(mMax, Math.abs(v));
  const beta = mMax > 0 ? 1 / (mMax * mMax) : 0;
  const t = options.turnover;
  let r: TurnoverQpResult;
  try {
    r = solveTurnoverQp({
      base: { n, g: dividedBy(cov.data, s), c: new Float64Array(n), normals, rhs, meq: system.meq },
      reference: prepared.p,
      homogeneous: true,
      penalty: 0,
      ...(t.maxTurnover === undefined ? {} : { maxTurnover: t.maxTurnover }),
      rowPenalty: { rho: t.penalty ?? 0, beta },
      start: prepared.start,
      forced: prepared.forced,
    });
  } catch (error) {
    if (error instanceof QuantError && error.code === 'E_SOLVER') throw noNetExcess(rf, t.penalty ?? 0);
    throw error;
  }
  let kappa = 0;
  for (const v of r.x) kappa += v;
  if (!(kappa > 0)) throw noNetExcess(rf, t.penalty ?? 0);
  return finish(
    prepared,
    r,
    r.x.map((v) => v / kappa),
    t.maxTurnover,
  );
}

/**
 * The weights nearest to `target` within the limits and the turnover ball, the penalty pulling towards p:
 *
 *   min ½‖w − target‖² + λ·Σ|w − p|   s.t.   the limits,   Σ|w − p| ≤ τ.
 */
export function projectOntoTurnover(
  target: Float64Array,
  constraints: LinearConstraints,
  options: TurnoverSolveOptions,
): TurnoverResult {
  const n = constraints.n;
  const prepared = prepare(constraints, { ...options, start: options.start ?? target });
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) g[i * n + i] = 1;
  const base = { n, g, c: target.map((v) => -v), ...rowsOf(prepared.system) };
  const t = options.turnover;
  const r = turnoverQp(prepared, base, t, t.penalty ?? 0);
  return finish(prepared, r, r.x, t.maxTurnover);
}

/** The tangency portfolio without turnover, to start from (the least-turnover point when it has none). */
function tangency(
  cov: Matrix,
  mu: Float64Array,
  constraints: LinearConstraints,
  options: TurnoverSolveOptions & { readonly riskFreeRate?: number },
): Float64Array | undefined {
  try {
    return maxSharpeConstrained(cov, mu, constraints, {
      minWeight: options.minWeight ?? 0,
      maxWeight: options.maxWeight ?? 1,
      riskFreeRate: options.riskFreeRate ?? 0,
    }).weights;
  } catch (error) {
    if (error instanceof QuantError && error.code !== 'E_INFEASIBLE_CONSTRAINTS') return undefined;
    throw error;
  }
}

function rowsOf(system: ConstraintSystem): Pick<DualQpProblem, 'normals' | 'rhs' | 'meq'> {
  return { normals: system.normals, rhs: system.rhs, meq: system.meq };
}

function maxVariance(cov: Matrix, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = Math.max(s, cov.data[i * n + i] as number);
  return s > 0 ? s : 1;
}

function noNetExcess(rf: number, penalty: number): QuantError {
  return new QuantError(
    'E_NO_POSITIVE_EXCESS_RETURN',
    `no portfolio within the limits and the turnover bound has an expected return above the risk-free rate r_f = ${rf}${penalty > 0 ? ` net of the turnover penalty ${penalty}` : ''}`,
    {
      hint: 'raise max_turnover, lower the penalty or risk_free_rate, or use another method',
      details: { risk_free_rate: rf, penalty },
    },
  );
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}
