import { QuantError } from '../../errors.js';
import { squareOrder, type Matrix } from '../linalg/matrix.js';

/**
 * Correlation matrix of a covariance: `ρ[i][j] = Σ[i][j] / √(Σ[i][i]·Σ[j][j])`, clipped to [−1, 1]
 * against rounding, with an exact 1 on the diagonal.
 *
 * A zero-variance asset (Σ[i][i] = 0) has no defined correlation; it is given correlation 0 with every
 * other asset and 1 with itself, so downstream code (HRP distances, heatmaps) never sees NaN. To the
 * clustering such an asset is then "unrelated" to everything (distance √½).
 *
 * @param cov n x n covariance (symmetric, finite, non-negative diagonal).
 * @returns n x n correlation.
 * @throws QuantError `E_INPUT_VALUE` (not square, non-finite), `E_SINGULAR_COVARIANCE` (negative variance).
 */
export function covarianceToCorrelation(cov: Matrix): Matrix {
  const n = squareOrder(cov, 'covariance');
  const c = cov.data;
  const sigma = volatilities(cov);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const si = sigma[i] as number;
    for (let j = 0; j < n; j++) {
      const cij = c[i * n + j] as number;
      if (cij - cij !== 0) {
        throw new QuantError('E_INPUT_VALUE', `covariance of assets ${i} and ${j} is not finite: ${cij}`);
      }
      out[i * n + j] = i === j ? 1 : pairCorrelation(cij, si * (sigma[j] as number));
    }
  }
  return { rows: n, cols: n, data: out };
}

/**
 * √Σ[i][i] of every asset of a square covariance.
 *
 * @throws QuantError `E_INPUT_VALUE` (a non-finite variance), `E_SINGULAR_COVARIANCE` (a negative one).
 */
export function volatilities(cov: Matrix): Float64Array {
  const n = cov.rows;
  const c = cov.data;
  const sigma = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = c[i * n + i] as number;
    if (!Number.isFinite(v))
      throw new QuantError('E_INPUT_VALUE', `variance of asset ${i} is not finite: ${v}`);
    if (v < 0) {
      throw new QuantError('E_SINGULAR_COVARIANCE', `variance of asset ${i} is negative: ${v}`, {
        hint: 'the covariance matrix is not positive semi-definite; check how it was estimated',
      });
    }
    sigma[i] = Math.sqrt(v);
  }
  return sigma;
}

/**
 * The correlation of two different assets from their covariance and the product of their volatilities:
 * clipped to [−1, 1]; 0 when the product is 0 (a zero variance, or two tiny deviations whose product
 * underflows).
 */
export function pairCorrelation(covariance: number, denominator: number): number {
  if (denominator === 0) return 0;
  const r = covariance / denominator;
  return r > 1 ? 1 : r < -1 ? -1 : r;
}
