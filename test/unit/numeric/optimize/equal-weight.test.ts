import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { equalWeight } from '../../../../src/numeric/optimize/equal-weight.js';
import { QuantError } from '../../../../src/errors.js';

describe('equalWeight', () => {
  test('1/n each', () => {
    assert.deepEqual(Array.from(equalWeight(4)), [0.25, 0.25, 0.25, 0.25], 'Array.from(equalWeight(4))');
    assert.deepEqual(Array.from(equalWeight(1)), [1], 'Array.from(equalWeight(1))');
  });

  test('n must be a positive integer', () => {
    for (const n of [0, -1, 2.5, Number.NaN]) {
      assert.throws(
        () => equalWeight(n),
        (e: unknown) => e instanceof QuantError && e.code === 'E_TOO_FEW_ASSETS',
        'equalWeight throws E_TOO_FEW_ASSETS',
      );
    }
  });
});
