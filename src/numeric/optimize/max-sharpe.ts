import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { solveBoxQp, type BoxQpSolution } from './_box-qp.js';
import { frontierSegment } from './_frontier-segment.js';
import { activeSets, checkCovariance } from './_inputs.js';
import { kktViolation } from './_kkt.js';
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
 * @param cov n x n covariance; `mu` n expected returns in the same units (e.g. both annualised).
 * @throws QuantError E_NO_POSITIVE_EXCESS_RETURN when no asset (or no feasible portfolio) has μ > r_f;
 *   E_TOO_FEW_ASSETS, E_INFEASIBLE_BOUNDS, E_SINGULAR_COVARIANCE, E_SOLVER.
 */
export function maxSharpe(cov: Matrix, mu: Float64Array, options: MaxSharpeOptions = {}): MaxSharpeResult {
  const n = checkCovariance(cov);
  if (mu.length !== n) throw new RangeError(`mu has ${mu.length} values for ${n} assets`);
  const rf = options.riskFreeRate ?? 0;
  const { lo, hi } = resolveBounds(n, options.minWeight ?? 0, options.maxWeight ?? 1);
  const m = new Float64Array(n);
  let best = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(mu[i])) {
      throw new QuantError('E_INPUT_VALUE', `expected return of asset ${i} is ${mu[i]}`, {
        hint: 'pass finite expected returns',
      });
    }
    m[i] = (mu[i] as number) - rf;
    if ((mu[i] as number) > (mu[best] as number)) best = i;
  }
  if (!((mu[best] as number) > rf)) {
    throw new QuantError(
      'E_NO_POSITIVE_EXCESS_RETURN',
      `no asset has an expected return above the risk-free rate r_f = ${rf} (largest μ = ${mu[best]}, asset ${best}); the tangency portfolio is undefined`,
      {
        hint: 'lower risk_free_rate, use another method (min_variance, risk_parity, hrp), or check the units of μ and r_f',
        details: { riskFreeRate: rf, maxMu: mu[best], asset: best },
      },
    );
  }
  const attainable = maxAttainableExcess(m, lo, hi);
  if (!(attainable > 0)) {
    throw new QuantError(
      'E_NO_POSITIVE_EXCESS_RETURN',
      `with these weight bounds the best attainable expected excess return over r_f = ${rf} is ${attainable} ≤ 0; the tangency portfolio is undefined`,
      {
        hint: 'lower min_weight so that the assets with μ > r_f can take more weight, or lower risk_free_rate',
        details: { riskFreeRate: rf, attainable },
      },
    );
  }
  // The weights do not depend on the scales of m and Σ; normalising both keeps t near 1 for any units.
  let mScale = 0;
  let sScale = 0;
  for (let i = 0; i < n; i++) {
    mScale = Math.max(mScale, Math.abs(m[i] as number));
    sScale = Math.max(sScale, cov.data[i * n + i] as number);
  }
  for (let i = 0; i < n; i++) m[i] = (m[i] as number) / mScale;
  const sigma = cov.data.map((x) => x / sScale);
  const problem = { n, sigma, lo, hi };
  let t = 0;
  let sol: BoxQpSolution = solveBoxQp(problem);
  let tLow = 0;
  let tHigh = Infinity;
  const maxSegments = 200 + 4 * n;
  for (let iter = 1; iter <= maxSegments; iter++) {
    const seg = frontierSegment(sigma, n, m, lo, hi, sol.state, sol.w);
    if (seg === undefined) {
      throw new QuantError(
        'E_SINGULAR_COVARIANCE',
        'the covariance matrix is singular on the assets of the tangency portfolio',
        {
          hint: 'remove duplicate or collinear assets, or use the ledoit_wolf covariance',
        },
      );
    }
    const { h0, h1, tMin, tMax } = seg;
    const root = h1 < 0 ? -h0 / h1 : NaN;
    const slack = 1e-9 * Math.max(Math.abs(t), Math.abs(root), 1e-300);
    if (root >= Math.max(tMin, 0) - slack && root <= tMax + slack) {
      const q = m.map((x) => x * root);
      sol = solveBoxQp({ ...problem, q }, { w: clampAffine(seg.a, seg.b, root, lo, hi), state: sol.state });
      return result(sol, q, lo, hi, { mScale, sScale, m, t: root, iterations: iter });
    }
    // h is continuous and changes sign once (from + to −) along the frontier; this piece tells on which
    // side of it the root lies.
    if (h0 + h1 * t > 0) tLow = Math.max(tLow, tMax);
    else tHigh = Math.min(tHigh, Math.max(tMin, 0));
    let next = root > tLow && root < tHigh ? root : tHigh < Infinity ? 0.5 * (tLow + tHigh) : 2 * tLow;
    if (!(next > 0)) next = Math.max(tLow, 1) * 2;
    if (!Number.isFinite(next)) break;
    // A bracket collapsed to rounding pins the root: w(t) is continuous, so the QP there is the answer.
    const collapsed = tHigh <= tLow * (1 + 1e-13);
    if (collapsed) next = tLow;
    t = next;
    const q = m.map((x) => x * t);
    sol = solveBoxQp({ ...problem, q }, sol);
    // A degenerate working set may hide the root from the segment test; the fixed point t = wᵀΣw / mᵀw
    // itself is the optimality condition.
    let v = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      v += (sol.w[i] as number) * (sol.sigmaW[i] as number);
      p += (sol.w[i] as number) * (m[i] as number);
    }
    if (collapsed || Math.abs(v - t * p) <= 1e-13 * v)
      return result(sol, q, lo, hi, { mScale, sScale, m, t, iterations: iter });
  }
  throw new QuantError(
    'E_SOLVER',
    `the tangency search did not converge within ${maxSegments} frontier segments`,
    {
      hint: 'the covariance may be nearly singular; try the ledoit_wolf covariance',
    },
  );
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

function result(
  sol: BoxQpSolution,
  q: Float64Array,
  lo: Float64Array,
  hi: Float64Array,
  info: { mScale: number; sScale: number; m: Float64Array; t: number; iterations: number },
): MaxSharpeResult {
  const w = sol.w;
  let variance = 0;
  let excess = 0;
  for (let i = 0; i < w.length; i++) {
    variance += (w[i] as number) * (sol.sigmaW[i] as number);
    excess += (w[i] as number) * (info.m[i] as number);
  }
  variance *= info.sScale;
  excess *= info.mScale;
  const volatility = Math.sqrt(variance);
  return {
    weights: w,
    sharpe: excess / volatility,
    excessReturn: excess,
    volatility,
    t: (info.t * info.sScale) / info.mScale,
    iterations: info.iterations,
    ...activeSets(sol.state),
    kkt: { maxViolation: kktViolation(w, sol.state, sol.sigmaW, q, sol.gamma, lo, hi) },
  };
}
