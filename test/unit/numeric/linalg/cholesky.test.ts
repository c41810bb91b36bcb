import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { choleskyFactorInPlace, choleskySolveInPlace } from '../../../../src/numeric/linalg/cholesky.js';
import { matVec, maxAbsDiff, randomCovariance } from '../optimize/_fixtures.js';

describe('choleskyFactorInPlace', () => {
  test('L·Lᵀ reproduces a random SPD matrix and L is lower triangular', () => {
    const n = 12;
    const a = randomCovariance(n, 3);
    const l = new Float64Array(n * n);
    assert.equal(choleskyFactorInPlace(a.data, l, n), -1, 'choleskyFactorInPlace(a.data, l, n)');
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i) assert.equal(l[i * n + j], 0, 'l[i * n + j]');
        let s = 0;
        for (let p = 0; p < n; p++) s += l[i * n + p]! * l[j * n + p]!;
        worst = Math.max(
          worst,
          Math.abs(s - a.data[i * n + j]!) / Math.sqrt(a.data[i * n + i]! * a.data[j * n + j]!),
        );
      }
    }
    assert.ok(worst < 1e-14, `max relative error ${worst}`);
  });

  test('solves A·x = b', () => {
    const n = 9;
    const a = randomCovariance(n, 5);
    const x = Float64Array.from({ length: n }, (_, i) => i - 4);
    const b = matVec(a, x);
    const l = new Float64Array(n * n);
    choleskyFactorInPlace(a.data, l, n);
    choleskySolveInPlace(l, b, n);
    assert.ok(maxAbsDiff(b, x) < 1e-10, `error ${maxAbsDiff(b, x)}`);
  });

  test('reports the first dependent column of a singular matrix', () => {
    // Column 2 = column 0 + column 1.
    const a = Float64Array.from([2, 1, 3, 1, 2, 3, 3, 3, 6]);
    assert.equal(
      choleskyFactorInPlace(a, new Float64Array(9), 3),
      2,
      'choleskyFactorInPlace(a, new Float64Array(9), 3)',
    );
    assert.equal(
      choleskyFactorInPlace(Float64Array.from([1, 2, 2, 1]), new Float64Array(4), 2),
      1,
      'choleskyFactorInPlace(Float64Array.from([1, 2, 2, 1]), new Float64Arr…',
    );
  });

  test('works on a leading block with a larger row stride', () => {
    const a = Float64Array.from([4, 0, 99, 2, 5, 99, 99, 99, 99]);
    const l = new Float64Array(9);
    assert.equal(choleskyFactorInPlace(a, l, 2, 3), -1, 'choleskyFactorInPlace(a, l, 2, 3)');
    assert.deepEqual(Array.from(l.subarray(0, 2)), [2, 0], 'Array.from(l.subarray(0, 2))');
    assert.deepEqual(Array.from(l.subarray(3, 5)), [1, 2], 'Array.from(l.subarray(3, 5))');
  });
});
