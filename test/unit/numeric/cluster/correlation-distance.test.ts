import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows } from '../../../../src/numeric/linalg/matrix.js';
import {
  correlationDistance,
  covarianceDistances,
} from '../../../../src/numeric/cluster/correlation-distance.js';
import { covarianceToCorrelation } from '../../../../src/numeric/stats/correlation.js';
import { QuantError } from '../../../../src/errors.js';
import { randomCovariance } from '../optimize/_fixtures.js';

describe('correlationDistance', () => {
  test('√((1 − ρ)/2): 0 for ρ = 1, √½ for ρ = 0, 1 for ρ = −1; zero diagonal', () => {
    const d = correlationDistance(
      matrixFromRows([
        [1, 1, 0, -1],
        [1, 1, 0.5, 0],
        [0, 0.5, 1, 0],
        [-1, 0, 0, 1],
      ]),
    );
    assert.deepEqual(
      matrixToRows(d),
      [
        [0, 0, Math.sqrt(0.5), 1],
        [0, 0, 0.5, Math.sqrt(0.5)],
        [Math.sqrt(0.5), 0.5, 0, Math.sqrt(0.5)],
        [1, Math.sqrt(0.5), Math.sqrt(0.5), 0],
      ],
      'matrixToRows(d)',
    );
  });

  test('correlations a rounding error outside [−1, 1] are clipped, never NaN', () => {
    const d = correlationDistance(
      matrixFromRows([
        [1, 1 + 1e-15],
        [-1 - 1e-15, 1],
      ]),
    );
    assert.equal(d.data[1], 0, 'd.data[1]');
    assert.equal(d.data[2], 1, 'd.data[2]');
  });
});

describe('covarianceDistances', () => {
  /** A covariance with a riskless asset, correlations rounded past ±1, and a lower triangle a few ulps off. */
  function awkwardCovariance(n: number, seed: number): Float64Array {
    const c = Float64Array.from(randomCovariance(n, seed).data);
    if (n > 3) {
      for (let j = 0; j < n; j++) c[2 * n + j] = c[j * n + 2] = 0;
      const s = Math.sqrt((c[0] as number) * (c[n + 1] as number));
      c[1] = s * (1 + 4e-16);
      c[n] = s;
      c[3] = -Math.sqrt((c[0] as number) * (c[3 * n + 3] as number)) * (1 + 4e-16);
    }
    for (let i = 1; i < n; i++)
      for (let j = 0; j < i; j += 3) c[i * n + j] = (c[i * n + j] as number) * (1 + 2e-16);
    return c;
  }

  test('above the diagonal the bits of correlationDistance(covarianceToCorrelation(Σ)), mirrored below', () => {
    // Sizes around the 32 x 32 tiles, and one matrix of several tiles.
    for (const n of [1, 2, 3, 5, 31, 32, 33, 64, 65, 97]) {
      const cov = { rows: n, cols: n, data: awkwardCovariance(n, n) };
      const reference = correlationDistance(covarianceToCorrelation(cov)).data;
      const d = covarianceDistances(cov).data;
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(d[i * n + i], 0), `n = ${n}: d[${i}][${i}] = ${d[i * n + i]}`);
        for (let j = i + 1; j < n; j++) {
          const v = reference[i * n + j] as number;
          if (!Object.is(d[i * n + j], v) || !Object.is(d[j * n + i], v)) {
            assert.fail(
              `n = ${n}: d[${i}][${j}] = ${d[i * n + j]}, d[${j}][${i}] = ${d[j * n + i]}; expected ${v}`,
            );
          }
        }
      }
      if (n > 3) {
        assert.equal(d[1], 0, `n = ${n}: ρ rounded above 1 → distance 0`);
        assert.equal(d[3], 1, `n = ${n}: ρ rounded below −1 → distance 1`);
        assert.equal(d[2], Math.SQRT1_2, `n = ${n}: a riskless asset is at √½ from the rest`);
      }
    }
  });

  test('a negative variance is E_SINGULAR_COVARIANCE, as for the correlation', () => {
    const cov = matrixFromRows([
      [1, 0],
      [0, -1e-9],
    ]);
    assert.throws(
      () => covarianceDistances(cov),
      (e: unknown) =>
        e instanceof QuantError && e.code === 'E_SINGULAR_COVARIANCE' && /asset 1/.test(e.message),
      'E_SINGULAR_COVARIANCE naming asset 1',
    );
  });
});
