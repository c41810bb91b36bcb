// Property tests of the constrained optimizers (fast-check): for random positive definite covariances
// and random feasible bounds, every method returns weights within the bounds that sum to 1; min-variance
// and max-Sharpe are never beaten by random feasible portfolios (drawn and projected onto the feasible
// set by applyBounds) and min-variance satisfies the KKT conditions; unbounded ERC equalises risk
// contributions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuantError } from '../../src/errors.js';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { applyBounds } from '../../src/numeric/optimize/bounded-projection.js';
import { barbell } from '../../src/numeric/optimize/barbell.js';
import { maxSharpe } from '../../src/numeric/optimize/max-sharpe.js';
import { minVariance } from '../../src/numeric/optimize/min-variance.js';
import { riskParity } from '../../src/numeric/optimize/risk-parity.js';
import {
  factorReturns,
  independentKktViolation,
  quadForm,
  relativeRiskContributions,
  rng,
  sampleCov,
  sharpe,
  sum,
} from '../unit/numeric/optimize/_fixtures.js';
import { propertyRuns } from '../helpers/property-runs.js';

interface Problem {
  readonly cov: Matrix;
  readonly lo: number;
  readonly hi: number;
  readonly mu: Float64Array;
  readonly seed: number;
}

/** Integers in [min, max] drawn uniformly (no bias towards the ends), divided by `scale`. */
function scaledInteger(min: number, max: number, scale: number): fc.Arbitrary<number> {
  return fc.noBias(fc.integer({ min, max })).map((k) => k / scale);
}

/** Σ = (A·Aᵀ/k) ∘ (σσᵀ) + 1e-3·diag(σ²): symmetric positive definite with heterogeneous volatilities. */
const problem: fc.Arbitrary<Problem> = fc.integer({ min: 2, max: 10 }).chain((n) =>
  fc
    .record({
      // Integer-scaled reals without fast-check's bias towards the ends: factor loadings on a 0.001 grid
      // in [−1, 1], volatilities on a 0.1 % grid in [2 %, 60 %].
      a: fc.array(scaledInteger(-1000, 1000, 1000), { minLength: n * (n + 2), maxLength: n * (n + 2) }),
      vol: fc.array(scaledInteger(20, 600, 1000), { minLength: n, maxLength: n }),
      // Expected returns on a 0.1 % grid (−10 % … 20 %), ties and zeros included.
      mu: fc.array(fc.integer({ min: -100, max: 200 }), { minLength: n, maxLength: n }),
      // Bounds spanning the feasible range: lo uniform in [0, 1/n] (0 in one case of five), hi uniform in
      // [1/n, 1] (1 in one case of five).
      loFrac: fc.oneof(
        { arbitrary: scaledInteger(0, 1000, 1000), weight: 4 },
        { arbitrary: fc.constant(0), weight: 1 },
      ),
      hiFrac: fc.oneof(
        { arbitrary: scaledInteger(0, 1000, 1000), weight: 4 },
        { arbitrary: fc.constant(1), weight: 1 },
      ),
      seed: fc.nat(),
    })
    .map(({ a, vol, mu, loFrac, hiFrac, seed }) => {
      const k = n + 2;
      const data = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[i * k + p]! * a[j * k + p]!;
          s = (s / k) * vol[i]! * vol[j]!;
          data[i * n + j] = s;
          data[j * n + i] = s;
        }
        data[i * n + i]! += 1e-3 * vol[i]! * vol[i]!;
      }
      return {
        cov: { rows: n, cols: n, data },
        lo: loFrac / n,
        hi: 1 / n + hiFrac * (1 - 1 / n),
        mu: Float64Array.from(mu),
        seed,
      };
    }),
);

/** 200 random feasible portfolios: random non-negative weights projected by applyBounds. */
function feasibleSamples(p: Problem): Float64Array[] {
  const u = rng(p.seed);
  const n = p.cov.rows;
  return Array.from({ length: 200 }, () =>
    applyBounds(
      Float64Array.from({ length: n }, () => -Math.log(u() + 1e-300) * (u() < 0.3 ? 0.01 : 1)),
      p.lo,
      p.hi,
    ),
  );
}

function assertInBoundsAndBudget(w: Float64Array, lo: number, hi: number): void {
  assert.ok(Math.abs(sum(w) - 1) <= 1e-12, `sum ${sum(w)}`);
  for (const x of w) assert.ok(x >= lo - 1e-12 && x <= hi + 1e-12, `weight ${x} outside [${lo}, ${hi}]`);
}

const runs = { numRuns: propertyRuns(150), seed: 20260101 };

describe('optimizer properties', () => {
  test('the generated problems span the feasible range of the bounds', (t) => {
    let tiny = 0;
    let cases = 0;
    fc.statistics(
      problem,
      (p) => {
        const n = p.cov.rows;
        // Width of the box relative to equal weight: < 0.1 pins every weight near 1/n.
        const width = (p.hi - p.lo) * n;
        cases++;
        if (width < 0.1) tiny++;
        return [
          `n ${n <= 3 ? '2–3' : n <= 6 ? '4–6' : '7–10'}`,
          `box width × n ${width < 0.1 ? '< 0.1' : width < 1 ? '0.1–1' : width < 3 ? '1–3' : '≥ 3'}`,
          `lo ${p.lo === 0 ? '= 0' : p.lo * n < 0.5 ? '< 1/(2n)' : '≥ 1/(2n)'}`,
          `hi ${p.hi === 1 ? '= 1' : p.hi < 2 / n ? '< 2/n' : '≥ 2/n'}`,
        ];
      },
      { ...runs, logger: (line) => t.diagnostic(line) },
    );
    assert.ok(tiny <= 0.1 * cases, `${tiny} of ${cases} boxes pin the weights near 1/n`);
  });

  test('minVariance: within bounds, sums to 1, satisfies KKT, never beaten by a feasible portfolio', (t) => {
    let cases = 0;
    let binding = 0;
    let interior = 0;
    fc.assert(
      fc.property(problem, (p) => {
        const n = p.cov.rows;
        const r = minVariance(p.cov, { minWeight: p.lo, maxWeight: p.hi });
        cases++;
        if (r.activeLower.length + r.activeUpper.length > 0) binding++;
        if (r.activeLower.length + r.activeUpper.length < n) interior++;
        assertInBoundsAndBudget(r.weights, p.lo, p.hi);
        assert.ok(
          independentKktViolation(
            p.cov,
            undefined,
            r.weights,
            new Float64Array(n).fill(p.lo),
            new Float64Array(n).fill(p.hi),
          ) < 1e-9,
          'independentKktViolation(p.cov, undefined, r.weights, new Float64Array…',
        );
        const v = quadForm(p.cov, r.weights);
        for (const w of feasibleSamples(p))
          assert.ok(
            v <= quadForm(p.cov, w) * (1 + 1e-12) + 1e-18,
            'v <= quadForm(p.cov, w) * (1 + 1e-12) + 1e-18',
          );
      }),
      runs,
    );
    t.diagnostic(`${binding} of ${cases} minima hold a bound, ${interior} have a free asset`);
    assert.ok(binding >= 0.3 * cases, `only ${binding} of ${cases} cases reach a bound`);
    assert.ok(interior >= 0.3 * cases, `only ${interior} of ${cases} cases have a free asset`);
  });

  test('maxSharpe: within bounds, sums to 1, Sharpe never beaten by a feasible portfolio', () => {
    fc.assert(
      fc.property(problem, (p) => {
        let r;
        try {
          r = maxSharpe(p.cov, p.mu, { minWeight: p.lo, maxWeight: p.hi });
        } catch (e) {
          // Only when no feasible portfolio has a positive expected excess return.
          assert.ok(
            e instanceof QuantError && e.code === 'E_NO_POSITIVE_EXCESS_RETURN',
            "e instanceof QuantError && e.code === 'E_NO_POSITIVE_EXCESS_RETURN'",
          );
          for (const w of feasibleSamples(p))
            assert.ok(
              sum(w.map((x, i) => x * p.mu[i]!)) <= 1e-12,
              'sum(w.map((x, i) => x * p.mu[i])) <= 1e-12',
            );
          return;
        }
        assertInBoundsAndBudget(r.weights, p.lo, p.hi);
        for (const w of feasibleSamples(p))
          assert.ok(
            sharpe(p.cov, p.mu, w) <= r.sharpe + 1e-9 * Math.abs(r.sharpe) + 1e-12,
            'sharpe(p.cov, p.mu, w) <= r.sharpe + 1e-9 * Math.abs(r.sharpe) + 1e-12',
          );
      }),
      runs,
    );
  });

  test('riskParity: within bounds and sums to 1; unbounded contributions equal to 1e-10', () => {
    let cases = 0;
    let unsupported = 0;
    fc.assert(
      fc.property(problem, (p) => {
        cases++;
        const free = riskParity(p.cov);
        const rc = relativeRiskContributions(p.cov, free.weights);
        const n = p.cov.rows;
        for (const x of rc) assert.ok(Math.abs(x * n - 1) < 1e-10, `contribution ${x} vs ${1 / n}`);
        let r;
        try {
          r = riskParity(p.cov, { minWeight: p.lo, maxWeight: p.hi });
        } catch (e) {
          // Documented limitation: floors (min_weight > 0) plus strongly hedging assets can leave no
          // bounded solution with a positive common contribution; the stage then falls back.
          assert.ok(
            e instanceof QuantError &&
              e.code === 'E_SOLVER' &&
              e.details['reason'] === 'non_positive_risk_contribution',
            "e instanceof QuantError && e.code === 'E_SOLVER' && e.details['reason…",
          );
          assert.ok(p.lo > 0, 'p.lo > 0');
          unsupported++;
          return;
        }
        assertInBoundsAndBudget(r.weights, p.lo, p.hi);
      }),
      runs,
    );
    assert.ok(unsupported <= 0.02 * cases, `${unsupported} of ${cases} bounded cases unsupported`);
  });

  test('applyBounds and barbell: within bounds and sum to 1', () => {
    fc.assert(
      fc.property(problem, (p) => {
        const n = p.cov.rows;
        for (const w of feasibleSamples(p).slice(0, 5)) assertInBoundsAndBudget(w, p.lo, p.hi);
        const returns = factorReturns(n, 80, p.seed);
        const r = barbell(returns, sampleCov(returns), { minWeight: p.lo, maxWeight: p.hi });
        assertInBoundsAndBudget(r.weights, p.lo, p.hi);
      }),
      runs,
    );
  });
});
