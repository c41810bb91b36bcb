// The Gram kernels (WebAssembly SIMD and scalar JS) against a naive reference: equal bit for bit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { centredGram } from '../../../../src/numeric/covariance/_gram.js';
import { centredGramSimd, simdAvailable } from '../../../../src/numeric/covariance/_gram-simd.js';
import { sampleCovariance } from '../../../../src/numeric/covariance/sample-covariance.js';
import { seededRandom } from '../../../helpers/random.js';

/** Means as the estimators define them, then Σₜ (x_i[t] − μ_i)(x_j[t] − μ_j) in time order, / divisor. */
function naiveGram(r: Matrix, divisor: number): Float64Array {
  const { rows: T, cols: n, data } = r;
  const means = new Float64Array(n);
  for (let t = 0; t < T; t++) for (let j = 0; j < n; j++) means[j] = means[j]! + data[t * n + j]!;
  for (let j = 0; j < n; j++) {
    means[j] = means[j]! / T;
    let t = 1;
    while (t < T && data[t * n + j] === data[j]) t++;
    if (t === T) means[j] = data[j]!;
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += (data[t * n + i]! - means[i]!) * (data[t * n + j]! - means[j]!);
      out[i * n + j] = s / divisor;
    }
  }
  return out;
}

function randomReturns(T: number, n: number, seed: number): Matrix {
  const rnd = seededRandom(seed);
  const data = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    const market = (rnd() - 0.5) * 0.03;
    for (let j = 0; j < n; j++) data[t * n + j] = market * (0.5 + j / n) + (rnd() - 0.5) * 0.02;
  }
  // A constant column and a column of one repeated value with a different last entry.
  if (n > 3) for (let t = 0; t < T; t++) data[t * n + 2] = 0.001;
  if (n > 4) for (let t = 0; t < T - 1; t++) data[t * n + 4] = 0.1;
  return { rows: T, cols: n, data };
}

function firstDifference(a: Float64Array, b: Float64Array): string {
  for (let k = 0; k < a.length; k++) {
    if (!Object.is(a[k], b[k])) return `entry ${k}: ${a[k]} vs ${b[k]}`;
  }
  return 'none';
}

describe('Gram kernel', () => {
  test('WebAssembly SIMD is available on the supported Node versions', () => {
    assert.ok(simdAvailable(), 'the SIMD kernel compiles and validates (else every case below is scalar)');
  });

  test('SIMD and scalar kernels equal the naive sum bit for bit', () => {
    const shapes: [number, number][] = [
      [2, 1],
      [3, 2],
      [50, 15],
      [50, 16],
      [61, 17],
      [40, 18],
      [33, 19],
      [120, 37],
      [7, 64],
      [260, 45],
      [2, 20],
      // Three time chunks of the SIMD kernel (256 rows each), two blocks of column panels (64 panels),
      // a last panel of 3 columns.
      [530, 263],
    ];
    for (const [T, n] of shapes) {
      const r = randomReturns(T, n, T * 1000 + n);
      const expected = naiveGram(r, T - 1);
      for (const simd of [true, false]) {
        const { gram } = centredGram(r, T - 1, simd);
        assert.equal(
          firstDifference(gram, expected),
          'none',
          `${T} x ${n}, ${simd ? 'SIMD' : 'scalar'} kernel: every entry equals the naive sum`,
        );
      }
      if (n >= 16) {
        // Data above the copy limit: column sums and packing in JavaScript, the tiles in the kernel.
        const divisor = T - 1;
        const fast = centredGramSimd(r.data, T, n, (sums) => sums.map((v) => v / T), divisor, 0);
        const copied = centredGramSimd(r.data, T, n, (sums) => sums.map((v) => v / T), divisor);
        assert.ok(fast !== undefined && copied !== undefined, `${T} x ${n}: the SIMD kernel ran`);
        assert.equal(firstDifference(fast.means, copied.means), 'none', `${T} x ${n}: same column means`);
        assert.equal(firstDifference(fast.gram, copied.gram), 'none', `${T} x ${n}: same Gram both ways`);
      }
    }
  });

  test('a small problem after a large one reuses the kernel memory without stale values', () => {
    const large = randomReturns(300, 90, 7);
    centredGram(large, 299);
    const small = randomReturns(20, 21, 8);
    assert.equal(
      firstDifference(centredGram(small, 19).gram, naiveGram(small, 19)),
      'none',
      'the second, smaller problem equals its naive sum',
    );
  });

  test('sampleCovariance is exactly symmetric and a constant column is exactly riskless', () => {
    const r = randomReturns(200, 30, 3);
    const cov = sampleCovariance(r);
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 30; j++) {
        assert.ok(Object.is(cov.data[i * 30 + j], cov.data[j * 30 + i]), `Σ[${i}][${j}] = Σ[${j}][${i}]`);
      }
      assert.equal(cov.data[2 * 30 + i], 0, `the constant column 2 has covariance 0 with asset ${i}`);
    }
  });
});
