import { QuantError } from '../../errors.js';
import { resolveBounds, type WeightBound } from './feasibility.js';

/**
 * Impose lo ≤ w ≤ hi and Σw = 1 on the weights of a method without native constraints (equal weight,
 * inverse variance, barbell) by iterative proportional redistribution (DESIGN §9):
 *
 * 1. clip every weight into [lo_i, hi_i];
 * 2. if the clipped weights sum to less than 1, add the deficit to the assets still below their upper
 *    bound in proportion to their weights (equally if those weights are all 0); if they sum to more than
 *    1, take the excess from the assets still above their lower bound in proportion to their weights;
 * 3. clip again and repeat until nothing moves.
 *
 * Each round pins at least one more asset at a bound, so it ends within n rounds; the order of the
 * weights is preserved. Examples: [0.9, 0.1] in [0.05, 0.5] → [0.5, 0.5]; [0.98, 0.01, 0.01] →
 * [0.5, 0.25, 0.25]. Weights that already satisfy the bounds and sum to 1 are returned unchanged.
 *
 * @param weights n non-negative weights (any positive sum).
 * @throws QuantError E_INPUT_VALUE for a negative or non-finite weight; E_INFEASIBLE_BOUNDS,
 *   E_TOO_FEW_ASSETS as {@link resolveBounds}.
 */
export function applyBounds(
  weights: Float64Array,
  minWeight: WeightBound,
  maxWeight: WeightBound,
): Float64Array {
  const n = weights.length;
  const { lo, hi } = resolveBounds(n, minWeight, maxWeight);
  for (let i = 0; i < n; i++) {
    const v = weights[i] as number;
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new QuantError(
        'E_INPUT_VALUE',
        `weight ${i} is ${v}; bounds apply to finite non-negative weights`,
        {
          hint: 'pass long-only weights',
          details: { index: i, weight: v },
        },
      );
    }
  }
  const w = weights.map((v, i) => Math.min(hi[i] as number, Math.max(lo[i] as number, v)));
  for (let round = 0; round <= n; round++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i] as number;
    if (Math.abs(1 - total) <= 1e-15) break;
    const raise = total < 1;
    // Movable assets take the whole gap, scaled multiplicatively (fewer roundings than adding shares).
    let pinned = 0;
    let base = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[i] as number;
      if (raise ? wi < (hi[i] as number) : wi > (lo[i] as number)) {
        base += wi;
        count++;
      } else {
        pinned += wi;
      }
    }
    if (count === 0) break;
    const target = 1 - pinned;
    for (let i = 0; i < n; i++) {
      const wi = w[i] as number;
      if (raise ? wi < (hi[i] as number) : wi > (lo[i] as number)) {
        const next = base > 0 ? (wi * target) / base : target / count;
        w[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, next));
      }
    }
  }
  return absorbRounding(w, lo, hi);
}

/** Put the last ≤ 1e-15 of rounding on the asset with the most room, so that Σw = 1 to the last bit. */
function absorbRounding(w: Float64Array, lo: Float64Array, hi: Float64Array): Float64Array {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i] as number;
  const gap = 1 - total;
  if (gap === 0) return w;
  let best = -1;
  let room = 0;
  for (let i = 0; i < w.length; i++) {
    const r = gap > 0 ? (hi[i] as number) - (w[i] as number) : (w[i] as number) - (lo[i] as number);
    if (r > room) {
      room = r;
      best = i;
    }
  }
  if (best >= 0 && room >= Math.abs(gap)) w[best] = (w[best] as number) + gap;
  return w;
}

/**
 * `w` with the rounding of a solver (a weight 1e-17 below its lower bound) undone: every weight outside
 * [lo_i, hi_i] clipped to the bound, the sum kept at 1 by the asset with the most room. Weights within
 * their bounds are returned as they are (the same array).
 */
export function snapToBounds(w: Float64Array, lo: Float64Array, hi: Float64Array): Float64Array {
  let outside = false;
  for (let i = 0; i < w.length; i++) {
    const v = w[i] as number;
    if (v < (lo[i] as number) || v > (hi[i] as number)) outside = true;
  }
  if (!outside) return w;
  const clipped = w.map((v, i) => Math.min(hi[i] as number, Math.max(lo[i] as number, v)));
  return absorbRounding(clipped, lo, hi);
}
