import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import { matrixFromRows } from '../../../../src/numeric/linalg/matrix.js';
import { createWindowOptimizer } from '../../../../src/numeric/backtest/window-optimizer.js';
import { walkForwardWindows } from '../../../../src/numeric/backtest/walk-forward-windows.js';

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
