/** KKT residuals of the budget-and-box QP min ½wᵀΣw − qᵀw, 1ᵀw = 1, lo ≤ w ≤ hi. */
import { AT_LOWER, FREE } from './_box-qp.js';

/**
 * The largest violation of the KKT conditions at (w, γ): primal (bounds, budget) in weight units, and
 * dual — stationarity (Σw)_i − q_i = γ on free assets, sign of λ_i = (Σw)_i − q_i − γ on held ones
 * (≥ 0 at lo, ≤ 0 at hi) — relative to max_i max(|(Σw)_i|, |q_i|) (the gradient terms that cancel).
 */
export function kktViolation(
  w: Float64Array,
  state: Int8Array,
  sigmaW: Float64Array,
  q: Float64Array | undefined,
  gamma: number,
  lo: Float64Array,
  hi: Float64Array,
): number {
  const n = w.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(sigmaW[i] as number), Math.abs(q?.[i] ?? 0));
  scale = scale > 0 ? scale : 1;
  let sum = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i] as number;
    sum += wi;
    worst = Math.max(worst, (lo[i] as number) - wi, wi - (hi[i] as number));
    const l = ((sigmaW[i] as number) - (q?.[i] ?? 0) - gamma) / scale;
    const s = state[i];
    worst = Math.max(worst, s === FREE ? Math.abs(l) : s === AT_LOWER ? -l : l);
  }
  return Math.max(worst, Math.abs(sum - 1));
}
