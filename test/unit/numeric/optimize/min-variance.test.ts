import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import { minVariance } from '../../../../src/numeric/optimize/min-variance.js';
import {
  bruteForceBoxQp,
  factorReturns,
  independentKktViolation,
  maxAbsDiff,
  quadForm,
  randomCovariance,
  sampleCov,
  sum,
} from './_fixtures.js';

const fill = (n: number, v: number): Float64Array => new Float64Array(n).fill(v);

describe('minVariance', () => {
  test('two assets: the closed form (σ₂² − σ₁₂) / (σ₁² + σ₂² − 2σ₁₂)', () => {
    const cov = { rows: 2, cols: 2, data: Float64Array.from([0.04, 0.006, 0.006, 0.09]) };
    const r = minVariance(cov);
    const w1 = (0.09 - 0.006) / (0.04 + 0.09 - 0.012);
    assert.ok(maxAbsDiff(r.weights, [w1, 1 - w1]) < 1e-15, 'maxAbsDiff(r.weights, [w1, 1 - w1]) < 1e-15');
    assert.deepEqual(r.activeLower, [], 'r.activeLower');
  });

  test('equals an exhaustive working-set search on random problems, with and without bounds', () => {
    let worst = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const n = 2 + (seed % 6);
      const cov = randomCovariance(n, seed);
      const bounds: [number, number][] = [
        [0, 1],
        [0.5 / n, 1.8 / n],
        [0, 1.2 / n],
        [0.02, 0.6],
      ];
      for (const [lo, hi] of bounds) {
        if (n * lo > 1 || n * hi < 1) continue;
        const r = minVariance(cov, { minWeight: lo, maxWeight: hi });
        const expected = bruteForceBoxQp(cov, undefined, fill(n, lo), fill(n, hi));
        worst = Math.max(worst, maxAbsDiff(r.weights, expected));
        assert.ok(r.kkt.maxViolation < 1e-12, `kkt ${r.kkt.maxViolation}`);
        assert.ok(
          independentKktViolation(cov, undefined, r.weights, fill(n, lo), fill(n, hi)) < 1e-10,
          'independentKktViolation(cov, undefined, r.weights, fill(n, lo), fill(…',
        );
      }
    }
    assert.ok(worst < 1e-12, `max deviation from the exhaustive search ${worst}`);
  });

  test('reports the active bounds and the variance', () => {
    const cov = randomCovariance(6, 3);
    const r = minVariance(cov, { minWeight: 0.05, maxWeight: 0.3 });
    for (const i of r.activeLower) assert.equal(r.weights[i], 0.05, 'r.weights[i]');
    for (const i of r.activeUpper) assert.equal(r.weights[i], 0.3, 'r.weights[i]');
    assert.ok(
      Math.abs(r.variance - quadForm(cov, r.weights)) < 1e-15,
      'r.variance ≈ quadForm(cov, r.weights) within 1e-15',
    );
  });

  test('weights do not depend on the scale of Σ', () => {
    const cov = sampleCov(factorReturns(30, 500, 4));
    const a = minVariance(cov, { maxWeight: 0.1 }).weights;
    const b = minVariance({ ...cov, data: cov.data.map((x) => x * 252) }, { maxWeight: 0.1 }).weights;
    assert.ok(maxAbsDiff(a, b) < 1e-13, 'maxAbsDiff(a, b) < 1e-13');
  });

  test('per-asset bounds', () => {
    const cov = randomCovariance(5, 8);
    const lo = Float64Array.from([0, 0.1, 0, 0.2, 0]);
    const hi = Float64Array.from([0.5, 0.5, 0.15, 1, 1]);
    const r = minVariance(cov, { minWeight: lo, maxWeight: hi });
    assert.ok(
      maxAbsDiff(r.weights, bruteForceBoxQp(cov, undefined, lo, hi)) < 1e-12,
      'maxAbsDiff(r.weights, bruteForceBoxQp(cov, undefined, lo, hi)) < 1e-12',
    );
  });

  test('degenerate bounds: the single feasible point', () => {
    const cov = randomCovariance(4, 2);
    assert.deepEqual(
      Array.from(minVariance(cov, { minWeight: 0.25 }).weights),
      [0.25, 0.25, 0.25, 0.25],
      'Array.from(minVariance(cov, { minWeight: 0.25 }).weights)',
    );
    assert.deepEqual(
      Array.from(minVariance(cov, { maxWeight: 0.25 }).weights),
      [0.25, 0.25, 0.25, 0.25],
      'Array.from(minVariance(cov, { maxWeight: 0.25 }).weights)',
    );
    const r = minVariance(randomCovariance(20, 2), { minWeight: 0.05 });
    assert.ok(Math.abs(sum(r.weights) - 1) < 1e-15, 'sum(r.weights) ≈ 1 within 1e-15');
  });

  test('a dense 60-asset factor-model problem satisfies the KKT conditions', () => {
    const cov = sampleCov(factorReturns(60, 1000, 12), 252);
    const r = minVariance(cov);
    assert.ok(Math.abs(sum(r.weights) - 1) < 1e-14, 'sum(r.weights) ≈ 1 within 1e-14');
    assert.ok(
      independentKktViolation(cov, undefined, r.weights, fill(60, 0), fill(60, 1)) < 1e-10,
      'independentKktViolation(cov, undefined, r.weights, fill(60, 0), fill(…',
    );
  });

  test('errors: too few assets, infeasible bounds, singular covariance', () => {
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof QuantError, 'e is a QuantError');
        return e.code;
      }
      return 'none';
    };
    assert.equal(
      code(() => minVariance({ rows: 1, cols: 1, data: Float64Array.from([1]) })),
      'E_TOO_FEW_ASSETS',
      'code(() => minVariance({ rows: 1, cols: 1, data: Float64Array.from([1…',
    );
    assert.equal(
      code(() => minVariance(randomCovariance(3, 1), { minWeight: 0.5 })),
      'E_INFEASIBLE_BOUNDS',
      'code(() => minVariance(randomCovariance(3, 1), { minWeight: 0.5 }))',
    );
    // Not positive semidefinite: a negative variance, an indefinite matrix, a riskless asset that covaries.
    assert.equal(
      code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([-1, 0, 0, 1]) })),
      'E_SINGULAR_COVARIANCE',
      'code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([-…',
    );
    assert.equal(
      code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([1, 2, 2, 1]) })),
      'E_SINGULAR_COVARIANCE',
      'code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([1…',
    );
    assert.equal(
      code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([0, 0.1, 0.1, 1]) })),
      'E_SINGULAR_COVARIANCE',
      'code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([0…',
    );
    assert.equal(
      code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([1, 0.5, 0.2, 1]) })),
      'E_SINGULAR_COVARIANCE',
      'code(() => minVariance({ rows: 2, cols: 2, data: Float64Array.from([1…',
    );
  });
});
