// The dual simplex under the cutting planes of the tail-risk LPs: its pivot limit is per re-optimisation,
// and the constraint generation bounds its total work instead.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../../../src/errors.js';
import { DualSimplex } from '../../../../src/numeric/optimize/_dual-simplex.js';
import {
  cdarOracle,
  scaledReturns,
  solveByCuts,
} from '../../../../src/numeric/optimize/_tail-cutting-plane.js';
import { factorReturns } from './_fixtures.js';

/** min Σx over 0 ≤ x ≤ 10 (4 columns): the optimum is 0 until rows push it up. */
function lp(): DualSimplex {
  return new DualSimplex(new Float64Array(4).fill(1), new Float64Array(4), new Float64Array(4).fill(10));
}

/** The row x_k ≥ 1. */
function atLeastOne(k: number): Float64Array {
  const row = new Float64Array(4);
  row[k] = 1;
  return row;
}

describe('DualSimplex pivot limit', () => {
  test('counts the pivots of one solve, not of every solve since the LP was built', () => {
    // Constraint generation re-optimises after each cut; each of these needs one pivot. Before, the limit
    // was compared with the LP's total, so the second solve failed with a limit of 1.
    const p = lp();
    p.solve(1);
    for (let k = 0; k < 4; k++) {
      p.addRow(atLeastOne(k), 1, Infinity);
      const before = p.pivots;
      const r = p.solve(1);
      assert.equal(r.status, 'optimal', `solve ${k + 1}`);
      assert.equal(p.pivots - before, 1, `solve ${k + 1} took one pivot`);
    }
    assert.deepEqual(Array.from(p.solution()), [1, 1, 1, 1], 'every row holds at its bound');
    assert.equal(p.pivots, 4, 'four pivots in all');
    // Each pivot computes a tableau row (m × 4) and updates the m × m inverse: Σ m·(4 + m) for m = 1 … 4.
    assert.equal(p.work, 4 * 10 + 30, 'the work of the pivots, Σ m·(n + m)');
  });

  test('a solve that needs more pivots than its limit is E_SOLVER', () => {
    const p = lp();
    p.addRow(atLeastOne(0), 1, Infinity);
    p.addRow(atLeastOne(1), 1, Infinity);
    assert.throws(
      () => p.solve(1),
      (e: unknown) => isQuantError(e) && e.code === 'E_SOLVER' && /within 1 pivots/.test(e.message),
      'two pivots needed, one allowed',
    );
  });
});

describe('constraint generation work limit', () => {
  /** min_cdar's master on 8 assets × 300 days: θ ≥ each cut, Σw = 1, 0 ≤ w ≤ 1. */
  function master(): { lp: DualSimplex; columns: number; n: number; theta: number } {
    const n = 8;
    const cost = new Float64Array(n + 1);
    cost[n] = 1;
    const hi = new Float64Array(n + 1).fill(1);
    hi[n] = Infinity;
    const lp = new DualSimplex(cost, new Float64Array(n + 1), hi);
    const budget = new Float64Array(n + 1).fill(1, 0, n);
    lp.addRow(budget, 1, 1);
    return { lp, columns: n + 1, n, theta: n };
  }
  const { scaled } = scaledReturns(factorReturns(8, 300, 17, 3));

  test('within the limit: the optimum', () => {
    const m = master();
    const r = solveByCuts(m, cdarOracle(scaled, 0.95));
    assert.ok(r !== null && r.report.gap <= 1e-12, 'converged');
    assert.ok(m.lp.work > 100, `work ${m.lp.work}`);
  });

  test('past it: E_SOLVER with the cuts and pivots so far', () => {
    assert.throws(
      () => solveByCuts(master(), cdarOracle(scaled, 0.95), 100),
      (e: unknown) =>
        isQuantError(e) &&
        e.code === 'E_SOLVER' &&
        /cdar LP did not converge within its work limit \(\d+ cuts, \d+ pivots/.test(e.message),
      'stopped by the work limit',
    );
  });
});
