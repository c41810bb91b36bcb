/**
 * Active-risk figures of a portfolio against a benchmark on one common calendar: both series are
 * length-T simple returns of the same rows, r_f is the risk-free rate per period (see
 * {@link RiskFreeRate}), A the annualisation factor. Means are arithmetic and annualised by A, standard
 * deviations are sample (ddof 1) and annualised by √A — the conventions of `performance.ts`, so that
 * the information ratio and the Sharpe ratio read on the same scale.
 *
 * Every figure is `null`, never NaN, where it is undefined (too few rows, a constant benchmark, no up or
 * down period).
 */
import { QuantError } from '../../errors.js';
import { excessReturns, type RiskFreeRate } from './performance.js';

/** One portfolio against one benchmark. */
export interface ActiveRisk {
  readonly observations: number;
  /** Annualised mean active return: `mean(r_p − r_b) × A`. */
  readonly activeReturn: number | null;
  /** Annualised tracking error: `std(r_p − r_b) × √A`. */
  readonly trackingError: number | null;
  /** Information ratio: active return / tracking error. */
  readonly informationRatio: number | null;
  /** CAPM beta: `cov(r_p − r_f, r_b − r_f) / var(r_b − r_f)`. */
  readonly beta: number | null;
  /** Jensen's alpha, annualised: `(mean(r_p − r_f) − β · mean(r_b − r_f)) × A`. */
  readonly alpha: number | null;
  /** Correlation of the two return series. */
  readonly correlation: number | null;
  /** Up capture: `mean(r_p | r_b > 0) / mean(r_b | r_b > 0)`. */
  readonly upCapture: number | null;
  /** Down capture: `mean(r_p | r_b < 0) / mean(r_b | r_b < 0)`. */
  readonly downCapture: number | null;
  /** Compounded growth of the portfolio over that of the benchmark at the last row (relative equity − 1). */
  readonly relativeReturn: number | null;
}

const at = (x: Float64Array, t: number): number => x[t] as number;

function assertInputs(portfolio: Float64Array, benchmark: Float64Array, periodsPerYear: number): void {
  if (portfolio.length !== benchmark.length) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `${portfolio.length} portfolio returns but ${benchmark.length} benchmark returns`,
      { hint: 'join both series on their common dates first' },
    );
  }
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `the annualisation factor must be a positive number, got ${periodsPerYear}`,
      { hint: 'use 252 (business days) or 365 (calendar days)' },
    );
  }
  for (const [what, x] of [
    ['portfolio return', portfolio],
    ['benchmark return', benchmark],
  ] as const) {
    for (let t = 0; t < x.length; t++) {
      if (!Number.isFinite(at(x, t))) {
        throw new QuantError('E_INPUT_VALUE', `${what} ${t} is not a finite number: ${at(x, t)}`, {
          hint: 'remove or fill missing values before computing active risk',
        });
      }
    }
  }
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let t = 0; t < x.length; t++) s += at(x, t);
  return s / x.length;
}

/** Sample covariance (ddof 1) of two equal-length series; T ≥ 2. */
function covariance(x: Float64Array, y: Float64Array): number {
  const mx = mean(x);
  const my = mean(y);
  let s = 0;
  for (let t = 0; t < x.length; t++) s += (at(x, t) - mx) * (at(y, t) - my);
  return s / (x.length - 1);
}

/** Whether every value equals the first (exactly 0 variance, whatever the rounding in the mean). */
function isConstant(x: Float64Array): boolean {
  for (let t = 1; t < x.length; t++) if (at(x, t) !== at(x, 0)) return false;
  return true;
}

/** `mean(r_p | sign·r_b > 0) / mean(r_b | sign·r_b > 0)`, `null` without such a period. */
function capture(portfolio: Float64Array, benchmark: Float64Array, sign: 1 | -1): number | null {
  let sp = 0;
  let sb = 0;
  let n = 0;
  for (let t = 0; t < benchmark.length; t++) {
    if (sign * at(benchmark, t) > 0) {
      sp += at(portfolio, t);
      sb += at(benchmark, t);
      n++;
    }
  }
  return n === 0 ? null : sp / sb;
}

/**
 * Relative equity: the portfolio's compounded value over the benchmark's, both starting at 1:
 * `Q_t = Π_{s ≤ t} (1 + r_p,s) / Π_{s ≤ t} (1 + r_b,s)`. Above 1: the portfolio is ahead.
 *
 * @returns length-T values; a row where the benchmark's equity reaches 0 gives `Infinity` or NaN there.
 */
export function relativeEquity(portfolio: Float64Array, benchmark: Float64Array): Float64Array {
  assertInputs(portfolio, benchmark, 1);
  const out = new Float64Array(portfolio.length);
  let ep = 1;
  let eb = 1;
  for (let t = 0; t < portfolio.length; t++) {
    ep *= 1 + at(portfolio, t);
    eb *= 1 + at(benchmark, t);
    out[t] = ep / eb;
  }
  return out;
}

function betaAlpha(
  portfolio: Float64Array,
  benchmark: Float64Array,
  periodsPerYear: number,
  riskFree: RiskFreeRate | undefined,
): { beta: number | null; alpha: number | null } {
  const xp = excessReturns(portfolio, riskFree);
  const xb = excessReturns(benchmark, riskFree);
  if (isConstant(xb)) return { beta: null, alpha: null };
  const beta = covariance(xp, xb) / covariance(xb, xb);
  return { beta, alpha: (mean(xp) - beta * mean(xb)) * periodsPerYear };
}

/**
 * Active return, tracking error, information ratio (Grinold & Kahn 2000), CAPM beta and Jensen's alpha
 * (Jensen 1968), correlation and up/down capture of a portfolio against a benchmark.
 *
 * @param portfolio length-T simple returns of the portfolio.
 * @param benchmark length-T simple returns of the benchmark on the same rows.
 * @param periodsPerYear annualisation factor A.
 * @param riskFree risk-free rate per period (constant or length T); 0 when absent. It enters beta and
 *   alpha only: the active return r_p − r_b does not depend on it.
 * @throws QuantError `E_INPUT_VALUE` on different lengths, non-finite values or a bad factor.
 */
export function activeRisk(
  portfolio: Float64Array,
  benchmark: Float64Array,
  periodsPerYear: number,
  riskFree?: RiskFreeRate,
): ActiveRisk {
  assertInputs(portfolio, benchmark, periodsPerYear);
  const T = portfolio.length;
  const active = portfolio.map((r, t) => r - at(benchmark, t));
  const enough = T >= 2;
  const activeReturn = T === 0 ? null : mean(active) * periodsPerYear;
  const trackingError = enough
    ? isConstant(active)
      ? 0
      : Math.sqrt(covariance(active, active) * periodsPerYear)
    : null;
  const informationRatio =
    activeReturn === null || trackingError === null || trackingError === 0
      ? null
      : activeReturn / trackingError;
  const { beta, alpha } = enough
    ? betaAlpha(portfolio, benchmark, periodsPerYear, riskFree)
    : { beta: null, alpha: null };
  const correlation =
    enough && !isConstant(portfolio) && !isConstant(benchmark)
      ? covariance(portfolio, benchmark) /
        Math.sqrt(covariance(portfolio, portfolio) * covariance(benchmark, benchmark))
      : null;
  const relative = relativeEquity(portfolio, benchmark);
  const last = T === 0 ? null : at(relative, T - 1);
  return {
    observations: T,
    activeReturn,
    trackingError,
    informationRatio,
    beta,
    alpha,
    correlation,
    upCapture: capture(portfolio, benchmark, 1),
    downCapture: capture(portfolio, benchmark, -1),
    relativeReturn: last === null || !Number.isFinite(last) ? null : last - 1,
  };
}
