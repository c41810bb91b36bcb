// min_cdar's constraint generation runs on CutMasterSimplex with perturbed costs and in-out stabilised
// cuts. On random problems (with and without bounds and a group row) its value is that of the
// constraint generation it replaced — the dense DualSimplex with the LP's own costs, every cut at the
// master's answer — to 1e-10 relative, and its diagnostics certify the optimum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { DualSimplex } from '../../src/numeric/optimize/_dual-simplex.js';
import { cdarOracle, scaledReturns, solveByCuts } from '../../src/numeric/optimize/_tail-cutting-plane.js';
import {
  addLinearRows,
  minCdar,
  type TailLinearRows,
  type TailRiskOptions,
} from '../../src/numeric/optimize/min-cvar.js';
import { conditionalDrawdownAtRisk } from '../../src/numeric/stats/tail-risk.js';
import { factorReturns } from '../unit/numeric/optimize/_fixtures.js';

/** min_cdar as it was solved before: DualSimplex, no perturbation, no stabilisation. */
function referenceCdar(R: Matrix, beta: number, lo: number, hi: number, linear?: TailLinearRows): number {
  const n = R.cols;
  const { scaled, scale } = scaledReturns(R);
  const colLo = new Float64Array(n + 1).fill(lo);
  const colHi = new Float64Array(n + 1).fill(hi);
  colLo[n] = 0;
  colHi[n] = Infinity;
  const cost = new Float64Array(n + 1);
  cost[n] = 1;
  const lp = new DualSimplex(cost, colLo, colHi);
  lp.addRow(new Float64Array(n + 1).fill(1, 0, n), 1, 1);
  addLinearRows(lp, linear, n, n + 1, null);
  const solved = solveByCuts({ lp, columns: n + 1, n, theta: n }, cdarOracle(scaled, beta));
  assert.ok(solved !== null, 'the reference is feasible');
  return solved.value * scale;
}

function cdarOf(R: Matrix, w: ArrayLike<number>, beta: number): number {
  const series = Array.from({ length: R.rows }, (_, t) => {
    let s = 0;
    for (let i = 0; i < R.cols; i++) s += (R.data[t * R.cols + i] as number) * (w[i] as number);
    return s;
  });
  return conditionalDrawdownAtRisk(series, beta) as number;
}

test('min_cdar: the value of the constraint generation it replaced, on random problems', () => {
  fc.assert(
    fc.property(
      fc.record({
        n: fc.integer({ min: 3, max: 24 }),
        T: fc.integer({ min: 60, max: 500 }),
        seed: fc.nat({ max: 1e6 }),
        beta: fc.integer({ min: 80, max: 99 }),
        kind: fc.constantFrom('plain', 'bounds', 'group'),
        capFrac: fc.integer({ min: 0, max: 1000 }),
      }),
      ({ n, T, seed, beta: b, kind, capFrac }) => {
        const R = factorReturns(n, T, seed, 3);
        const beta = b / 100;
        const hi = kind === 'bounds' ? 1.5 / n + (1 - 1.5 / n) * (capFrac / 1000) * 0.5 : 1;
        const lo = kind === 'bounds' ? 0.2 / n : 0;
        const a = new Float64Array(n).fill(1, 0, Math.ceil(n / 2));
        const linear: TailLinearRows | undefined =
          kind === 'group'
            ? { n, rows: 1, a, lower: Float64Array.of(0.2), upper: Float64Array.of(0.4), names: ['group'] }
            : undefined;
        const options: TailRiskOptions = {
          level: beta,
          minWeight: lo,
          maxWeight: hi,
          ...(linear ? { linear } : {}),
        };
        const r = minCdar(R, options);
        const want = referenceCdar(R, beta, lo, hi, linear);
        const what = `${n} × ${T}, ${kind}, β ${beta}`;
        assert.ok(Math.abs(r.value - want) <= 1e-10 * want, `${what}: ${r.value} vs ${want}`);
        assert.ok(
          Math.abs(cdarOf(R, r.weights, beta) - r.value) <= 1e-12,
          `${what}: the value is the weights' CDaR`,
        );
        assert.ok(r.lp.gap <= 1e-12 * Math.max(1, r.value), `${what}: gap ${r.lp.gap}`);
        assert.ok(
          r.lp.primalResidual <= 1e-9 && r.lp.dualResidual <= 1e-9,
          `${what}: ${JSON.stringify(r.lp)}`,
        );
        assert.deepEqual(minCdar(R, options).weights, r.weights, `${what}: a rerun gives the same bytes`);
      },
    ),
    { numRuns: 60, seed: 2026 },
  );
});
