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
 * M(u, m) + M(k, w) + d(m, k), pruned with the bound min d(m, k) — SciPy's float32 bound over the
 * block, and the exact minimum over m's row, which skips about 3-7x more candidates and cannot change
 * the best (test/unit/numeric/cluster/optimal-leaf-ordering-pruning.test.ts).
 *
 * Deliberately SciPy-compatible rather than textbook: SciPy keeps M in float32, and it fixes each node's
 * children orientation from that node's own best (u, w) while walking up the tree, instead of backtracking
 * from the root. That greedy step can miss the optimum, sometimes by far (scipy issue #11227). skfolio's
 * HRP, and so our golden references, rely on SciPy's result, so both quirks (and its sort order among
 * equal costs) are reproduced: the output equals SciPy's bit for bit. The root is never flipped.
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
  const mVals = new Float32Array(n);
  const mIdx = new Int32Array(n);
  const kVals = new Float32Array(n);
  const kIdx = new Int32Array(n);
  const rowBound = new Float64Array(n);
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
        const u0 = lo[uSide[sl] as number] as number;
        const u1 = hi[uSide[sl] as number] as number;
        const m0 = lo[mSide[sl] as number] as number;
        const m1 = hi[mSide[sl] as number] as number;
        const w0 = lo[wSide[sr] as number] as number;
        const w1 = hi[wSide[sr] as number] as number;
        const k0 = lo[kSide[sr] as number] as number;
        const k1 = hi[kSide[sr] as number] as number;
        const minKm = blockBounds(d, n, m0, m1, k0, k1, rowBound);
        // Sorting the inner candidates lets both loops stop at the first one that cannot win.
        const mCount = m1 - m0;
        const kCount = k1 - k0;
        // Sorted once per w (SciPy re-sorts per (u, w); M[{k}, w] does not change meanwhile).
        const kSorted = new Int32Array((w1 - w0) * kCount);
        const kCost = new Float32Array((w1 - w0) * kCount);
        for (let w = w0; w < w1; w++) {
          sortSlice(cost, n, kVals, kIdx, k0, k1, w);
          kSorted.set(kIdx.subarray(0, kCount), (w - w0) * kCount);
          kCost.set(kVals.subarray(0, kCount), (w - w0) * kCount);
        }
        for (let u = u0; u < u1; u++) {
          sortSlice(cost, n, mVals, mIdx, m0, m1, u);
          for (let w = w0; w < w1; w++) {
            const kBase = (w - w0) * kCount;
            const kFirst = kCost[kBase] as number;
            let best = Infinity;
            for (let mi = 0; mi < mCount; mi++) {
              const um = mVals[mi] as number;
              const first = Math.fround(um + kFirst);
              if (Math.fround(first + minKm) >= best) break;
              const m = mIdx[mi] as number;
              const bound = rowBound[m] as number;
              if (Math.fround(first + bound) >= best) continue;
              const mRow = m * n;
              for (let ki = kBase; ki < kBase + kCount; ki++) {
                const partial = Math.fround(um + (kCost[ki] as number));
                if (Math.fround(partial + bound) >= best) break;
                const total = Math.fround(partial + (d[mRow + (kSorted[ki] as number)] as number));
                if (total < best) best = total;
              }
            }
            cost[u * n + w] = best;
            cost[w * n + u] = best;
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

/**
 * SciPy's pruning bound for the block m ∈ [m0, m1), k ∈ [k0, k1): its float32 running minimum of
 * d(m, k) (returned). The exact minimum over each m's row is a bound too, and often a much tighter one:
 * rowBound[m] gets the larger of the two, which skips what SciPy skips plus candidates that cannot beat
 * the best so far, so the best stays exactly SciPy's.
 */
function blockBounds(
  d: Float64Array,
  n: number,
  m0: number,
  m1: number,
  k0: number,
  k1: number,
  rowBound: Float64Array,
): number {
  let minKm = Infinity;
  for (let m = m0; m < m1; m++) {
    let rowMin = Infinity;
    for (let k = k0; k < k1; k++) {
      const dmk = d[m * n + k] as number;
      if (dmk < minKm) minKm = Math.fround(dmk);
      if (dmk < rowMin) rowMin = dmk;
    }
    rowBound[m] = rowMin;
  }
  for (let m = m0; m < m1; m++) rowBound[m] = Math.max(minKm, rowBound[m] as number);
  return minKm;
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

/** Indices m0 … m1 − 1 ordered by cost[m][col], with SciPy's quicksort (its order among equal costs). */
function sortSlice(
  cost: Float32Array,
  n: number,
  vals: Float32Array,
  idx: Int32Array,
  m0: number,
  m1: number,
  col: number,
): void {
  for (let i = 0; i < m1 - m0; i++) {
    vals[i] = cost[(m0 + i) * n + col] as number;
    idx[i] = m0 + i;
  }
  quicksortPairs(vals, idx, 0, m1 - m0);
}

/** Median-of-three quicksort with a Lomuto partition, moving `idx` along with `vals`. */
function quicksortPairs(vals: Float32Array, idx: Int32Array, start: number, size: number): void {
  if (size <= 1) return;
  const last = start + size - 1;
  if (size === 2) {
    if ((vals[start] as number) > (vals[last] as number)) swap(vals, idx, start, last);
    return;
  }
  if (size === 3) {
    if ((vals[start] as number) > (vals[start + 1] as number)) swap(vals, idx, start, start + 1);
    if ((vals[start + 1] as number) > (vals[last] as number)) {
      swap(vals, idx, start + 1, last);
      if ((vals[start] as number) > (vals[start + 1] as number)) swap(vals, idx, start, start + 1);
    }
    return;
  }
  const mid = start + (size >> 1);
  if ((vals[start] as number) > (vals[last] as number)) swap(vals, idx, start, last);
  if ((vals[last] as number) > (vals[mid] as number)) {
    swap(vals, idx, last, mid);
    if ((vals[start] as number) > (vals[last] as number)) swap(vals, idx, start, last);
  }
  const pivot = vals[last] as number;
  let store = start;
  for (let i = start; i < last; i++) {
    if ((vals[i] as number) < pivot) swap(vals, idx, i, store++);
  }
  swap(vals, idx, store, last);
  const p = store - start;
  if (p > 1) quicksortPairs(vals, idx, start, p);
  if (p + 2 < size) quicksortPairs(vals, idx, store + 1, size - p - 1);
}

function swap(vals: Float32Array, idx: Int32Array, i: number, j: number): void {
  const v = vals[i] as number;
  vals[i] = vals[j] as number;
  vals[j] = v;
  const t = idx[i] as number;
  idx[i] = idx[j] as number;
  idx[j] = t;
}
