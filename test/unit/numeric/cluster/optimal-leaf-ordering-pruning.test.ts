// The shortcuts of optimalLeafOrdering (the O(n³) split done in float64, then SciPy's float32 sum on the
// candidates within the rounding margin) never change its answer: against the same dynamic programme with
// every pair m, k visited in SciPy's float32 order. Distances exactly representable in float32 with many
// ties (a coarse grid), so the tie rules are exercised; float64 distances whose differences lie below
// float32's resolution, so that rounding decides which candidate is cheapest; and plain random ones.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { linkage, type LinkageMatrix } from '../../../../src/numeric/cluster/linkage.js';
import { leavesList } from '../../../../src/numeric/cluster/leaf-order.js';
import { optimalLeafOrdering } from '../../../../src/numeric/cluster/optimal-leaf-ordering.js';
import { seededRandom } from '../../../helpers/random.js';

/** SciPy's dynamic programme (float32 costs, greedy orientation per node) without any pruning. */
function unprunedOrdering(z: LinkageMatrix, distance: Matrix): Float64Array {
  const n = z.rows + 1;
  const leaves = leavesList(z);
  const pos = new Int32Array(n);
  leaves.forEach((leaf, p) => (pos[leaf] = p));
  const d = (p: number, q: number): number => distance.data[leaves[p]! * n + leaves[q]!]!;
  const left: number[] = [];
  const right: number[] = [];
  const lo: number[] = Array.from({ length: n }, (_, p) => p);
  const hi: number[] = Array.from({ length: n }, (_, p) => p + 1);
  for (let k = 0; k < n - 1; k++) {
    const a = z.data[k * 4]!;
    const b = z.data[k * 4 + 1]!;
    left[k] = a < n ? pos[a]! : a;
    right[k] = b < n ? pos[b]! : b;
    lo[n + k] = lo[left[k]!]!;
    hi[n + k] = hi[right[k]!]!;
  }
  const cost = new Float32Array(n * n);
  const swapL = new Uint8Array(n * n);
  const swapR = new Uint8Array(n * n);
  const mustSwap = new Uint8Array(n - 1);
  for (let v = 0; v < n - 1; v++) {
    const vl = left[v]!;
    const vr = right[v]!;
    // Side s of a child: [outer part, inner part]; s = 1 is the child flipped.
    const sides = (c: number, outerIsLeft: boolean): [number, number][] =>
      c < n
        ? [[c, c]]
        : outerIsLeft
          ? [
              [left[c - n]!, right[c - n]!],
              [right[c - n]!, left[c - n]!],
            ]
          : [
              [right[c - n]!, left[c - n]!],
              [left[c - n]!, right[c - n]!],
            ];
    const us = sides(vl, true);
    const ws = sides(vr, false);
    for (let sl = 0; sl < us.length; sl++) {
      for (let sr = 0; sr < ws.length; sr++) {
        const [uc, mc] = us[sl]!;
        const [wc, kc] = ws[sr]!;
        for (let u = lo[uc]!; u < hi[uc]!; u++) {
          for (let w = lo[wc]!; w < hi[wc]!; w++) {
            let best = Infinity;
            for (let m = lo[mc]!; m < hi[mc]!; m++) {
              for (let k = lo[kc]!; k < hi[kc]!; k++) {
                const total = Math.fround(Math.fround(cost[u * n + m]! + cost[k * n + w]!) + d(m, k));
                if (total < best) best = total;
              }
            }
            cost[u * n + w] = cost[w * n + u] = best;
            swapL[u * n + w] = swapL[w * n + u] = sl;
            swapR[u * n + w] = swapR[w * n + u] = sr;
          }
        }
      }
    }
    let best = Infinity;
    let at = 0;
    for (let u = lo[vl]!; u < hi[vl]!; u++) {
      for (let w = lo[vr]!; w < hi[vr]!; w++) {
        if (cost[u * n + w]! < best) {
          best = cost[u * n + w]!;
          at = u * n + w;
        }
      }
    }
    if (vl >= n) mustSwap[vl - n] = swapL[at]!;
    if (vr >= n) mustSwap[vr - n] = swapR[at]!;
  }
  const out = new Float64Array(z.data);
  const parent = new Int32Array(n - 1).fill(-1);
  for (let k = 0; k < n - 1; k++) {
    if (left[k]! >= n) parent[left[k]! - n] = k;
    if (right[k]! >= n) parent[right[k]! - n] = k;
  }
  const flip = new Uint8Array(n - 1);
  for (let k = n - 2; k >= 0; k--) {
    flip[k] = mustSwap[k]! ^ (parent[k]! < 0 ? 0 : flip[parent[k]!]!);
    if (flip[k] === 1) {
      out[k * 4] = z.data[k * 4 + 1]!;
      out[k * 4 + 1] = z.data[k * 4]!;
    }
  }
  return out;
}

/**
 * optimalLeafOrdering against the unpruned programme on the trees of the four linkage methods; returns
 * how many of the four trees were reordered.
 */
function compareWithUnpruned(distance: Matrix, label: string): number {
  let reordered = 0;
  for (const method of ['single', 'complete', 'average', 'ward'] as const) {
    const z = linkage(distance, method);
    const got = Array.from(optimalLeafOrdering(z, distance).data);
    assert.deepEqual(got, Array.from(unprunedOrdering(z, distance)), `${label}, ${method}`);
    if (got.some((x, i) => x !== z.data[i])) reordered++;
  }
  return reordered;
}

describe('optimalLeafOrdering pruning', () => {
  test('equals the unpruned dynamic programme (ties included)', () => {
    let cases = 0;
    for (let seed = 1; seed <= 160; seed++) {
      const rnd = seededRandom(seed);
      const n = 3 + Math.floor(rnd() * 22);
      const grid = seed % 2 === 0;
      const data = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const v = grid ? 0.25 + Math.floor(rnd() * 4) / 4 : Math.fround(0.01 + rnd());
          data[i * n + j] = data[j * n + i] = v;
        }
      }
      compareWithUnpruned({ rows: n, cols: n, data }, `seed ${seed}, n = ${n}`);
      cases += 4;
    }
    assert.equal(cases, 640, 'every case ran');
  });

  test('equals the unpruned dynamic programme where float32 rounding decides (near-ties within a few float32 steps)', () => {
    let cases = 0;
    let reordered = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rnd = seededRandom(1000 + seed);
      const n = 3 + Math.floor(rnd() * 38);
      const data = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          // Odd seeds: a coarse grid plus noise of a few float32 steps (~6e-8 near 0.5), so that candidates
          // within rounding of each other are common (the search with no margin fails here); even: uniform.
          const v = seed % 2 === 1 ? 0.25 + Math.floor(rnd() * 4) / 8 + rnd() * 4e-7 : 0.01 + rnd();
          data[i * n + j] = data[j * n + i] = v;
        }
      }
      reordered += compareWithUnpruned({ rows: n, cols: n, data }, `seed ${seed}, n = ${n}`);
      cases += 4;
    }
    assert.equal(cases, 480, 'every case ran');
    // The cases must reach the point: most trees are actually reordered.
    assert.ok(reordered > 240, `only ${reordered} of ${cases} trees were reordered`);
  });
});
