import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { cellValueError, type SeriesLabels } from './_labels.js';

/**
 * Simple returns of a price matrix: `r[t][j] = p[t+1][j] / p[t][j] − 1`.
 *
 * @param prices T x n prices (rows = dates, oldest first), every value finite and > 0.
 * @param labels optional column names and row dates (of the price rows), used only in error messages.
 * @returns (T − 1) x n simple returns; return row t belongs to price date t + 1.
 * @throws QuantError `E_INPUT_VALUE` naming the first bad cell (row-major order); `E_TOO_FEW_OBSERVATIONS`
 *   when there are fewer than 2 price rows.
 */
export function simpleReturns(prices: Matrix, labels?: SeriesLabels): Matrix {
  const { rows: T, cols: n, data } = prices;
  if (T < 2) {
    throw new QuantError('E_TOO_FEW_OBSERVATIONS', `need at least 2 price rows to form returns, got ${T}`, {
      hint: 'provide a longer price history',
    });
  }
  for (let k = 0; k < data.length; k++) {
    const p = data[k] as number;
    // `!(p > 0)` also catches NaN.
    if (!(p > 0) || p === Infinity) {
      const row = Math.floor(k / n);
      throw cellValueError(
        row,
        k - row * n,
        p,
        'price is not a finite positive number',
        'fix or remove the price (prices must be finite and > 0 to form simple returns)',
        labels,
      );
    }
  }
  const out = new Float64Array((T - 1) * n);
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * n;
    const cur = t * n;
    for (let j = 0; j < n; j++) out[prev + j] = (data[cur + j] as number) / (data[prev + j] as number) - 1;
  }
  return { rows: T - 1, cols: n, data: out };
}
