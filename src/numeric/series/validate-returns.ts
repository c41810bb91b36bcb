import type { Matrix } from '../linalg/matrix.js';
import { cellValueError, type SeriesLabels } from './_labels.js';

/**
 * Check that a T x n matrix of simple returns is usable: every value finite and ≥ −1 (a simple return
 * below −100 % is impossible for a long position and signals a data error).
 *
 * @param returns T x n simple returns.
 * @param labels optional column names and row dates, used only in error messages.
 * @throws QuantError `E_INPUT_VALUE` naming the first bad cell (row-major order).
 */
export function assertFiniteReturns(returns: Matrix, labels?: SeriesLabels): void {
  const { cols: n, data } = returns;
  for (let k = 0; k < data.length; k++) {
    const r = data[k] as number;
    if (r >= -1 && r !== Infinity) continue;
    const row = Math.floor(k / n);
    const finite = Number.isFinite(r);
    throw cellValueError(
      row,
      k - row * n,
      r,
      finite ? 'return is below -1 (a loss of more than 100 %)' : 'return is not a finite number',
      finite
        ? 'check the input: simple returns cannot be below -1; were log returns or percentages passed?'
        : 'remove or fill the missing value before optimising',
      labels,
    );
  }
}
