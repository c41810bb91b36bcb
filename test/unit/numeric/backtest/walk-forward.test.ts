import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import { matrixFromRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import {
  walkForwardBacktest,
  type WalkForwardOptions,
} from '../../../../src/numeric/backtest/walk-forward.js';
import {
  createWindowOptimizer,
  type WindowOptimizer,
} from '../../../../src/numeric/backtest/window-optimizer.js';
import { walkForwardBacktestThreads } from '../../../../src/numeric/backtest/walk-forward-threads.js';

const TOL = 1e-15; // hand-computed values below are exact up to a few ulps of double rounding
const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= TOL, `${what}: ${actual} vs ${expected}`);
const days = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `2024-01-${String(i + 1).padStart(2, '0')}`);

/** An optimiser that always returns the same weights and records the train matrices it saw. */
function fixed(weights: number[], seen: Matrix[] = []): WindowOptimizer {
  return (method, train) => {
    seen.push({ rows: train.rows, cols: train.cols, data: Float64Array.from(train.data) });
    return { method, weights, fallbacks: [] };
  };
}

function options(over: Partial<WalkForwardOptions> & { dates: string[] }): WalkForwardOptions {
  return {
    directions: ['LONG', 'LONG'],
    trainWindow: 2,
    testWindow: 2,
    step: 2,
    riskProfiles: ['hrp'],
    costs: { commission: 0, slippage: 0 },
    optimize: fixed([0.5, 0.5]),
    ...over,
  };
}

describe('walkForwardBacktest', () => {
  test('weights drift with returns; costs on turnover hit the rebalance day (hand-computed)', () => {
    // rows 0-1 only train; window 0 holds rows 2-3, window 1 holds row 4 (truncated at T = 5).
    const R = matrixFromRows([
      [0.3, 0.1],
      [-0.2, 0.05],
      [0.1, -0.05],
      [0.02, 0.04],
      [-0.1, 0.2],
    ]);
    const res = walkForwardBacktest(
      R,
      options({ dates: days(5), costs: { commission: 0.001, slippage: 0.002 } }),
    );
    const p = res.profiles[0]!;
    assert.deepEqual(p.dates, ['2024-01-03', '2024-01-04', '2024-01-05'], 'p.dates');
    // Day 2: from cash, turnover Σ|w| = 1, cost 0.003; R = 0.5·0.1 + 0.5·(−0.05) = 0.025.
    close(p.returns[0]!, 0.025 - 0.003, 'day 2');
    // Drifted: w = (0.55, 0.475) / 1.025, so R_3 = (0.55·0.02 + 0.475·0.04) / 1.025 = 0.03 / 1.025.
    close(p.returns[1]!, 0.03 / 1.025, 'day 3');
    // After day 3: w ∝ (0.55·1.02, 0.475·1.04) = (0.561, 0.494), sum 1.055; back to (0.5, 0.5) trades
    // |0.5 − 0.561/1.055| + |0.5 − 0.494/1.055| = 0.067/1.055.
    const turnover = 0.067 / 1.055;
    close(p.windows[1]!.turnover, turnover, 'turnover window 1');
    close(p.windows[1]!.cost, 0.003 * turnover, 'cost window 1');
    close(p.returns[2]!, 0.05 - 0.003 * turnover, 'day 4');
    assert.equal(p.windows[0]!.turnover, 1, 'p.windows[0].turnover');
    close(p.windows[0]!.cost, 0.003, 'cost window 0');
    assert.deepEqual(
      p.windows.map((w) => [w.index, w.trainStart, w.trainEnd, w.testStart, w.testEnd, w.heldDays, w.status]),
      [
        [0, '2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', 2, 'success'],
        [1, '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-05', 1, 'success'],
      ],
      'p.windows.map((w) => [w.index, w.trainStart, w.trainEnd, w.testStart,…',
    );
  });

  test('SHORT assets enter as synthetic longs −min(r, 1): the optimiser sees them, a +150 % day is −100 %', () => {
    const R = matrixFromRows([
      [0.01, 0.02],
      [0.03, -0.04],
      [0.05, 1.5],
      [0.0, 0.0],
    ]);
    const seen: Matrix[] = [];
    const res = walkForwardBacktest(
      R,
      options({
        dates: days(4),
        directions: ['LONG', 'SHORT'],
        testWindow: 1,
        step: 1,
        optimize: fixed([0.25, 0.75], seen),
      }),
    );
    assert.deepEqual(
      Array.from(res.synthetic.data),
      [0.01, -0.02, 0.03, 0.04, 0.05, -1, 0, 0],
      'Array.from(res.synthetic.data)',
    );
    assert.ok(Object.is(res.synthetic.data[7], 0), 'a flat SHORT day is +0');
    assert.deepEqual(Array.from(seen[0]!.data), [0.01, -0.02, 0.03, 0.04], 'Array.from(seen[0].data)');
    assert.deepEqual(Array.from(seen[1]!.data), [0.03, 0.04, 0.05, -1], 'Array.from(seen[1].data)');
    const p = res.profiles[0]!;
    // Day 2: 0.25·0.05 + 0.75·(−1) = −0.7375 (no costs); the raw input is left untouched.
    close(p.returns[0]!, -0.7375, 'capped day');
    assert.equal(R.data[5], 1.5, 'R.data[5]');
    // Day 3 rebalances back to (0.25, 0.75) from the drifted (0.2625, 0) / 0.2625 = (1, 0): turnover 1.5.
    close(p.windows[1]!.turnover, 1.5, 'turnover after the wipe-out of the short leg');
  });

  test('step < test: each day belongs to the most recent window only; the stream has no overlap', () => {
    const T = 8;
    const R = matrixFromRows(Array.from({ length: T }, (_, t) => [0.001 * t, -0.001 * t]));
    const res = walkForwardBacktest(R, options({ dates: days(T), testWindow: 3, step: 1 }));
    assert.deepEqual(
      res.spans.map((s) => [s.testStart, s.testEnd, s.heldEnd, s.continues]),
      [
        [2, 5, 3, false],
        [3, 6, 4, true],
        [4, 7, 5, true],
        [5, 8, 6, true],
        [6, 8, 7, true],
        [7, 8, 8, true],
      ],
      'res.spans.map((s) => [s.testStart, s.testEnd, s.heldEnd, s.continues])',
    );
    const p = res.profiles[0]!;
    assert.deepEqual(p.dates, days(T).slice(2), 'p.dates');
    assert.equal(p.returns.length, T - 2, 'p.returns.length');
  });

  test('step > test is refused: the days between windows would drop out of the stream', () => {
    const T = 10;
    const R = matrixFromRows(Array.from({ length: T }, (_, t) => [0.01 * t, 0.02]));
    assert.throws(
      () => walkForwardBacktest(R, options({ dates: days(T), testWindow: 1, step: 3 })),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_PARAMS' &&
        e.message ===
          'the step (3) is longer than the test window (1): the windows would leave 2 of every 3 days out of the stream' &&
        e.hint === 'set the step to at most the test window (1)',
      'E_PARAMS naming the step, the test window and the days left out',
    );
  });

  test('commission + slippage that overflow: E_PARAMS saying the sum overflows', () => {
    const R = matrixFromRows([
      [0.01, 0.02],
      [0.02, 0.01],
      [0.01, 0.01],
    ]);
    assert.throws(
      () =>
        walkForwardBacktest(R, options({ dates: days(3), costs: { commission: 1e308, slippage: 1e308 } })),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_PARAMS' &&
        /their sum 1e\+308 \+ 1e\+308 overflows to Infinity/.test(e.message),
      'the message names the overflowing sum',
    );
  });

  test('a failing method falls back (inverse variance) and the window is recorded as an error', () => {
    // Every train mean is negative: max_sharpe has no asset above r_f = 0 and falls back.
    const R = matrixFromRows([
      [-0.01, -0.02],
      [-0.03, -0.01],
      [-0.02, -0.04],
      [0.05, 0.01],
    ]);
    // No `optimize`: the default window optimiser (optimizeWithFallback) runs.
    const res = walkForwardBacktest(R, {
      dates: days(4),
      directions: ['LONG', 'LONG'],
      trainWindow: 3,
      testWindow: 1,
      step: 1,
      riskProfiles: ['max_sharpe', 'equal_weight'],
      costs: { commission: 0, slippage: 0 },
    });
    const [ms, ew] = res.profiles;
    const w = ms!.windows[0]!;
    assert.equal(w.status, 'error', 'w.status');
    assert.equal(w.methodUsed, 'inverse_variance', 'w.methodUsed');
    assert.deepEqual(
      w.fallbacks.map((f) => [f.method, f.code]),
      [['max_sharpe', 'E_NO_POSITIVE_EXCESS_RETURN']],
      'w.fallbacks.map((f) => [f.method, f.code])',
    );
    assert.match(
      w.reason ?? '',
      /^max_sharpe failed \(E_NO_POSITIVE_EXCESS_RETURN: .*\); used inverse_variance instead of max_sharpe$/,
      "w.reason ?? '' matches /^max_sharpe failed \\(E_NO_POSITIVE_EXCESS_RETURN: .*\\); us…",
    );
    // Inverse variance of the train rows: var = (1e-4, 2.3333e-4) → w ∝ (1/1e-4, 1/2.3333e-4) = (0.7, 0.3).
    close(w.weights[0]!, 0.7, 'ivp weight 0');
    close(ms!.returns[0]!, 0.7 * 0.05 + 0.3 * 0.01, 'fallback weights are held');
    assert.equal(ew!.windows[0]!.status, 'success', 'ew.windows[0].status');
    assert.equal(ew!.windows[0]!.reason, undefined, 'ew.windows[0].reason');
  });

  test('optimiser errors keep their code and name the window; too short a history is E_TOO_FEW_OBSERVATIONS', () => {
    const R = matrixFromRows([
      [0.01, 0.02],
      [0.03, 0.01],
      [0.02, 0.04],
    ]);
    const failing: WindowOptimizer = () => {
      throw new QuantError('E_SOLVER', 'did not converge');
    };
    assert.throws(
      () => walkForwardBacktest(R, options({ dates: days(3), optimize: failing })),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_SOLVER' &&
        e.message === 'hrp, window 0 (train 2024-01-01..2024-01-02): did not converge',
      'walkForwardBacktest throws E_SOLVER',
    );
    assert.throws(
      () => walkForwardBacktest(R, options({ dates: days(3), trainWindow: 3 })),
      (e: unknown) => e instanceof QuantError && e.code === 'E_TOO_FEW_OBSERVATIONS',
      'walkForwardBacktest throws E_TOO_FEW_OBSERVATIONS',
    );
  });

  test('deterministic: the same input gives identical streams and records', () => {
    const T = 60;
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.04;
    const R = matrixFromRows(Array.from({ length: T }, () => [rand(), rand(), rand()]));
    const run = () =>
      walkForwardBacktest(R, {
        dates: days(31).concat(days(29).map((d) => d.replace('2024-01', '2024-02'))),
        directions: ['LONG', 'SHORT', 'LONG'],
        trainWindow: 20,
        testWindow: 5,
        step: 5,
        riskProfiles: ['hrp', 'min_variance', 'risk_parity'],
        costs: { commission: 0.0001, slippage: 0.0005 },
      });
    const a = run();
    const b = run();
    assert.deepEqual(a.profiles, b.profiles, 'a.profiles');
    assert.equal(a.profiles[0]!.returns.length, T - 20, 'a.profiles[0].returns.length');
    for (const p of a.profiles)
      for (const w of p.windows)
        close(
          w.weights.reduce((s, x) => s + x, 0),
          1,
          `${p.profile} Σw`,
        );
  });
});

describe('dates that change frequency', () => {
  // 24 month ends, then business days: the returns are of two lengths, so no one A fits them.
  const dates: string[] = [];
  for (let m = 0; m < 24; m++) dates.push(new Date(Date.UTC(2018, m + 1, 0)).toISOString().slice(0, 10));
  for (let d = Date.UTC(2020, 0, 2); dates.length < 120; d += 86_400_000) {
    if ([0, 6].includes(new Date(d).getUTCDay())) continue;
    dates.push(new Date(d).toISOString().slice(0, 10));
  }
  const T = dates.length;
  const returns: Matrix = {
    rows: T,
    cols: 2,
    data: Float64Array.from({ length: T * 2 }, (_, i) => 0.01 * Math.sin(i * 1.7) + 0.001),
  };
  const run = { trainWindow: 40, testWindow: 20, step: 20 };
  const refused = (e: unknown): boolean =>
    e instanceof QuantError &&
    e.code === 'E_FREQUENCY' &&
    e.message.startsWith('walk-forward dates: ') &&
    e.details['frequency_changes_at'] === '2019-12-31' &&
    /split the table at 2019-12-31/.test(e.hint ?? '');

  test('are E_FREQUENCY also when the optimiser is given periodsPerYear, as in the stages', async () => {
    const optimize = createWindowOptimizer({ periodsPerYear: 252 });
    assert.throws(
      () => walkForwardBacktest(returns, options({ dates, ...run, optimize })),
      refused,
      'a set A does not cover a change of frequency',
    );
    assert.throws(
      () => walkForwardBacktest(returns, options({ dates, ...run, optimize: createWindowOptimizer() })),
      refused,
      'nor does inference, before any window',
    );
    await assert.rejects(
      walkForwardBacktestThreads(returns, {
        ...options({ dates, ...run }),
        settings: { periodsPerYear: 252 },
        threads: 2,
      }),
      refused,
      'on worker threads too',
    );
  });

  test('irregular dates with a set A are still accepted', () => {
    // Gaps of 1 and 17 days in turn: no calendar fits, but a set A covers them.
    const irregular: string[] = [];
    for (let i = 0, d = Date.UTC(2020, 0, 1); irregular.length < 60; i++, d += 86_400_000 * [1, 17][i % 2]!)
      irregular.push(new Date(d).toISOString().slice(0, 10));
    const r = walkForwardBacktest(
      { rows: 60, cols: 2, data: returns.data.subarray(0, 120) },
      options({
        dates: irregular,
        trainWindow: 20,
        testWindow: 10,
        step: 10,
        optimize: createWindowOptimizer({ periodsPerYear: 52 }),
      }),
    );
    assert.equal(r.profiles[0]?.returns.length, 40, 'every test row held');
  });
});
