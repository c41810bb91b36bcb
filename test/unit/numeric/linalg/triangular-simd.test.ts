// The triangular solves in WebAssembly SIMD (the updatable factor's storage from 56 assets) against the
// JavaScript solves: equal bit for bit, for every leading order k, odd and even.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backSubstituteTransposed,
  choleskyFactorInPlace,
  forwardSubstitute,
} from '../../../../src/numeric/linalg/cholesky.js';
import { SIMD_MIN_ORDER, simdFactorStorage } from '../../../../src/numeric/linalg/_triangular-simd.js';
import { randomCovariance } from '../optimize/_fixtures.js';

function firstDifference(a: Float64Array, b: Float64Array): string {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `entry ${i}: ${a[i]} vs ${b[i]}`;
  return 'none';
}

describe('SIMD triangular solves', () => {
  test('below the minimum order the factor stays in a plain array', () => {
    assert.equal(simdFactorStorage(SIMD_MIN_ORDER - 1), undefined, 'no WebAssembly storage below 56');
  });

  for (const n of [SIMD_MIN_ORDER, 57, 61, 130]) {
    test(`order ${n}: forward and back substitution equal the JavaScript loops for k = 1 … ${n}`, () => {
      const storage = simdFactorStorage(n);
      assert.ok(storage !== undefined, `order ${n}: WebAssembly SIMD storage is made`);
      const l = new Float64Array(n * n);
      assert.equal(choleskyFactorInPlace(randomCovariance(n, 500 + n).data, l, n), -1, 'the factor exists');
      storage.l.set(l);
      for (let k = 1; k <= n; k++) {
        const b = Float64Array.from({ length: n }, (_, i) => Math.sin(7 * i + k));
        const expectedForward = b.slice();
        forwardSubstitute(l, expectedForward, k, n);
        const forward = b.slice();
        storage.forward(forward, k);
        assert.equal(firstDifference(forward, expectedForward), 'none', `order ${n}, k = ${k}: forward`);
        storage.col.set(b);
        storage.forward(storage.col, k);
        assert.equal(firstDifference(storage.col, expectedForward), 'none', `order ${n}, k = ${k}: in place`);
        const expectedBack = b.slice();
        backSubstituteTransposed(l, expectedBack, k, n);
        const back = b.slice();
        storage.back(back, k);
        assert.equal(firstDifference(back, expectedBack), 'none', `order ${n}, k = ${k}: back`);
      }
    });
  }
});
