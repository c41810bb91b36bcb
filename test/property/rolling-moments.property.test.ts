// Property test of the rolling covariance of walk-forward windows: over random sizes, window lengths,
// steps and recompute periods, every window's covariance equals the two-pass sample covariance of the
// same rows within 1e-12 relative (|ΔΣ_ij| ≤ 1e-12·√(Σ_ii Σ_jj)), and the updates are really used.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RollingCovariance } from '../../src/numeric/covariance/rolling-moments.js';
import { walkForwardBacktest } from '../../src/numeric/backtest/walk-forward.js';
import { createWindowOptimizer } from '../../src/numeric/backtest/window-optimizer.js';
import { sampleCovariance } from '../../src/numeric/covariance/sample-covariance.js';
import { factorReturns } from '../unit/numeric/optimize/_fixtures.js';

const cases = fc.record({
  n: fc.integer({ min: 1, max: 30 }),
  train: fc.integer({ min: 5, max: 300 }),
  step: fc.integer({ min: 1, max: 40 }),
  windows: fc.integer({ min: 2, max: 40 }),
  every: fc.integer({ min: 1, max: 50 }),
  offset: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
  seed: fc.nat({ max: 1e6 }),
});

describe('rolling covariance', () => {
  test('each window equals the two-pass sample covariance within 1e-12 relative', () => {
    let updated = 0;
    fc.assert(
      fc.property(cases, ({ n, train, step, windows, every, offset, seed }) => {
        const T = train + step * (windows - 1);
        const R = factorReturns(n, T, seed, 3);
        // A common offset: returns far from zero mean are where a one-pass formula would cancel.
        const data = R.data.map((x) => x + offset);
        const dates = Array.from({ length: T }, (_, t) => `d${t}`);
        const rolling = new RollingCovariance(every);
        for (let w = 0; w < windows; w++) {
          const start = w * step;
          const window = { rows: train, cols: n, data: data.slice(start * n, (start + train) * n) };
          const got = rolling.covariance(window, dates.slice(start, start + train));
          const want = sampleCovariance(window);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const scale = Math.sqrt((want.data[i * n + i] as number) * (want.data[j * n + j] as number));
              const d = Math.abs((got.data[i * n + j] as number) - (want.data[i * n + j] as number));
              assert.ok(
                d <= 1e-12 * scale,
                `n=${n} train=${train} step=${step} window ${w}: Σ${i}${j} off by ${d / scale}`,
              );
            }
          }
        }
        updated += rolling.counts.updated;
        const expectFull = every === 1 || step >= train ? windows : Math.ceil(windows / every);
        assert.equal(
          rolling.counts.full,
          expectFull,
          `full computations with every=${every}, step=${step}, train=${train}`,
        );
      }),
      { numRuns: 60, seed: 1704 },
    );
    assert.ok(updated > 100, `only ${updated} windows were updated`);
  });

  test('a window that does not continue the previous one is computed in full', () => {
    const R = factorReturns(4, 100, 7, 2);
    const dates = Array.from({ length: 100 }, (_, t) => `d${t}`);
    const rolling = new RollingCovariance(10);
    const at = (s: number): void => {
      rolling.covariance(
        { rows: 50, cols: 4, data: R.data.slice(s * 4, (s + 50) * 4) },
        dates.slice(s, s + 50),
      );
    };
    at(0);
    at(5);
    at(2);
    at(60 - 10);
    assert.deepEqual(
      rolling.counts,
      { full: 2, updated: 2 },
      'going back is a full computation, going forward an update',
    );
  });

  test('a walk-forward with incremental moments holds the same weights within rounding', () => {
    const R = factorReturns(30, 900, 11, 3);
    const dates = Array.from({ length: 900 }, (_, t) => `2020-${String(t).padStart(4, '0')}`);
    const run = (incremental?: number): ReturnType<typeof walkForwardBacktest> =>
      walkForwardBacktest(R, {
        dates,
        directions: Array.from({ length: 30 }, () => 'LONG' as const),
        trainWindow: 252,
        testWindow: 21,
        step: 21,
        riskProfiles: ['min_variance', 'risk_parity', 'hrp', 'max_sharpe'],
        costs: { commission: 0.001, slippage: 0 },
        optimize: createWindowOptimizer({
          periodsPerYear: 252,
          ...(incremental === undefined ? {} : { incrementalMoments: incremental }),
        }),
      });
    const full = run();
    const rolled = run(8);
    full.profiles.forEach((p, k) => {
      const q = rolled.profiles[k]!;
      assert.equal(q.windows.length, p.windows.length, `${p.profile}: windows`);
      p.returns.forEach((r, t) => {
        const d = Math.abs(r - (q.returns[t] as number));
        assert.ok(d <= 1e-10, `${p.profile}: return ${t} differs by ${d}`);
      });
    });
  });

  test('recompute periods below 1 are refused', () => {
    assert.throws(
      () => new RollingCovariance(0),
      /incremental_moments/,
      'a period of 0 is an E_PARAMS error',
    );
  });
});
