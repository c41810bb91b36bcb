// The cost of the iterative solvers, pinned on fixed inputs (the bundled SWX and GCC price tables), so
// that a slower but still correct change fails: ERC's outer search for the common risk contribution and
// its inner Newton steps, the active-set QP of min-variance, and the frontier segments of max-Sharpe.
// Counts are deterministic (no clock). Each bound is the count measured when the test was written,
// times 1.5, plus 1. Example: flipping the sign of ERC's outer Newton step gives the same weights after
// 48 outer steps instead of 5 on SWX with bounds [0.05, 0.5].
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  optimizePortfolio,
  type PortfolioMethod,
} from '../../../../src/numeric/optimize/optimize-portfolio.js';
import { loadDatasetReturns, type DatasetName } from '../../../helpers/datasets.js';

interface CostCase {
  readonly dataset: DatasetName;
  readonly method: PortfolioMethod;
  readonly bounds: { readonly minWeight?: number; readonly maxWeight?: number };
  /** Measured `iterations` (ERC: inner steps + outer steps; min-variance: active-set steps; max-Sharpe: segments). */
  readonly iterations: number;
  /** Measured ERC outer steps (0 when the bounds do not bind). */
  readonly outer?: number;
}

const CASES: readonly CostCase[] = [
  { dataset: 'swx_prices', method: 'risk_parity', bounds: {}, iterations: 5, outer: 0 },
  {
    dataset: 'swx_prices',
    method: 'risk_parity',
    bounds: { minWeight: 0.05, maxWeight: 0.5 },
    iterations: 26,
    outer: 5,
  },
  { dataset: 'swx_prices', method: 'risk_parity', bounds: { maxWeight: 0.3 }, iterations: 24, outer: 5 },
  {
    dataset: 'gccindex_prices',
    method: 'risk_parity',
    bounds: { minWeight: 0.08, maxWeight: 0.25 },
    iterations: 24,
    outer: 5,
  },
  { dataset: 'swx_prices', method: 'min_variance', bounds: {}, iterations: 8 },
  { dataset: 'gccindex_prices', method: 'min_variance', bounds: {}, iterations: 7 },
  {
    dataset: 'gccindex_prices',
    method: 'min_variance',
    bounds: { minWeight: 0.05, maxWeight: 0.5 },
    iterations: 4,
  },
  { dataset: 'swx_prices', method: 'max_sharpe', bounds: { minWeight: 0.05, maxWeight: 0.5 }, iterations: 4 },
  { dataset: 'gccindex_prices', method: 'max_sharpe', bounds: {}, iterations: 3 },
  { dataset: 'gccindex_prices', method: 'max_sharpe', bounds: { maxWeight: 0.3 }, iterations: 2 },
];

const bound = (measured: number): number => Math.floor(1.5 * measured) + 1;
const returnsOf = new Map<DatasetName, ReturnType<typeof loadDatasetReturns>>();

describe('solver cost on fixed inputs (at most 1.5 × the measured count + 1)', () => {
  for (const c of CASES) {
    const label = `${c.dataset} ${c.method} ${JSON.stringify(c.bounds)}`;
    test(`${label}: ≤ ${bound(c.iterations)} iterations${c.outer === undefined ? '' : `, ≤ ${bound(c.outer)} outer steps`}`, () => {
      let data = returnsOf.get(c.dataset);
      if (data === undefined) returnsOf.set(c.dataset, (data = loadDatasetReturns(c.dataset)));
      const r = optimizePortfolio(data.returns, { method: c.method, periodsPerYear: 252, ...c.bounds });
      const iterations = r.diagnostics['iterations'];
      assert.equal(typeof iterations, 'number', `${label}: diagnostics.iterations is reported`);
      assert.ok(
        (iterations as number) >= 1 && (iterations as number) <= bound(c.iterations),
        `${label}: ${String(iterations)} iterations, measured ${c.iterations}, bound ${bound(c.iterations)}`,
      );
      if (c.outer !== undefined) {
        const outer = r.diagnostics['outer_iterations'];
        assert.equal(typeof outer, 'number', `${label}: diagnostics.outer_iterations is reported`);
        assert.ok(
          (outer as number) <= bound(c.outer),
          `${label}: ${String(outer)} outer steps, measured ${c.outer}, bound ${bound(c.outer)}`,
        );
        // The bounds bind exactly when there is an outer search.
        assert.equal(
          (outer as number) > 0,
          c.outer > 0,
          `${label}: an outer search runs only when the bounds bind`,
        );
      }
    });
  }
});
