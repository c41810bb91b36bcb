// Singular but valid (positive semidefinite) covariances: riskless assets, duplicated assets, perfect
// hedges and collinear assets, for min-variance, max-Sharpe and equal risk contribution. Expected values are
// closed forms worked out in the comments, or the same optimizer on the problem without the degeneracy.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { minVariance } from '../../../../src/numeric/optimize/min-variance.js';
import { maxSharpe } from '../../../../src/numeric/optimize/max-sharpe.js';
import { riskParity } from '../../../../src/numeric/optimize/risk-parity.js';
import { minimumNormSplit } from '../../../../src/numeric/optimize/_reduce.js';
import { optimizePortfolio } from '../../../../src/numeric/optimize/optimize-portfolio.js';
import { sampleCovariance } from '../../../../src/numeric/covariance/sample-covariance.js';
import {
  factorReturns,
  improvingTransfer,
  independentKktViolation,
  maxAbsDiff,
  quadForm,
  randomCovariance,
  relativeRiskContributions,
  sharpe,
  sum,
} from './_fixtures.js';

const matrix = (n: number, data: number[]): Matrix => ({ rows: n, cols: n, data: Float64Array.from(data) });
const fill = (n: number, v: number): Float64Array => new Float64Array(n).fill(v);

/** Σ with a riskless asset 0 in front of the 2 x 2 risky block [[a, c], [c, b]]. */
const withCash = (a: number, c: number, b: number): Matrix => matrix(3, [0, 0, 0, 0, a, c, 0, c, b]);

/** Σ of n + 1 assets: `cov` with asset `of` duplicated at the end. */
function duplicate(cov: Matrix, of: number): Matrix {
  const n = cov.rows;
  const m = n + 1;
  const src = (i: number): number => (i === n ? of : i);
  const data = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) data[i * m + j] = cov.data[src(i) * n + src(j)]!;
  return { rows: m, cols: m, data };
}

function quantError(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QuantError, `not a QuantError: ${String(e)}`);
    return e;
  }
  assert.fail('expected a QuantError');
}

describe('minVariance on a positive semidefinite Σ', () => {
  test('a riskless asset takes its upper bound; the rest is the risky minimum variance of the remainder', () => {
    // Risky block σ₁² = 0.04, σ₂² = 0.09, σ₁₂ = 0.01: with cash at its cap 0.6, the remaining 0.4 splits
    // as 0.4·(σ₂² − σ₁₂) / (σ₁² + σ₂² − 2σ₁₂) = 0.4·0.08 / 0.11 = 0.32 / 1.1 for asset 1 (inside [0.1, 0.6]).
    const r = minVariance(withCash(0.04, 0.01, 0.09), { minWeight: 0.1, maxWeight: 0.6 });
    assert.ok(maxAbsDiff(r.weights, [0.6, 0.32 / 1.1, 0.4 - 0.32 / 1.1]) < 1e-15, `${r.weights}`);
    assert.deepEqual(r.activeUpper, [0], 'r.activeUpper');
    assert.ok(r.kkt.maxViolation < 1e-14, `kkt ${r.kkt.maxViolation}`);
    // Without bounds the riskless asset takes everything: variance 0.
    const all = minVariance(withCash(0.04, 0.01, 0.09));
    assert.deepEqual(Array.from(all.weights), [1, 0, 0], 'Array.from(all.weights)');
    assert.equal(all.variance, 0, 'all.variance');
  });

  test('several riskless assets share their weight by the minimum-norm rule', () => {
    const cov = matrix(4, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.04, 0.01, 0, 0, 0.01, 0.09]);
    assert.deepEqual(
      Array.from(minVariance(cov).weights),
      [0.5, 0.5, 0, 0],
      'Array.from(minVariance(cov).weights)',
    );
    // Capped at 0.3 and 0.5: together 0.8, each at its cap; the risky pair takes 0.2 (0.2·0.08/0.11).
    const capped = minVariance(cov, { maxWeight: Float64Array.from([0.3, 0.5, 1, 1]) });
    assert.ok(
      maxAbsDiff(capped.weights, [0.3, 0.5, 0.16 / 1.1, 0.2 - 0.16 / 1.1]) < 1e-15,
      `${capped.weights}`,
    );
    // Capped at 0.2 and 1 with the group's total 1: the minimum-norm split is (0.2, 0.8), not (0.5, 0.5).
    const uneven = minVariance(cov, { maxWeight: Float64Array.from([0.2, 1, 1, 1]) });
    assert.deepEqual(Array.from(uneven.weights), [0.2, 0.8, 0, 0], 'Array.from(uneven.weights)');
  });

  test('duplicated assets split equally; the result is the problem without the duplicate, halved', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const base = randomCovariance(4, seed);
      const cov = duplicate(base, seed % 4);
      const r = minVariance(cov);
      const ref = minVariance(base).weights;
      const of = seed % 4;
      assert.equal(r.weights[of], r.weights[4], `seed ${seed}: ${r.weights}`);
      const expected = Float64Array.from([...ref, 0]);
      expected[of] = ref[of]! / 2;
      expected[4] = ref[of]! / 2;
      assert.ok(maxAbsDiff(r.weights, expected) < 1e-13, `seed ${seed}: ${r.weights} vs ${expected}`);
      assert.ok(r.kkt.maxViolation < 1e-12, `kkt ${r.kkt.maxViolation}`);
      assert.ok(
        independentKktViolation(cov, undefined, r.weights, fill(5, 0), fill(5, 1)) < 1e-10,
        'independent kkt',
      );
    }
  });

  test('the split of duplicates does not depend on the order of the assets', () => {
    const cov = duplicate(randomCovariance(3, 5), 1); // assets 1 and 3 identical
    const perm = [3, 0, 2, 1];
    const permuted = matrix(
      4,
      Array.from({ length: 16 }, (_, k) => cov.data[perm[Math.floor(k / 4)]! * 4 + perm[k % 4]!]!),
    );
    const a = minVariance(cov, { maxWeight: 0.4 }).weights;
    const b = minVariance(permuted, { maxWeight: 0.4 }).weights;
    assert.ok(
      maxAbsDiff(
        perm.map((i) => a[i]!),
        b,
      ) < 1e-15,
      `${a} vs ${b}`,
    );
  });

  test('a perfect hedge is well posed: (½, ½) with variance 0', () => {
    const r = minVariance(matrix(2, [1, -1, -1, 1]));
    assert.deepEqual(Array.from(r.weights), [0.5, 0.5], 'Array.from(r.weights)');
    assert.equal(r.variance, 0, 'r.variance');
  });

  test('a collinear asset making the minimiser non-unique is E_SINGULAR_COVARIANCE naming the assets', () => {
    const returns = factorReturns(4, 200, 3, 3);
    for (let t = 0; t < 200; t++)
      returns.data[t * 4 + 2] = (returns.data[t * 4]! + returns.data[t * 4 + 1]!) / 2;
    const e = quantError(() => minVariance(sampleCovariance(returns)));
    assert.equal(e.code, 'E_SINGULAR_COVARIANCE', 'e.code');
    assert.deepEqual(e.details['assets'], [0, 1, 2], "e.details['assets']");
    assert.match(
      e.message,
      /not unique: asset 0, asset 1, asset 2 are collinear/,
      'e.message matches /not unique: asset 0, asset 1, asset 2 are collinear/',
    );
  });

  test('more assets than observations: an exact, checked answer or the non-unique error', () => {
    for (const [n, T] of [
      [10, 5],
      [20, 12],
      [8, 8],
    ] as const) {
      const cov = sampleCovariance(factorReturns(n, T, n + T, 3));
      try {
        const r = minVariance(cov);
        assert.ok(Math.abs(sum(r.weights) - 1) < 1e-14, `sum ${sum(r.weights)}`);
        assert.ok(r.kkt.maxViolation < 1e-12, `${n}x${T}: kkt ${r.kkt.maxViolation}`);
        const t = improvingTransfer(cov, undefined, r.weights, fill(n, 0), fill(n, 1));
        assert.ok(t < 1e-12, `${n}x${T}: improving transfer ${t}`);
      } catch (e) {
        assert.ok(e instanceof QuantError && e.code === 'E_SINGULAR_COVARIANCE', String(e));
        assert.ok(Array.isArray(e.details['assets']), 'names the assets');
      }
    }
  });
});

describe('maxSharpe on a positive semidefinite Σ', () => {
  const risky = matrix(2, [0.04, 0.01, 0.01, 0.09]);
  const mu = [0.08, 0.1];
  // Tangency of the risky pair at r_f = 0: w ∝ Σ⁻¹μ = (0.62, 1.04)/0.0035 → (0.62, 0.32)/0.94.
  const tangency = [0.62 / 0.94, 0.32 / 0.94];

  test('the risky closed form the cases below rely on', () => {
    assert.ok(maxAbsDiff(maxSharpe(risky, Float64Array.from(mu)).weights, tangency) < 1e-14, 'tangency');
  });

  test('a riskless asset earning r_f: every mix ties; the least riskless weight is chosen', () => {
    const cov = withCash(0.04, 0.01, 0.09);
    const r = maxSharpe(cov, Float64Array.from([0, ...mu]));
    assert.ok(maxAbsDiff(r.weights, [0, ...tangency]) < 1e-13, `${r.weights}`);
    // With min_weight 0.1 the riskless asset holds its floor and the rest is the tangency mix (same ratio).
    const floor = maxSharpe(cov, Float64Array.from([0, ...mu]), { minWeight: 0.1 });
    assert.ok(
      maxAbsDiff(floor.weights, [0.1, 0.9 * tangency[0]!, 0.9 * tangency[1]!]) < 1e-13,
      `${floor.weights}`,
    );
    assert.ok(Math.abs(floor.sharpe - sharpe(risky, mu, tangency)) < 1e-13, `sharpe ${floor.sharpe}`);
    assert.ok(floor.kkt.maxViolation < 1e-12, `kkt ${floor.kkt.maxViolation}`);
    // The same with r_f = 0.02 and a riskless asset at 2 %.
    const rf = maxSharpe(cov, Float64Array.from([0.02, ...mu]), { riskFreeRate: 0.02 });
    const ref = maxSharpe(risky, Float64Array.from(mu), { riskFreeRate: 0.02 }).weights;
    assert.ok(maxAbsDiff(rf.weights, [0, ...ref]) < 1e-13, `${rf.weights}`);
  });

  test('a riskless asset above r_f that may hold everything: E_UNBOUNDED_SHARPE naming it', () => {
    const e = quantError(() => maxSharpe(withCash(0.04, 0.01, 0.09), Float64Array.from([0.01, ...mu])));
    assert.equal(e.code, 'E_UNBOUNDED_SHARPE', 'e.code');
    assert.deepEqual(e.details['assets'], [0], "e.details['assets']");
    assert.match(
      e.message,
      /asset 0 \(μ = 0\.01\) has zero variance/,
      'e.message matches /asset 0 \\(μ = 0\\.01\\) has zero variance/',
    );
  });

  test('a riskless asset above r_f under a cap: well posed, the cap binds, optimal against every mix', () => {
    const cov = withCash(0.04, 0.01, 0.09);
    const m = [0.01, ...mu];
    const r = maxSharpe(cov, Float64Array.from(m), { maxWeight: 0.6 });
    assert.equal(r.weights[0], 0.6, 'r.weights[0]');
    assert.ok(r.kkt.maxViolation < 1e-12, `kkt ${r.kkt.maxViolation}`);
    // The ratio is a function of the risky split x of the remaining 0.4: scan it.
    for (let k = 0; k <= 400; k++) {
      const x = (0.4 * k) / 400;
      const w = [0.6, x, 0.4 - x];
      assert.ok(sharpe(cov, m, w) <= r.sharpe * (1 + 1e-12), `beaten at x = ${x}`);
    }
  });

  test('a riskless asset below r_f holds its lower bound', () => {
    const r = maxSharpe(withCash(0.04, 0.01, 0.09), Float64Array.from([-0.01, ...mu]), { minWeight: 0.05 });
    assert.equal(r.weights[0], 0.05, 'r.weights[0]');
  });

  test('duplicates with equal μ split equally; with different μ the better one takes it all', () => {
    const cov = duplicate(risky, 0);
    const equal = maxSharpe(cov, Float64Array.from([...mu, mu[0]!]));
    assert.ok(
      maxAbsDiff(equal.weights, [tangency[0]! / 2, tangency[1]!, tangency[0]! / 2]) < 1e-13,
      `${equal.weights}`,
    );
    const better = maxSharpe(cov, Float64Array.from([...mu, 0.07]));
    assert.ok(maxAbsDiff(better.weights, [...tangency, 0]) < 1e-13, `${better.weights}`);
  });
});

describe('riskParity on a positive semidefinite Σ', () => {
  test('a riskless asset: E_SINGULAR_COVARIANCE naming it, before any work', () => {
    const e = quantError(() => riskParity(withCash(0.04, 0.01, 0.09), { maxWeight: 0.6 }));
    assert.equal(e.code, 'E_SINGULAR_COVARIANCE', 'e.code');
    assert.deepEqual(e.details['assets'], [0], "e.details['assets']");
    assert.match(
      e.message,
      /risk parity is undefined: asset 0 has zero variance/,
      'e.message matches /risk parity is undefined: asset 0 has zero variance/',
    );
  });

  test('duplicated assets: well posed, equal weights and contributions for the pair', () => {
    const base = randomCovariance(4, 9);
    const cov = duplicate(base, 2);
    const r = riskParity(cov);
    assert.ok(Math.abs(r.weights[2]! - r.weights[4]!) < 1e-12, `${r.weights}`);
    const rc = relativeRiskContributions(cov, r.weights);
    assert.ok(maxAbsDiff(rc, fill(5, 0.2)) < 1e-10, `${rc}`);
  });

  test('a long-only perfect hedge: E_SINGULAR_COVARIANCE naming the hedging assets', () => {
    const e = quantError(() => riskParity(matrix(3, [1, -1, 0, -1, 1, 0, 0, 0, 1])));
    assert.equal(e.code, 'E_SINGULAR_COVARIANCE', 'e.code');
    assert.deepEqual(e.details['assets'], [0, 1], "e.details['assets']");
  });
});

describe('the method dispatch', () => {
  test('labels name the assets in errors and fallback messages', () => {
    const returns = factorReturns(3, 100, 2, 2);
    for (let t = 0; t < 100; t++) returns.data[t * 3 + 1] = 0;
    const e = quantError(() =>
      optimizePortfolio(returns, {
        method: 'risk_parity',
        periodsPerYear: 252,
        labels: ['sleeve a', 'sleeve cash', 'sleeve b'],
      }),
    );
    assert.match(
      e.message,
      /sleeve cash has zero variance/,
      'e.message matches /sleeve cash has zero variance/',
    );
    assert.deepEqual(e.details['assets'], [1], "e.details['assets']");
  });

  test("covariance 'auto' shrinks below 3 observations per asset and records why", () => {
    const few = optimizePortfolio(factorReturns(5, 14, 3, 2), {
      method: 'min_variance',
      periodsPerYear: 252,
      covariance: 'auto',
    });
    assert.equal(few.diagnostics['covariance'], 'ledoit_wolf', "few.diagnostics['covariance']");
    assert.equal(
      few.diagnostics['covariance_rule'],
      'auto: 14 observations < 3 × 5 assets',
      "few.diagnostics['covariance_rule']",
    );
    const many = optimizePortfolio(factorReturns(5, 15, 3, 2), {
      method: 'min_variance',
      periodsPerYear: 252,
      covariance: 'auto',
    });
    assert.equal(many.diagnostics['covariance'], 'sample', "many.diagnostics['covariance']");
    assert.equal(
      many.diagnostics['covariance_rule'],
      'auto: 15 observations ≥ 3 × 5 assets',
      "many.diagnostics['covariance_rule']",
    );
  });
});

describe('building blocks', () => {
  test('minimumNormSplit: clamp(τ) summing to the total', () => {
    const out = new Float64Array(4);
    const lo = Float64Array.from([0, 0.1, 0, 0]);
    const hi = Float64Array.from([0.2, 1, 1, 0.05]);
    minimumNormSplit([0, 1, 2, 3], 0.9, lo, hi, out);
    // τ: 0.2 + τ + τ + 0.05 = 0.9 → τ = 0.325.
    assert.ok(maxAbsDiff(out, [0.2, 0.325, 0.325, 0.05]) < 1e-15, `${out}`);
    minimumNormSplit([0, 1, 2, 3], 0.1, lo, hi, out);
    assert.deepEqual(Array.from(out), [0, 0.1, 0, 0], 'Array.from(out)');
    minimumNormSplit([0, 1, 2, 3], 2.25, lo, hi, out);
    assert.deepEqual(Array.from(out), [0.2, 1, 1, 0.05], 'Array.from(out)');
  });

  test('a constant return column has exactly zero variance and covariances', () => {
    const returns = factorReturns(3, 50, 1, 2);
    for (let t = 0; t < 50; t++) returns.data[t * 3 + 1] = 0.0003; // 50 × 0.0003 / 50 ≠ 0.0003 in doubles
    const cov = sampleCovariance(returns);
    for (let j = 0; j < 3; j++) {
      assert.equal(cov.data[3 + j], 0, `row ${j}`);
      assert.equal(cov.data[j * 3 + 1], 0, `column ${j}`);
    }
    assert.ok(quadForm(cov, [0, 1, 0]) === 0, 'riskless');
  });
});
