// Property tests of the method dispatch as the stages use it (optimizePortfolio / optimizeWithFallback on a
// return matrix): for random return matrices — factor-model data, plus degenerate ones with a constant or a
// duplicated column — random feasible bounds, both covariance estimators and every method, the weights lie
// within the bounds and sum to 1 (1e-12), or the method fails with one of its documented numeric codes;
// with the fallback chain there is always an answer within the bounds. Min-variance on a return matrix is
// never beaten by random feasible portfolios.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuantError } from '../../src/errors.js';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { applyBounds } from '../../src/numeric/optimize/bounded-projection.js';
import {
  PORTFOLIO_METHODS,
  optimizePortfolio,
  optimizeWithFallback,
  type OptimizeOptions,
} from '../../src/numeric/optimize/optimize-portfolio.js';
import { sampleCovariance } from '../../src/numeric/covariance/sample-covariance.js';
import { factorReturns, quadForm, rng, sum } from '../unit/numeric/optimize/_fixtures.js';
import { propertyRuns } from '../helpers/property-runs.js';

/** Numeric failures a method may raise (the stages' fallback chain catches exactly these). */
const NUMERIC = new Set([
  'E_SINGULAR_COVARIANCE',
  'E_SOLVER',
  'E_NO_POSITIVE_EXCESS_RETURN',
  'E_UNBOUNDED_SHARPE',
]);

interface Case {
  readonly returns: Matrix;
  readonly lo: number;
  readonly hi: number;
  readonly covariance: 'sample' | 'ledoit_wolf';
  readonly seed: number;
}

function degenerate(m: Matrix, kind: 'none' | 'constant' | 'duplicate'): Matrix {
  if (kind === 'none') return m;
  const data = Float64Array.from(m.data);
  for (let t = 0; t < m.rows; t++) {
    data[t * m.cols] = kind === 'constant' ? 0.0003 : (data[t * m.cols + 1] as number);
  }
  return { rows: m.rows, cols: m.cols, data };
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 2, max: 9 }),
    extraRows: fc.integer({ min: 3, max: 60 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    loFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    hiFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    covariance: fc.constantFrom('sample' as const, 'ledoit_wolf' as const),
    kind: fc.constantFrom(
      'none' as const,
      'none' as const,
      'none' as const,
      'constant' as const,
      'duplicate' as const,
    ),
  })
  .map(({ n, extraRows, seed, loFrac, hiFrac, covariance, kind }) => ({
    returns: degenerate(factorReturns(n, n + extraRows, seed, 3), kind),
    lo: loFrac / n,
    hi: 1 / n + hiFrac * (1 - 1 / n),
    covariance,
    seed,
  }));

function assertWithin(w: Float64Array, lo: number, hi: number, what: string): void {
  assert.ok(Math.abs(sum(w) - 1) <= 1e-12, `${what}: sum ${sum(w)}`);
  for (const x of w) assert.ok(x >= lo - 1e-12 && x <= hi + 1e-12, `${what}: ${x} outside [${lo}, ${hi}]`);
}

const runs = { numRuns: propertyRuns(200), seed: 20260315 };

describe('every method on a return matrix', () => {
  test('weights within the bounds and summing to 1, or a documented numeric failure; the fallback chain always answers', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const method of PORTFOLIO_METHODS) {
          const options: OptimizeOptions = {
            method,
            periodsPerYear: 252,
            covariance: c.covariance,
            minWeight: c.lo,
            maxWeight: c.hi,
          };
          try {
            assertWithin(optimizePortfolio(c.returns, options).weights, c.lo, c.hi, method);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            assert.ok(error instanceof QuantError && NUMERIC.has(error.code), `${method}: ${String(error)}`);
          }
          const chained = optimizeWithFallback(c.returns, options);
          assertWithin(chained.weights, c.lo, c.hi, `${method} with fallback (${chained.method})`);
        }
      }),
      runs,
    );
  });

  test('min_variance is never beaten by a random feasible portfolio', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        let w: Float64Array;
        try {
          w = optimizePortfolio(c.returns, {
            method: 'min_variance',
            periodsPerYear: 1,
            minWeight: c.lo,
            maxWeight: c.hi,
          }).weights;
        } catch (error) {
          assert.ok(
            error instanceof QuantError && NUMERIC.has(error.code),
            'error instanceof QuantError && NUMERIC.has(error.code)',
          );
          return;
        }
        const cov = sampleCovariance(c.returns);
        const best = quadForm(cov, w);
        const u = rng(c.seed);
        const n = c.returns.cols;
        for (let k = 0; k < 100; k++) {
          const x = applyBounds(
            Float64Array.from({ length: n }, () => -Math.log(u() + 1e-300)),
            c.lo,
            c.hi,
          );
          assert.ok(best <= quadForm(cov, x) * (1 + 1e-9) + 1e-15, `beaten: ${best} > ${quadForm(cov, x)}`);
        }
      }),
      runs,
    );
  });
});
