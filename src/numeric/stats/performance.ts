/**
 * Performance metrics of one daily simple-return series r₀ … r_{T−1} (DESIGN §8), annualised by a factor
 * A (252 business days, 365 calendar days). The Sharpe and Sortino ratios take an optional risk-free
 * rate per period (a constant or one value per row, see {@link RiskFreeRate}); without it r_f = 0.
 *
 * Every metric returns `null`, never NaN, where it is undefined (empty series, zero volatility, no
 * drawdown, ...). Inputs must be finite; the annualisation factor must be positive.
 */
import { QuantError } from '../../errors.js';
import { sampleCovariance } from '../covariance/sample-covariance.js';
import type { Matrix } from '../linalg/matrix.js';
import { covarianceToCorrelation } from './correlation.js';

function assertFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) {
      throw new QuantError('E_INPUT_VALUE', `${what} ${i} is not a finite number: ${String(v)}`, {
        hint: 'remove or fill missing values before computing performance metrics',
        details: { index: i, value: String(v) },
      });
    }
  }
}

function assertFactor(periodsPerYear: number): void {
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `the annualisation factor must be a positive number, got ${periodsPerYear}`,
      {
        hint: 'use 252 (business days) or 365 (calendar days)',
      },
    );
  }
}

function mean(r: Float64Array): number {
  let s = 0;
  for (let t = 0; t < r.length; t++) s += r[t] as number;
  return s / r.length;
}

/**
 * A risk-free rate per period: one number for every row, or one value per row (same length as the
 * returns). An annual rate R becomes R / A per period, so that the annualised mean excess return is
 * exactly `mean(r) × A − R`.
 */
export type RiskFreeRate = number | Float64Array;

/** `r_t − r_f,t`; the returns themselves when r_f is absent or the constant 0. */
export function excessReturns(returns: Float64Array, riskFree?: RiskFreeRate): Float64Array {
  if (riskFree === undefined || riskFree === 0) return returns;
  if (typeof riskFree === 'number') {
    assertFinite([riskFree], 'risk-free rate');
    return returns.map((r) => r - riskFree);
  }
  if (riskFree.length !== returns.length) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `${returns.length} returns but ${riskFree.length} risk-free rates`,
      { hint: 'align the risk-free series with the returns (one rate per row)' },
    );
  }
  assertFinite(riskFree, 'risk-free rate');
  return returns.map((r, t) => r - (riskFree[t] as number));
}

/** Sample standard deviation (ddof 1); exactly 0 for a constant series despite rounding in the mean. */
function sampleStd(r: Float64Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < r.length; t++) {
    const v = r[t] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return 0;
  const m = mean(r);
  let ss = 0;
  for (let t = 0; t < r.length; t++) {
    const d = (r[t] as number) - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (r.length - 1));
}

/**
 * Compounded equity curve starting from 1: `E_t = Π_{s ≤ t} (1 + r_s)`, the value after period t.
 *
 * @param returns length-T simple returns.
 * @returns length-T equity values (the implicit starting value 1 is not included).
 */
export function equityCurve(returns: Float64Array): Float64Array {
  assertFinite(returns, 'return');
  const out = new Float64Array(returns.length);
  let e = 1;
  for (let t = 0; t < returns.length; t++) {
    e *= 1 + (returns[t] as number);
    out[t] = e;
  }
  return out;
}

/**
 * Drawdown after each period, as a positive fraction of the running peak: `D_t = 1 − E_t / max(1, E_0 … E_t)`.
 * The starting value 1 counts as a peak, so a loss on the first day is a drawdown.
 *
 * @param returns length-T simple returns.
 * @returns length-T drawdowns in [0, 1] (above 1 only if equity turns negative).
 */
export function drawdownSeries(returns: Float64Array): Float64Array {
  const equity = equityCurve(returns);
  if (!equity.every(Number.isFinite)) return drawdownsInLogs(returns);
  const out = new Float64Array(equity.length);
  let peak = 1;
  for (let t = 0; t < equity.length; t++) {
    const e = equity[t] as number;
    if (e > peak) peak = e;
    out[t] = 1 - e / peak;
  }
  return out;
}

/**
 * {@link drawdownSeries} of an equity curve that leaves the double range (its product overflows, where
 * `E / peak` is ∞ / ∞): the equity as a sign and log |E|, the peak as log, `D = 1 − sign · e^(log|E| − log peak)`.
 */
function drawdownsInLogs(returns: Float64Array): Float64Array {
  const out = new Float64Array(returns.length);
  let sign = 1;
  let logAbs = 0;
  let logPeak = 0;
  for (let t = 0; t < returns.length; t++) {
    const g = 1 + (returns[t] as number);
    if (g < 0) sign = -sign;
    logAbs += Math.log(Math.abs(g));
    if (sign > 0 && logAbs > logPeak) logPeak = logAbs;
    const d = logAbs - logPeak;
    out[t] = sign > 0 ? -Math.expm1(d) : 1 + Math.exp(d);
  }
  return out;
}

/**
 * Time-weighted compound annual growth rate: `(Π (1 + r_t))^(A / T) − 1`.
 *
 * A total loss (some r_t = −1) gives −1. Long histories whose product over- or underflows are compounded
 * in logs instead. `null` for an empty series or a negative terminal equity (no real root).
 */
export function twrCagr(returns: Float64Array, periodsPerYear: number): number | null {
  assertFinite(returns, 'return');
  assertFactor(periodsPerYear);
  const T = returns.length;
  if (T === 0) return null;
  let growth = 1;
  for (let t = 0; t < T; t++) growth *= 1 + (returns[t] as number);
  if (growth < 0) return null;
  if (Number.isFinite(growth) && growth > 0) return Math.pow(growth, periodsPerYear / T) - 1;
  let logSum = 0;
  let negatives = 0;
  for (let t = 0; t < T; t++) {
    const g = 1 + (returns[t] as number);
    if (g === 0) return -1;
    if (g < 0) negatives++;
    logSum += Math.log(Math.abs(g));
  }
  if (negatives % 2 === 1) return null;
  return Math.expm1((logSum * periodsPerYear) / T);
}

/**
 * Annualised volatility: sample standard deviation (ddof 1) × √A. `null` with fewer than 2 returns.
 */
export function annualVolatility(returns: Float64Array, periodsPerYear: number): number | null {
  assertFinite(returns, 'return');
  assertFactor(periodsPerYear);
  if (returns.length < 2) return null;
  return sampleStd(returns) * Math.sqrt(periodsPerYear);
}

/**
 * Annualised Sharpe ratio of the excess returns x = r − r_f: `mean(x) × A / (std(x) × √A)` (Sharpe 1994,
 * ex-post form; r_f = 0 when absent). `null` with fewer than 2 returns or zero volatility.
 */
export function sharpe(
  returns: Float64Array,
  periodsPerYear: number,
  riskFree?: RiskFreeRate,
): number | null {
  assertFinite(returns, 'return');
  const x = excessReturns(returns, riskFree);
  const vol = annualVolatility(x, periodsPerYear);
  if (vol === null || vol === 0) return null;
  return (mean(x) * periodsPerYear) / vol;
}

/**
 * Annualised Sortino ratio with the risk-free rate as target, on x = r − r_f (r_f = 0 when absent):
 * `mean(x) × A / (√(mean(min(x, 0)²)) × √A)`; the downside deviation averages over all T periods, not
 * only the losing ones (Sortino & Price 1994). `null` for an empty series or one without a negative x.
 */
export function sortino(
  returns: Float64Array,
  periodsPerYear: number,
  riskFree?: RiskFreeRate,
): number | null {
  assertFinite(returns, 'return');
  assertFactor(periodsPerYear);
  const x = excessReturns(returns, riskFree);
  const T = x.length;
  if (T === 0) return null;
  let ss = 0;
  for (let t = 0; t < T; t++) {
    const v = x[t] as number;
    if (v < 0) ss += v * v;
  }
  if (ss === 0) return null;
  const downside = Math.sqrt(ss / T) * Math.sqrt(periodsPerYear);
  return (mean(x) * periodsPerYear) / downside;
}

/** Largest drawdown of the compounded equity curve (see {@link drawdownSeries}); 0 if it never fell, `null` if empty. */
export function maxDrawdown(returns: Float64Array): number | null {
  if (returns.length === 0) return null;
  const dd = drawdownSeries(returns);
  let worst = 0;
  for (let t = 0; t < dd.length; t++) if ((dd[t] as number) > worst) worst = dd[t] as number;
  return worst;
}

/** Calmar ratio: CAGR / max drawdown over the whole series; `null` when either is undefined or the drawdown is 0. */
export function calmar(returns: Float64Array, periodsPerYear: number): number | null {
  const growth = twrCagr(returns, periodsPerYear);
  const mdd = maxDrawdown(returns);
  if (growth === null || mdd === null || mdd === 0) return null;
  return growth / mdd;
}

/** Share of periods with a strictly positive return; `null` if empty. */
export function winRate(returns: Float64Array): number | null {
  assertFinite(returns, 'return');
  if (returns.length === 0) return null;
  let wins = 0;
  for (let t = 0; t < returns.length; t++) if ((returns[t] as number) > 0) wins++;
  return wins / returns.length;
}

/**
 * Effective number of holdings: `1 / Σ wᵢ²` (the inverse Herfindahl index). n for equal weights, 1 for a
 * single holding. `null` when every weight is 0.
 */
export function effectiveN(weights: ArrayLike<number>): number | null {
  assertFinite(weights, 'weight');
  let s = 0;
  for (let i = 0; i < weights.length; i++) s += (weights[i] as number) ** 2;
  return s === 0 ? null : 1 / s;
}

/** All headline metrics of one series. */
export interface PerformanceMetrics {
  readonly observations: number;
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number | null;
  readonly calmar: number | null;
  readonly winRate: number | null;
}

/** What a series of {@link performanceMetrics} is, for the error of a figure beyond the double range. */
export interface MetricsSubject {
  /** Starts the message: `portfolioStats`, `sleeve b of meta profile m (hrp): its out-of-sample returns`. */
  readonly subject: string;
  /** The fix to suggest (default: pass simple returns, not prices, amounts or percentages). */
  readonly hint?: string;
  /** Added to the error's details (snake_case keys). */
  readonly details?: Readonly<Record<string, string>>;
  /**
   * Name the figure by its field of {@link PerformanceMetrics} (`maxDrawdown`, for the library's
   * `portfolioStats`, whose result has those fields) instead of by the key the pipeline's artifacts and
   * report give it (`max_drawdown`, the default).
   */
  readonly fieldNames?: boolean;
}

/** The key the pipeline's artifacts and report give each figure of {@link PerformanceMetrics}. */
const ARTIFACT_KEYS: Readonly<Record<keyof PerformanceMetrics, string>> = {
  observations: 'observations',
  cagr: 'cagr',
  volatility: 'volatility',
  sharpe: 'sharpe',
  sortino: 'sortino',
  maxDrawdown: 'max_drawdown',
  calmar: 'calmar',
  winRate: 'win_rate',
};

/**
 * Every metric of this module for one series (same conventions as the single functions); `riskFree`
 * (per period) enters the Sharpe and Sortino ratios only. Growth whose product overflows is compounded
 * in logs; a figure that is itself beyond the double range (a CAGR above ~1.8e308, a volatility whose
 * squares overflow) has no honest finite value and is refused here, for the library's `portfolioStats`
 * and every artifact and report of the pipeline alike, never returned as Infinity or NaN.
 *
 * @throws QuantError `E_INPUT_VALUE` naming `about.subject`, the figure and its value.
 */
export function performanceMetrics(
  returns: Float64Array,
  periodsPerYear: number,
  riskFree?: RiskFreeRate,
  about: MetricsSubject = { subject: 'performance metrics' },
): PerformanceMetrics {
  const metrics: PerformanceMetrics = {
    observations: returns.length,
    cagr: twrCagr(returns, periodsPerYear),
    volatility: annualVolatility(returns, periodsPerYear),
    sharpe: sharpe(returns, periodsPerYear, riskFree),
    sortino: sortino(returns, periodsPerYear, riskFree),
    maxDrawdown: maxDrawdown(returns),
    calmar: calmar(returns, periodsPerYear),
    winRate: winRate(returns),
  };
  for (const [field, value] of Object.entries(metrics) as [keyof PerformanceMetrics, number | null][]) {
    if (value === null || Number.isFinite(value)) continue;
    const name = about.fieldNames === true ? field : ARTIFACT_KEYS[field];
    throw new QuantError(
      'E_INPUT_VALUE',
      `${about.subject}: the ${name} of the ${returns.length} returns is ${value}: it exceeds the range of a double (about 1.8e308)`,
      {
        hint: about.hint ?? 'pass simple returns (0.01 = 1 %), not prices, amounts or percentages',
        details: { ...about.details, metric: name, value: String(value) },
      },
    );
  }
  return metrics;
}

export interface AnomalyWindowOptions {
  /** Rows per block (default 21, about one trading month). */
  readonly window?: number;
  /** Annualisation factor A. */
  readonly periodsPerYear: number;
  /** Flag blocks with |annualised Sharpe| above this (default 10). */
  readonly sharpeLimit?: number;
  /** Flag blocks with annualised volatility above this fraction (default 2 = 200 %). */
  readonly volatilityLimit?: number;
}

/** One flagged block of rows. */
export interface AnomalyWindow {
  readonly start: string;
  readonly end: string;
  /** Index of the first row; the block spans `rows` rows. */
  readonly startIndex: number;
  readonly rows: number;
  readonly sharpe: number | null;
  readonly volatility: number;
  readonly breaches: readonly ('sharpe' | 'volatility')[];
}

/**
 * Blocks of the series that look implausible for a diversified portfolio: the series is cut into
 * consecutive, non-overlapping blocks of `window` rows (rows 0…w−1, w…2w−1, ...), and a block is flagged
 * when its annualised |Sharpe| exceeds `sharpeLimit` or its annualised volatility exceeds
 * `volatilityLimit`. Such blocks usually reveal data errors (a price jump, a percent read as a fraction)
 * rather than skill. A trailing block shorter than `window` is not evaluated: too few rows for a stable
 * annualised figure.
 *
 * @param returns length-T simple returns.
 * @param dates length-T dates of the rows (reported as the block's start and end).
 */
export function anomalyWindows(
  returns: Float64Array,
  dates: readonly string[],
  options: AnomalyWindowOptions,
): AnomalyWindow[] {
  const w = options.window ?? 21;
  const sharpeLimit = options.sharpeLimit ?? 10;
  const volLimit = options.volatilityLimit ?? 2;
  if (!Number.isInteger(w) || w < 2) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `the anomaly window must be an integer of at least 2 rows, got ${w}`,
    );
  }
  if (dates.length !== returns.length) {
    throw new QuantError('E_INPUT_VALUE', `${returns.length} returns but ${dates.length} dates`);
  }
  assertFinite(returns, 'return');
  assertFactor(options.periodsPerYear);
  const out: AnomalyWindow[] = [];
  for (let start = 0; start + w <= returns.length; start += w) {
    const block = returns.subarray(start, start + w);
    const volatility = annualVolatility(block, options.periodsPerYear) as number;
    const s = sharpe(block, options.periodsPerYear);
    const breaches: ('sharpe' | 'volatility')[] = [];
    if (s !== null && Math.abs(s) > sharpeLimit) breaches.push('sharpe');
    if (volatility > volLimit) breaches.push('volatility');
    if (breaches.length === 0) continue;
    out.push({
      start: dates[start] as string,
      end: dates[start + w - 1] as string,
      startIndex: start,
      rows: w,
      sharpe: s,
      volatility,
      breaches,
    });
  }
  return out;
}

/**
 * Sample correlation matrix of the columns of a T x n return matrix (Pearson, from the ddof-1
 * covariance). A constant column has correlation 0 with the others (see `covarianceToCorrelation`).
 *
 * @param returns T x n, T ≥ 2, finite.
 * @returns n x n correlation with a unit diagonal.
 * @throws QuantError `E_TOO_FEW_OBSERVATIONS` (T < 2), `E_TOO_FEW_ASSETS` (n = 0), `E_INPUT_VALUE`.
 */
export function correlationMatrix(returns: Matrix): Matrix {
  return covarianceToCorrelation(sampleCovariance(returns));
}
