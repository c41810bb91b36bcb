import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import { riskParity } from '../../../../src/numeric/optimize/risk-parity.js';
import {
  factorReturns,
  matVec,
  maxAbsDiff,
  randomCovariance,
  relativeRiskContributions,
  sampleCov,
  sum,
} from './_fixtures.js';

/** max |RC_i / mean − 1| over the given assets (all when omitted). */
function spread(rc: Float64Array, assets?: readonly number[]): number {
  const idx = assets ?? Array.from(rc, (_, i) => i);
  const mean = idx.reduce((s, i) => s + rc[i]!, 0) / idx.length;
  return Math.max(...idx.map((i) => Math.abs(rc[i]! / mean - 1)));
}

describe('riskParity', () => {
  test('two assets: w ∝ 1/σ whatever the correlation', () => {
    const cov = { rows: 2, cols: 2, data: Float64Array.from([0.04, -0.01, -0.01, 0.09]) };
    const r = riskParity(cov);
    assert.ok(maxAbsDiff(r.weights, [0.6, 0.4]) < 1e-15, 'maxAbsDiff(r.weights, [0.6, 0.4]) < 1e-15');
  });

  test('unbounded: risk contributions equal to 1e-12 relative', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const cov = randomCovariance(2 + (seed % 9), seed);
      const r = riskParity(cov);
      assert.equal(r.boundsBind, false, 'r.boundsBind');
      assert.ok(Math.abs(sum(r.weights) - 1) < 1e-15, 'sum(r.weights) ≈ 1 within 1e-15');
      assert.ok(spread(relativeRiskContributions(cov, r.weights)) < 1e-12, `seed ${seed}`);
    }
    const big = sampleCov(factorReturns(120, 1000, 3), 252);
    const r = riskParity(big);
    assert.ok(
      spread(relativeRiskContributions(big, r.weights)) < 1e-11,
      'spread(relativeRiskContributions(big, r.weights)) < 1e-11',
    );
    assert.ok(r.maxDeviation < 1e-11, 'r.maxDeviation < 1e-11');
  });

  test('(a) bounds that do not bind return exactly the unbounded answer', () => {
    const cov = randomCovariance(6, 5);
    const free = riskParity(cov).weights;
    const lo = Math.min(...free) * 0.99;
    const hi = Math.max(...free) * 1.01;
    const bounded = riskParity(cov, { minWeight: lo, maxWeight: hi });
    assert.deepEqual(Array.from(bounded.weights), Array.from(free), 'Array.from(bounded.weights)');
    assert.equal(bounded.boundsBind, false, 'bounded.boundsBind');
  });

  test('(b) binding bounds: within bounds, free assets share one risk contribution c, capped ≤ c, floored ≥ c', () => {
    let cases = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const n = 3 + (seed % 8);
      const cov = randomCovariance(n, 100 + seed);
      const free = riskParity(cov).weights;
      const lo = Math.min(0.9 / n, Math.min(...free) * 1.3);
      const hi = Math.max(1.1 / n, Math.max(...free) * 0.8);
      const r = riskParity(cov, { minWeight: lo, maxWeight: hi });
      assert.equal(r.boundsBind, true, 'r.boundsBind');
      assert.ok(Math.abs(sum(r.weights) - 1) < 1e-14, 'sum(r.weights) ≈ 1 within 1e-14');
      const sw = matVec(cov, r.weights);
      const rc = Float64Array.from(sw, (v, i) => v * r.weights[i]!);
      const freeSet: number[] = [];
      for (let i = 0; i < n; i++) {
        const wi = r.weights[i]!;
        assert.ok(wi >= lo - 1e-15 && wi <= hi + 1e-15, 'wi >= lo - 1e-15 && wi <= hi + 1e-15');
        if (r.activeLower.includes(i)) assert.equal(wi, lo, 'wi');
        else if (r.activeUpper.includes(i)) assert.equal(wi, hi, 'wi');
        else freeSet.push(i);
      }
      assert.ok(
        r.activeLower.length + r.activeUpper.length > 0,
        'r.activeLower.length + r.activeUpper.length > 0',
      );
      assert.ok(freeSet.length > 0, 'freeSet.length > 0');
      assert.ok(
        spread(rc, freeSet) < 1e-10,
        `seed ${seed}: free contributions differ by ${spread(rc, freeSet)}`,
      );
      const c = freeSet.reduce((s, i) => s + rc[i]!, 0) / freeSet.length;
      const tol = 1e-10 * sum(rc);
      for (const i of r.activeUpper)
        assert.ok(rc[i]! <= c + tol, `seed ${seed}: capped asset ${i} contributes more`);
      for (const i of r.activeLower)
        assert.ok(rc[i]! >= c - tol, `seed ${seed}: floored asset ${i} contributes less`);
      cases++;
    }
    assert.equal(cases, 30, 'cases');
  });

  test('floors with a hedging asset: the common contribution may be ≤ 0, conditions still hold', () => {
    // Asset 0 hedges asset 2 and all floors are 0.0833: even as c → 0 the log-barrier solution exceeds
    // the budget, so the conditions are solved directly (c ≤ 0).
    const data = new Float64Array(81);
    const set = (i: number, j: number, v: number): void => {
      data[i * 9 + j] = v;
      data[j * 9 + i] = v;
    };
    [
      4.0275758322339706e-7, 3.676158352828534e-5, 7.531472798365607e-3, 1.115988227687495e-6,
      7.31272727272702e-5, 3.6763636363636015e-5, 1.0165991620282833e-5, 2.629617926132221e-4,
      4.626189066451183e-5,
    ].forEach((v, i) => set(i, i, v));
    set(0, 2, -4.532404812906465e-6);
    set(2, 5, 5.8989811851957966e-9);
    set(4, 8, 1.8584699768529973e-5);
    const cov = { rows: 9, cols: 9, data };
    const lo = 0.08327907986112366;
    const r = riskParity(cov, { minWeight: lo, maxWeight: 0.33376736111111055 });
    assert.ok(Math.abs(sum(r.weights) - 1) < 1e-15, 'sum(r.weights) ≈ 1 within 1e-15');
    const rc = Array.from(matVec(cov, r.weights), (v, i) => v * r.weights[i]!);
    const freeSet = [...Array(9).keys()].filter(
      (i) => !r.activeLower.includes(i) && !r.activeUpper.includes(i),
    );
    assert.deepEqual(freeSet, [0], 'freeSet');
    const c = rc[0]!;
    assert.ok(c <= 1e-12 * sum(rc), 'c <= 1e-12 * sum(rc)');
    for (const i of r.activeLower) {
      assert.equal(r.weights[i], lo, 'r.weights[i]');
      assert.ok(rc[i]! >= c, 'rc[i] >= c');
    }
  });

  test('when no bounded solution with a positive common contribution can be found: E_SOLVER with the reason', () => {
    const d = [
      4e-7, 0, 0, 0, 0, 0, 0, 4.011101109666037e-7, 0, 2.1014699786970487e-7, -3.102669194565807e-6, 0, 0, 0,
      4e-7, 0, 0, 0, 0, 2.1014699786970487e-7, 0, 1.7695692944297466e-4, -5.873436406232601e-4, 0, 0,
      -3.102669194565807e-6, 0, -5.873436406232601e-4, 8.76519981127137e-3, 0, 0, 0, 0, 0, 0,
      5.0396969359931534e-5,
    ];
    const cov = { rows: 6, cols: 6, data: Float64Array.from(d) };
    assert.throws(
      () => riskParity(cov, { minWeight: 0.09202263610644196, maxWeight: 0.47947184244791585 }),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_SOLVER' &&
        e.details['reason'] === 'non_positive_risk_contribution',
      'riskParity throws E_SOLVER',
    );
    // The unbounded problem is always solvable.
    assert.ok(
      spread(relativeRiskContributions(cov, riskParity(cov).weights)) < 1e-10,
      'spread(relativeRiskContributions(cov, riskParity(cov).weights)) < 1e-…',
    );
  });

  test('degenerate bounds: the single feasible point', () => {
    const r = riskParity(randomCovariance(4, 1), { minWeight: 0.25 });
    assert.deepEqual(Array.from(r.weights), [0.25, 0.25, 0.25, 0.25], 'Array.from(r.weights)');
  });

  test('errors: too few assets, infeasible bounds, non-positive variance', () => {
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
      code(() => riskParity({ rows: 1, cols: 1, data: Float64Array.from([1]) })),
      'E_TOO_FEW_ASSETS',
      'code(() => riskParity({ rows: 1, cols: 1, data: Float64Array.from([1]…',
    );
    assert.equal(
      code(() => riskParity(randomCovariance(3, 1), { maxWeight: 0.3 })),
      'E_INFEASIBLE_BOUNDS',
      'code(() => riskParity(randomCovariance(3, 1), { maxWeight: 0.3 }))',
    );
    assert.equal(
      code(() => riskParity({ rows: 2, cols: 2, data: Float64Array.from([1, 0, 0, 0]) })),
      'E_SINGULAR_COVARIANCE',
      'code(() => riskParity({ rows: 2, cols: 2, data: Float64Array.from([1,…',
    );
  });
});
