// Expected orders: scipy 1.17.1 `to_tree(linkage(squareform(D), method)).pre_order()` (= leaves_list).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows } from '../../../../src/numeric/linalg/matrix.js';
import { linkage, type LinkageMethod } from '../../../../src/numeric/cluster/linkage.js';
import { leavesList, preOrderLeaves, LEAF_ORDERS } from '../../../../src/numeric/cluster/leaf-order.js';
import { QuantError } from '../../../../src/errors.js';
import { CASE_A, CASE_B, CASE_C } from './_cases.js';

// prettier-ignore
const SCIPY_PRE_ORDER: [number[][], LinkageMethod, number[]][] = [
  [CASE_A, 'single', [3, 4, 2, 0, 1]],
  [CASE_A, 'ward', [4, 0, 1, 2, 3]],
  [CASE_B, 'single', [5, 4, 3, 2, 0, 1]],
  [CASE_B, 'complete', [4, 5, 0, 1, 2, 3]],
  [CASE_C, 'single', [1, 5, 0, 6, 2, 4, 3, 7]],
  [CASE_C, 'complete', [2, 4, 3, 7, 0, 1, 5, 6]],
  [CASE_C, 'average', [5, 6, 2, 4, 3, 7, 0, 1]],
  [CASE_C, 'ward', [2, 4, 6, 3, 7, 5, 0, 1]],
];

describe('preOrderLeaves / leavesList', () => {
  for (const [distance, method, expected] of SCIPY_PRE_ORDER) {
    test(`${distance.length} leaves, ${method}: scipy's pre-order ${expected.join(',')}`, () => {
      const z = linkage(matrixFromRows(distance), method);
      assert.deepEqual(preOrderLeaves(z), expected, 'preOrderLeaves(z)');
      assert.deepEqual(leavesList(z), expected, 'leavesList(z)');
    });
  }

  test('left child first, recursively', () => {
    // Merge (2, 3) -> 4, then (1, 4) -> 5, then (0, 5) with 0 on the left: 0, 1, 2, 3.
    const z = { rows: 3, cols: 4, data: new Float64Array([2, 3, 0.1, 2, 1, 4, 0.2, 3, 0, 5, 0.3, 4]) };
    assert.deepEqual(preOrderLeaves(z), [0, 1, 2, 3], 'preOrderLeaves(z)');
    const swapped = { rows: 3, cols: 4, data: new Float64Array([3, 2, 0.1, 2, 4, 1, 0.2, 3, 5, 0, 0.3, 4]) };
    assert.deepEqual(preOrderLeaves(swapped), [3, 2, 1, 0], 'preOrderLeaves(swapped)');
  });

  test('rejects a row that uses a cluster before it is formed', () => {
    const z = { rows: 2, cols: 4, data: new Float64Array([0, 1, 0.1, 2, 2, 4, 0.2, 3]) };
    assert.throws(
      () => preOrderLeaves(z),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE',
      'preOrderLeaves throws E_INPUT_VALUE',
    );
  });

  test('LEAF_ORDERS is the closed vocabulary', () => {
    assert.deepEqual([...LEAF_ORDERS], ['dendrogram', 'optimal'], '[...LEAF_ORDERS]');
  });
});
