// Property tests (fast-check): every covariance estimate is symmetric and positive semi-definite.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { sampleCovariance } from '../../../../src/numeric/covariance/sample-covariance.js';
import { ledoitWolfCovariance } from '../../../../src/numeric/covariance/ledoit-wolf.js';

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (test oracle, O(n³) per sweep). */
function symmetricEigenvalues(a: Float64Array, n: number): number[] {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-300) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => m[i * n + i]!);
}

const returnMatrix = (minCols: number) =>
  fc
    .record({ T: fc.integer({ min: 2, max: 40 }), n: fc.integer({ min: minCols, max: 12 }) })
    .chain(({ T, n }) =>
      fc
        .array(fc.double({ min: -0.2, max: 0.2, noNaN: true }), { minLength: T * n, maxLength: T * n })
        .map((values): Matrix => ({ rows: T, cols: n, data: Float64Array.from(values) })),
    );

function assertSymmetricPsd(cov: Matrix): void {
  const n = cov.rows;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) assert.equal(cov.data[i * n + j], cov.data[j * n + i], 'cov.data[i * n + j]');
  const minEigen = Math.min(...symmetricEigenvalues(cov.data, n));
  assert.ok(minEigen >= -1e-12, `min eigenvalue ${minEigen}`);
}

describe('covariance properties', () => {
  test('sampleCovariance is exactly symmetric and PSD (min eigenvalue ≥ -1e-12)', () => {
    fc.assert(
      fc.property(returnMatrix(1), (m) => assertSymmetricPsd(sampleCovariance(m))),
      { numRuns: 200 },
    );
  });

  test('ledoitWolfCovariance is symmetric and PSD with shrinkage in [0, 1]', () => {
    fc.assert(
      fc.property(returnMatrix(2), (m) => {
        const r = ledoitWolfCovariance(m);
        assert.ok(r.shrinkage >= 0 && r.shrinkage <= 1, `shrinkage ${r.shrinkage}`);
        assertSymmetricPsd(r.covariance);
      }),
      { numRuns: 200 },
    );
  });

  test('the Jacobi oracle finds known eigenvalues', () => {
    const ev = symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2).sort((a, b) => a - b);
    assert.ok(
      Math.abs(ev[0]! - 1) < 1e-14 && Math.abs(ev[1]! - 3) < 1e-14,
      'Math.abs(ev[0] - 1) < 1e-14 && Math.abs(ev[1] - 3) < 1e-14',
    );
  });
});
