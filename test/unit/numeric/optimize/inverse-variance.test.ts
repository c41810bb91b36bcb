import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows } from '../../../../src/numeric/linalg/matrix.js';
import { inverseVariance } from '../../../../src/numeric/optimize/inverse-variance.js';
import { QuantError } from '../../../../src/errors.js';

describe('inverseVariance', () => {
  test('w ∝ 1/σ², off-diagonal ignored', () => {
    // 1/σ² = (1, 0.5, 0.25) → (4, 2, 1)/7.
    const w = inverseVariance(
      matrixFromRows([
        [1, 0.3, 0],
        [0.3, 2, 0.1],
        [0, 0.1, 4],
      ]),
    );
    assert.deepEqual(Array.from(w), [4 / 7, 2 / 7, 1 / 7], 'Array.from(w)');
  });

  test('a zero or negative variance is E_SINGULAR_COVARIANCE naming the asset', () => {
    for (const v of [0, -1]) {
      assert.throws(
        () =>
          inverseVariance(
            matrixFromRows([
              [1, 0],
              [0, v],
            ]),
          ),
        (e: unknown) => {
          assert.ok(e instanceof QuantError, 'e is a QuantError');
          assert.equal(e.code, 'E_SINGULAR_COVARIANCE', 'e.code');
          assert.equal(e.details['asset_index'], 1, "e.details['asset_index']");
          return true;
        },
        'inverseVariance throws E_SINGULAR_COVARIANCE',
      );
    }
  });

  test('non-finite, non-square or empty input', () => {
    const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;
    assert.throws(
      () => inverseVariance(matrixFromRows([[Infinity]])),
      code('E_INPUT_VALUE'),
      'inverseVariance throws E_INPUT_VALUE',
    );
    assert.throws(
      () => inverseVariance({ rows: 1, cols: 2, data: new Float64Array(2) }),
      code('E_INPUT_VALUE'),
      'inverseVariance throws E_INPUT_VALUE',
    );
    assert.throws(
      () => inverseVariance({ rows: 0, cols: 0, data: new Float64Array(0) }),
      code('E_TOO_FEW_ASSETS'),
      'inverseVariance throws E_TOO_FEW_ASSETS',
    );
  });
});
