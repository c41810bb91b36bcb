// mean_cvar by Dinkelbach's steps on the vertex simplex: what it reports, when the ratio is unbounded,
// and the re-solve from the last vertex that the steps rely on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../../../src/errors.js';
import {
  CvarVertexSimplex,
  cvarVertexSimplex,
} from '../../../../src/numeric/optimize/_cvar-vertex-simplex.js';
import { meanCvar, meanCvarByCuts } from '../../../../src/numeric/optimize/mean-cvar.js';
import { minCvar } from '../../../../src/numeric/optimize/min-cvar.js';
import { tailCvar } from '../../../../src/numeric/stats/tail-risk.js';
import { factorReturns } from './_fixtures.js';

/** T scenarios of n assets, asset i's returns shifted by drift[i]. */
function drifted(n: number, T: number, seed: number, drift: readonly number[]) {
  const R = factorReturns(n, T, seed, 3);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) R.data[t * n + i] = (R.data[t * n + i] as number) + (drift[i] ?? 0);
  }
  return R;
}

describe('mean_cvar', () => {
  test('solved by the vertex simplex at the ratio of constraint generation', () => {
    const R = drifted(41, 1825, 5, [0.0004]);
    const r = meanCvar(R, { maxWeight: 0.5 });
    const cuts = meanCvarByCuts(R, { maxWeight: 0.5 });
    assert.equal(r.lp.solver, 'vertex simplex', 'the vertex simplex solves it');
    assert.equal(r.lp.cuts, 0, 'no cuts');
    assert.ok(r.lp.pivots > 0, `pivots ${r.lp.pivots}`);
    assert.equal(cuts.lp.solver, 'cutting-plane dual simplex', 'the reference is constraint generation');
    assert.ok(Math.abs(r.ratio - cuts.ratio) <= 1e-12 * cuts.ratio, `${r.ratio} vs ${cuts.ratio}`);
    assert.ok(Math.abs(r.lp.gap) <= 1e-12, `gap ${r.lp.gap}`);
    assert.ok(r.lp.primalResidual <= 1e-12, `primal residual ${r.lp.primalResidual}`);
  });

  test('200 assets × 2,520 days, where constraint generation ran out of pivots (E_SOLVER)', () => {
    const R = factorReturns(200, 2520, 42);
    const r = meanCvar(R);
    assert.equal(r.lp.solver, 'vertex simplex', 'the vertex simplex solves it');
    let sum = 0;
    for (const w of r.weights) sum += w;
    assert.ok(Math.abs(sum - 1) <= 1e-12 && r.weights.every((w) => w >= 0 && w <= 1), 'feasible weights');
    // No worse than the weights of minimum CVaR or equal weights (each a feasible point of the ratio).
    const ratioOf = (w: ArrayLike<number>): number => {
      const losses = new Float64Array(R.rows);
      let mean = 0;
      for (let t = 0; t < R.rows; t++) {
        let s = 0;
        for (let i = 0; i < R.cols; i++) s += (R.data[t * R.cols + i] as number) * (w[i] as number);
        losses[t] = -s;
        mean += s / R.rows;
      }
      return mean / tailCvar(losses, 0.95);
    };
    const others = [minCvar(R).weights, new Float64Array(200).fill(1 / 200)];
    for (const w of others) assert.ok(r.ratio >= ratioOf(w), `${r.ratio} against ${ratioOf(w)}`);
    assert.ok(Math.abs(r.ratio - ratioOf(r.weights)) <= 1e-12 * r.ratio, 'the ratio is that of the weights');
  });

  test('an asset with a positive mean and no tail loss: E_UNBOUNDED_SHARPE from either method', () => {
    // Asset 2 never loses (its returns lifted above 0) and has the smallest mean: the weights of the
    // largest excess return (asset 0 or 1) have a tail loss, so it is a Dinkelbach step that finds it.
    const R = drifted(3, 200, 9, [0.001, 0.001, 0]);
    for (let t = 0; t < 200; t++) R.data[t * 3 + 2] = 1e-5 * (1 + (t % 7));
    let mean2 = 0;
    let mean0 = 0;
    for (let t = 0; t < 200; t++) {
      mean2 += R.data[t * 3 + 2] as number;
      mean0 += R.data[t * 3] as number;
    }
    assert.ok(mean2 > 0 && mean2 < mean0, 'the riskless asset is not the one of the largest mean');
    for (const solve of [meanCvar, meanCvarByCuts]) {
      assert.throws(
        () => solve(R),
        (e: unknown) => isQuantError(e) && e.code === 'E_UNBOUNDED_SHARPE',
        `${solve.name}: unbounded`,
      );
    }
  });

  test('no positive excess return after the risk-free rate: E_NO_POSITIVE_EXCESS_RETURN', () => {
    const R = drifted(4, 300, 3, [0.001, 0.001, 0.001, 0.001]);
    assert.ok(meanCvar(R).ratio > 0, 'a positive ratio at r_f = 0');
    for (const solve of [meanCvar, meanCvarByCuts]) {
      assert.throws(
        () => solve(R, { riskFreePerPeriod: 0.05 }),
        (e: unknown) => isQuantError(e) && e.code === 'E_NO_POSITIVE_EXCESS_RETURN',
        `${solve.name}: no positive excess`,
      );
    }
  });
});

describe('the vertex simplex solved again', () => {
  const n = 12;
  const R = factorReturns(n, 700, 21, 3);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n).fill(0.3);

  test('the same objective again: no pivot, the same answer', () => {
    const s = new CvarVertexSimplex(R, 0.95, lo, hi);
    const a = s.solve();
    const b = s.solve();
    assert.equal(b.iterations, a.iterations, 'no further pivot');
    assert.deepEqual(Array.from(b.weights), Array.from(a.weights), 'the same weights');
  });

  test('from the optimum of another objective to the minimum CVaR of a fresh solve', () => {
    const s = new CvarVertexSimplex(R, 0.95, lo, hi);
    const tilt = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -0.5 : 0.2));
    const tilted = s.solve(tilt);
    const back = s.solve();
    const fresh = cvarVertexSimplex(R, 0.95, lo, hi);
    assert.ok(
      tilted.value > fresh.value + 1e-9,
      `the tilt moved the optimum: ${tilted.value} vs ${fresh.value}`,
    );
    assert.ok(Math.abs(back.value - fresh.value) <= 1e-13 * fresh.value, `${back.value} vs ${fresh.value}`);
    assert.ok(back.dualResidual <= 1e-9, `optimal: dual residual ${back.dualResidual}`);
  });
});
