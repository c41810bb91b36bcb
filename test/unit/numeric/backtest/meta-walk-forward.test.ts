import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuantError } from '../../../../src/errors.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { metaWalkForward, type MetaLevel } from '../../../../src/numeric/backtest/meta-walk-forward.js';
import { walkForwardBacktest } from '../../../../src/numeric/backtest/walk-forward.js';
import { createWindowOptimizer } from '../../../../src/numeric/backtest/window-optimizer.js';
import { optimizePortfolio } from '../../../../src/numeric/optimize/optimize-portfolio.js';

/** Consecutive calendar days from 2024-01-01. */
const days = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1 + from + i)).toISOString().slice(0, 10));

/** A deterministic, varied return series (no randomness: the test must be reproducible). */
const wave = (n: number, k: number): Float64Array =>
  Float64Array.from(
    { length: n },
    (_, t) => 0.0004 * k + 0.01 * Math.sin(0.7 * t * (k + 1) + k) * (1 + 0.3 * Math.cos(t / 5)),
  );

const SETTINGS = { periodsPerYear: 252, minWeight: 0.1, maxWeight: 0.8 } as const;

function flat(n: number, T: number, from = 0): MetaLevel {
  return {
    label: 'flat',
    ids: Array.from({ length: n }, (_, j) => `s${j}`),
    dates: days(T, from),
    columns: Array.from({ length: n }, (_, j) => wave(T + from, j).slice(from)),
    children: Array.from({ length: n }, () => null),
    settings: SETTINGS,
  };
}

function matrixOf(level: MetaLevel): Matrix {
  const T = level.dates.length;
  const n = level.ids.length;
  const data = new Float64Array(T * n);
  level.columns.forEach((col, j) => col.forEach((v, t) => (data[t * n + j] = v)));
  return { rows: T, cols: n, data };
}

describe('metaWalkForward', () => {
  test('without nesting it is the sleeve walk-forward with the level’s optimiser (same stream, bit for bit)', () => {
    const level = flat(3, 60);
    const costs = { commission: 0.0002, slippage: 0.0005 };
    for (const method of ['min_variance', 'hrp', 'risk_parity', 'equal_weight'] as const) {
      const meta = metaWalkForward(level, { method, trainWindow: 20, rebalance: 7, costs });
      const sleeve = walkForwardBacktest(matrixOf(level), {
        dates: level.dates,
        directions: ['LONG', 'LONG', 'LONG'],
        trainWindow: 20,
        testWindow: 7,
        step: 7,
        riskProfiles: [method],
        costs,
        optimize: createWindowOptimizer(SETTINGS),
      }).profiles[0]!;
      assert.deepEqual(meta.dates, sleeve.dates, method);
      assert.deepEqual(Array.from(meta.returns), Array.from(sleeve.returns), method);
      assert.equal(meta.rebalances.length, 6, 'meta.rebalances.length'); // trains end at rows 19, 26, ..., 54: 6 rebalances
      for (const [k, r] of meta.rebalances.entries()) {
        assert.deepEqual(Array.from(r.weights), Array.from(sleeve.windows[k]!.weights), `${method} ${k}`);
        assert.equal(r.turnover, sleeve.windows[k]!.turnover, 'r.turnover');
      }
    }
  });

  test('no look-ahead: each rebalance’s weights use only its trailing window', () => {
    const level = flat(3, 60);
    const opts = {
      method: 'min_variance' as const,
      trainWindow: 20,
      rebalance: 10,
      costs: { commission: 0, slippage: 0 },
    };
    const base = metaWalkForward(level, opts);
    // Rebalance k fits rows [10k, 10k + 20): exactly the min-variance weights of those rows.
    for (const [k, r] of base.rebalances.entries()) {
      const train = { rows: 20, cols: 3, data: matrixOf(level).data.slice(10 * k * 3, (10 * k + 20) * 3) };
      const expected = optimizePortfolio(train, { ...SETTINGS, method: 'min_variance' }).weights;
      assert.deepEqual(Array.from(r.weights), Array.from(expected), `rebalance ${k}`);
      assert.equal(r.trainStart, level.dates[10 * k], 'r.trainStart');
      assert.equal(r.date, level.dates[10 * k + 20], 'r.date');
    }
    // Changing the future (rows ≥ 40) leaves the rebalances that train before it and the days held
    // before it untouched; the first rebalance that sees it changes.
    const future: MetaLevel = {
      ...level,
      columns: level.columns.map((col) => col.map((v, t) => (t >= 40 ? v * 3 + 0.01 : v))),
    };
    const moved = metaWalkForward(future, opts);
    for (const k of [0, 1, 2])
      assert.deepEqual(
        moved.rebalances[k]!.weights,
        base.rebalances[k]!.weights,
        'moved.rebalances[k].weights',
      );
    assert.deepEqual(
      Array.from(moved.returns.subarray(0, 20)),
      Array.from(base.returns.subarray(0, 20)),
      'Array.from(moved.returns.subarray(0, 20))',
    );
    assert.notDeepEqual(
      Array.from(moved.rebalances[3]!.weights),
      Array.from(base.rebalances[3]!.weights),
      'Array.from(moved.rebalances[3].weights) differs from Array.from(base.rebalances[3].weights)',
    );
  });

  test('nesting: a branch is re-fitted on its own trailing rows and the leaves hold the products', () => {
    // The child has 10 more (earlier) days than the parent: its window may reach before the parent's.
    const child: MetaLevel = { ...flat(2, 70), label: 'child' };
    const parentDates = child.dates.slice(10);
    const parent: MetaLevel = {
      label: 'parent',
      ids: ['branch', 'solo'],
      dates: parentDates,
      columns: [new Float64Array(60).fill(Number.NaN), wave(60, 5)],
      children: [child, null],
      settings: { periodsPerYear: 252, minWeight: 0.2, maxWeight: 0.8 },
    };
    const W = 15;
    const res = metaWalkForward(parent, {
      method: 'min_variance',
      trainWindow: W,
      rebalance: 15,
      costs: { commission: 0, slippage: 0 },
    });
    assert.deepEqual(res.leaves, ['branch/s0', 'branch/s1', 'solo'], 'res.leaves');
    const cm = matrixOf(child);
    for (const [k, r] of res.rebalances.entries()) {
      // Child: its own last W rows up to the parent's last train day (child row = parent row + 10).
      const end = 15 * k + W - 1 + 10;
      const childTrain = { rows: W, cols: 2, data: cm.data.slice((end - W + 1) * 2, (end + 1) * 2) };
      const wc = optimizePortfolio(childTrain, { ...SETTINGS, method: 'min_variance' }).weights;
      // Parent: the branch stream those child weights give, next to the atomic sleeve.
      const data = new Float64Array(W * 2);
      for (let i = 0; i < W; i++) {
        const t = end - W + 1 + i;
        data[i * 2] = wc[0]! * child.columns[0]![t]! + wc[1]! * child.columns[1]![t]!;
        data[i * 2 + 1] = parent.columns[1]![t - 10]!;
      }
      const wp = optimizePortfolio(
        { rows: W, cols: 2, data },
        { ...parent.settings, method: 'min_variance' },
      ).weights;
      assert.deepEqual(Array.from(r.weights), Array.from(wp), `parent weights ${k}`);
      const leaf = [wp[0]! * wc[0]!, wp[0]! * wc[1]!, wp[1]!];
      assert.deepEqual(Array.from(r.leafWeights), leaf, `leaf weights ${k}`);
      assert.ok(
        Math.abs(leaf.reduce((a, b) => a + b, 0) - 1) < 1e-12,
        'leaf.reduce((a, b) => a + b, 0) ≈ 1 within 1e-12',
      );
    }
    // First held day: the leaves' returns weighted by the leaf weights, minus nothing (no costs).
    const t0 = W; // parent row
    const r0 = res.rebalances[0]!.leafWeights;
    const expected =
      r0[0]! * child.columns[0]![t0 + 10]! +
      r0[1]! * child.columns[1]![t0 + 10]! +
      r0[2]! * parent.columns[1]![t0]!;
    assert.ok(Math.abs(res.returns[0]! - expected) < 1e-15, 'res.returns[0] ≈ expected within 1e-15');
  });

  test('a branch whose fit raises holds equal weights and the fallback is recorded; the top level raises', () => {
    const child: MetaLevel = {
      ...flat(2, 40),
      label: 'child',
      settings: { periodsPerYear: 252, minWeight: 0.6 },
    };
    const parent: MetaLevel = {
      label: 'parent',
      ids: ['branch', 'solo'],
      dates: child.dates,
      columns: [new Float64Array(40), wave(40, 4)],
      children: [child, null],
      settings: SETTINGS,
    };
    const opts = {
      method: 'hrp' as const,
      trainWindow: 20,
      rebalance: 10,
      costs: { commission: 0, slippage: 0 },
    };
    const res = metaWalkForward(parent, opts);
    for (const r of res.rebalances) {
      assert.deepEqual(
        r.fallbacks.map((f) => [f.level, f.code, f.used]),
        [['branch', 'E_INFEASIBLE_BOUNDS', 'equal_weight']],
        'r.fallbacks.map((f) => [f.level, f.code, f.used])',
      );
      assert.equal(r.leafWeights[0], r.leafWeights[1], 'r.leafWeights[0]');
    }
    assert.throws(
      () => metaWalkForward({ ...flat(2, 40), settings: { periodsPerYear: 252, minWeight: 0.6 } }, opts),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INFEASIBLE_BOUNDS',
      'metaWalkForward throws E_INFEASIBLE_BOUNDS',
    );
  });

  test('fewer than train + 1 rows is E_TOO_FEW_OBSERVATIONS; turnover counts the entry from cash as 1', () => {
    assert.throws(
      () =>
        metaWalkForward(flat(2, 20), {
          method: 'hrp',
          trainWindow: 20,
          rebalance: 5,
          costs: { commission: 0, slippage: 0 },
        }),
      (e: unknown) => e instanceof QuantError && e.code === 'E_TOO_FEW_OBSERVATIONS',
      'metaWalkForward throws E_TOO_FEW_OBSERVATIONS',
    );
    const res = metaWalkForward(flat(2, 21), {
      method: 'equal_weight',
      trainWindow: 20,
      rebalance: 5,
      costs: { commission: 0.001, slippage: 0.001 },
    });
    assert.equal(res.rebalances.length, 1, 'res.rebalances.length');
    assert.equal(res.rebalances[0]!.turnover, 1, 'res.rebalances[0].turnover');
    assert.equal(res.rebalances[0]!.cost, 0.002, 'res.rebalances[0].cost');
    const lvl = flat(2, 21);
    const expected = 0.5 * lvl.columns[0]![20]! + 0.5 * lvl.columns[1]![20]! - 0.002;
    assert.ok(Math.abs(res.returns[0]! - expected) < 1e-15, 'res.returns[0] ≈ expected within 1e-15');
  });
});
