/**
 * Risk attribution of a constant-mix portfolio r_p,t = Σᵢ wᵢ·r_i,t (T x n simple returns, n weights):
 * Euler decompositions of its volatility and of its historical CVaR, the diversification ratio, a
 * risk-based effective number of holdings, and the leave-one-out table.
 *
 * Both risk measures are positively homogeneous of degree 1 in w, so by Euler's theorem
 * ρ(w) = Σᵢ wᵢ·∂ρ/∂wᵢ: the contribution of holding i is wᵢ·∂ρ/∂wᵢ (absolute), its share ρᵢ/ρ (percent,
 * summing to 1) and ∂ρ/∂wᵢ (marginal). See Tasche (1999), "Risk contributions and performance
 * measurement"; Roncalli (2013), "Introduction to Risk Parity and Budgeting", ch. 2.
 *
 * - Volatility: the sample covariance (ddof 1) annualised by A, σ_p = √(wᵀΣw),
 *   RCᵢ = wᵢ(Σw)ᵢ / σ_p, marginal (Σw)ᵢ / σ_p.
 * - CVaR at level α (default 0.95), historical, per period (not annualised), as a positive loss:
 *   with k = (1 − α)·T scenarios in the tail and the portfolio returns sorted ascending
 *   r_(0) ≤ r_(1) ≤ …, CVaR = −(Σ_{j<m} r_(j) + (k − m)·r_(m)) / k where m = max(0, ⌈k⌉ − 1), i.e. the
 *   Rockafellar–Uryasev tail mean with a fractional last scenario (the definition of skfolio's
 *   `cvar` and Riskfolio-Lib's historical CVaR, equal scenario weights 1/T). With θ_j those tail
 *   weights, CVaRᵢ = −wᵢ·Σⱼ θⱼ·r_i,(j), marginal −Σⱼ θⱼ·r_i,(j) (the derivative where the tail
 *   scenarios do not tie). Ties in r_p are ordered by row index, so the result is deterministic.
 *
 * Sums equal totals up to rounding (the totals are computed as the sums).
 */
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { annualVolatility, sharpe } from './performance.js';

/** Default CVaR confidence level. */
const DEFAULT_CVAR_LEVEL = 0.95;

/** One Euler decomposition: per holding, absolute contribution, share of the total, marginal risk. */
export interface EulerDecomposition {
  readonly total: number;
  readonly absolute: Float64Array;
  /** absolute / total (sums to 1); all 0 when total is 0. */
  readonly percent: Float64Array;
  readonly marginal: Float64Array;
}

export interface RiskAttribution {
  /** Annualised volatility (sample covariance, ddof 1). */
  readonly volatility: EulerDecomposition;
  /** Historical CVaR per period at `cvarLevel`, a positive number for a loss. */
  readonly cvar: EulerDecomposition;
  readonly cvarLevel: number;
  /** Σ wᵢσᵢ / σ_p (Choueifaty & Coignard 2008); null when σ_p = 0. */
  readonly diversificationRatio: number | null;
  /**
   * Risk-based effective number of holdings 1 / Σ pᵢ², pᵢ the percent contributions to volatility:
   * n when every holding contributes equally, 1 when one carries all the risk; at most n even with
   * negative (hedging) contributions, since Σ pᵢ = 1. null when σ_p = 0.
   */
  readonly effectiveN: number | null;
}

export interface RiskAttributionOptions {
  readonly periodsPerYear: number;
  /** CVaR confidence level in (0, 1) (default 0.95). */
  readonly cvarLevel?: number;
}

/**
 * Euler risk attribution of the portfolio w on the returns.
 *
 * @param returns T x n simple returns (row-major), T ≥ 2.
 * @param weights n weights (any sign; not required to sum to 1).
 * @throws QuantError E_INPUT_VALUE on a shape mismatch, a non-finite value, T < 2 or a level outside (0, 1).
 */
export function riskAttribution(
  returns: Matrix,
  weights: ArrayLike<number>,
  options: RiskAttributionOptions,
): RiskAttribution {
  const level = options.cvarLevel ?? DEFAULT_CVAR_LEVEL;
  checkInputs(returns, weights, options.periodsPerYear, level);
  const portfolio = portfolioReturns(returns, weights);
  const volatility = volatilityDecomposition(returns, weights, portfolio, options.periodsPerYear);
  const cvar = cvarDecomposition(returns, weights, portfolio, level);
  const n = returns.cols;
  let weightedVol = 0;
  let concentration = 0;
  for (let i = 0; i < n; i++) {
    const col = column(returns, i);
    weightedVol += at(weights, i) * (annualVolatility(col, options.periodsPerYear) ?? 0);
    concentration += at(volatility.percent, i) ** 2;
  }
  const risky = volatility.total > 0;
  return {
    volatility,
    cvar,
    cvarLevel: level,
    diversificationRatio: risky ? weightedVol / volatility.total : null,
    effectiveN: risky && concentration > 0 ? 1 / concentration : null,
  };
}

/**
 * Historical CVaR of one return series at `level` (per period, a positive number for a loss), with the
 * fractional tail of {@link riskAttribution}.
 */
export function historicalCvar(returns: Float64Array, level: number = DEFAULT_CVAR_LEVEL): number {
  if (returns.length === 0) throw inputError('historical CVaR needs at least one return');
  checkLevel(level);
  let s = 0;
  for (const { row, weight } of tailScenarios(returns, level)) s -= weight * at(returns, row);
  return s;
}

/** Row and weight θ of each tail scenario (weights sum to 1), worst first. */
function tailScenarios(
  portfolio: Float64Array,
  level: number,
): readonly { readonly row: number; readonly weight: number }[] {
  const T = portfolio.length;
  const k = (1 - level) * T;
  const m = Math.max(0, Math.ceil(k) - 1);
  const order = lowestRows(portfolio, m + 1);
  const out: { row: number; weight: number }[] = [];
  for (let j = 0; j < m; j++) out.push({ row: order[j] as number, weight: 1 / k });
  out.push({ row: order[m] as number, weight: (k - m) / k });
  return out;
}

/** Rows ordered by value, ties by row index (the order of the whole series). */
function byValueThenRow(values: ArrayLike<number>): (a: number, b: number) => number {
  return (a, b) => at(values, a) - at(values, b) || a - b;
}

/**
 * The first `count` rows of `values` in the order of {@link byValueThenRow}, without sorting every row:
 * the rows below the count-th smallest value sorted, then the rows equal to it by index. Where a value
 * is NaN, the comparator is not an order, so the whole series is sorted as before.
 */
function lowestRows(values: Float64Array, count: number): ArrayLike<number> {
  const T = values.length;
  const sorted = Float64Array.from(values).sort();
  if (Number.isNaN(sorted[T - 1])) {
    return Array.from({ length: T }, (_, t) => t).sort(byValueThenRow(values));
  }
  const threshold = at(sorted, count - 1);
  const below: number[] = [];
  for (let t = 0; t < T; t++) if (at(values, t) < threshold) below.push(t);
  below.sort(byValueThenRow(values));
  for (let t = 0; t < T && below.length < count; t++) if (at(values, t) === threshold) below.push(t);
  return below;
}

/** r_p,t = Σᵢ wᵢ·r_i,t. */
export function portfolioReturns(returns: Matrix, weights: ArrayLike<number>): Float64Array {
  const { rows: T, cols: n, data } = returns;
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += at(weights, i) * (data[t * n + i] as number);
    out[t] = s;
  }
  return out;
}

function volatilityDecomposition(
  returns: Matrix,
  weights: ArrayLike<number>,
  portfolio: Float64Array,
  periodsPerYear: number,
): EulerDecomposition {
  const { rows: T, cols: n, data } = returns;
  const pMean = meanOf(portfolio);
  // (Σw)ᵢ = A/(T−1)·Σ_t (r_i,t − mᵢ)(r_p,t − m_p): one pass over the data, no n x n matrix.
  const sigmaW = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mi = 0;
    for (let t = 0; t < T; t++) mi += data[t * n + i] as number;
    mi /= T;
    let s = 0;
    for (let t = 0; t < T; t++) s += ((data[t * n + i] as number) - mi) * (at(portfolio, t) - pMean);
    sigmaW[i] = (s * periodsPerYear) / (T - 1);
  }
  let variance = 0;
  for (let i = 0; i < n; i++) variance += at(weights, i) * at(sigmaW, i);
  const sd = Math.sqrt(Math.max(variance, 0));
  const marginal = sigmaW.map((v) => (sd > 0 ? v / sd : 0));
  return decomposition(weights, marginal);
}

function cvarDecomposition(
  returns: Matrix,
  weights: ArrayLike<number>,
  portfolio: Float64Array,
  level: number,
): EulerDecomposition {
  const n = returns.cols;
  const marginal = new Float64Array(n);
  for (const { row, weight } of tailScenarios(portfolio, level)) {
    for (let i = 0; i < n; i++)
      marginal[i] = at(marginal, i) - weight * (returns.data[row * n + i] as number);
  }
  return decomposition(weights, marginal);
}

/** Contributions wᵢ·marginalᵢ, the total as their sum, and the shares. */
function decomposition(weights: ArrayLike<number>, marginal: Float64Array): EulerDecomposition {
  const absolute = marginal.map((m, i) => at(weights, i) * m);
  let total = 0;
  for (const a of absolute) total += a;
  const percent = absolute.map((a) => (total !== 0 ? a / total : 0));
  return { total, absolute, percent, marginal };
}

export interface LeaveOneOutRow {
  /** The holding left out. */
  readonly index: number;
  /** Σ of the other weights, by which they are divided; null figures when it is not positive. */
  readonly remainingWeight: number;
  readonly volatility: number | null;
  readonly cvar: number | null;
  readonly sharpe: number | null;
}

/**
 * The portfolio without each holding in turn, the other weights renormalised to their former total
 * (w'ⱼ = wⱼ·Σw / Σ_{j≠i} wⱼ; not re-optimised, so each row shows the holding's own effect on the mix):
 * annualised volatility, historical CVaR at `cvarLevel` and annualised Sharpe (r_f = 0, as in
 * performance.ts) of Σ w'ⱼ·rⱼ. A row whose remaining weights sum to ≤ 0 has null figures.
 */
export function leaveOneOut(
  returns: Matrix,
  weights: ArrayLike<number>,
  options: RiskAttributionOptions,
): LeaveOneOutRow[] {
  const level = options.cvarLevel ?? DEFAULT_CVAR_LEVEL;
  checkInputs(returns, weights, options.periodsPerYear, level);
  const n = returns.cols;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += at(weights, i);
  const rows: LeaveOneOutRow[] = [];
  for (let left = 0; left < n; left++) {
    const remaining = sum - at(weights, left);
    if (!(remaining > 1e-12)) {
      rows.push({ index: left, remainingWeight: remaining, volatility: null, cvar: null, sharpe: null });
      continue;
    }
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = i === left ? 0 : (at(weights, i) * sum) / remaining;
    const p = portfolioReturns(returns, w);
    rows.push({
      index: left,
      remainingWeight: remaining,
      volatility: annualVolatility(p, options.periodsPerYear),
      cvar: historicalCvar(p, level),
      sharpe: sharpe(p, options.periodsPerYear),
    });
  }
  return rows;
}

/**
 * Spread holding-level contributions over physical assets: asset a receives Σₛ contributionₛ·shareₛ,ₐ
 * where shareₛ,ₐ = |exposureₛ,ₐ| / Σ_b |exposureₛ,b| (the holding's gross exposure split). The shares
 * of each holding sum to 1, so the asset contributions sum to the holdings' total. A holding without
 * exposure keeps its contribution in `unassigned`.
 *
 * @param contributions s holding contributions.
 * @param exposures s x a exposures (row-major): holding s's net weight in asset a.
 */
export function lookThrough(
  contributions: ArrayLike<number>,
  exposures: Matrix,
): { readonly assets: Float64Array; readonly unassigned: number } {
  const { rows: s, cols: a, data } = exposures;
  if (contributions.length !== s) {
    throw inputError(`${contributions.length} contributions for ${s} rows of exposures`);
  }
  const assets = new Float64Array(a);
  let unassigned = 0;
  for (let h = 0; h < s; h++) {
    let gross = 0;
    for (let j = 0; j < a; j++) gross += Math.abs(data[h * a + j] as number);
    const c = at(contributions, h);
    if (!(gross > 0)) {
      unassigned += c;
      continue;
    }
    for (let j = 0; j < a; j++) assets[j] = at(assets, j) + (c * Math.abs(data[h * a + j] as number)) / gross;
  }
  return { assets, unassigned };
}

function checkInputs(
  returns: Matrix,
  weights: ArrayLike<number>,
  periodsPerYear: number,
  level: number,
): void {
  if (weights.length !== returns.cols) {
    throw inputError(`${weights.length} weights for ${returns.cols} return columns`);
  }
  if (returns.rows < 2) throw inputError(`risk attribution needs at least 2 returns, got ${returns.rows}`);
  for (const v of returns.data) if (!Number.isFinite(v)) throw inputError('returns must be finite');
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(at(weights, i))) throw inputError(`weight ${i} is not finite`);
  }
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) {
    throw inputError(`periods per year must be positive and finite, got ${periodsPerYear}`);
  }
  checkLevel(level);
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw inputError(`the CVaR level must be in (0, 1), got ${level}`);
}

function inputError(message: string): QuantError {
  return new QuantError('E_INPUT_VALUE', message);
}

function column(m: Matrix, i: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let t = 0; t < m.rows; t++) out[t] = m.data[t * m.cols + i] as number;
  return out;
}

function meanOf(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

function at(x: ArrayLike<number>, i: number): number {
  return x[i] as number;
}
