import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import { maxSharpe } from '../../../../src/numeric/optimize/max-sharpe.js';
import {
  bruteForceBoxQp,
  matVec,
  maxAbsDiff,
  quadForm,
  randomCovariance,
  rng,
  sharpe,
  sum,
} from './_fixtures.js';

const fill = (n: number, v: number): Float64Array => new Float64Array(n).fill(v);

function quantError(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QuantError, 'e is a QuantError');
    return e;
  }
  assert.fail('expected a QuantError');
}

describe('maxSharpe', () => {
  test('interior optimum: the closed form w ∝ Σ⁻¹(μ − r_f)', () => {
    const cov = randomCovariance(5, 4);
    const v = Float64Array.from([0.1, 0.3, 0.2, 0.25, 0.15]);
    const mu = matVec(cov, v).map((x) => x + 0.02); // Σ⁻¹(μ − 0.02) = v > 0
    const r = maxSharpe(cov, mu, { riskFreeRate: 0.02 });
    assert.ok(
      maxAbsDiff(
        r.weights,
        v.map((x) => x / sum(v)),
      ) < 1e-13,
      'maxAbsDiff(r.weights, v.map((x) => x / sum(v))) < 1e-13',
    );
    assert.deepEqual(r.activeLower, [], 'r.activeLower');
  });

  test('is the frontier QP solution at t = wᵀΣw / mᵀw and beats every frontier point of a t-grid', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const n = 2 + (seed % 5);
      const cov = randomCovariance(n, seed);
      const u = rng(seed);
      const mu = Float64Array.from({ length: n }, () => u() * 0.2 - 0.05);
      mu[seed % n] = 0.12;
      for (const [lo, hi] of [
        [0, 1],
        [0.5 / n, 1.6 / n],
      ] as const) {
        const r = maxSharpe(cov, mu, { minWeight: lo, maxWeight: hi });
        const t = quadForm(cov, r.weights) / r.excessReturn;
        assert.ok(Math.abs(t - r.t) <= 1e-9 * t, 't ≈ r.t within 1e-9 * t');
        const oracle = bruteForceBoxQp(
          cov,
          mu.map((x) => x * t),
          fill(n, lo),
          fill(n, hi),
        );
        assert.ok(maxAbsDiff(r.weights, oracle) < 1e-10, `seed ${seed}: ${maxAbsDiff(r.weights, oracle)}`);
        assert.ok(
          Math.abs(r.sharpe - sharpe(cov, mu, r.weights)) < 1e-12,
          'r.sharpe ≈ sharpe(cov, mu, r.weights) within 1e-12',
        );
        for (let e = -6; e <= 4; e += 0.25) {
          const w = bruteForceBoxQp(
            cov,
            mu.map((x) => x * 10 ** e),
            fill(n, lo),
            fill(n, hi),
          );
          assert.ok(sharpe(cov, mu, w) <= r.sharpe + 1e-12, 'sharpe(cov, mu, w) <= r.sharpe + 1e-12');
        }
        assert.ok(r.kkt.maxViolation < 1e-12, 'r.kkt.maxViolation < 1e-12');
      }
    }
  });

  test('a risk-free rate equals shifting μ; scaling μ and Σ by the same factor changes nothing', () => {
    const cov = randomCovariance(6, 9);
    const mu = Float64Array.from([0.05, 0.08, 0.02, 0.11, 0.07, 0.04]);
    const a = maxSharpe(cov, mu, { riskFreeRate: 0.03, maxWeight: 0.4 }).weights;
    const b = maxSharpe(
      cov,
      mu.map((x) => x - 0.03),
      { maxWeight: 0.4 },
    ).weights;
    assert.ok(maxAbsDiff(a, b) < 1e-14, 'maxAbsDiff(a, b) < 1e-14');
    const c = maxSharpe(
      { ...cov, data: cov.data.map((x) => x / 252) },
      mu.map((x) => x / 252),
      { maxWeight: 0.4 },
    ).weights;
    const d = maxSharpe(cov, mu, { maxWeight: 0.4 }).weights;
    assert.ok(maxAbsDiff(c, d) < 1e-12, 'maxAbsDiff(c, d) < 1e-12');
  });

  test('no asset above the risk-free rate is E_NO_POSITIVE_EXCESS_RETURN naming r_f and the largest μ', () => {
    const cov = randomCovariance(3, 1);
    const e = quantError(() => maxSharpe(cov, Float64Array.from([0.01, 0.03, 0.02]), { riskFreeRate: 0.05 }));
    assert.equal(e.code, 'E_NO_POSITIVE_EXCESS_RETURN', 'e.code');
    assert.match(e.message, /r_f = 0\.05/, 'e.message matches /r_f = 0\\.05/');
    assert.match(e.message, /largest μ = 0\.03/, 'e.message matches /largest μ = 0\\.03/');
    assert.equal(e.details['asset_index'], 1, "e.details['asset_index']");
  });

  test('bounds that force a non-positive excess return are E_NO_POSITIVE_EXCESS_RETURN', () => {
    const cov = randomCovariance(3, 2);
    const e = quantError(() => maxSharpe(cov, Float64Array.from([0.1, -0.2, -0.2]), { minWeight: 0.3 }));
    assert.equal(e.code, 'E_NO_POSITIVE_EXCESS_RETURN', 'e.code');
    assert.match(e.message, /bounds/, 'e.message matches /bounds/');
  });

  test('other errors: infeasible bounds, wrong μ length', () => {
    const cov = randomCovariance(3, 2);
    assert.equal(
      quantError(() => maxSharpe(cov, Float64Array.from([0.1, 0.1, 0.1]), { maxWeight: 0.2 })).code,
      'E_INFEASIBLE_BOUNDS',
      'quantError(() => maxSharpe(cov, Float64Array.from([0.1, 0.1, 0.1]), {…',
    );
    assert.equal(
      quantError(() => maxSharpe(cov, Float64Array.from([0.1, 0.1]))).code,
      'E_INPUT_VALUE',
      'a μ of the wrong length is E_INPUT_VALUE',
    );
  });
});
