import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows } from '../../../../src/numeric/linalg/matrix.js';
import { covarianceToCorrelation } from '../../../../src/numeric/stats/correlation.js';
import { QuantError } from '../../../../src/errors.js';

describe('covarianceToCorrelation', () => {
  test('ρ = Σij / (σi σj) with an exact unit diagonal', () => {
    // σ = (2, 3): Σ01 = 3 → ρ = 0.5.
    assert.deepEqual(
      matrixToRows(
        covarianceToCorrelation(
          matrixFromRows([
            [4, 3],
            [3, 9],
          ]),
        ),
      ),
      [
        [1, 0.5],
        [0.5, 1],
      ],
      'matrixToRows(covarianceToCorrelation(matrixFromRows([ [4, 3], [3, 9],…',
    );
  });

  test('a zero-variance asset gets correlation 0 off the diagonal and 1 on it, never NaN', () => {
    const rho = covarianceToCorrelation(
      matrixFromRows([
        [0, 0, 0],
        [0, 1, 0.2],
        [0, 0.2, 4],
      ]),
    );
    assert.deepEqual(
      matrixToRows(rho),
      [
        [1, 0, 0],
        [0, 1, 0.1],
        [0, 0.1, 1],
      ],
      'matrixToRows(rho)',
    );
  });

  test('rounding above |ρ| = 1 is clipped', () => {
    // Σ01 slightly above σ0σ1 (as rounding can produce for perfectly correlated series).
    const rho = covarianceToCorrelation(
      matrixFromRows([
        [1, 1 + 1e-15],
        [1 + 1e-15, 1],
      ]),
    );
    assert.equal(rho.data[1], 1, 'rho.data[1]');
    const neg = covarianceToCorrelation(
      matrixFromRows([
        [1, -1 - 1e-15],
        [-1 - 1e-15, 1],
      ]),
    );
    assert.equal(neg.data[1], -1, 'neg.data[1]');
  });

  test('errors: non-square, non-finite, negative variance', () => {
    const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;
    assert.throws(
      () => covarianceToCorrelation({ rows: 1, cols: 2, data: new Float64Array(2) }),
      code('E_INPUT_VALUE'),
      'covarianceToCorrelation throws E_INPUT_VALUE',
    );
    assert.throws(
      () =>
        covarianceToCorrelation(
          matrixFromRows([
            [Number.NaN, 0],
            [0, 1],
          ]),
        ),
      code('E_INPUT_VALUE'),
      'covarianceToCorrelation throws E_INPUT_VALUE',
    );
    assert.throws(
      () =>
        covarianceToCorrelation(
          matrixFromRows([
            [1, Infinity],
            [Infinity, 1],
          ]),
        ),
      code('E_INPUT_VALUE'),
      'covarianceToCorrelation throws E_INPUT_VALUE',
    );
    assert.throws(
      () =>
        covarianceToCorrelation(
          matrixFromRows([
            [-1, 0],
            [0, 1],
          ]),
        ),
      code('E_SINGULAR_COVARIANCE'),
      'covarianceToCorrelation throws E_SINGULAR_COVARIANCE',
    );
  });
});
