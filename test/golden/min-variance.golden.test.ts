// Golden: exact long-only minimum variance against PyPortfolioOpt 1.5.6 `CLA.min_volatility` (critical
// line algorithm, exact active set; R fPortfolio's quadprog agrees to 2e-14), stored in
// test/fixtures/golden/<dataset>.reference.json (see SOURCE.md). Σ is the sample covariance (ddof 1) of
// the simple returns, computed here; its scale does not change the weights. Tolerance 1e-8 (measured:
// ≤ 7e-14).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { minVariance } from '../../src/numeric/optimize/min-variance.js';
import { DATASETS, goldenWeights, loadDatasetReturns, loadGolden } from '../helpers/datasets.js';
import { maxAbsDiff, sampleCov, sum } from '../unit/numeric/optimize/_fixtures.js';

const TOLERANCE = 1e-8;

describe('minVariance golden (pypfopt.CLA.min_volatility)', () => {
  for (const dataset of DATASETS) {
    const golden = loadGolden(dataset);
    const cov = sampleCov(loadDatasetReturns(dataset).returns);

    test(`${dataset}: bounds [0, 1]`, () => {
      const r = minVariance(cov);
      const d = maxAbsDiff(r.weights, goldenWeights(golden, 'pypfopt.CLA.min_volatility'));
      assert.ok(d < TOLERANCE, `max |Δw| = ${d}`);
      assert.ok(Math.abs(sum(r.weights) - 1) < 1e-15, 'sum(r.weights) ≈ 1 within 1e-15');
    });

    test(`${dataset}: bounds [0.05, 0.5]`, () => {
      const r = minVariance(cov, { minWeight: 0.05, maxWeight: 0.5 });
      const expected = goldenWeights(golden, 'pypfopt.CLA.min_volatility.bounds_0.05_0.5');
      const d = maxAbsDiff(r.weights, expected);
      assert.ok(d < TOLERANCE, `max |Δw| = ${d}`);
      // The bounds bind in the reference, and the same assets are held here.
      expected.forEach((w, i) => {
        if (w === 0.05) assert.ok(r.activeLower.includes(i), 'r.activeLower includes i');
        if (w === 0.5) assert.ok(r.activeUpper.includes(i), 'r.activeUpper includes i');
      });
    });
  }
});
