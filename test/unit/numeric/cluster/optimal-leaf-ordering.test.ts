// Expected reordered linkage matrices and leaf orders are literal outputs of scipy 1.17.1:
//   O = optimal_leaf_ordering(linkage(y, method), y); leaves_list(O), with y = squareform(D, checks=False).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { linkage, type LinkageMethod } from '../../../../src/numeric/cluster/linkage.js';
import { leavesList } from '../../../../src/numeric/cluster/leaf-order.js';
import { optimalLeafOrdering } from '../../../../src/numeric/cluster/optimal-leaf-ordering.js';
import { QuantError } from '../../../../src/errors.js';
import { CASE_A, CASE_B, CASE_C } from './_cases.js';

// prettier-ignore
const SCIPY: [string, number[][], LinkageMethod, number[], number[][]][] = [
  ['A', CASE_A, 'single', [3, 2, 0, 1, 4], [[0, 1, 17, 2], [2, 5, 21, 3], [6, 4, 21, 4], [3, 7, 28, 5]]],
  ['A', CASE_A, 'complete', [4, 1, 0, 2, 3], [[1, 0, 17, 2], [4, 5, 23, 3], [2, 3, 28, 2], [6, 7, 43, 5]]],
  ['B', CASE_B, 'single', [5, 0, 1, 2, 3, 4], [[0, 1, 1, 2], [6, 2, 1, 3], [7, 3, 1, 4], [8, 4, 1, 5], [5, 9, 1, 6]]],
  ['B', CASE_B, 'ward', [4, 5, 0, 1, 2, 3], [[0, 1, 1, 2], [2, 3, 1, 2], [4, 5, 1, 2], [6, 7, 2.8284271247461903, 4], [8, 9, 2.8284271247461903, 6]]],
  ['C', CASE_C, 'single', [1, 0, 2, 4, 7, 3, 6, 5], [[2, 4, 0.104, 2], [7, 3, 0.144, 2], [8, 9, 0.2, 4], [10, 6, 0.26, 5], [0, 11, 0.361, 6], [12, 5, 0.425, 7], [1, 13, 0.486, 8]]],
  ['C', CASE_C, 'complete', [2, 4, 7, 3, 5, 6, 1, 0], [[2, 4, 0.104, 2], [7, 3, 0.144, 2], [8, 9, 0.463, 4], [1, 0, 0.486, 2], [5, 6, 0.585, 2], [12, 11, 0.664, 4], [10, 13, 0.828, 8]]],
  ['C', CASE_C, 'average', [5, 6, 3, 7, 4, 2, 1, 0], [[4, 2, 0.104, 2], [3, 7, 0.144, 2], [9, 8, 0.34375, 4], [6, 10, 0.46825, 5], [1, 0, 0.486, 2], [11, 12, 0.5678000000000001, 7], [5, 13, 0.6344285714285715, 8]]],
  ['C', CASE_C, 'ward', [6, 3, 7, 4, 2, 0, 1, 5], [[4, 2, 0.104, 2], [3, 7, 0.144, 2], [6, 9, 0.462909638410493, 3], [0, 1, 0.486, 2], [10, 8, 0.6044397957337576, 5], [11, 5, 0.6674378872474451, 3], [12, 13, 0.848906718471863, 8]]],
];

function adjacentCost(distance: Matrix, order: number[]): number {
  let s = 0;
  for (let p = 1; p < order.length; p++)
    s += distance.data[(order[p - 1] as number) * distance.cols + (order[p] as number)] as number;
  return s;
}

describe('optimalLeafOrdering', () => {
  for (const [name, rows, method, leaves, expected] of SCIPY) {
    test(`case ${name}, ${method}: equals scipy's reordered Z`, () => {
      const distance = matrixFromRows(rows);
      const z = linkage(distance, method);
      const ordered = optimalLeafOrdering(z, distance);
      assert.deepEqual(matrixToRows(ordered), expected, 'matrixToRows(ordered)');
      assert.deepEqual(leavesList(ordered), leaves, 'leavesList(ordered)');
      // Same merges; only the orientation of children changes.
      for (let k = 0; k < z.rows; k++) {
        assert.deepEqual(
          [
            Math.min(ordered.data[k * 4]!, ordered.data[k * 4 + 1]!),
            ordered.data[k * 4 + 2],
            ordered.data[k * 4 + 3],
          ],
          [z.data[k * 4], z.data[k * 4 + 2], z.data[k * 4 + 3]],
          '[ Math.min(ordered.data[k * 4], ordered.data[k * 4 + 1]), ordered.dat…',
        );
      }
    });
  }

  test('reproduces SciPy, not the true optimum, where SciPy is greedy (scipy issue #11227)', () => {
    // The example. SciPy 1.17.1 (linkage(y, optimal_ordering=True)) returns the Z below, leaves
    // 3, 2, 1, 0 with path cost 100 + 1 + 2 = 103, although flipping merge 0 would cost 3 + 1 + 10 = 14.
    const distance = matrixFromRows([
      [0, 2, 10, 10000],
      [2, 0, 1, 3],
      [10, 1, 0, 100],
      [10000, 3, 100, 0],
    ]);
    const ordered = optimalLeafOrdering(linkage(distance, 'single'), distance);
    assert.deepEqual(
      matrixToRows(ordered),
      [
        [2, 1, 1, 2],
        [4, 0, 2, 3],
        [3, 5, 3, 4],
      ],
      'matrixToRows(ordered)',
    );
    assert.deepEqual(leavesList(ordered), [3, 2, 1, 0], 'leavesList(ordered)');
    assert.equal(
      adjacentCost(distance, leavesList(ordered)),
      103,
      'adjacentCost(distance, leavesList(ordered))',
    );
    // Case C, complete: SciPy's order (2.849) is even longer than the plain dendrogram order (2.632).
    const c = matrixFromRows(CASE_C);
    const z = linkage(c, 'complete');
    assert.ok(
      adjacentCost(c, leavesList(optimalLeafOrdering(z, c))) > adjacentCost(c, leavesList(z)),
      'adjacentCost(c, leavesList(optimalLeafOrdering(z, c))) > adjacentCost…',
    );
  });

  test('does not modify its input', () => {
    const distance = matrixFromRows(CASE_C);
    const z = linkage(distance, 'average');
    const before = Array.from(z.data);
    optimalLeafOrdering(z, distance);
    assert.deepEqual(Array.from(z.data), before, 'Array.from(z.data)');
  });

  test('two leaves: nothing to reorder', () => {
    const distance = matrixFromRows([
      [0, 0.5],
      [0.5, 0],
    ]);
    assert.deepEqual(
      matrixToRows(optimalLeafOrdering(linkage(distance, 'single'), distance)),
      [[0, 1, 0.5, 2]],
      "matrixToRows(optimalLeafOrdering(linkage(distance, 'single'), distanc…",
    );
  });

  test('rejects a distance matrix of the wrong size', () => {
    const z = linkage(matrixFromRows(CASE_A), 'single');
    assert.throws(
      () => optimalLeafOrdering(z, matrixFromRows(CASE_B)),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE',
      'optimalLeafOrdering throws E_INPUT_VALUE',
    );
  });
});
