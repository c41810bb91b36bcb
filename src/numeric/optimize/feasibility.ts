/**
 * Weight bounds shared by the constrained optimizers: validation (one clear error per problem) and
 * resolution to per-asset arrays. A bound is a scalar (the same for every asset) or a Float64Array of
 * length n.
 */
import { QuantError } from '../../errors.js';

/** A weight bound: one number for every asset, or one per asset. */
export type WeightBound = number | Float64Array;

/** Bounds as per-asset arrays, checked feasible: Σlo ≤ 1 ≤ Σhi, 0 ≤ lo_i ≤ hi_i ≤ 1. */
export interface ResolvedBounds {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** Slack on Σlo ≤ 1 ≤ Σhi so that e.g. 20 × 0.05 is not rejected for rounding. */
const BOUNDS_TOLERANCE = 1e-12;

/**
 * Throw unless long-only weights of n assets can satisfy lo ≤ w ≤ hi and Σw = 1.
 *
 * - n < 2 → `E_TOO_FEW_ASSETS`;
 * - lo < 0, hi > 1, lo > hi, a non-finite bound, n·lo > 1 + 1e-12 or n·hi < 1 − 1e-12 (Σlo / Σhi for
 *   per-asset bounds) → `E_INFEASIBLE_BOUNDS`, with the numbers and the fix in the message.
 */
export function assertFeasibleBounds(n: number, lo: WeightBound, hi: WeightBound): void {
  resolveBounds(n, lo, hi);
}

/**
 * Validate bounds (as {@link assertFeasibleBounds}) and return them as per-asset arrays. When Σlo or
 * Σhi is within {@link BOUNDS_TOLERANCE} of 1 on the wrong side, the bounds are scaled by that rounding
 * so that the single feasible point is exactly representable.
 */
export function resolveBounds(n: number, lo: WeightBound, hi: WeightBound): ResolvedBounds {
  if (!Number.isInteger(n) || n < 2) {
    throw new QuantError('E_TOO_FEW_ASSETS', `a portfolio optimizer needs at least 2 assets, got ${n}`, {
      hint: 'add assets, or hold a single asset directly',
      details: { n },
    });
  }
  const loArr = toArray(n, lo, 'min_weight');
  const hiArr = toArray(n, hi, 'max_weight');
  let sumLo = 0;
  let sumHi = 0;
  for (let i = 0; i < n; i++) {
    const l = loArr[i] as number;
    const h = hiArr[i] as number;
    const at = typeof lo === 'number' && typeof hi === 'number' ? '' : ` for asset ${i}`;
    if (l < 0)
      infeasible(`min_weight${at} is ${l}, below 0; weights are long-only`, 'use min_weight ≥ 0', n, lo, hi);
    if (h > 1) infeasible(`max_weight${at} is ${h}, above 1`, 'use max_weight ≤ 1', n, lo, hi);
    if (l > h)
      infeasible(
        `min_weight${at} (${l}) exceeds max_weight (${h})`,
        'use min_weight ≤ max_weight',
        n,
        lo,
        hi,
      );
    sumLo += l;
    sumHi += h;
  }
  if (sumLo > 1 + BOUNDS_TOLERANCE) {
    const what =
      typeof lo === 'number'
        ? `${n} assets × min_weight ${lo} = ${sumLo}`
        : `the min_weights sum to ${sumLo}`;
    const fix =
      typeof lo === 'number'
        ? `lower min_weight to at most 1/${n} = ${1 / n}`
        : 'lower the min_weights so that they sum to at most 1';
    infeasible(`${what} > 1: the weights cannot sum to 1`, fix, n, lo, hi);
  }
  if (sumHi < 1 - BOUNDS_TOLERANCE) {
    const what =
      typeof hi === 'number'
        ? `${n} assets × max_weight ${hi} = ${sumHi}`
        : `the max_weights sum to ${sumHi}`;
    const fix =
      typeof hi === 'number'
        ? `raise max_weight to at least 1/${n} = ${1 / n}`
        : 'raise the max_weights so that they sum to at least 1';
    infeasible(`${what} < 1: the weights cannot sum to 1`, fix, n, lo, hi);
  }
  if (sumLo > 1) for (let i = 0; i < n; i++) loArr[i] = (loArr[i] as number) / sumLo;
  if (sumHi < 1) for (let i = 0; i < n; i++) hiArr[i] = Math.min(1, (hiArr[i] as number) / sumHi);
  return { lo: loArr, hi: hiArr };
}

function toArray(n: number, bound: WeightBound, name: string): Float64Array {
  if (typeof bound === 'number') {
    if (!Number.isFinite(bound)) {
      throw new QuantError('E_INFEASIBLE_BOUNDS', `${name} must be a finite number, got ${bound}`, {
        hint: `set ${name} in [0, 1]`,
      });
    }
    return new Float64Array(n).fill(bound);
  }
  if (bound.length !== n) {
    throw new QuantError('E_INFEASIBLE_BOUNDS', `${name} has ${bound.length} values for ${n} assets`, {
      hint: `give one ${name} per asset`,
    });
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(bound[i])) {
      throw new QuantError(
        'E_INFEASIBLE_BOUNDS',
        `${name} for asset ${i} must be a finite number, got ${bound[i]}`,
        { hint: `set ${name} in [0, 1]` },
      );
    }
  }
  return Float64Array.from(bound);
}

function infeasible(message: string, fix: string, n: number, lo: WeightBound, hi: WeightBound): never {
  throw new QuantError('E_INFEASIBLE_BOUNDS', `infeasible weight bounds: ${message}`, {
    hint: fix,
    details: {
      n,
      min_weight: typeof lo === 'number' ? lo : Array.from(lo),
      max_weight: typeof hi === 'number' ? hi : Array.from(hi),
    },
  });
}
