// Expected linkage matrices are literal outputs of scipy 1.17.1:
//   scipy.cluster.hierarchy.linkage(squareform(D, checks=False), method)
// (and to_tree(Z).pre_order(), optimal_leaf_ordering(Z, y), leaves_list in the sibling tests). Case B is
// all ties (distances 1, 2, 3) to pin SciPy's tie conventions; equality is exact.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows } from '../../../../src/numeric/linalg/matrix.js';
import {
  linkage,
  linkageOfSymmetric,
  LINKAGE_METHODS,
  type LinkageMethod,
} from '../../../../src/numeric/cluster/linkage.js';
import { QuantError } from '../../../../src/errors.js';
import { CASE_A, CASE_B, CASE_C } from './_cases.js';

// prettier-ignore
const SCIPY_Z: Record<'A' | 'B' | 'C', Record<LinkageMethod, number[][]>> = {
  A: {
    single: [[0, 1, 17, 2], [2, 5, 21, 3], [4, 6, 21, 4], [3, 7, 28, 5]],
    complete: [[0, 1, 17, 2], [4, 5, 23, 3], [2, 3, 28, 2], [6, 7, 43, 5]],
    average: [[0, 1, 17, 2], [4, 5, 22, 3], [2, 3, 28, 2], [6, 7, 33, 5]],
    ward: [[0, 1, 17, 2], [4, 5, 23.45918441321721, 3], [2, 3, 28, 2], [6, 7, 43.87558166755932, 5]],
  },
  B: {
    single: [[0, 1, 1, 2], [2, 6, 1, 3], [3, 7, 1, 4], [4, 8, 1, 5], [5, 9, 1, 6]],
    complete: [[0, 1, 1, 2], [2, 3, 1, 2], [4, 5, 1, 2], [6, 7, 3, 4], [8, 9, 3, 6]],
    average: [[0, 1, 1, 2], [2, 3, 1, 2], [4, 5, 1, 2], [6, 7, 2, 4], [8, 9, 2, 6]],
    ward: [[0, 1, 1, 2], [2, 3, 1, 2], [4, 5, 1, 2], [6, 7, 2.8284271247461903, 4], [8, 9, 2.8284271247461903, 6]],
  },
  C: {
    single: [[2, 4, 0.104, 2], [3, 7, 0.144, 2], [8, 9, 0.2, 4], [6, 10, 0.26, 5], [0, 11, 0.361, 6], [5, 12, 0.425, 7], [1, 13, 0.486, 8]],
    complete: [[2, 4, 0.104, 2], [3, 7, 0.144, 2], [8, 9, 0.463, 4], [0, 1, 0.486, 2], [5, 6, 0.585, 2], [11, 12, 0.664, 4], [10, 13, 0.828, 8]],
    average: [[2, 4, 0.104, 2], [3, 7, 0.144, 2], [8, 9, 0.34375, 4], [6, 10, 0.46825, 5], [0, 1, 0.486, 2], [11, 12, 0.5678000000000001, 7], [5, 13, 0.6344285714285715, 8]],
    ward: [[2, 4, 0.104, 2], [3, 7, 0.144, 2], [6, 9, 0.462909638410493, 3], [0, 1, 0.486, 2], [8, 10, 0.6044397957337576, 5], [5, 11, 0.6674378872474451, 3], [12, 13, 0.848906718471863, 8]],
  },
};

const CASES = { A: CASE_A, B: CASE_B, C: CASE_C };

describe('linkage', () => {
  for (const [name, distance] of Object.entries(CASES) as ['A' | 'B' | 'C', number[][]][]) {
    for (const method of LINKAGE_METHODS) {
      test(`case ${name}, ${method}: equals scipy's Z exactly`, () => {
        const z = linkage(matrixFromRows(distance), method);
        assert.equal(z.cols, 4, 'z.cols');
        assert.deepEqual(matrixToRows(z), SCIPY_Z[name][method], 'matrixToRows(z)');
      });
    }
  }

  test('reads only the upper triangle, as squareform does', () => {
    const lowerGarbage = CASE_C.map((row, i) => row.map((v, j) => (j < i ? 99 : v)));
    assert.deepEqual(
      matrixToRows(linkage(matrixFromRows(lowerGarbage), 'average')),
      SCIPY_Z.C.average,
      "matrixToRows(linkage(matrixFromRows(lowerGarbage), 'average'))",
    );
  });

  test('75 observations (several tiles of the mirrored upper triangle): single-linkage heights are the minimum spanning tree', () => {
    const n = 75;
    let seed = 7;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const points = Array.from({ length: n }, () => [next(), next(), next()] as const);
    const full = points.map((p) => points.map((q) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2])));
    const lowerGarbage = full.map((row, i) => row.map((v, j) => (j < i ? 99 : v)));
    const heights = matrixToRows(linkage(matrixFromRows(lowerGarbage), 'single')).map((row) => row[2]!);
    // Prim's tree on the full matrix, independently of the code under test.
    const inTree = new Array<boolean>(n).fill(false);
    const best = new Array<number>(n).fill(Infinity);
    best[0] = 0;
    const edges: number[] = [];
    for (let step = 0; step < n; step++) {
      let u = -1;
      for (let v = 0; v < n; v++) if (!inTree[v] && (u < 0 || best[v]! < best[u]!)) u = v;
      inTree[u] = true;
      if (step > 0) edges.push(best[u]!);
      for (let v = 0; v < n; v++) if (!inTree[v]) best[v] = Math.min(best[v]!, full[u]![v]!);
    }
    assert.deepEqual(
      [...heights].sort((a, b) => a - b),
      edges.sort((a, b) => a - b),
      'the merge heights are the tree edges',
    );
  });

  test('two observations: one merge at their distance', () => {
    assert.deepEqual(
      matrixToRows(
        linkage(
          matrixFromRows([
            [0, 0.3],
            [0.3, 0],
          ]),
          'ward',
        ),
      ),
      [[0, 1, 0.3, 2]],
      "matrixToRows(linkage(matrixFromRows([ [0, 0.3], [0.3, 0], ]), 'ward'))",
    );
  });

  test('rejects fewer than 2 assets, non-square and non-finite input', () => {
    assert.throws(
      () => linkage(matrixFromRows([[0]]), 'single'),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_TOO_FEW_ASSETS' &&
        /at least 2 assets, got 1/.test(e.message),
      'linkage throws E_TOO_FEW_ASSETS, counting assets',
    );
    assert.throws(
      () => linkage({ rows: 2, cols: 3, data: new Float64Array(6) }, 'single'),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE',
      'linkage throws E_INPUT_VALUE',
    );
    assert.throws(
      () =>
        linkage(
          matrixFromRows([
            [0, Number.NaN],
            [Number.NaN, 0],
          ]),
          'complete',
        ),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE' && e.message.includes('0 and 1'),
      'linkage throws E_INPUT_VALUE',
    );
  });

  test('linkageOfSymmetric: the same tree from a symmetric matrix; single linkage leaves it as it was', () => {
    for (const rows of [CASE_A, CASE_B, CASE_C]) {
      for (const method of LINKAGE_METHODS) {
        const input = matrixFromRows(rows);
        const before = Float64Array.from(input.data);
        assert.deepEqual(
          matrixToRows(linkageOfSymmetric(input, method)),
          matrixToRows(linkage(matrixFromRows(rows), method)),
          method,
        );
        if (method === 'single') assert.deepEqual(input.data, before, 'single linkage reads only');
      }
    }
  });

  test('LINKAGE_METHODS is the closed vocabulary', () => {
    assert.deepEqual([...LINKAGE_METHODS], ['single', 'complete', 'average', 'ward'], '[...LINKAGE_METHODS]');
  });
});
