import { QuantError } from '../../errors.js';
import { squareOrder, type Matrix } from '../linalg/matrix.js';

/**
 * Inverse-variance weights: `wᵢ = (1/σᵢ²) / Σⱼ (1/σⱼ²)`, the minimum-variance portfolio when all
 * correlations are 0. Note skfolio's `InverseVolatility` uses 1/σ instead.
 *
 * @param cov n x n covariance (only the diagonal is read), n ≥ 1.
 * @returns length-n weights ≥ 0 summing to 1.
 * @throws QuantError `E_SINGULAR_COVARIANCE` when a variance is 0 or negative (the weight would be
 *   infinite), `E_INPUT_VALUE` when a variance is not finite or the matrix is not square, `E_TOO_FEW_ASSETS`
 *   when n = 0.
 */
export function inverseVariance(cov: Matrix): Float64Array {
  const n = squareOrder(cov, 'covariance');
  if (n === 0) throw new QuantError('E_TOO_FEW_ASSETS', 'inverse variance needs at least 1 asset');
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = cov.data[i * n + i] as number;
    if (!Number.isFinite(v)) {
      throw new QuantError('E_INPUT_VALUE', `variance of asset ${i} is not finite: ${v}`, {
        hint: 'the covariance must hold finite numbers: check the returns it was estimated from',
        details: { asset_index: i, variance: String(v) },
      });
    }
    if (!(v > 0) || 1 / v === Infinity) {
      throw new QuantError(
        'E_SINGULAR_COVARIANCE',
        `variance of asset ${i} is ${v}; inverse variance needs every variance > 0 (and 1/σ² finite)`,
        {
          hint: 'drop constant (zero-variance) assets or use equal weights',
          details: { asset_index: i, variance: v },
        },
      );
    }
    w[i] = 1 / v;
    total += 1 / v;
  }
  for (let i = 0; i < n; i++) w[i] = (w[i] as number) / total;
  return w;
}
