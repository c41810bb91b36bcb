import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import { matrixFromRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import {
  createWindowOptimizer,
  windowCovariances,
} from '../../../../src/numeric/backtest/window-optimizer.js';
import { walkForwardWindows } from '../../../../src/numeric/backtest/walk-forward-windows.js';
import { walkForwardBacktest } from '../../../../src/numeric/backtest/walk-forward.js';
import { sampleCovariance } from '../../../../src/numeric/covariance/sample-covariance.js';
import { factorReturns } from '../optimize/_fixtures.js';

/** The same bits, entry by entry. */
function assertSameBits(got: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], expected[i]))
      assert.fail(`${what}: entry ${i} is ${got[i]}, expected ${expected[i]}`);
  }
}

/** The rows [from, to) of the T x n matrix x as a view of its buffer, as a walk-forward passes them. */
function rowsOf(x: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: x.cols, data: x.data.subarray(from * x.cols, to * x.cols) };
}

// Every mean is negative: max_sharpe (r_f = 0) has no asset to tilt to.
const losing = matrixFromRows([
  [-0.01, -0.02],
  [-0.03, -0.01],
  [-0.02, -0.04],
]);
const context = { trainDates: ['2024-01-01', '2024-01-02', '2024-01-03'], window: 0 };

describe('createWindowOptimizer', () => {
  test('falls back along the declared chain by default', () => {
    const r = createWindowOptimizer()('max_sharpe', losing, context);
    assert.equal(r.method, 'inverse_variance', 'r.method');
    assert.deepEqual(
      r.fallbacks.map((f) => f.code),
      ['E_NO_POSITIVE_EXCESS_RETURN'],
      'r.fallbacks.map((f) => f.code)',
    );
  });

  test('fallback: false lets the failure through', () => {
    assert.throws(
      () => createWindowOptimizer({ fallback: false })('max_sharpe', losing, context),
      (e: unknown) => e instanceof QuantError && e.code === 'E_NO_POSITIVE_EXCESS_RETURN',
      'createWindowOptimizer({fallback:false}) throws E_NO_POSITIVE_EXCESS_RETURN',
    );
  });

  test('the method options reach the optimiser (bounds)', () => {
    const r = createWindowOptimizer({ minWeight: 0.4, maxWeight: 0.6 })('inverse_variance', losing, context);
    // Unbounded inverse variance is (0.7, 0.3) here; the bounds clip it to (0.6, 0.4).
    assert.ok(
      Math.abs((r.weights[0] as number) - 0.6) < 1e-12 && Math.abs((r.weights[1] as number) - 0.4) < 1e-12,
      'Math.abs((r.weights[0]) - 0.6) < 1e-12 && Math.abs((r.weights[1]) - 0…',
    );
  });
});

describe('windowCovariances', () => {
  const x = factorReturns(12, 120, 5);

  test('the rows of a window give one matrix, kept for the other risk profiles; the same bits as computed afresh', () => {
    const covariances = windowCovariances();
    const first = covariances(rowsOf(x, 0, 60), 0);
    assertSameBits(first.data, sampleCovariance(rowsOf(x, 0, 60)).data, 'window 0');
    assert.equal(covariances(rowsOf(x, 0, 60), 0), first, 'the second profile gets the kept matrix');
    const next = covariances(rowsOf(x, 20, 80), 1);
    assert.notEqual(next, first, 'the next window has its own');
    assertSameBits(next.data, sampleCovariance(rowsOf(x, 20, 80)).data, 'window 1');
  });

  test('other rows under a kept window number are computed, not taken from the kept matrix', () => {
    const covariances = windowCovariances();
    const kept = covariances(rowsOf(x, 0, 60), 0);
    for (const [what, other] of [
      ['other rows of the same buffer', rowsOf(x, 1, 61)],
      ['fewer rows', rowsOf(x, 0, 59)],
      ['a copy of the same rows', { rows: 60, cols: 12, data: x.data.slice(0, 720) }],
    ] as const) {
      const got = covariances(other, 0);
      assert.notEqual(got, kept, `${what}: not the kept matrix`);
      assertSameBits(got.data, sampleCovariance(other).data, what);
    }
    assert.equal(covariances(rowsOf(x, 0, 60), 0), kept, 'the kept one is still there');
  });

  test('a walk-forward of several risk profiles equals each profile run on its own, bit for bit', () => {
    const returns = factorReturns(8, 300, 9);
    const dates = Array.from({ length: 300 }, (_, t) =>
      new Date(Date.UTC(2020, 0, 6 + t)).toISOString().slice(0, 10),
    );
    const base = {
      dates,
      directions: Array.from({ length: 8 }, () => 'LONG' as const),
      trainWindow: 120,
      testWindow: 30,
      step: 30,
      costs: { commission: 0.0001, slippage: 0.0005 },
    };
    const profiles = ['hrp', 'min_variance', 'risk_parity', 'max_sharpe', 'inverse_variance'] as const;
    const together = walkForwardBacktest(returns, { ...base, riskProfiles: [...profiles] });
    profiles.forEach((profile, p) => {
      const alone = walkForwardBacktest(returns, { ...base, riskProfiles: [profile] }).profiles[0];
      const shared = together.profiles[p];
      assert.ok(alone !== undefined && shared !== undefined, `${profile}: both runs have it`);
      assertSameBits(shared.returns, alone.returns, `${profile}: returns`);
      shared.windows.forEach((w, k) =>
        assertSameBits(w.weights, alone.windows[k]?.weights ?? [], `${profile}, window ${k}: weights`),
      );
    });
  });
});

describe('walkForwardWindows', () => {
  test('rejects windows that are not positive integers', () => {
    for (const [train, test, step] of [
      [1, 1, 1],
      [10, 0, 1],
      [10, 5, 2.5],
    ] as const) {
      assert.throws(
        () => walkForwardWindows(100, train, test, step),
        (e: unknown) => e instanceof QuantError && e.code === 'E_PARAMS',
        'walkForwardWindows throws E_PARAMS',
      );
    }
  });

  test('the last window is truncated at T and holds what is left', () => {
    const spans = walkForwardWindows(30, 10, 7, 7);
    assert.deepEqual(
      spans.map((s) => [s.trainStart, s.testStart, s.testEnd, s.heldEnd]),
      [
        [0, 10, 17, 17],
        [7, 17, 24, 24],
        [14, 24, 30, 30],
      ],
      'spans.map((s) => [s.trainStart, s.testStart, s.testEnd, s.heldEnd])',
    );
  });
});
