import type { Matrix } from '../linalg/matrix.js';

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
      if (i === j) continue;
      let h = (1 - (corr.data[i * n + j] as number)) / 2;
      if (h < 0) h = 0;
      else if (h > 1) h = 1;
      out[i * n + j] = Math.sqrt(h);
    }
  }
  return { rows: n, cols: n, data: out };
}
