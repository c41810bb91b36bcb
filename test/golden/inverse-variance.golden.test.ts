// Golden test of inverse-variance weights against `own.inverse_variance` in
// test/fixtures/golden/<dataset>.reference.json (numpy: w = 1/diag(R.cov()), w /= w.sum(); see SOURCE.md).
// Tolerance 1e-12.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DATASETS, goldenWeights, loadDatasetReturns, loadGolden } from '../helpers/datasets.js';
import { sampleCovariance } from '../../src/numeric/covariance/sample-covariance.js';
import { inverseVariance } from '../../src/numeric/optimize/inverse-variance.js';

const TOLERANCE = 1e-12;

describe('inverse variance golden', () => {
  for (const dataset of DATASETS) {
    test(`${dataset}: own.inverse_variance within ${TOLERANCE}`, () => {
      const expected = goldenWeights(loadGolden(dataset), 'own.inverse_variance');
      const w = inverseVariance(sampleCovariance(loadDatasetReturns(dataset).returns));
      assert.equal(w.length, expected.length, 'w.length');
      expected.forEach((e, i) => assert.ok(Math.abs(w[i]! - e) <= TOLERANCE, `[${i}] ${w[i]} vs ${e}`));
    });
  }
});
