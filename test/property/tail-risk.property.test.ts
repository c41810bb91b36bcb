// Property tests of the tail-risk LPs (fast-check): on random factor-model scenarios with random feasible
// bounds and levels, min_cvar / min_cdar return weights within the bounds summing to 1 whose measure,
// computed by sorting, equals the LP optimum and is no worse than that of equal weight (projected onto
// the bounds) or of min-variance's weights; mean_cvar's return per unit of CVaR is no worse than theirs;
// a second solve gives the same bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isQuantError } from '../../src/errors.js';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { applyBounds } from '../../src/numeric/optimize/bounded-projection.js';
import { equalWeight } from '../../src/numeric/optimize/equal-weight.js';
import { meanCvar } from '../../src/numeric/optimize/mean-cvar.js';
import { minCdar, minCvar, minCvarByCuts } from '../../src/numeric/optimize/min-cvar.js';
import { minVariance } from '../../src/numeric/optimize/min-variance.js';
import { optimizePortfolio } from '../../src/numeric/optimize/optimize-portfolio.js';
import { conditionalDrawdownAtRisk, conditionalValueAtRisk } from '../../src/numeric/stats/tail-risk.js';
import { factorReturns, sampleCov, sum } from '../unit/numeric/optimize/_fixtures.js';

interface Case {
  readonly R: Matrix;
  readonly lo: number;
  readonly hi: number;
  readonly beta: number;
}

const noBias = (min: number, max: number, scale: number): fc.Arbitrary<number> =>
  fc.noBias(fc.integer({ min, max })).map((k) => k / scale);

/** n in 2..8, T in 20..150, lo uniform in [0, 1/n], hi uniform in [1/n, 1], β on a 1 % grid in [50 %, 99 %]. */
const cases: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 2, max: 8 }),
    T: fc.integer({ min: 20, max: 150 }),
    loFrac: noBias(0, 1000, 1000),
    hiFrac: noBias(0, 1000, 1000),
    beta: noBias(50, 99, 100),
    seed: fc.nat({ max: 1e6 }),
  })
  .map(({ n, T, loFrac, hiFrac, beta, seed }) => ({
    R: factorReturns(n, T, seed, 3),
    lo: (loFrac / n) * 0.999,
    hi: 1 / n + (1 - 1 / n) * hiFrac + 1e-9,
    beta,
  }));

function portfolio(R: Matrix, w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(R.rows);
  for (let t = 0; t < R.rows; t++) {
    let s = 0;
    for (let i = 0; i < R.cols; i++) s += (R.data[t * R.cols + i] as number) * (w[i] as number);
    out[t] = s;
  }
  return out;
}

function assertFeasible(w: Float64Array, c: Case, what: string): void {
  w.forEach((x, i) => assert.ok(x >= c.lo && x <= c.hi, `${what}: w${i} = ${x} outside [${c.lo}, ${c.hi}]`));
  assert.ok(Math.abs(sum(w) - 1) <= 1e-12, `${what}: Σw = ${sum(w)}`);
}

function references(c: Case): Float64Array[] {
  return [
    applyBounds(equalWeight(c.R.cols), c.lo, c.hi),
    minVariance(sampleCov(c.R), { minWeight: c.lo, maxWeight: c.hi }).weights,
  ];
}

const RUNS = { numRuns: 40, seed: 1313 };

describe('tail-risk LP properties', () => {
  for (const measure of ['cvar', 'cdar'] as const) {
    test(`min_${measure}: feasible, equal to its sorted value, never beaten by equal weight or min-variance`, () => {
      const of = (r: Float64Array, beta: number): number =>
        (measure === 'cvar' ? conditionalValueAtRisk(r, beta) : conditionalDrawdownAtRisk(r, beta)) as number;
      const spread = { interior: 0, bound: 0 };
      fc.assert(
        fc.property(cases, (c) => {
          const solve = measure === 'cvar' ? minCvar : minCdar;
          const r = solve(c.R, { level: c.beta, minWeight: c.lo, maxWeight: c.hi });
          assertFeasible(r.weights, c, `min_${measure}`);
          const direct = of(portfolio(c.R, r.weights), c.beta);
          assert.ok(Math.abs(direct - r.value) <= 1e-10, `sorted ${direct} vs LP ${r.value}`);
          for (const w of references(c)) {
            const other = of(portfolio(c.R, w), c.beta);
            assert.ok(r.value <= other + 1e-12, `LP ${r.value} beaten by ${other}`);
          }
          // min_cvar's vertex simplex against constraint generation: two independent solvers, one optimum.
          if (measure === 'cvar') {
            const cuts = minCvarByCuts(c.R, { level: c.beta, minWeight: c.lo, maxWeight: c.hi });
            assert.equal(
              cuts.lp.solver,
              'cutting-plane dual simplex',
              'the reference is constraint generation',
            );
            assert.ok(
              Math.abs(cuts.value - r.value) <= 1e-12,
              `${r.lp.solver} ${r.value} vs ${cuts.lp.solver} ${cuts.value}`,
            );
          }
          // A redundant linear row (w₀ ≤ 1): the same optimum (min_cvar: the vertex simplex with a row).
          const n = c.R.cols;
          const linear = {
            n,
            rows: 1,
            a: Float64Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)),
            lower: Float64Array.of(-Infinity),
            upper: Float64Array.of(1),
            names: ['w0 ≤ 1'],
          };
          const other = solve(c.R, { level: c.beta, minWeight: c.lo, maxWeight: c.hi, linear });
          assert.ok(
            Math.abs(other.value - r.value) <= 1e-12,
            `${r.lp.solver} ${r.value} vs ${other.lp.solver} ${other.value}`,
          );
          const again = solve(c.R, { level: c.beta, minWeight: c.lo, maxWeight: c.hi });
          assert.deepEqual(again.weights, r.weights, 'the same bytes on a second solve');
          if (r.weights.some((x) => x > c.lo + 1e-9 && x < c.hi - 1e-9)) spread.interior++;
          else spread.bound++;
        }),
        RUNS,
      );
      assert.ok(
        spread.interior > 0 && spread.bound >= 0,
        `cases with an interior weight: ${JSON.stringify(spread)}`,
      );
    });
  }

  test('mean_cvar: feasible, and a return per unit of CVaR no worse than the references', () => {
    let solved = 0;
    fc.assert(
      fc.property(cases, (c) => {
        let r;
        try {
          r = meanCvar(c.R, { level: c.beta, minWeight: c.lo, maxWeight: c.hi });
        } catch (e) {
          assert.ok(isQuantError(e) && e.code === 'E_NO_POSITIVE_EXCESS_RETURN', `unexpected ${String(e)}`);
          return;
        }
        solved++;
        assertFeasible(r.weights, c, 'mean_cvar');
        const mean = (w: ArrayLike<number>): number => sum(portfolio(c.R, w)) / c.R.rows;
        for (const w of references(c)) {
          const cv = conditionalValueAtRisk(portfolio(c.R, w), c.beta) as number;
          if (cv > 0)
            assert.ok(r.ratio >= mean(w) / cv - 1e-10 * Math.abs(r.ratio), `ratio ${r.ratio} beaten`);
        }
      }),
      RUNS,
    );
    assert.ok(solved >= 10, `mean_cvar solved ${solved} of ${RUNS.numRuns} cases`);
  });

  test('through optimizePortfolio: cvarLevel reaches the LP; invalid levels are E_PARAMS', () => {
    const R = factorReturns(5, 120, 7, 3);
    const at = (cvarLevel: number, method: 'min_cvar' | 'min_cdar' | 'mean_cvar' = 'min_cvar') =>
      optimizePortfolio(R, { method, periodsPerYear: 252, cvarLevel });
    const a = at(0.95);
    const b = at(0.6);
    assert.equal(a.diagnostics['cvar_level'], 0.95, 'the level is recorded');
    const d = Math.max(...Array.from(a.weights, (w, i) => Math.abs(w - (b.weights[i] as number))));
    assert.ok(d > 0.01, `β changes the weights (max |Δw| ${d})`);
    const lp = a.diagnostics['lp'] as Record<string, number>;
    assert.ok(
      lp['gap']! <= 1e-12 && lp['primal_residual']! <= 1e-12 && lp['dual_residual']! <= 1e-12,
      JSON.stringify(lp),
    );
    for (const method of ['min_cvar', 'min_cdar', 'mean_cvar'] as const) {
      for (const level of [0, 1, 1.2, -0.5, Number.NaN]) {
        assert.throws(
          () => at(level, method),
          (e: unknown) => isQuantError(e) && e.code === 'E_PARAMS' && /cvar_level/.test(e.message),
          `${method} at level ${level}`,
        );
      }
    }
  });
});
