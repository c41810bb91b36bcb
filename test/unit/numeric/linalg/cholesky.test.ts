import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SIMD_MIN_ORDER } from '../../../../src/numeric/linalg/_cholesky-simd.js';
import {
  backSubstituteTransposed,
  choleskyFactorInPlace,
  choleskySolveInPlace,
  forwardSubstitute,
} from '../../../../src/numeric/linalg/cholesky.js';
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

  test('equals the textbook row-by-row loop to the last bit (sizes 1-41 and 55-401, strides, in place, failing pivots)', () => {
    // From 40 the WebAssembly SIMD factorisation runs: five to fifty blocks of 8 columns, full or not; from
    // 129 more than one super-block of 128 columns, whose trailing entries are updated in tiles of
    // 32 x 256 (two column tiles and a partial one from 385).
    const sizes = [
      ...Array.from({ length: 41 }, (_, i) => i + 1),
      ...[55, 56, 57, 63, 64, 65, 71, 72, 127, 128, 129, 130, 161, 200, 263, 384, 385, 401],
    ];
    assert.ok(
      sizes.some((k) => k >= SIMD_MIN_ORDER),
      'some sizes take the SIMD path',
    );
    for (const k of sizes) {
      const a = randomCovariance(k, 100 + k).data;
      const expected = new Float64Array(k * k);
      const expectedAt = textbookCholesky(a, expected, k, k);
      const l = new Float64Array(k * k).fill(NaN);
      assert.equal(choleskyFactorInPlace(a, l, k), expectedAt, `k = ${k}: success flag`);
      assertSameBits(l, expected, `k = ${k}`);
      const inPlace = a.slice();
      choleskyFactorInPlace(inPlace, inPlace, k);
      assertSameBits(inPlace, expected, `k = ${k}, in place`);
      // Only the lower triangle is read: NaN above the diagonal changes nothing.
      const lowerOnly = a.slice();
      for (let i = 0; i < k; i++) lowerOnly.fill(NaN, i * k + i + 1, i * k + k);
      const lowerL = new Float64Array(k * k);
      choleskyFactorInPlace(lowerOnly, lowerL, k);
      assertSameBits(lowerL, expected, `k = ${k}, NaN above the diagonal`);
      // A leading k x k block of a (k + 3)-column layout.
      const ld = k + 3;
      const wide = new Float64Array(k * ld).fill(7);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) wide[i * ld + j] = a[i * k + j]!;
      const wideL = new Float64Array(k * ld).fill(NaN);
      const wideExpected = new Float64Array(k * ld).fill(NaN);
      textbookCholesky(wide, wideExpected, k, ld);
      assert.equal(choleskyFactorInPlace(wide, wideL, k, ld), -1, `k = ${k}, stride ${ld}: success`);
      assertSameBits(wideL, wideExpected, `k = ${k}, stride ${ld}`);
    }
    // Row 9 a copy of row 4 (and column): the first failing pivot is reported where the loop finds it.
    const k = 14;
    const a = randomCovariance(k, 77).data;
    for (let j = 0; j < k; j++) a[9 * k + j] = a[4 * k + j]!;
    for (let i = 0; i < k; i++) a[i * k + 9] = a[i * k + 4]!;
    const expected = new Float64Array(k * k);
    const at = textbookCholesky(a, expected, k, k);
    assert.equal(at, 9, 'the textbook loop fails at the duplicated row');
    assert.equal(choleskyFactorInPlace(a, new Float64Array(k * k), k), at, 'same failing pivot');
    // The same in the SIMD range: row 61 (inside the block 56-63) a copy of row 4; the rows before it are
    // complete and equal the textbook loop's.
    const big = 70;
    const b = randomCovariance(big, 78).data;
    for (let j = 0; j < big; j++) b[61 * big + j] = b[4 * big + j]!;
    for (let i = 0; i < big; i++) b[i * big + 61] = b[i * big + 4]!;
    const bigExpected = new Float64Array(big * big);
    assert.equal(textbookCholesky(b, bigExpected, big, big), 61, 'the textbook loop fails at row 61');
    const bigL = new Float64Array(big * big);
    assert.equal(choleskyFactorInPlace(b, bigL, big), 61, 'same failing pivot from the SIMD factorisation');
    assertSameBits(bigL.subarray(0, 61 * big), bigExpected.subarray(0, 61 * big), 'the rows before it');
    // In the second super-block, at the first row of a tile (row 160 = 128 + 32): a copy of row 7.
    const wide = 300;
    const c = randomCovariance(wide, 79).data;
    for (let j = 0; j < wide; j++) c[160 * wide + j] = c[7 * wide + j]!;
    for (let i = 0; i < wide; i++) c[i * wide + 160] = c[i * wide + 7]!;
    const wideExpected = new Float64Array(wide * wide);
    assert.equal(textbookCholesky(c, wideExpected, wide, wide), 160, 'the textbook loop fails at row 160');
    const wideL = new Float64Array(wide * wide);
    assert.equal(choleskyFactorInPlace(c, wideL, wide), 160, 'same failing pivot in the second super-block');
    assertSameBits(
      wideL.subarray(0, 160 * wide),
      wideExpected.subarray(0, 160 * wide),
      'the rows before row 160',
    );
  });

  test('the triangular solves equal the textbook loops to the last bit (sizes 1-30, strides)', () => {
    for (let k = 1; k <= 30; k++) {
      for (const ld of [k, k + 2]) {
        const a = randomCovariance(k, 300 + k).data;
        const wide = new Float64Array(k * ld);
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) wide[i * ld + j] = a[i * k + j]!;
        choleskyFactorInPlace(wide, wide, k, ld);
        const b = Float64Array.from({ length: k }, (_, i) => Math.sin(3 * i + k));
        const forward = b.slice();
        forwardSubstitute(wide, forward, k, ld);
        const expectedForward = b.slice();
        for (let i = 0; i < k; i++) {
          let s = expectedForward[i]!;
          for (let p = 0; p < i; p++) s -= wide[i * ld + p]! * expectedForward[p]!;
          expectedForward[i] = s / wide[i * ld + i]!;
        }
        assertSameBits(forward, expectedForward, `forward, k = ${k}, stride ${ld}`);
        const back = b.slice();
        backSubstituteTransposed(wide, back, k, ld);
        const expectedBack = b.slice();
        for (let i = k - 1; i >= 0; i--) {
          const xi = expectedBack[i]! / wide[i * ld + i]!;
          expectedBack[i] = xi;
          for (let p = 0; p < i; p++) expectedBack[p] = expectedBack[p]! - wide[i * ld + p]! * xi;
        }
        assertSameBits(back, expectedBack, `back, k = ${k}, stride ${ld}`);
      }
    }
  });

  test('works on a leading block with a larger row stride', () => {
    const a = Float64Array.from([4, 0, 99, 2, 5, 99, 99, 99, 99]);
    const l = new Float64Array(9);
    assert.equal(choleskyFactorInPlace(a, l, 2, 3), -1, 'choleskyFactorInPlace(a, l, 2, 3)');
    assert.deepEqual(Array.from(l.subarray(0, 2)), [2, 0], 'Array.from(l.subarray(0, 2))');
    assert.deepEqual(Array.from(l.subarray(3, 5)), [1, 2], 'Array.from(l.subarray(3, 5))');
  });
});

/** The plain Cholesky–Banachiewicz loop the blocked kernel must reproduce bit for bit. */
function textbookCholesky(a: Float64Array, l: Float64Array, k: number, ld: number): number {
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * ld + j]!;
      for (let p = 0; p < j; p++) s -= l[i * ld + p]! * l[j * ld + p]!;
      if (j < i) {
        l[i * ld + j] = s / l[j * ld + j]!;
      } else {
        if (!(s > 1e-13 * a[i * ld + i]!)) return i;
        l[i * ld + i] = Math.sqrt(s);
      }
    }
    for (let j = i + 1; j < k; j++) l[i * ld + j] = 0;
  }
  return -1;
}

function assertSameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]))
      assert.fail(`${what}: entry ${i} is ${actual[i]}, the textbook loop gives ${expected[i]}`);
  }
}
