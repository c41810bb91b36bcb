import { QuantError } from '../../errors.js';

/**
 * Rolling annualised volatility: for each t ≥ w − 1, the sample standard deviation (ddof 1) of
 * r_{t−w+1} … r_t times √A — the same figure as `annualVolatility` on that block. Rows before the first
 * full window are NaN (no value, rather than a noisy one from a few rows).
 *
 * Each window is computed in two passes from its own rows (O(T·w)), so no running sum accumulates
 * rounding over a long series.
 *
 * @param returns length-T simple returns (finite).
 * @param window w ≥ 2 rows.
 * @param periodsPerYear A > 0.
 * @returns length-T annualised volatilities, NaN for t < w − 1.
 */
export function rollingVolatility(
  returns: Float64Array,
  window: number,
  periodsPerYear: number,
): Float64Array {
  if (!Number.isInteger(window) || window < 2) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `the rolling window must be an integer of at least 2 rows, got ${window}`,
    );
  }
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `the annualisation factor must be a positive number, got ${periodsPerYear}`,
    );
  }
  const T = returns.length;
  const out = new Float64Array(T).fill(Number.NaN);
  const scale = Math.sqrt(periodsPerYear);
  for (let end = window - 1; end < T; end++) {
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = end - window + 1; t <= end; t++) {
      const v = returns[t] as number;
      if (!Number.isFinite(v)) {
        throw new QuantError('E_INPUT_VALUE', `return ${t} is not a finite number: ${String(v)}`);
      }
      sum += v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // A constant block has exactly zero spread, whatever the rounding of its mean.
    if (lo === hi) {
      out[end] = 0;
      continue;
    }
    const mean = sum / window;
    let ss = 0;
    for (let t = end - window + 1; t <= end; t++) {
      const d = (returns[t] as number) - mean;
      ss += d * d;
    }
    out[end] = Math.sqrt(ss / (window - 1)) * scale;
  }
  return out;
}
