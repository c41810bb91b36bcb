import { dividedBy } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import {
  alternativeMinimiser,
  multiplyNonZero,
  solveBoxQp,
  type BoxQpProblem,
  type BoxQpSolution,
  type BoxQpStart,
} from './_box-qp.js';
import { frontierSegment, type FrontierSegment } from './_frontier-segment.js';
import { RISKLESS_VARIANCE, activeSets, checkCovariance, risklessAssets } from './_inputs.js';
import { gradientScale, kktViolation } from './_kkt.js';
import { expandSolution, reduceProblem, type ReducedProblem } from './_reduce.js';
import { resolveBounds, type WeightBound } from './feasibility.js';

export interface MaxSharpeOptions {
  /** Risk-free rate in the units of μ (default 0). */
  readonly riskFreeRate?: number;
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
}

export interface MaxSharpeResult {
  /** n weights, lo ≤ w ≤ hi, Σw = 1. */
  readonly weights: Float64Array;
  /** (μ − r_f)ᵀw / √(wᵀΣw), in the units of μ and Σ. */
  readonly sharpe: number;
  /** (μ − r_f)ᵀw. */
  readonly excessReturn: number;
  /** √(wᵀΣw). */
  readonly volatility: number;
  /** Risk-aversion parameter t* of the frontier point: w solves min ½wᵀΣw − t*(μ − r_f)ᵀw. */
  readonly t: number;
  /** Frontier segments visited. */
  readonly iterations: number;
  readonly activeLower: number[];
  readonly activeUpper: number[];
  /** Largest KKT violation of the QP at t* (primal in weight units, dual relative). */
  readonly kkt: { readonly maxViolation: number };
}

/**
 * Exact tangency portfolio: max (μ − r_f)ᵀw / √(wᵀΣw) s.t. Σw = 1, lo ≤ w ≤ hi.
 *
 * With m = μ − r_f, w* maximises the Sharpe ratio iff it solves the frontier QP
 * min ½wᵀΣw − t·mᵀw (same constraints) at t = w*ᵀΣw* / mᵀw* (the KKT conditions coincide; the ratio is
 * pseudo-concave where mᵀw > 0). Along the frontier the solution is piecewise affine in t (Markowitz's
 * critical lines), and so is h(t) = wᵀΣw − t·mᵀw, whose sign is that of dSharpe/dt. The root of h is
 * found by Newton steps on the exact affine pieces, safeguarded by bisection; each evaluation is an exact
 * active-set QP solve (warm-started), and the root lies in a segment where it is computed in closed
 * form, so the result is the exact optimum up to rounding (not a penalty, barrier or grid search).
 *
 * Singular Σ (positive semidefinite): a riskless asset (zero variance) whose expected return is above
 * r_f makes the ratio unbounded when the bounds let the portfolio hold riskless assets only
 * (E_UNBOUNDED_SHARPE naming them); otherwise the problem is solved exactly. When several portfolios
 * share the maximum ratio — a riskless asset earning exactly r_f can be mixed in any proportion with the
 * tangency portfolio (the capital market line) — the one furthest along the frontier is chosen: the
 * largest t with h(t) = 0, i.e. the least weight in the riskless asset, which is the textbook tangency
 * portfolio of the risky assets when the bounds allow. Identical assets (equal rows of Σ and equal μ)
 * are optimized as one and split by the minimum-norm rule (equal when the bounds allow). Any other tie
 * is an error naming the assets whose weights could move.
 *
 * @param cov n x n covariance (symmetric positive semidefinite); `mu` n expected returns in the same
 *   units (e.g. both annualised).
 * @throws QuantError E_NO_POSITIVE_EXCESS_RETURN when no asset (or no feasible portfolio) has μ > r_f;
 *   E_UNBOUNDED_SHARPE (a zero-variance portfolio with positive excess return is feasible);
 *   E_TOO_FEW_ASSETS, E_INFEASIBLE_BOUNDS, E_SINGULAR_COVARIANCE (Σ not positive semidefinite, or the
 *   maximiser not unique: `details.assets`), E_SOLVER.
 */
export function maxSharpe(cov: Matrix, mu: Float64Array, options: MaxSharpeOptions = {}): MaxSharpeResult {
  const n = checkCovariance(cov);
  if (mu.length !== n) {
    throw new QuantError('E_INPUT_VALUE', `μ has ${mu.length} values for ${n} assets`, {
      hint: 'pass one expected return per asset of the covariance',
      details: { values: mu.length, assets: n },
    });
  }
  const rf = options.riskFreeRate ?? 0;
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const mFull = excessReturns(mu, rf, lo, hi);
  const riskless = risklessAssets(cov);
  if (riskless.length > 0) assertBoundedWithRiskless(riskless, mFull, mu, rf, lo, hi);
  return tangencySearch(normalised(cov, mFull, riskless, lo, hi));
}

/** m = μ − r_f, after checking that some feasible portfolio has a positive expected excess return. */
function excessReturns(mu: Float64Array, rf: number, lo: Float64Array, hi: Float64Array): Float64Array {
  const n = mu.length;
  const mFull = new Float64Array(n);
  let best = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(mu[i])) {
      throw new QuantError('E_INPUT_VALUE', `expected return of asset ${i} is ${mu[i]}`, {
        hint: 'pass finite expected returns',
      });
    }
    mFull[i] = (mu[i] as number) - rf;
    if ((mu[i] as number) > (mu[best] as number)) best = i;
  }
  if (!((mu[best] as number) > rf)) {
    throw new QuantError(
      'E_NO_POSITIVE_EXCESS_RETURN',
      `no asset has an expected return above the risk-free rate r_f = ${rf} (largest μ = ${mu[best]}, asset ${best}); the tangency portfolio is undefined`,
      {
        hint: 'lower risk_free_rate, use another method (min_variance, risk_parity, hrp), or check the units of μ and r_f',
        details: { risk_free_rate: rf, max_mu: mu[best], asset_index: best },
      },
    );
  }
  const attainable = maxAttainableExcess(mFull, lo, hi);
  if (!(attainable > 0)) {
    throw new QuantError(
      'E_NO_POSITIVE_EXCESS_RETURN',
      `with these weight bounds the best attainable expected excess return over r_f = ${rf} is ${attainable} ≤ 0; the tangency portfolio is undefined`,
      {
        hint: 'lower min_weight so that the assets with μ > r_f can take more weight, or lower risk_free_rate',
        details: { risk_free_rate: rf, attainable },
      },
    );
  }
  return mFull;
}

/**
 * The problem scaled so that max|m| = 1 and max Σ_ii = 1 (the weights do not depend on the scales of m
 * and Σ; normalising both keeps t near 1 for any units), riskless rows and columns exactly 0, and
 * identical assets merged.
 */
function normalised(
  cov: Matrix,
  mFull: Float64Array,
  riskless: readonly number[],
  lo: Float64Array,
  hi: Float64Array,
): FullProblem {
  const n = mFull.length;
  let mScale = 0;
  let sScale = 0;
  for (let i = 0; i < n; i++) {
    mScale = Math.max(mScale, Math.abs(mFull[i] as number));
    sScale = Math.max(sScale, cov.data[i * n + i] as number);
  }
  if (!(sScale > 0)) sScale = 1;
  for (let i = 0; i < n; i++) mFull[i] = (mFull[i] as number) / mScale;
  const sigmaFull = dividedBy(cov.data, sScale);
  for (const i of riskless) {
    for (let j = 0; j < n; j++) {
      sigmaFull[i * n + j] = 0;
      sigmaFull[j * n + i] = 0;
    }
  }
  const reduced = reduceProblem(sigmaFull, n, lo, hi, mFull, []);
  return { n, sigma: sigmaFull, m: mFull, lo, hi, mScale, sScale, reduced };
}

/**
 * The root of h(t) = wᵀΣw − t·mᵀw along the frontier of the reduced problem: Newton steps on the exact
 * affine pieces, safeguarded by the bracket [tLow, tHigh] and bisection.
 */
function tangencySearch(full: FullProblem): MaxSharpeResult {
  const { reduced } = full;
  const m = reduced.q ?? full.m;
  const problem = { n: reduced.n, sigma: reduced.sigma, lo: reduced.lo, hi: reduced.hi };
  let t = 0;
  let sol: BoxQpSolution = solveBoxQp(problem);
  const bracket = { low: 0, high: Infinity };
  const maxSegments = 200 + 4 * full.n;
  for (let iter = 1; iter <= maxSegments; iter++) {
    const seg = frontierSegment(problem.sigma, problem.n, m, problem.lo, problem.hi, sol.state, sol.w);
    if (seg === undefined) {
      throw new QuantError(
        'E_SINGULAR_COVARIANCE',
        'the covariance matrix is singular on the assets of the tangency portfolio',
        {
          hint: 'remove duplicate or collinear assets, or use the ledoit_wolf covariance',
        },
      );
    }
    // On a flat piece (h = 0 throughout) every t is optimal: go on to its end (the tie rule above).
    const flat = isFlat(seg, problem, m);
    const atEnd = !flat && rootAtEnd(seg, problem, m, t);
    const root = flat || atEnd ? NaN : -seg.h0 / seg.h1;
    if (!flat && !atEnd && rootInPiece(seg, t, root)) {
      const q = m.map((x) => x * root);
      sol = solveWarm(
        { ...problem, q },
        { w: clampAffine(seg.a, seg.b, root, problem.lo, problem.hi), state: sol.state },
      );
      return result(sol, { ...problem, q }, full, root, iter);
    }
    const next = nextT(seg, flat || atEnd, root, t, bracket, sol, m);
    if (!Number.isFinite(next)) break;
    // A bracket collapsed to rounding pins the root: w(t) is continuous, so the QP there is the answer.
    const collapsed = bracket.high <= bracket.low * (1 + 1e-13);
    t = collapsed ? bracket.low : next;
    const q = m.map((x) => x * t);
    sol = solveWarm({ ...problem, q }, sol);
    if (collapsed || isRootAt(sol, problem, m, t)) return result(sol, { ...problem, q }, full, t, iter);
  }
  throw new QuantError(
    'E_SOLVER',
    `the tangency search did not converge within ${maxSegments} frontier segments`,
    {
      hint: 'the covariance may be nearly singular; try the ledoit_wolf covariance',
    },
  );
}

/** The slack within which a root counts as on the piece [tMin, tMax]. */
function rootSlack(t: number, root: number): number {
  return 1e-9 * Math.max(Math.abs(t), Math.abs(root), 1e-300);
}

/** A root at the end of the piece may open a flat piece: look beyond it before accepting it. */
function rootAtEnd(seg: FrontierSegment, problem: SearchProblem, m: Float64Array, t: number): boolean {
  const { h0, h1, tMax } = seg;
  const root = h1 < 0 ? -h0 / h1 : NaN;
  const slack = rootSlack(t, root);
  return (
    Number.isFinite(tMax) &&
    root <= tMax + slack &&
    (root >= tMax - slack || hVanishes(seg, problem, m, tMax))
  );
}

/** Whether h falls to its root −h0/h1 (`root`) on the piece [max(tMin, 0), tMax], within the slack. */
function rootInPiece(seg: FrontierSegment, t: number, root: number): boolean {
  const inside = seg.h1 < 0 ? root : NaN;
  const slack = rootSlack(t, inside);
  return inside >= Math.max(seg.tMin, 0) - slack && inside <= seg.tMax + slack;
}

/**
 * Narrow the bracket with the sign of h on this piece (h is continuous and changes sign once, from + to
 * −, along the frontier) and return the next t: the piece's root when inside the bracket, else bisection
 * (or doubling while unbounded above).
 */
function nextT(
  seg: FrontierSegment,
  beyond: boolean,
  root: number,
  t: number,
  bracket: { low: number; high: number },
  sol: BoxQpSolution,
  m: Float64Array,
): number {
  const { h0, h1, tMin, tMax } = seg;
  const ht = h0 + h1 * t;
  if (beyond || ht > 0 || (ht === 0 && h1 > 0)) bracket.low = Math.max(bracket.low, tMax);
  else bracket.high = Math.min(bracket.high, Math.max(tMin, 0));
  const bisect = (): number =>
    bracket.high < Infinity ? 0.5 * (bracket.low + bracket.high) : 2 * bracket.low;
  let next = root > bracket.low && root < bracket.high ? root : bisect();
  if (next === t && t > 0) {
    // No progress: the solver keeps a working set whose piece ends before t (its multipliers are 0
    // to its resolution). Judge t by h itself and bisect.
    const { v, p } = valueAndExcess(sol, m);
    if (v - t * p >= -1e-12 * (v + t * Math.abs(p))) bracket.low = Math.max(bracket.low, t);
    else bracket.high = Math.min(bracket.high, t);
    next = bisect();
  }
  if (!(next > 0)) next = Math.max(bracket.low, 1) * 2;
  return next;
}

/** wᵀΣw and mᵀw of a QP solution. */
function valueAndExcess(sol: BoxQpSolution, m: Float64Array): { v: number; p: number } {
  let v = 0;
  let p = 0;
  for (let i = 0; i < sol.w.length; i++) {
    v += (sol.w[i] as number) * (sol.sigmaW[i] as number);
    p += (sol.w[i] as number) * (m[i] as number);
  }
  return { v, p };
}

/**
 * A degenerate working set may hide the root from the segment test; the fixed point t = wᵀΣw / mᵀw
 * itself is the optimality condition (unless h stays 0 beyond t).
 */
function isRootAt(sol: BoxQpSolution, problem: SearchProblem, m: Float64Array, t: number): boolean {
  const { v, p } = valueAndExcess(sol, m);
  if (!(Math.abs(v - t * p) <= 1e-13 * v)) return false;
  // Flat beyond t: go on. A working set whose piece ends before t is degenerate to the solver's
  // resolution (multipliers within 1e-12 of 0): the point is a root as far as it can be told.
  const here = frontierSegment(problem.sigma, problem.n, m, problem.lo, problem.hi, sol.state, sol.w);
  return here === undefined || !isFlat(here, problem, m) || here.tMax < t * (1 - 1e-9);
}

/**
 * The QP from a previous working set; should that cycle to the iteration cap (boxes a rounding error
 * wide), from the vertex start instead.
 */
function solveWarm(problem: BoxQpProblem, start: BoxQpStart): BoxQpSolution {
  try {
    return solveBoxQp(problem, start);
  } catch (error) {
    if (!(error instanceof QuantError) || error.code !== 'E_SOLVER') throw error;
  }
  return solveBoxQp(problem);
}

/**
 * With riskless assets: E_UNBOUNDED_SHARPE when the bounds allow a portfolio of riskless assets only
 * (the other assets' lower bounds summing to 0, at most 1e-12; the riskless ones' upper bounds to at
 * least 1) whose best expected excess return (a greedy LP) is positive — its variance is 0, so its ratio
 * is infinite.
 */
function assertBoundedWithRiskless(
  riskless: readonly number[],
  m: Float64Array,
  mu: Float64Array,
  rf: number,
  lo: Float64Array,
  hi: Float64Array,
): void {
  const isRiskless = new Set(riskless);
  let capacity = 0;
  let forced = 0;
  for (let i = 0; i < m.length; i++) {
    if (isRiskless.has(i)) capacity += hi[i] as number;
    else forced += lo[i] as number;
  }
  // Risky floors of 1e-12 in all add a variance of 1e-24 of the largest at most: riskless too.
  if (forced > 1e-12 || capacity < 1 - 1e-12) return;
  let rest = 1;
  let value = 0;
  for (const i of riskless) {
    rest -= lo[i] as number;
    value += (m[i] as number) * (lo[i] as number);
  }
  const order = [...riskless].sort((x, y) => (m[y] as number) - (m[x] as number) || x - y);
  const held: number[] = [];
  for (const i of order) {
    const take = Math.min(Math.max(rest, 0), (hi[i] as number) - (lo[i] as number));
    value += (m[i] as number) * take;
    rest -= take;
    if ((m[i] as number) > 0 && (take > 0 || (lo[i] as number) > 0)) held.push(i);
  }
  if (!(value > 0)) return;
  throw unbounded(
    held.sort((x, y) => x - y),
    `${held.map((i) => `asset ${i} (μ = ${mu[i]})`).join(', ')} ${held.length === 1 ? 'has' : 'have'} zero variance and an expected return above the risk-free rate r_f = ${rf}, and the bounds let the portfolio hold riskless assets only`,
  );
}

function unbounded(assets: readonly number[], why: string): QuantError {
  return new QuantError('E_UNBOUNDED_SHARPE', `the Sharpe ratio is unbounded: ${why}`, {
    hint: "set risk_free_rate to the riskless asset's return (it is the risk-free asset), cap it with max_weight below 1, or use min_variance",
    details: { assets, ...(assets.length > 0 ? { asset_index: assets[0] } : {}) },
  });
}

/**
 * Whether h(t) = wᵀΣw − t·mᵀw is 0 (to rounding, relative to its two terms) at both ends of a finite
 * segment, hence on all of it, evaluated directly from w(t).
 */
function isFlat(seg: FrontierSegment, problem: SearchProblem, m: Float64Array): boolean {
  if (!Number.isFinite(seg.tMax)) return false;
  return hVanishes(seg, problem, m, Math.max(seg.tMin, 0)) && hVanishes(seg, problem, m, seg.tMax);
}

interface SearchProblem {
  readonly n: number;
  readonly sigma: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** h(t) = 0 to rounding at w(t) = a + t·b, relative to its two terms wᵀΣw and t·|mᵀw|. */
function hVanishes(seg: FrontierSegment, problem: SearchProblem, m: Float64Array, t: number): boolean {
  const w = clampAffine(seg.a, seg.b, t, problem.lo, problem.hi);
  const { n, sigma } = problem;
  let v = 0;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i] as number;
    if (wi === 0) continue;
    let s = 0;
    for (let j = 0; j < n; j++) s += (sigma[i * n + j] as number) * (w[j] as number);
    v += wi * s;
    p += wi * (m[i] as number);
  }
  return Math.abs(v - t * p) <= 1e-12 * (v + t * Math.abs(p));
}

/** Greedy LP: the largest mᵀw over the box-simplex (everything at lo, the rest to the best assets). */
function maxAttainableExcess(m: Float64Array, lo: Float64Array, hi: Float64Array): number {
  const n = m.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (m[y] as number) - (m[x] as number) || x - y,
  );
  let rest = 1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    rest -= lo[i] as number;
    value += (m[i] as number) * (lo[i] as number);
  }
  for (const i of order) {
    const take = Math.min(Math.max(rest, 0), (hi[i] as number) - (lo[i] as number));
    value += (m[i] as number) * take;
    rest -= take;
  }
  return value;
}

function clampAffine(
  a: Float64Array,
  b: Float64Array,
  t: number,
  lo: Float64Array,
  hi: Float64Array,
): Float64Array {
  return a.map((x, i) => Math.min(hi[i] as number, Math.max(lo[i] as number, x + t * (b[i] as number))));
}

interface FullProblem {
  readonly n: number;
  /** Normalised Σ (riskless rows and columns 0) and m. */
  readonly sigma: Float64Array;
  readonly m: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly mScale: number;
  readonly sScale: number;
  readonly reduced: ReducedProblem;
}

function result(
  sol: BoxQpSolution,
  problem: { n: number; sigma: Float64Array; lo: Float64Array; hi: Float64Array; q: Float64Array },
  full: FullProblem,
  t: number,
  iterations: number,
): MaxSharpeResult {
  const alternative = alternativeMinimiser(problem, sol);
  if (alternative !== undefined) {
    const assets = alternative.flatMap((a) => full.reduced.groups[a] as number[]).sort((x, y) => x - y);
    throw new QuantError(
      'E_SINGULAR_COVARIANCE',
      `the maximum-Sharpe portfolio is not unique: ${assets.map((i) => `asset ${i}`).join(', ')} are collinear (a combination of them has zero variance and zero excess return), so weight can move between them without changing the ratio`,
      {
        hint: 'drop one of the collinear assets, use more observations than assets, or use the ledoit_wolf covariance',
        details: { assets },
      },
    );
  }
  const { n, lo, hi } = full;
  const { w, state } = expandSolution(full.reduced, n, lo, hi, sol.w, sol.state);
  const sigmaW = new Float64Array(n);
  multiplyNonZero(full.sigma, n, w, sigmaW);
  let variance = 0;
  let excess = 0;
  for (let i = 0; i < n; i++) {
    variance += (w[i] as number) * (sigmaW[i] as number);
    excess += (w[i] as number) * (full.m[i] as number);
  }
  if (!(variance > RISKLESS_VARIANCE) && excess > 0) {
    const held: number[] = [];
    for (let i = 0; i < n; i++) if ((w[i] as number) > 0) held.push(i);
    throw unbounded(
      held,
      `the portfolio of ${held.map((i) => `asset ${i}`).join(', ')} has zero variance and a positive excess return`,
    );
  }
  const q = full.m.map((x) => x * t);
  const kkt = kktViolation(w, state, sigmaW, q, sol.gamma, lo, hi, gradientScale(full.sigma, n, w, q));
  variance *= full.sScale;
  excess *= full.mScale;
  const volatility = Math.sqrt(variance);
  return {
    weights: w,
    sharpe: excess / volatility,
    excessReturn: excess,
    volatility,
    t: (t * full.sScale) / full.mScale,
    iterations,
    ...activeSets(state),
    kkt: { maxViolation: kkt },
  };
}
