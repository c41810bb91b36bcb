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

  test('a released memory serves the next factor, once, and a factor in use is never shared', () => {
    const first = simdFactorStorage(70);
    assert.ok(first !== undefined, 'storage for 70 assets');
    const buffer = first.l.buffer;
    first.release();
    first.release();
    const second = simdFactorStorage(60);
    const third = simdFactorStorage(60);
    assert.ok(second !== undefined && third !== undefined, 'storage for two factors of 60 assets');
    assert.equal(second.l.buffer, buffer, 'the released memory is reused');
    assert.notEqual(third.l.buffer, buffer, 'released twice, it is still handed out once');
    // The reused memory holds the last factor's numbers: a solve on it uses only what was written.
    const l = new Float64Array(60 * 60);
    assert.equal(choleskyFactorInPlace(randomCovariance(60, 9).data, l, 60), -1, 'the factor exists');
    second.l.set(l);
    const b = Float64Array.from({ length: 60 }, (_, i) => Math.cos(i));
    const expected = b.slice();
    forwardSubstitute(l, expected, 60, 60);
    second.forward(b, 60);
    assert.equal(
      firstDifference(b, expected),
      'none',
      'the solve on the reused memory equals the JavaScript one',
    );
    second.release();
    third.release();
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
