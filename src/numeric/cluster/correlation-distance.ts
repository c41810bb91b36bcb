import type { Matrix } from '../linalg/matrix.js';
import { pairCorrelation, volatilities } from '../stats/correlation.js';

/**
 * Correlation distance of López de Prado (2016): `d[i][j] = √(clip((1 − ρ[i][j]) / 2, 0, 1))`, a metric
 * in [0, 1] (0 for ρ = 1, 1 for ρ = −1). The clip guards against |ρ| a rounding error above 1; the
 * diagonal is exactly 0.
 *
 * @param corr n x n correlation matrix.
 * @returns n x n symmetric distance matrix.
 */
export function correlationDistance(corr: Matrix): Matrix {
  const n = corr.rows;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) out[i * n + j] = distanceOfCorrelation(corr.data[i * n + j] as number);
    }
  }
  return { rows: n, cols: n, data: out };
}

/** √(clip((1 − ρ)/2, 0, 1)). */
function distanceOfCorrelation(r: number): number {
  let h = (1 - r) / 2;
  if (h < 0) h = 0;
  else if (h > 1) h = 1;
  return Math.sqrt(h);
}

/**
 * The correlation distances of a covariance in one pass, for the clustering of HRP: above the diagonal
 * the same numbers as `correlationDistance(covarianceToCorrelation(cov))` to the last bit, mirrored
 * below it (so the matrix is symmetric even where `cov` is only nearly so), 0 on the diagonal. Reads
 * only the diagonal and the upper triangle of `cov`, as the clustering reads only the upper triangle of
 * its distances; it skips the correlation matrix, the lower half of the work and the clustering's own
 * copy (`linkageOfSymmetric`). Built in square tiles so that the mirrored writes stay in cache.
 *
 * @param cov n x n covariance; entries above the diagonal must be finite (checked by the caller).
 * @throws QuantError `E_INPUT_VALUE` (a non-finite variance), `E_SINGULAR_COVARIANCE` (a negative one).
 */
export function covarianceDistances(cov: Matrix): Matrix {
  const n = cov.rows;
  const c = cov.data;
  const sigma = volatilities(cov);
  const d = new Float64Array(n * n);
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = i0; j0 < n; j0 += TILE) {
      const j1 = Math.min(n, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const si = sigma[i] as number;
        const row = i * n;
        for (let j = Math.max(j0, i + 1); j < j1; j++) {
          const v = distanceOfCorrelation(pairCorrelation(c[row + j] as number, si * (sigma[j] as number)));
          d[row + j] = v;
          d[j * n + i] = v;
        }
      }
    }
  }
  return { rows: n, cols: n, data: d };
}

/** Rows and columns of a tile of {@link covarianceDistances} (32 x 32 doubles: 8 KiB). */
const TILE = 32;
