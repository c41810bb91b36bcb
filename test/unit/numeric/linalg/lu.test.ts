import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { luSolveInPlace } from '../../../../src/numeric/linalg/lu.js';
import { maxAbsDiff, rng } from '../optimize/_fixtures.js';

describe('luSolveInPlace', () => {
  test('solves random non-symmetric systems (pivoting needed: zero leading entry)', () => {
    const a = Float64Array.from([0, 2, 1, 1, 1, 0, 3, 0, 1]);
    const b = Float64Array.from([5, 3, 4]); // x = (1, 2, 1)
    assert.equal(luSolveInPlace(a, b, 3), true, 'luSolveInPlace(a, b, 3)');
    assert.ok(maxAbsDiff(b, [1, 2, 1]) < 1e-15, 'maxAbsDiff(b, [1, 2, 1]) < 1e-15');
    const u = rng(4);
    for (let k = 2; k <= 12; k++) {
      const m = Float64Array.from({ length: k * k }, () => u() - 0.5);
      const x = Float64Array.from({ length: k }, () => u());
      const rhs = new Float64Array(k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) rhs[i]! += m[i * k + j]! * x[j]!;
      assert.equal(
        luSolveInPlace(Float64Array.from(m), rhs, k),
        true,
        'luSolveInPlace(Float64Array.from(m), rhs, k)',
      );
      assert.ok(maxAbsDiff(rhs, x) < 1e-10, `k = ${k}`);
    }
  });

  test('reports a singular matrix', () => {
    assert.equal(
      luSolveInPlace(Float64Array.from([1, 2, 2, 4]), Float64Array.from([1, 1]), 2),
      false,
      'luSolveInPlace(Float64Array.from([1, 2, 2, 4]), Float64Array.from([1,…',
    );
  });
});
