// Golden tests of HRP against the reference weights in test/fixtures/golden/<dataset>.reference.json
// (copied from shared/golden; see test/fixtures/golden/SOURCE.md):
//   pypfopt.HRPOpt.<linkage>                      PyPortfolioOpt 1.5.6 HRPOpt(returns).optimize(linkage_method)
//                                                 → leafOrder 'dendrogram' (tree pre-order)
//   skfolio.HierarchicalRiskParity.<linkage>      skfolio 0.2.3 (scipy 1.10.1 optimal_leaf_ordering)
//                                                 → leafOrder 'optimal'
//   skfolio.HierarchicalRiskParity.<l>.bounds_0.05_0.5   the same with min_weights 0.05, max_weights 0.5
// Input: the sample covariance of the dataset's simple returns (HRP is scale-free, so daily vs annual
// does not matter). Tolerance 1e-9 as required; the measured deviation is ~1e-15 (see the last test).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DATASETS, goldenWeights, loadDatasetReturns, loadGolden } from '../helpers/datasets.js';
import { sampleCovariance } from '../../src/numeric/covariance/sample-covariance.js';
import {
  hierarchicalRiskParity,
  type HierarchicalRiskParityOptions,
} from '../../src/numeric/optimize/hierarchical-risk-parity.js';

const TOLERANCE = 1e-9;

interface Case {
  readonly id: string;
  readonly options: HierarchicalRiskParityOptions;
}

const CASES: Case[] = [
  ...(['single', 'ward', 'complete', 'average'] as const).flatMap((linkage): Case[] => [
    { id: `pypfopt.HRPOpt.${linkage}`, options: { linkage, leafOrder: 'dendrogram' } },
    { id: `skfolio.HierarchicalRiskParity.${linkage}`, options: { linkage, leafOrder: 'optimal' } },
  ]),
  ...(['single', 'ward'] as const).map((linkage): Case => ({
    id: `skfolio.HierarchicalRiskParity.${linkage}.bounds_0.05_0.5`,
    options: { linkage, leafOrder: 'optimal', minWeight: 0.05, maxWeight: 0.5 },
  })),
];

function maxAbsDeviation(a: ArrayLike<number>, b: readonly number[]): number {
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

for (const dataset of DATASETS) {
  describe(`HRP golden: ${dataset}`, () => {
    const golden = loadGolden(dataset);
    const { assets, returns } = loadDatasetReturns(dataset);
    const cov = sampleCovariance(returns);

    test('asset order of the data equals the reference', () => {
      assert.deepEqual(assets, golden.dataset.assets, 'assets');
    });

    for (const c of CASES) {
      test(`${c.id} within ${TOLERANCE}`, () => {
        const expected = goldenWeights(golden, c.id);
        const { weights } = hierarchicalRiskParity(cov, c.options);
        const deviation = maxAbsDeviation(weights, expected);
        assert.ok(deviation <= TOLERANCE, `max |Δw| = ${deviation}`);
      });
    }

    test('the two leaf orders are really different here (the optimal-order cases are discriminating)', () => {
      const a = hierarchicalRiskParity(cov, { linkage: 'single', leafOrder: 'dendrogram' });
      const b = hierarchicalRiskParity(cov, { linkage: 'single', leafOrder: 'optimal' });
      assert.notDeepEqual(a.order, b.order, 'a.order differs from b.order');
      assert.ok(
        maxAbsDeviation(a.weights, Array.from(b.weights)) > 1e-3,
        'maxAbsDeviation(a.weights, Array.from(b.weights)) > 1e-3',
      );
    });

    test('measured agreement is at rounding level (≤ 1e-13)', () => {
      for (const c of CASES) {
        const deviation = maxAbsDeviation(
          hierarchicalRiskParity(cov, c.options).weights,
          goldenWeights(golden, c.id),
        );
        assert.ok(deviation <= 1e-13, `${c.id}: ${deviation}`);
      }
    });
  });
}
