/**
 * Building blocks of the active-set QP in _box-qp.ts: problem types, asset states, the starting vertex,
 * budget repair after a step, and the products with Σ it needs.
 */
import { QuantError } from '../../errors.js';

/** Asset states: held at the lower bound, free, held at the upper bound. */
export const AT_LOWER = -1;
export const FREE = 0;
export const AT_UPPER = 1;

export interface BoxQpProblem {
  readonly n: number;
  /** Σ, n x n row-major. */
  readonly sigma: Float64Array;
  /** Linear term q (absent: 0). */
  readonly q?: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** A feasible starting point with its working set (e.g. a previous solution). */
export interface BoxQpStart {
  readonly w: Float64Array;
  readonly state: Int8Array;
}

export interface BoxQpSolution {
  readonly w: Float64Array;
  /** Per asset: AT_LOWER, FREE or AT_UPPER. */
  readonly state: Int8Array;
  /** Budget multiplier γ: (Σw)_i − q_i = γ on the free set. */
  readonly gamma: number;
  /** Bound multipliers λ_i = (Σw)_i − q_i − γ (0 on the free set). */
  readonly lambda: Float64Array;
  /** Σw. */
  readonly sigmaW: Float64Array;
  readonly iterations: number;
}

/**
 * Put the rounding 1 − Σw on free assets with room: those not in `last` first (largest room first), then
 * those in `last` (which then leave their bound and stay free).
 */
export function restoreBudget(
  w: Float64Array,
  state: Int8Array,
  lo: Float64Array,
  hi: Float64Array,
  last: readonly number[],
): void {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i] as number;
  let gap = 1 - total;
  if (gap === 0) return;
  const inLast = new Set(last);
  const room = (i: number): number =>
    gap > 0 ? (hi[i] as number) - (w[i] as number) : (w[i] as number) - (lo[i] as number);
  // The gap is rounding-sized: one asset with room nearly always absorbs it; repeat otherwise.
  for (let pass = 0; pass < 2; pass++) {
    while (gap !== 0) {
      let best = -1;
      for (let i = 0; i < w.length; i++) {
        if (state[i] !== FREE || inLast.has(i) === (pass === 0)) continue;
        if (room(i) > 0 && (best < 0 || room(i) > room(best))) best = i;
      }
      if (best < 0) break;
      const r = room(best);
      const take = gap > 0 ? Math.min(gap, r) : Math.max(gap, -r);
      w[best] = (w[best] as number) + take;
      gap -= take;
    }
  }
}

/** r_i = q_i − Σ_{j held, w_j ≠ 0} Σ_ij·w_j. */
export function reducedLinearTerm(
  sigma: Float64Array,
  n: number,
  q: Float64Array,
  w: Float64Array,
  i: number,
  held: readonly number[],
): number {
  const ri = i * n;
  let g = 0;
  for (const j of held) g += (sigma[ri + j] as number) * (w[j] as number);
  return (q[i] as number) - g;
}

/** out = Σ·w, skipping zero weights (long-only solutions are sparse). */
export function multiplyNonZero(sigma: Float64Array, n: number, w: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j < n; j++) {
    const wj = w[j] as number;
    if (wj === 0) continue;
    // Σ is symmetric: accumulate column j as row j for contiguous reads.
    const rj = j * n;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (sigma[rj + i] as number) * wj;
  }
}

/**
 * A vertex of the feasible box-simplex: everything at its lower bound, then the remaining budget poured
 * into the assets with the smallest ½Σ_ii − q_i first, each up to its upper bound. The asset that takes
 * the last share is the single free one.
 */
export function vertexStart(problem: BoxQpProblem, q: Float64Array): BoxQpStart {
  const { n, sigma, lo, hi } = problem;
  const w = Float64Array.from(lo);
  const state = new Int8Array(n).fill(AT_LOWER);
  const order = Array.from({ length: n }, (_, i) => i);
  const cost = (i: number): number => 0.5 * (sigma[i * n + i] as number) - (q[i] as number);
  order.sort((a, b) => cost(a) - cost(b) || a - b);
  let rest = 1;
  for (let i = 0; i < n; i++) rest -= lo[i] as number;
  let free = order[0] as number;
  for (const i of order) {
    if (rest <= 0) break;
    const room = (hi[i] as number) - (lo[i] as number);
    free = i;
    if (room >= rest) {
      w[i] = (w[i] as number) + rest;
      rest = 0;
    } else {
      w[i] = hi[i] as number;
      state[i] = AT_UPPER;
      rest -= room;
    }
  }
  state[free] = FREE;
  return { w, state };
}

/** E_SINGULAR_COVARIANCE naming the asset whose pivot failed. */
export function singular(index: number): QuantError {
  return new QuantError(
    'E_SINGULAR_COVARIANCE',
    `the covariance matrix is singular on the assets the optimizer needs (asset index ${index} is a linear combination of others)`,
    {
      hint: 'remove duplicate or perfectly collinear assets, use more observations than assets, or use the ledoit_wolf covariance',
      details: { asset_index: index },
    },
  );
}
