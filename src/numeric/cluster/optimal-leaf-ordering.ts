import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { leavesList } from './leaf-order.js';
import type { LinkageMatrix } from './linkage.js';

/**
 * Optimal leaf ordering (Bar-Joseph, Gifford & Jaakkola 2001, "Fast optimal leaf ordering for hierarchical
 * clustering", Bioinformatics 17 S22): flip children of the tree to shorten the sum of distances between
 * adjacent leaves, without changing the clustering. Equivalent to
 * `scipy.cluster.hierarchy.optimal_leaf_ordering(Z, squareform(distance))`, which skfolio's HRP applies.
 *
 * For every node v with children l and r the dynamic programme computes, for each pair of a leftmost
 * leaf u ∈ l and a rightmost leaf w ∈ r, the best cost M(u, w) = min over m ∈ l, k ∈ r of
 * M(u, m) + M(k, w) + d(m, k). Done pair by pair that is |l|²·|r|² work at v, O(n⁴) in all for a
 * balanced tree (SciPy's loop, which sorts and stops early, is this in the worst case). Bar-Joseph et al.
 * split it: P(u, k) = min over m of M(u, m) + d(m, k) first (|l|²·|r|), then M(u, w) = min over k of
 * P(u, k) + M(k, w) (|l|·|r|²); Σ over the nodes of |l|·|r|·(|l| + |r|) ≤ n·Σ |l|·|r| = n·n(n − 1)/2, so
 * O(n³) in all, whatever the shape of the tree (each pair of leaves meets at exactly one node), plus |m|
 * per k within the rounding margin of the best (about one k per pair u, w on real data; distances that
 * are all equal fall back to pair-by-pair work). SciPy sums
 * in float32 in the other grouping, so the split finds the candidates in float64 and the float32 sum is
 * taken on those within the rounding margin (see bestCosts): the costs are SciPy's to the last bit
 * (test/unit/numeric/cluster/optimal-leaf-ordering-pruning.test.ts).
 *
 * Deliberately SciPy-compatible rather than textbook: SciPy keeps M in float32, and it fixes each node's
 * children orientation from that node's own best (u, w) while walking up the tree, instead of backtracking
 * from the root. That greedy step can miss the optimum, sometimes by far (scipy issue #11227). skfolio's
 * HRP, and so our golden references, rely on SciPy's result, so both quirks (and its choice among
 * equally cheap pairs u, w) are reproduced: the output equals SciPy's bit for bit. The root is never flipped.
 *
 * @param z (n − 1) x 4 linkage matrix (SciPy format).
 * @param distance n x n distances the tree was built from; the upper triangle is read. Distances are
 *   expected to be moderate (e.g. correlation distances in [0, 1]): costs are summed in float32.
 * @returns a new linkage matrix, same merges and heights, children swapped where needed.
 */
export function optimalLeafOrdering(z: LinkageMatrix, distance: Matrix): LinkageMatrix {
  const n = z.rows + 1;
  if (distance.rows !== n || distance.cols !== n) {
    throw new QuantError(
      'E_INPUT_VALUE',
      `distance matrix is ${distance.rows} x ${distance.cols} but the linkage has ${n} leaves`,
    );
  }
  const out = new Float64Array(z.data);
  if (n < 3) return { rows: z.rows, cols: 4, data: out };

  // Work in leaf-position space: then every cluster is a contiguous range of positions.
  const leaves = leavesList(z);
  const position = new Int32Array(n);
  leaves.forEach((leaf, p) => (position[leaf] = p));
  const left = new Int32Array(n - 1);
  const right = new Int32Array(n - 1);
  const lo = new Int32Array(2 * n - 1);
  const hi = new Int32Array(2 * n - 1);
  for (let p = 0; p < n; p++) {
    lo[p] = p;
    hi[p] = p + 1;
  }
  for (let k = 0; k < n - 1; k++) {
    const a = z.data[k * 4] as number;
    const b = z.data[k * 4 + 1] as number;
    const l = a < n ? (position[a] as number) : a;
    const r = b < n ? (position[b] as number) : b;
    left[k] = l;
    right[k] = r;
    lo[n + k] = lo[l] as number;
    hi[n + k] = hi[r] as number;
  }
  const sorted = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    const i = leaves[p] as number;
    for (let q = 0; q < n; q++) {
      const j = leaves[q] as number;
      sorted[p * n + q] = i === j ? 0 : (distance.data[i < j ? i * n + j : j * n + i] as number);
    }
  }

  const mustSwap = identifySwaps(left, right, lo, hi, sorted, n);

  // A swap mirrors the whole subtree, so a node's children end up swapped iff an odd number of the node
  // and its ancestors must swap. Parents come after children in Z, so walk from the root down.
  const parent = new Int32Array(n - 1).fill(-1);
  for (let k = 0; k < n - 1; k++) {
    if ((left[k] as number) >= n) parent[(left[k] as number) - n] = k;
    if ((right[k] as number) >= n) parent[(right[k] as number) - n] = k;
  }
  const flip = new Uint8Array(n - 1);
  for (let k = n - 2; k >= 0; k--) {
    const p = parent[k] as number;
    flip[k] = (mustSwap[k] as number) ^ (p < 0 ? 0 : (flip[p] as number));
    if (flip[k] === 1) {
      out[k * 4] = z.data[k * 4 + 1] as number;
      out[k * 4 + 1] = z.data[k * 4] as number;
    }
  }
  return { rows: z.rows, cols: 4, data: out };
}

/** The dynamic programme; returns, per merge, whether its children must be swapped. */
function identifySwaps(
  left: Int32Array,
  right: Int32Array,
  lo: Int32Array,
  hi: Int32Array,
  d: Float64Array,
  n: number,
): Uint8Array {
  const cost = new Float32Array(n * n);
  const swapLeft = new Uint8Array(n * n);
  const swapRight = new Uint8Array(n * n);
  const mustSwap = new Uint8Array(n - 1);
  const partials = createPartials(n);
  const uSide = [0, 0];
  const mSide = [0, 0];
  const wSide = [0, 0];
  const kSide = [0, 0];

  for (let v = 0; v < n - 1; v++) {
    const vl = left[v] as number;
    const vr = right[v] as number;
    const nu = vl < n ? 1 : 2;
    const nw = vr < n ? 1 : 2;
    if (vl < n) {
      uSide[0] = mSide[0] = vl;
    } else {
      uSide[0] = mSide[1] = left[vl - n] as number;
      uSide[1] = mSide[0] = right[vl - n] as number;
    }
    if (vr < n) {
      wSide[0] = kSide[0] = vr;
    } else {
      wSide[0] = kSide[1] = right[vr - n] as number;
      wSide[1] = kSide[0] = left[vr - n] as number;
    }
    for (let sl = 0; sl < nu; sl++) {
      for (let sr = 0; sr < nw; sr++) {
        const block: Block = {
          u0: lo[uSide[sl] as number] as number,
          u1: hi[uSide[sl] as number] as number,
          m0: lo[mSide[sl] as number] as number,
          m1: hi[mSide[sl] as number] as number,
          w0: lo[wSide[sr] as number] as number,
          w1: hi[wSide[sr] as number] as number,
          k0: lo[kSide[sr] as number] as number,
          k1: hi[kSide[sr] as number] as number,
        };
        bestCosts(cost, d, n, block, partials);
        for (let u = block.u0; u < block.u1; u++) {
          for (let w = block.w0; w < block.w1; w++) {
            swapLeft[u * n + w] = swapLeft[w * n + u] = sl;
            swapRight[u * n + w] = swapRight[w * n + u] = sr;
          }
        }
      }
    }
    const at = bestPair(cost, n, lo[vl] as number, hi[vl] as number, lo[vr] as number, hi[vr] as number);
    if (vl >= n) mustSwap[vl - n] = swapLeft[at] as number;
    if (vr >= n) mustSwap[vr - n] = swapRight[at] as number;
  }
  return mustSwap;
}

/** Position ranges [u0, u1) … of one orientation of a node: u, m in the left child, k, w in the right. */
interface Block {
  readonly u0: number;
  readonly u1: number;
  readonly m0: number;
  readonly m1: number;
  readonly w0: number;
  readonly w1: number;
  readonly k0: number;
  readonly k1: number;
}

/** 2^-22: four times float32's unit roundoff (see bestCosts). */
const FLOAT32_SLACK = 2 ** -22;

/**
 * Scratch of one block, |u-side| x |k-side| entries (≤ n²/4): min over m of M(u, m) + d(m, k) (`best`),
 * the m attaining it (`at`) and the next smallest sum over the other m (`second`).
 */
interface Partials {
  readonly best: Float64Array;
  readonly second: Float64Array;
  readonly at: Int32Array;
}

function createPartials(n: number): Partials {
  const size = Math.floor((n * n) / 4) + 1;
  return { best: new Float64Array(size), second: new Float64Array(size), at: new Int32Array(size) };
}

/**
 * M(u, w) = min over m, k of F(m, k) = fround(fround(M(u, m) + M(k, w)) + d(m, k)) for every u, w of the
 * block, the value SciPy's float32 loop computes, in O(|u|·|m|·|k| + |u|·|w|·|k|) (Bar-Joseph et al.'s
 * split) rather than O(|u|·|m|·|k|·|w|).
 *
 * The split needs the sum regrouped as (M(u, m) + d(m, k)) + M(k, w), which float32 rounding would not
 * allow, so it is done in float64 to find the candidates and F is then evaluated in SciPy's order on
 * those only. With E(m, k) the exact sum and S a bound on |M(u, m)| + |M(k, w)| + |d(m, k)|, every
 * rounding is relative and at most 2^-24 (2^-53 for the float64 addition), so |F − E| ≤ δ = 2^-22·S/2.
 * The pair that attains min F therefore has E ≤ min F + δ ≤ F(argmin E) + δ ≤ min E + 2δ: only pairs
 * within 2δ = 2^-22·S of min E are evaluated (float64's own error, ~2^-52·S, is well inside the margin).
 * The minimum is a value, so which of several equal candidates attains it does not matter.
 */
function bestCosts(cost: Float32Array, d: Float64Array, n: number, b: Block, p: Partials): void {
  const { u0, u1, m0, m1, w0, w1, k0, k1 } = b;
  const kCount = k1 - k0;
  const slack =
    FLOAT32_SLACK *
    (maxAbs(cost, n, u0, u1, m0, m1) + maxAbs(cost, n, w0, w1, k0, k1) + maxAbs(d, n, m0, m1, k0, k1));
  for (let u = u0; u < u1; u++) partialRow(cost, d, n, u, m0, m1, k0, kCount, p, (u - u0) * kCount);
  const best = p.best;
  for (let u = u0; u < u1; u++) {
    const row = (u - u0) * kCount;
    for (let w = w0; w < w1; w++) {
      // M is symmetric: M(k, w) is read along row w.
      const bRow = w * n + k0;
      // The two smallest sums over k: when the second misses the limit, one k holds every candidate.
      let eMin = Infinity;
      let eNext = Infinity;
      let kMin = 0;
      for (let kk = 0; kk < kCount; kk++) {
        const e = (best[row + kk] as number) + (cost[bRow + kk] as number);
        if (e < eNext) {
          if (e < eMin) {
            eNext = eMin;
            eMin = e;
            kMin = kk;
          } else {
            eNext = e;
          }
        }
      }
      const limit = eMin + slack;
      const one = eNext > limit;
      const kFrom = one ? kMin : 0;
      const kTo = one ? kMin + 1 : kCount;
      const m = bestCandidate(cost, d, n, u, m0, m1, k0, kFrom, kTo, bRow, p, row, limit);
      cost[u * n + w] = m;
      cost[w * n + u] = m;
    }
  }
}

/**
 * The partial sums of row u over k0 … k0 + kCount − 1, from entry `row` of the scratch: four rows m of d
 * at a time (contiguous in k); the two smallest sums are kept, the second updated only when beaten.
 */
function partialRow(
  cost: Float32Array,
  d: Float64Array,
  n: number,
  u: number,
  m0: number,
  m1: number,
  k0: number,
  kCount: number,
  p: Partials,
  row: number,
): void {
  p.best.fill(Infinity, row, row + kCount);
  const second = p.second;
  second.fill(Infinity, row, row + kCount);
  const costRow = u * n;
  let m = m0;
  for (; m + 3 < m1; m += 4) {
    const a0 = cost[costRow + m] as number;
    const a1 = cost[costRow + m + 1] as number;
    const a2 = cost[costRow + m + 2] as number;
    const a3 = cost[costRow + m + 3] as number;
    const r0 = m * n + k0;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let kk = 0; kk < kCount; kk++) {
      const e0 = a0 + (d[r0 + kk] as number);
      const e1 = a1 + (d[r1 + kk] as number);
      const e2 = a2 + (d[r2 + kk] as number);
      const e3 = a3 + (d[r3 + kk] as number);
      const s = second[row + kk] as number;
      if (e0 < s || e1 < s || e2 < s || e3 < s) {
        const i = row + kk;
        offer(p, i, e0, m);
        offer(p, i, e1, m + 1);
        offer(p, i, e2, m + 2);
        offer(p, i, e3, m + 3);
      }
    }
  }
  for (; m < m1; m++) {
    const a = cost[costRow + m] as number;
    const dRow = m * n + k0;
    for (let kk = 0; kk < kCount; kk++) offer(p, row + kk, a + (d[dRow + kk] as number), m);
  }
}

/** Keep the two smallest sums at entry i (equal sums make best = second). */
function offer(p: Partials, i: number, e: number, m: number): void {
  if (!(e < (p.second[i] as number))) return;
  if (e < (p.best[i] as number)) {
    p.second[i] = p.best[i] as number;
    p.best[i] = e;
    p.at[i] = m;
  } else {
    p.second[i] = e;
  }
}

/**
 * min F(m, k) over the pairs whose float64 sum (M(u, m) + d(m, k)) + M(k, w) is at most `limit`, F in
 * SciPy's float32 order, for k0 + kFrom ≤ k < k0 + kTo. Where even the second smallest sum over m misses
 * the limit, the m attaining the smallest is the only candidate for that k; otherwise every m is tried.
 */
function bestCandidate(
  cost: Float32Array,
  d: Float64Array,
  n: number,
  u: number,
  m0: number,
  m1: number,
  k0: number,
  kFrom: number,
  kTo: number,
  bRow: number,
  p: Partials,
  row: number,
  limit: number,
): number {
  let best = Infinity;
  for (let kk = kFrom; kk < kTo; kk++) {
    const bk = cost[bRow + kk] as number;
    if ((p.best[row + kk] as number) + bk > limit) continue;
    // d is symmetric: d(m, k) is read along row k.
    const dRow = (k0 + kk) * n;
    const only = (p.second[row + kk] as number) + bk > limit;
    const from = only ? (p.at[row + kk] as number) : m0;
    const to = only ? from + 1 : m1;
    for (let m = from; m < to; m++) {
      const a = cost[u * n + m] as number;
      const dmk = d[dRow + m] as number;
      if (a + dmk + bk > limit) continue;
      const total = Math.fround(Math.fround(a + bk) + dmk);
      if (total < best) best = total;
    }
  }
  return best;
}

/** max |x(i, j)| over i ∈ [i0, i1), j ∈ [j0, j1) of the n-column matrix x. */
function maxAbs(
  x: Float32Array | Float64Array,
  n: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
): number {
  let max = 0;
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) max = Math.max(max, Math.abs(x[i * n + j] as number));
  }
  return max;
}

/** The index u·n + w of the cheapest pair u ∈ [u0, u1), w ∈ [w0, w1) (the first in row order on ties). */
function bestPair(cost: Float32Array, n: number, u0: number, u1: number, w0: number, w1: number): number {
  let best = Infinity;
  let at = 0;
  for (let u = u0; u < u1; u++) {
    for (let w = w0; w < w1; w++) {
      if ((cost[u * n + w] as number) < best) {
        best = cost[u * n + w] as number;
        at = u * n + w;
      }
    }
  }
  return at;
}
