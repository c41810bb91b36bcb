import type { Matrix } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import { checkShape } from './_check.js';
import { centredGram } from './_gram.js';

/**
 * Sample covariance with Bessel's correction (ddof = 1), per period (not annualised).
 *
 * `Σ[i][j] = Σₜ (r[t][i] − r̄ᵢ)(r[t][j] − r̄ⱼ) / (T − 1)`; exactly symmetric.
 *
 * @param returns T x n returns, T ≥ 2, n ≥ 1, all finite.
 * @returns n x n covariance.
 * @throws QuantError `E_TOO_FEW_OBSERVATIONS` (T < 2), `E_TOO_FEW_ASSETS` (n = 0), `E_INPUT_VALUE` (NaN/Inf).
 */
export function sampleCovariance(returns: Matrix): Matrix {
  checkShape(returns, 1);
  const { rows: T, cols: n } = returns;
  return { rows: n, cols: n, data: centredGram(returns, T - 1).gram };
}

/**
 * Arithmetic mean return per column, per period: `μⱼ = Σₜ r[t][j] / T`.
 *
 * @param returns T x n returns.
 * @returns length-n means.
 */
export function meanReturns(returns: Matrix): Float64Array {
  const { rows: T, cols: n, data } = returns;
  const out = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    const row = t * n;
    for (let j = 0; j < n; j++) out[j] = (out[j] as number) + (data[row + j] as number);
  }
  for (let j = 0; j < n; j++) out[j] = (out[j] as number) / T;
  return out;
}

/**
 * Annualised compound growth rate per column: `(Πₜ (1 + r[t][j]))^(A / T) − 1` (PyPortfolioOpt's
 * `mean_historical_return(compounding=True)`).
 *
 * @param returns T x n simple returns (≥ −1).
 * @param periodsPerYear A, e.g. 252 or 365.
 * @returns length-n annual growth rates.
 * @throws QuantError `E_INPUT_VALUE` when a return is below −1: wealth compounded through it turns
 *   negative and has no growth rate (an even number of them would give a positive product, and a rate
 *   that means nothing).
 */
export function cagrReturns(returns: Matrix, periodsPerYear: number): Float64Array {
  const { rows: T, cols: n, data } = returns;
  for (let k = 0; k < data.length; k++) {
    if ((data[k] as number) < -1) {
      const t = Math.floor(k / n);
      throw new QuantError(
        'E_INPUT_VALUE',
        `the return of asset ${k - t * n} in row ${t} is ${data[k]}, below −1: its wealth turns negative, so it has no compound growth rate (cagr)`,
        {
          hint: 'pass simple returns of assets (≥ −1: 0.01 = 1 %, not percentages), or use the arithmetic mean',
          details: { row: t, column: k - t * n, value: data[k] },
        },
      );
    }
  }
  const growth = new Float64Array(n).fill(1);
  for (let t = 0; t < T; t++) {
    const row = t * n;
    for (let j = 0; j < n; j++) growth[j] = (growth[j] as number) * (1 + (data[row + j] as number));
  }
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const g = growth[j] as number;
    // The plain product matches the reference libraries bit for bit; only when a long history overflows
    // or underflows it do we switch to the log sum.
    out[j] =
      Number.isFinite(g) && (g !== 0 || hasTotalLoss(returns, j))
        ? Math.pow(g, periodsPerYear / T) - 1
        : Math.expm1((logGrowth(returns, j) * periodsPerYear) / T);
  }
  return out;
}

function hasTotalLoss(returns: Matrix, j: number): boolean {
  for (let t = 0; t < returns.rows; t++) if (returns.data[t * returns.cols + j] === -1) return true;
  return false;
}

function logGrowth(returns: Matrix, j: number): number {
  let s = 0;
  for (let t = 0; t < returns.rows; t++) s += Math.log1p(returns.data[t * returns.cols + j] as number);
  return s;
}
