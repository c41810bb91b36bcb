/**
 * Exact reductions of the budget-and-box QP min ½wᵀΣw − qᵀw, 1ᵀw = 1, lo ≤ w ≤ hi for a positive
 * semidefinite Σ, applied before the active-set solve:
 *
 * - riskless assets (see `risklessAssets` in _inputs.ts) get rows and columns of exactly 0;
 * - identical assets — equal rows of Σ (up to rounding: every entry within 1e-15 of the larger
 *   variance, exactly equal for identical return columns) and equal q — are one asset to the objective:
 *   they are merged into one with bounds [Σ lo, Σ hi]. Every split of the merged weight is optimal, so the
 *   split is fixed by a rule: the minimum-norm split (each member clamp(τ, lo_i, hi_i), τ such that the
 *   members sum to the merged weight), which is the equal split when the bounds allow it. It does not
 *   depend on the order of the assets.
 *
 * All riskless assets with the same q are identical in this sense, so with q = 0 (minimum variance)
 * they form one group.
 */
import { AT_LOWER, AT_UPPER, FREE } from './_box-qp-parts.js';

export interface ReducedProblem {
  readonly n: number;
  /** The reduced Σ, n x n row-major (a fresh array when anything changed, else the input). */
  readonly sigma: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly q?: Float64Array;
  /** groups[k]: the original indices merged into reduced asset k, ascending (the first one's row is used). */
  readonly groups: readonly (readonly number[])[];
  /** True when some assets were merged. */
  readonly merged: boolean;
}

/** Relative tolerance for equal rows of Σ (rounding of a Gram product) and equal q. */
const SAME = 1e-15;

/** Reduce the problem; `riskless` are the riskless assets (their rows and columns are zeroed). */
export function reduceProblem(
  sigmaIn: Float64Array,
  n: number,
  lo: Float64Array,
  hi: Float64Array,
  q: Float64Array | undefined,
  riskless: readonly number[],
): ReducedProblem {
  let sigma = sigmaIn;
  if (riskless.length > 0) {
    sigma = Float64Array.from(sigmaIn);
    for (const i of riskless) {
      for (let j = 0; j < n; j++) {
        sigma[i * n + j] = 0;
        sigma[j * n + i] = 0;
      }
    }
  }
  let qScale = 0;
  if (q !== undefined) for (let i = 0; i < n; i++) qScale = Math.max(qScale, Math.abs(q[i] as number));
  const group = new Int32Array(n).fill(-1);
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) {
    if ((group[i] as number) >= 0) continue;
    group[i] = groups.length;
    const members = [i];
    for (let j = i + 1; j < n; j++) {
      if ((group[j] as number) < 0 && identical(sigma, n, q, qScale, i, j)) {
        group[j] = groups.length;
        members.push(j);
      }
    }
    groups.push(members);
  }
  if (groups.length === n)
    return { n, sigma, lo, hi, ...(q === undefined ? {} : { q }), groups, merged: false };
  const m = groups.length;
  const rs = new Float64Array(m * m);
  const rlo = new Float64Array(m);
  const rhi = new Float64Array(m);
  const rq = q === undefined ? undefined : new Float64Array(m);
  for (let a = 0; a < m; a++) {
    const ga = groups[a] as number[];
    const ia = ga[0] as number;
    for (let b = 0; b < m; b++)
      rs[a * m + b] = sigma[ia * n + ((groups[b] as number[])[0] as number)] as number;
    for (const i of ga) {
      rlo[a] = (rlo[a] as number) + (lo[i] as number);
      rhi[a] = (rhi[a] as number) + (hi[i] as number);
    }
    if (rq !== undefined && q !== undefined) rq[a] = q[ia] as number;
  }
  // Sums in another order may round the bounds of a (nearly) single feasible point to infeasible ones.
  for (let pass = 0; pass < 3; pass++) {
    let sumLo = 0;
    let sumHi = 0;
    for (let a = 0; a < m; a++) {
      sumLo += rlo[a] as number;
      sumHi += rhi[a] as number;
    }
    if (sumLo > 1) for (let a = 0; a < m; a++) rlo[a] = (rlo[a] as number) / sumLo;
    if (sumHi < 1) for (let a = 0; a < m; a++) rhi[a] = (rhi[a] as number) / sumHi;
    if (sumLo <= 1 && sumHi >= 1) break;
  }
  return { n: m, sigma: rs, lo: rlo, hi: rhi, ...(rq === undefined ? {} : { q: rq }), groups, merged: true };
}

/** Rows i and j of Σ equal up to rounding, and q_i = q_j up to rounding. */
function identical(
  sigma: Float64Array,
  n: number,
  q: Float64Array | undefined,
  qScale: number,
  i: number,
  j: number,
): boolean {
  const sii = sigma[i * n + i] as number;
  const sjj = sigma[j * n + j] as number;
  const tol = SAME * Math.max(sii, sjj);
  // Cheap filter first: the variance of r_i − r_j.
  if (!(sii + sjj - 2 * (sigma[i * n + j] as number) <= 4 * tol)) return false;
  if (q !== undefined && !(Math.abs((q[i] as number) - (q[j] as number)) <= SAME * qScale)) return false;
  const ri = i * n;
  const rj = j * n;
  for (let k = 0; k < n; k++) {
    if (!(Math.abs((sigma[ri + k] as number) - (sigma[rj + k] as number)) <= tol)) return false;
  }
  return true;
}

/**
 * Weights and states of the original assets from a solution of the reduced problem: each merged weight
 * split by the minimum-norm rule; a member of a held group is held like it, a member of a free group is
 * FREE unless its weight sits at one of its own bounds.
 */
export function expandSolution(
  reduced: ReducedProblem,
  n: number,
  lo: Float64Array,
  hi: Float64Array,
  w: Float64Array,
  state: Int8Array,
): { w: Float64Array; state: Int8Array } {
  if (!reduced.merged) return { w, state };
  const out = new Float64Array(n);
  const outState = new Int8Array(n);
  reduced.groups.forEach((members, a) => {
    const total = w[a] as number;
    if (members.length === 1) {
      const i = members[0] as number;
      out[i] = total;
      outState[i] = state[a] as number;
      return;
    }
    minimumNormSplit(members, total, lo, hi, out);
    // A held group holds every member at that bound; a free one's members at a bound of their own have a
    // zero multiplier, so either label fits.
    const groupState = state[a] as number;
    for (const i of members) {
      const x = out[i] as number;
      outState[i] =
        groupState !== FREE
          ? groupState
          : x <= (lo[i] as number)
            ? AT_LOWER
            : x >= (hi[i] as number)
              ? AT_UPPER
              : FREE;
    }
  });
  return { w: out, state: outState };
}

/**
 * out_i = clamp(τ, lo_i, hi_i) for the members, τ such that they sum to `total` (Σlo ≤ total ≤ Σhi):
 * the split of least Euclidean norm. Σ clamp(τ) is piecewise linear and non-decreasing in τ; τ is found
 * on the piece between two consecutive bounds, and the last member with room absorbs the rounding.
 */
export function minimumNormSplit(
  members: readonly number[],
  total: number,
  lo: Float64Array,
  hi: Float64Array,
  out: Float64Array,
): void {
  const points = [...new Set(members.flatMap((i) => [lo[i] as number, hi[i] as number]))].sort(
    (a, b) => a - b,
  );
  const sumAt = (tau: number): number =>
    members.reduce((s, i) => s + Math.min(hi[i] as number, Math.max(lo[i] as number, tau)), 0);
  let tau = points[points.length - 1] as number;
  for (let p = 1; p < points.length; p++) {
    const right = points[p] as number;
    const sRight = sumAt(right);
    if (sRight < total) continue;
    const left = points[p - 1] as number;
    const sLeft = sumAt(left);
    // On [left, right] the sum grows with slope = the number of members whose box contains the piece.
    let slope = 0;
    for (const i of members) if ((lo[i] as number) <= left && (hi[i] as number) >= right) slope++;
    tau = slope > 0 ? Math.min(right, Math.max(left, left + (total - sLeft) / slope)) : right;
    break;
  }
  if (points.length === 1) tau = points[0] as number;
  let sum = 0;
  for (const i of members) {
    out[i] = Math.min(hi[i] as number, Math.max(lo[i] as number, tau));
    sum += out[i] as number;
  }
  // Put the rounding of the sum on the last member with room.
  const gap = total - sum;
  if (gap !== 0) {
    for (let k = members.length - 1; k >= 0; k--) {
      const i = members[k] as number;
      const x = Math.min(hi[i] as number, Math.max(lo[i] as number, (out[i] as number) + gap));
      if (x - (out[i] as number) === gap) {
        out[i] = x;
        break;
      }
    }
  }
}
