import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { cellValueError } from '../series/_labels.js';

/** Shape checks shared by the estimators (T x n returns). */
export function checkShape(returns: Matrix, minAssets: number): void {
  if (returns.cols < minAssets) {
    throw new QuantError(
      'E_TOO_FEW_ASSETS',
      `need at least ${minAssets} asset column(s), got ${returns.cols}`,
      {
        hint: 'add assets (columns) to the return matrix',
      },
    );
  }
  if (returns.rows < 2) {
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `need at least 2 observations (rows), got ${returns.rows}`,
      {
        hint: 'use a longer return history',
      },
    );
  }
}

/**
 * Called when a column mean came out non-finite: name the first NaN/Inf cell, or report an overflow.
 * Keeping the scan off the happy path saves a full pass over the data.
 */
export function nonFiniteInput(returns: Matrix): QuantError {
  const { cols: n, data } = returns;
  for (let k = 0; k < data.length; k++) {
    const v = data[k] as number;
    if (v - v === 0) continue; // false only for NaN and ±Infinity
    const row = Math.floor(k / n);
    return cellValueError(
      row,
      k - row * n,
      v,
      'return is not a finite number',
      'remove or fill missing values first',
      undefined,
    );
  }
  return new QuantError('E_INPUT_VALUE', 'returns are too large to average without overflow', {
    hint: 'pass simple returns (fractions), not prices or percentages',
  });
}
