import type { Matrix } from '../linalg/matrix.js';
import { checkShape } from './_check.js';
import { centredGram } from './_gram.js';

/** A shrunk covariance and the shrinkage intensity that produced it. */
export interface LedoitWolfResult {
  /** n x n `(1 − δ)·S + δ·m·I`, per period, 1/T normalisation (see {@link ledoitWolfCovariance}). */
  readonly covariance: Matrix;
  /** δ ∈ [0, 1]. */
  readonly shrinkage: number;
  /** The target's scale m = tr(S)/n (average variance). */
  readonly target: number;
}

/**
 * Ledoit–Wolf shrinkage of the covariance toward a scaled identity (Ledoit & Wolf 2004, "A well-conditioned
 * estimator for large-dimensional covariance matrices", J. Multivariate Analysis 88).
 *
 * Convention (that of scikit-learn's `LedoitWolf(assume_centered=False)`): the returns are centred by their
 * column means and the empirical covariance is `S = XᵀX / T` (1/T, not 1/(T − 1)); so the result is
 * per period and (T − 1)/T times the scale of `sampleCovariance`. With the scaled Frobenius
 * norm ‖A‖² = tr(AAᵀ)/n and xₜ the centred row t:
 *
 *   m = tr(S)/n,  d² = ‖S − m·I‖²,  b̄² = (1/T²) Σₜ ‖xₜxₜᵀ − S‖²,  b² = min(b̄², d²),
 *   δ = b²/d² (0 when d² = 0),  Σ̂ = (1 − δ)·S + δ·m·I.
 *
 * b̄² is computed from the expansion Σₜ‖xₜxₜᵀ − S‖² = Σₜ‖xₜ‖⁴ − T·‖S‖²_F (times 1/n), so the cost is
 * that of one covariance.
 *
 * @param returns T x n returns, T ≥ 2, n ≥ 2, all finite.
 * @throws QuantError `E_TOO_FEW_OBSERVATIONS` (T < 2), `E_TOO_FEW_ASSETS` (n < 2), `E_INPUT_VALUE`.
 */
export function ledoitWolfCovariance(returns: Matrix): LedoitWolfResult {
  checkShape(returns, 2);
  const { rows: T, cols: n } = returns;
  const { means, gram: s } = centredGram(returns, T);

  let trace = 0;
  let frob2 = 0;
  for (let i = 0; i < n; i++) trace += s[i * n + i] as number;
  for (let k = 0; k < n * n; k++) frob2 += (s[k] as number) * (s[k] as number);
  const m = trace / n;

  // Σₜ ‖xₜ‖⁴ with ‖xₜ‖² = Σⱼ x[t][j]² (x the centred returns).
  const { data } = returns;
  const rowNorm2 = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const row = t * n;
    let norm2 = 0;
    for (let j = 0; j < n; j++) {
      const v = (data[row + j] as number) - (means[j] as number);
      norm2 += v * v;
    }
    rowNorm2[t] = norm2;
  }
  let fourth = 0;
  for (let t = 0; t < T; t++) fourth += (rowNorm2[t] as number) * (rowNorm2[t] as number);

  const bBar2 = (fourth / T - frob2) / (n * T);
  // ‖S − mI‖²_F = ‖S‖²_F − 2m·tr(S) + n·m².
  const d2 = (frob2 - 2 * m * trace + n * m * m) / n;
  const b2 = Math.min(bBar2, d2);
  const shrinkage = b2 <= 0 ? 0 : b2 / d2;

  const out = new Float64Array(n * n);
  const keep = 1 - shrinkage;
  for (let k = 0; k < n * n; k++) out[k] = keep * (s[k] as number);
  for (let i = 0; i < n; i++) out[i * n + i] = (out[i * n + i] as number) + shrinkage * m;
  return { covariance: { rows: n, cols: n, data: out }, shrinkage, target: m };
}
