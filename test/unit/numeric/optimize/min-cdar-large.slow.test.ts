// min_cdar on 40 assets × 2,000 days and on the benchmark's 50 × 2,520. Its constraint generation on the
// dense dual simplex needed 874 cuts and 373,007 pivots (about 27 s) on the first, 1,206 cuts and 509,956
// pivots (55–69 s) on the second, in long runs of degenerate pivots (the master's columns but θ have no
// cost). With perturbed costs, the master's own simplex and in-out stabilised cuts it takes a few
// thousand pivots and well under a second each; the values are those of the old solver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minCdar, minCvar } from '../../../../src/numeric/optimize/min-cvar.js';
import { conditionalDrawdownAtRisk } from '../../../../src/numeric/stats/tail-risk.js';
import { factorReturns } from './_fixtures.js';

for (const [n, T, seed, before] of [
  [40, 2000, 41, 0.010271427166617676],
  [50, 2520, 41, 0.009636874067029557],
] as const) {
  test(`min_cdar on ${n} × ${T}: the old solver's optimum in a few thousand pivots, no worse than equal weights or minimum CVaR`, () => {
    const R = factorReturns(n, T, seed);
    const r = minCdar(R);
    assert.ok(r.lp.gap <= 1e-12 * Math.max(1, r.value), `gap ${r.lp.gap}`);
    assert.ok(Math.abs(r.value - before) <= 1e-10 * before, `the old solver's value ${before}: ${r.value}`);
    assert.ok(
      r.lp.pivots < 20000,
      `degenerate runs are gone: ${r.lp.pivots} pivots (before: 373,007 and 509,956)`,
    );
    assert.ok(r.lp.cuts < 600, `stabilised cuts: ${r.lp.cuts} (before: 874 and 1,206)`);
    assert.ok(r.lp.primalResidual <= 1e-9 && r.lp.dualResidual <= 1e-9, `certified: ${JSON.stringify(r.lp)}`);
    let sum = 0;
    for (const w of r.weights) sum += w;
    assert.ok(Math.abs(sum - 1) <= 1e-12 && r.weights.every((w) => w >= 0 && w <= 1), 'feasible weights');
    const cdarOf = (w: ArrayLike<number>): number => {
      const series = Array.from({ length: R.rows }, (_, t) => {
        let s = 0;
        for (let i = 0; i < R.cols; i++) s += (R.data[t * R.cols + i] as number) * (w[i] as number);
        return s;
      });
      return conditionalDrawdownAtRisk(series, 0.95) as number;
    };
    assert.ok(Math.abs(cdarOf(r.weights) - r.value) <= 1e-12, `the value is the weights' CDaR: ${r.value}`);
    for (const w of [new Float64Array(n).fill(1 / n), minCvar(R).weights]) {
      assert.ok(r.value <= cdarOf(w) + 1e-12, `${r.value} against ${cdarOf(w)}`);
    }
  });
}
