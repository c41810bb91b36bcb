// min_cdar on 40 assets × 2,000 days: its constraint generation needs 874 cuts and about 373,000 dual
// simplex pivots in all. The pivot limit used to count every re-optimisation since the first, and the
// LP failed with E_SOLVER after 200,000; the limit is now per re-optimisation, with a bound on the total
// work instead. Slow (about half a minute).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minCdar, minCvar } from '../../../../src/numeric/optimize/min-cvar.js';
import { conditionalDrawdownAtRisk } from '../../../../src/numeric/stats/tail-risk.js';
import { factorReturns } from './_fixtures.js';

test('min_cdar on 40 × 2,000: solved, and no worse than equal weights or minimum CVaR', () => {
  const R = factorReturns(40, 2000, 41);
  const r = minCdar(R);
  assert.ok(r.lp.gap <= 1e-12 * Math.max(1, r.value), `gap ${r.lp.gap}`);
  assert.ok(r.lp.pivots > 200000, `the case needs more than the old limit: ${r.lp.pivots} pivots`);
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
  for (const w of [new Float64Array(40).fill(1 / 40), minCvar(R).weights]) {
    assert.ok(r.value <= cdarOf(w) + 1e-12, `${r.value} against ${cdarOf(w)}`);
  }
});
