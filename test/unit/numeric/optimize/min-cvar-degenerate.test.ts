// min_cvar where many scenarios tie at the kink: a riskless asset (every loss of the all-riskless weights
// is 0, so every scenario sits at the VaR), a near-riskless one (losses ±1e-9, half of them tied), and
// duplicated scenarios. The vertex simplex took each tied kink it left or crossed in a zero-length step as
// non-positive again, undoing the pivot, and swapped two tied kinks until its 100,000 iterations ran out
// (E_SOLVER). Each answer is held to constraint generation (an independent solve of the same LP) or to
// the CVaR of fixed weights by sorting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { cvarVertexSimplex } from '../../../../src/numeric/optimize/_cvar-vertex-simplex.js';
import { meanCvar, meanCvarByCuts } from '../../../../src/numeric/optimize/mean-cvar.js';
import { minCvar, minCvarByCuts } from '../../../../src/numeric/optimize/min-cvar.js';
import { optimizePortfolio } from '../../../../src/index.js';
import { seededRandom } from '../../../helpers/random.js';
import { factorReturns } from './_fixtures.js';

/**
 * T returns of `risky` random-walk assets (uniform daily returns within ±2 %) and one riskless asset at
 * column `at` whose returns are 0, or ±`noise` with random signs.
 */
function withRiskless(T: number, risky: number, at: number, seed: number, noise = 0): Matrix {
  const rand = seededRandom(seed);
  const n = risky + 1;
  const data = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      if (i === at) data[t * n + i] = noise === 0 ? 0 : rand() < 0.5 ? -noise : noise;
      else data[t * n + i] = 0.04 * (rand() - 0.5);
    }
  }
  return { rows: T, cols: n, data };
}

/** CVaR_β of the losses −R·w by sorting: the mean of the worst k = (1 − β)T, the k-th one in part. */
function sortedCvar(R: Matrix, w: ArrayLike<number>, beta: number): number {
  const losses: number[] = [];
  for (let t = 0; t < R.rows; t++) {
    let s = 0;
    for (let i = 0; i < R.cols; i++) s -= (R.data[t * R.cols + i] as number) * (w[i] as number);
    losses.push(s);
  }
  losses.sort((a, b) => b - a);
  const k = (1 - beta) * R.rows;
  const whole = Math.floor(k);
  let sum = 0;
  for (let q = 0; q < whole; q++) sum += losses[q] as number;
  if (k > whole) sum += (k - whole) * (losses[whole] as number);
  return sum / k;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** 300 business days of prices: 299 returns. */
const T = 299;
const LEVELS = [0.5, 0.9, 0.95, 0.99];

describe('min_cvar with a riskless asset', () => {
  for (const risky of [1, 2, 3]) {
    for (const at of [0, risky]) {
      test(`all in the riskless asset (${risky} risky, riskless at column ${at}), every level`, () => {
        const R = withRiskless(T, risky, at, 10 * risky + at);
        for (const level of LEVELS) {
          const r = minCvar(R, { level });
          const what = `${risky} risky, riskless at ${at}, β=${level}`;
          assert.equal(r.lp.solver, 'vertex simplex', `${what}: solved by the vertex simplex`);
          assert.ok(r.lp.pivots < 1000, `${what}: ${r.lp.pivots} pivots (no cycling)`);
          assert.equal(r.weights[at], 1, `${what}: the riskless weight is 1, got ${r.weights[at]}`);
          assert.equal(Math.abs(r.value), 0, `${what}: CVaR 0, got ${r.value}`);
          assert.ok(r.lp.dualResidual <= 1e-9, `${what}: dual residual ${r.lp.dualResidual}`);
        }
      });

      test(`capped at 60 % (${risky} risky, riskless at column ${at}): the rest at the LP optimum`, () => {
        const R = withRiskless(T, risky, at, 100 + 10 * risky + at);
        for (const level of LEVELS) {
          const what = `${risky} risky, riskless at ${at}, β=${level}, maxWeight 0.6`;
          const r = minCvar(R, { level, maxWeight: 0.6 });
          const cuts = minCvarByCuts(R, { level, maxWeight: 0.6 });
          assert.equal(r.lp.solver, 'vertex simplex', `${what}: solved by the vertex simplex`);
          assert.equal(cuts.lp.solver, 'cutting-plane dual simplex', `${what}: the reference`);
          assert.ok(r.lp.pivots < 1000, `${what}: ${r.lp.pivots} pivots (no cycling)`);
          assert.ok(
            Math.abs((r.weights[at] as number) - 0.6) <= 1e-12,
            `${what}: the riskless weight at its cap, got ${r.weights[at]}`,
          );
          assert.ok(
            Math.abs(r.value - cuts.value) <= 1e-12 * cuts.value,
            `${what}: CVaR ${r.value}, constraint generation ${cuts.value}`,
          );
          assert.ok(maxDiff(r.weights, cuts.weights) <= 1e-9, `${what}: weights as constraint generation's`);
          const sorted = sortedCvar(R, r.weights, level);
          assert.ok(
            Math.abs(r.value - sorted) <= 1e-12 * sorted,
            `${what}: CVaR ${r.value}, by sorting ${sorted}`,
          );
          if (risky === 1) {
            // Only one point is feasible: 0.6 riskless, 0.4 risky.
            const w = [0, 0];
            w[at] = 0.6;
            w[1 - at] = 0.4;
            const fixed = sortedCvar(R, w, level);
            assert.ok(
              Math.abs(r.value - fixed) <= 1e-12 * fixed,
              `${what}: CVaR ${r.value}, that of (0.6, 0.4) by sorting ${fixed}`,
            );
          }
        }
      });
    }
  }

  test('two riskless assets capped at 60 %: together they take everything, CVaR 0', () => {
    for (const layout of ['CCD', 'DCC', 'CDC', 'DCDCD']) {
      const n = layout.length;
      const rand = seededRandom(5);
      const data = new Float64Array(T * n);
      for (let q = 0; q < data.length; q++) data[q] = layout[q % n] === 'C' ? 0 : 0.04 * (rand() - 0.5);
      for (const level of LEVELS) {
        const what = `${layout}, β=${level}`;
        const r = minCvar({ rows: T, cols: n, data }, { level, maxWeight: 0.6 });
        let riskless = 0;
        for (let i = 0; i < n; i++) {
          const w = r.weights[i] as number;
          assert.ok(w <= 0.6, `${what}: w${i} = ${w} within its cap`);
          if (layout[i] === 'C') riskless += w;
        }
        assert.equal(r.lp.solver, 'vertex simplex', `${what}: solved by the vertex simplex`);
        assert.ok(r.lp.pivots < 1000, `${what}: ${r.lp.pivots} pivots (no cycling)`);
        assert.ok(Math.abs(riskless - 1) <= 1e-15, `${what}: the riskless weights sum to ${riskless}`);
        assert.equal(Math.abs(r.value), 0, `${what}: CVaR 0, got ${r.value}`);
      }
    }
  });

  test('near riskless (±1e-9): all or nearly all in it, at the optimum of constraint generation', () => {
    for (const at of [0, 1]) {
      const R = withRiskless(T, 1, at, 7 + at, 1e-9);
      for (const level of LEVELS) {
        const what = `riskless ±1e-9 at ${at}, β=${level}`;
        const r = minCvar(R, { level });
        const cuts = minCvarByCuts(R, { level });
        const alone = [0, 0];
        alone[at] = 1;
        const floor = sortedCvar(R, alone, level);
        assert.equal(r.lp.solver, 'vertex simplex', `${what}: solved by the vertex simplex`);
        assert.ok(r.lp.pivots < 1000, `${what}: ${r.lp.pivots} pivots (no cycling)`);
        assert.ok((r.weights[at] as number) >= 1 - 1e-6, `${what}: riskless weight ${r.weights[at]}`);
        assert.ok(r.value <= floor + 1e-16, `${what}: CVaR ${r.value} above the riskless asset's ${floor}`);
        // Constraint generation stops within its gap, some 1e-14 here: the simplex may be lower, never higher.
        assert.ok(
          r.value <= cuts.value + 1e-16 && cuts.value - r.value <= 1e-4 * cuts.value,
          `${what}: CVaR ${r.value}, constraint generation ${cuts.value}`,
        );
        const sorted = sortedCvar(R, r.weights, level);
        assert.ok(
          Math.abs(r.value - sorted) <= 1e-9 * sorted,
          `${what}: CVaR ${r.value}, by sorting ${sorted}`,
        );
      }
    }
  });

  test('20 assets, a riskless one among duplicated scenarios: JavaScript and WebAssembly give the same bits', () => {
    // 20 × 499 returns: the SIMD kernels and the scenario working set are used.
    const n = 20;
    const R = factorReturns(n, 499, 31, 3);
    for (let t = 0; t < R.rows; t++) R.data[t * n + 4] = 0;
    for (let t = 6; t < R.rows; t += 6) R.data.copyWithin(t * n, (t - 4) * n, (t - 3) * n);
    const lo = new Float64Array(n);
    for (const cap of [1, 0.3]) {
      const hi = new Float64Array(n).fill(cap);
      const simd = cvarVertexSimplex(R, 0.95, lo, hi);
      const js = cvarVertexSimplex(R, 0.95, lo, hi, { simd: false });
      const compact = cvarVertexSimplex(R, 0.95, lo, hi, { compact: true });
      const what = `cap ${cap}`;
      assert.equal(simd.iterations, js.iterations, `${what}: the same pivots`);
      for (let i = 0; i < n; i++) {
        assert.ok(
          Object.is(simd.weights[i], js.weights[i]),
          `${what}: w${i} ${simd.weights[i]} vs ${js.weights[i]}`,
        );
      }
      assert.ok(Object.is(simd.value, js.value), `${what}: CVaR ${simd.value} vs ${js.value}`);
      assert.ok(
        maxDiff(compact.weights, js.weights) <= 1e-12,
        `${what}: the compact inverse, the same vertex`,
      );
      if (cap === 1) assert.equal(js.weights[4], 1, `${what}: all in the riskless asset`);
      else
        assert.ok(
          Math.abs((js.weights[4] as number) - 0.3) <= 1e-15,
          `${what}: the riskless asset at its cap`,
        );
      const cuts = minCvarByCuts(R, { maxWeight: cap });
      assert.ok(
        Math.abs(js.value - cuts.value) <= 1e-12 * Math.max(cuts.value, 1e-3),
        `${what}: CVaR ${js.value}, constraint generation ${cuts.value}`,
      );
    }
  });

  test('through optimizePortfolio: 100 % in a constant-price asset', () => {
    for (const at of [0, 1]) {
      const R = withRiskless(T, 1, at, 3);
      const rows = Array.from({ length: T }, (_, t) => [
        R.data[2 * t] as number,
        R.data[2 * t + 1] as number,
      ]);
      for (const cvarLevel of LEVELS) {
        const r = optimizePortfolio(rows, { method: 'min_cvar', periodsPerYear: 252, cvarLevel });
        assert.deepEqual(
          Array.from(r.weights),
          at === 0 ? [1, 0] : [0, 1],
          `riskless at ${at}, β=${cvarLevel}: all in it`,
        );
      }
    }
  });
});

describe('min_cvar with duplicated or all-zero scenarios', () => {
  // Problems on which the vertex simplex ran out of its pivots before: min_cvar fell back to (or failed
  // without) constraint generation, and mean_cvar to constraint generation on the homogenised LP.
  const cases = [
    { name: 'every fifth scenario a copy', n: 17, T: 429, seed: 1002, level: 0.9, hi: 0.3, kind: 'copies' },
    { name: 'every fifth scenario a copy', n: 8, T: 264, seed: 1058, level: 0.95, hi: 0.3, kind: 'copies' },
    { name: 'every seventh scenario zero', n: 21, T: 508, seed: 1005, level: 0.5, hi: 0.5, kind: 'zeros' },
  ] as const;
  for (const c of cases) {
    test(`${c.name}: ${c.n} assets × ${c.T}, β=${c.level}`, () => {
      const R = factorReturns(c.n, c.T, c.seed, 3);
      if (c.kind === 'copies') {
        for (let t = 5; t < c.T; t += 5) R.data.copyWithin(t * c.n, (t - 3) * c.n, (t - 2) * c.n);
      } else for (let t = 0; t < c.T; t += 7) R.data.fill(0, t * c.n, (t + 1) * c.n);
      const options = { level: c.level, maxWeight: c.hi };
      const r = minCvar(R, options);
      const cuts = minCvarByCuts(R, options);
      assert.equal(r.lp.solver, 'vertex simplex', 'solved by the vertex simplex');
      assert.ok(r.lp.pivots < 1000, `${r.lp.pivots} pivots (no cycling)`);
      assert.ok(
        Math.abs(r.value - cuts.value) <= 1e-12 * cuts.value,
        `CVaR ${r.value}, constraint generation ${cuts.value}`,
      );
      assert.ok(maxDiff(r.weights, cuts.weights) <= 1e-9, 'the weights of constraint generation');
      const m = meanCvar(R, options);
      const mCuts = meanCvarByCuts(R, options);
      assert.equal(m.lp.solver, 'vertex simplex', 'mean_cvar: solved by the vertex simplex');
      assert.ok(
        Math.abs(m.ratio - mCuts.ratio) <= 1e-12 * mCuts.ratio,
        `mean_cvar: ratio ${m.ratio}, constraint generation ${mCuts.ratio}`,
      );
    });
  }
});
