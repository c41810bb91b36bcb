/** KKT residuals of the budget-and-box QP min ½wᵀΣw − qᵀw, 1ᵀw = 1, lo ≤ w ≤ hi. */
import { AT_LOWER, FREE } from './_box-qp-parts.js';

/**
 * The size of the terms that cancel in the gradient Σw − q: max_i max(Σ_j |Σ_ij·w_j|, |q_i|), at least
 * 10⁻³ of the largest variance or |q_i|. Rounding errors of (Σw)_i are relative to the first, also when the
 * terms cancel (a portfolio of zero variance); the active-set solver resolves multipliers to 10⁻¹² of the
 * second, so with the floor its answers measure within 10⁻⁹ even when the free assets hold almost nothing.
 */
export function gradientScale(sigma: Float64Array, n: number, w: Float64Array, q?: Float64Array): number {
  let scale = 0;
  let floor = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const wj = w[j] as number;
      if (wj !== 0) s += Math.abs((sigma[i * n + j] as number) * wj);
    }
    const qi = Math.abs(q?.[i] ?? 0);
    scale = Math.max(scale, s, qi);
    floor = Math.max(floor, sigma[i * n + i] as number, qi);
  }
  return Math.max(scale, 1e-3 * floor);
}

/**
 * The largest violation of the KKT conditions at (w, γ): primal (bounds, budget) in weight units, and
 * dual — stationarity (Σw)_i − q_i = γ on free assets, sign of λ_i = (Σw)_i − q_i − γ on held ones
 * (≥ 0 at lo, ≤ 0 at hi) — relative to `scale`, the size of the gradient terms that cancel
 * ({@link gradientScale}).
 */
export function kktViolation(
  w: Float64Array,
  state: Int8Array,
  sigmaW: Float64Array,
  q: Float64Array | undefined,
  gamma: number,
  lo: Float64Array,
  hi: Float64Array,
  scale: number,
): number {
  const n = w.length;
  const s0 = scale > 0 ? scale : 1;
  let sum = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i] as number;
    sum += wi;
    worst = Math.max(worst, (lo[i] as number) - wi, wi - (hi[i] as number));
    const l = ((sigmaW[i] as number) - (q?.[i] ?? 0) - gamma) / s0;
    const s = state[i];
    worst = Math.max(worst, s === FREE ? Math.abs(l) : s === AT_LOWER ? -l : l);
  }
  return Math.max(worst, Math.abs(sum - 1));
}
