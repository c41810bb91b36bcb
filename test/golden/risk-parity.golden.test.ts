// Golden: equal risk contribution against `own.erc.newton` (Newton on ½xᵀΣx − Σlog(x)/n to
// max|grad| < 1e-14) and skfolio 0.2.3 `RiskBudgeting` (ECOS, ~1e-6 accurate), stored in
// test/fixtures/golden/<dataset>.reference.json (see SOURCE.md). Σ is the sample covariance (ddof 1),
// computed here. Tolerances: 1e-8 against the exact reference (measured ≤ 5e-16), 1e-6 against skfolio
// where the bounds do not bind (measured 3.5e-8).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { riskParity } from '../../src/numeric/optimize/risk-parity.js';
import { DATASETS, goldenWeights, loadDatasetReturns, loadGolden } from '../helpers/datasets.js';
import { matVec, maxAbsDiff, sampleCov } from '../unit/numeric/optimize/_fixtures.js';

describe('riskParity golden', () => {
  for (const dataset of DATASETS) {
    const golden = loadGolden(dataset);
    const cov = sampleCov(loadDatasetReturns(dataset).returns);

    test(`${dataset}: own.erc.newton to 1e-8`, () => {
      const d = maxAbsDiff(riskParity(cov).weights, goldenWeights(golden, 'own.erc.newton'));
      assert.ok(d < 1e-8, `max |Δw| = ${d}`);
    });
  }

  test('gccindex_prices: skfolio.RiskBudgeting.erc.bounds_0.05_0.5 to 1e-6 (the bounds do not bind)', () => {
    const golden = loadGolden('gccindex_prices');
    const cov = sampleCov(loadDatasetReturns('gccindex_prices').returns);
    const r = riskParity(cov, { minWeight: 0.05, maxWeight: 0.5 });
    assert.equal(r.boundsBind, false, 'r.boundsBind');
    const d = maxAbsDiff(r.weights, goldenWeights(golden, 'skfolio.RiskBudgeting.erc.bounds_0.05_0.5'));
    assert.ok(d < 1e-6, `max |Δw| = ${d}`);
  });

  test('swx_prices with binding bounds [0.05, 0.5]: a documented difference of formulation from skfolio', () => {
    // skfolio bounds the homogenised weights (lo·Σx ≤ x_i ≤ hi·Σx), so its free assets do not share equal
    // risk contributions; here they do (RC_SII = RC_LP25 = RC_LP40 = RC_LP60), with SBI capped at 0.5
    // and SPI floored at 0.05 — the same assets skfolio holds at its bounds.
    const golden = loadGolden('swx_prices');
    const cov = sampleCov(loadDatasetReturns('swx_prices').returns);
    const r = riskParity(cov, { minWeight: 0.05, maxWeight: 0.5 });
    const sk = goldenWeights(golden, 'skfolio.RiskBudgeting.erc.bounds_0.05_0.5');
    assert.deepEqual(r.activeUpper, [0], 'r.activeUpper');
    assert.deepEqual(r.activeLower, [1], 'r.activeLower');
    assert.ok(
      Math.abs(sk[0]! - 0.5) < 1e-5 && Math.abs(sk[1]! - 0.05) < 1e-5,
      'Math.abs(sk[0] - 0.5) < 1e-5 && Math.abs(sk[1] - 0.05) < 1e-5',
    );
    const rc = (w: ArrayLike<number>): number[] => Array.from(matVec(cov, w), (v, i) => v * w[i]!);
    const ours = rc(r.weights).slice(2);
    const theirs = rc(sk).slice(2);
    const spread = (x: number[]): number => (Math.max(...x) - Math.min(...x)) / Math.max(...x);
    assert.ok(spread(ours) < 1e-12, 'spread(ours) < 1e-12');
    assert.ok(spread(theirs) > 1e-2, 'spread(theirs) > 1e-2');
    assert.ok(maxAbsDiff(r.weights, sk) < 2e-3, 'maxAbsDiff(r.weights, sk) < 2e-3');
  });
});
