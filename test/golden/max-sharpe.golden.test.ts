// Golden: exact tangency portfolio against `own.max_sharpe.exact*` in
// test/fixtures/golden/<dataset>.reference.json (CVXOPT QP in (y, κ) + KKT active-set polish; see
// SOURCE.md), r_f = 0, with the reference's own inputs: Σ = `S_ann_values` (annualised sample
// covariance) and μ = `mu_arith_values` (mean × 252) or `mu_cagr_values`. Tolerance 1e-7 (measured:
// ≤ 5e-16).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { maxSharpe } from '../../src/numeric/optimize/max-sharpe.js';
import { DATASETS, goldenWeights, loadGolden, type GoldenFile } from '../helpers/datasets.js';
import { maxAbsDiff, sharpe } from '../unit/numeric/optimize/_fixtures.js';

const TOLERANCE = 1e-7;

function inputs(golden: GoldenFile, mu: 'mu_arith_values' | 'mu_cagr_values') {
  const assets = golden.dataset.assets;
  const n = assets.length;
  const data = Float64Array.from(
    assets.flatMap((a) => assets.map((b) => golden.common_inputs.S_ann_values[a]![b]!)),
  );
  return {
    cov: { rows: n, cols: n, data },
    mu: Float64Array.from(assets, (a) => golden.common_inputs[mu][a]!),
  };
}

describe('maxSharpe golden (own.max_sharpe.exact)', () => {
  for (const dataset of DATASETS) {
    const golden = loadGolden(dataset);
    const cases = [
      { id: 'own.max_sharpe.exact', mu: 'mu_arith_values', bounds: {} },
      {
        id: 'own.max_sharpe.exact.bounds_0.05_0.5',
        mu: 'mu_arith_values',
        bounds: { minWeight: 0.05, maxWeight: 0.5 },
      },
      { id: 'own.max_sharpe.exact.mu_cagr', mu: 'mu_cagr_values', bounds: {} },
      {
        id: 'own.max_sharpe.exact.mu_cagr.bounds_0.05_0.5',
        mu: 'mu_cagr_values',
        bounds: { minWeight: 0.05, maxWeight: 0.5 },
      },
    ] as const;
    for (const c of cases) {
      test(`${dataset}: ${c.id}`, () => {
        const { cov, mu } = inputs(golden, c.mu);
        const r = maxSharpe(cov, mu, c.bounds);
        const expected = goldenWeights(golden, c.id);
        const d = maxAbsDiff(r.weights, expected);
        assert.ok(d < TOLERANCE, `max |Δw| = ${d}`);
        assert.ok(
          r.sharpe >= sharpe(cov, mu, expected) - 1e-12,
          'r.sharpe >= sharpe(cov, mu, expected) - 1e-12',
        );
      });
    }
  }
});
