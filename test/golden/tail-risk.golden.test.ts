// Golden: the tail-risk LPs against an independent exact formulation. On two assets w = (x, 1 − x) every
// scenario loss and every drawdown candidate P_s − P_t is linear in x, so CVaR(x), CDaR(x) and the
// ratio μ(x)/CVaR(x) change slope (or monotonicity) only where two of those lines cross: the optimum is
// at one of these crossings or at a bound. Enumerating them, and evaluating each candidate by sorting
// (the skfolio definitions in src/numeric/stats/tail-risk.ts, themselves pinned by hand), gives the exact
// optimum with no LP. Three assets: no point of a 0.005 grid of the feasible set does better, and the
// measure of the returned weights, computed by sorting, equals the LP optimum to 1e-10.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../src/errors.js';
import type { Matrix } from '../../src/numeric/linalg/matrix.js';
import { minCdar, minCvar } from '../../src/numeric/optimize/min-cvar.js';
import { createLinearConstraints } from '../../src/numeric/optimize/linear-constraints.js';
import { optimizePortfolio } from '../../src/numeric/optimize/optimize-portfolio.js';
import { meanCvar } from '../../src/numeric/optimize/mean-cvar.js';
import { conditionalDrawdownAtRisk, conditionalValueAtRisk } from '../../src/numeric/stats/tail-risk.js';
import { normals } from '../unit/numeric/optimize/_fixtures.js';

function scenarios(T: number, n: number, seed: number): Matrix {
  const z = normals(seed);
  const data = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    const m = 0.01 * z();
    for (let i = 0; i < n; i++) data[t * n + i] = 0.002 * (i - 1) + m * (0.5 + 0.4 * i) + 0.012 * z();
  }
  return { rows: T, cols: n, data };
}

function portfolio(R: Matrix, w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(R.rows);
  for (let t = 0; t < R.rows; t++) {
    let s = 0;
    for (let i = 0; i < R.cols; i++) s += (R.data[t * R.cols + i] as number) * (w[i] as number);
    out[t] = s;
  }
  return out;
}

/** Lines a + b·x in x = w₀ of a 2-asset portfolio: losses, or drawdown candidates P_s − P_t (s ≤ t). */
function lines(R: Matrix, measure: 'cvar' | 'cdar'): [number, number][] {
  const T = R.rows;
  const r0 = (t: number): number => R.data[2 * t] as number;
  const r1 = (t: number): number => R.data[2 * t + 1] as number;
  if (measure === 'cvar') {
    return Array.from({ length: T }, (_, t): [number, number] => [-r1(t), -(r0(t) - r1(t))]);
  }
  // P_t(x) = c1_t + (c0_t − c1_t)·x with P_0 = 0.
  const P: [number, number][] = [[0, 0]];
  let c0 = 0;
  let c1 = 0;
  for (let t = 0; t < T; t++) {
    c0 += r0(t);
    c1 += r1(t);
    P.push([c1, c0 - c1]);
  }
  const out: [number, number][] = [];
  for (let t = 1; t <= T; t++)
    for (let s = 0; s <= t; s++) {
      const [as, bs] = P[s] as [number, number];
      const [at, bt] = P[t] as [number, number];
      out.push([as - at, bs - bt]);
    }
  return out;
}

/** Every x in [lo, hi] where two of the lines cross, and the bounds. */
function candidates(ls: [number, number][], lo: number, hi: number): number[] {
  const xs = [lo, hi];
  for (let i = 0; i < ls.length; i++)
    for (let j = i + 1; j < ls.length; j++) {
      const [a1, b1] = ls[i] as [number, number];
      const [a2, b2] = ls[j] as [number, number];
      if (b1 === b2) continue;
      const x = (a2 - a1) / (b1 - b2);
      if (x > lo && x < hi) xs.push(x);
    }
  return xs;
}

const measureOf = (measure: 'cvar' | 'cdar', r: Float64Array, beta: number): number =>
  (measure === 'cvar' ? conditionalValueAtRisk(r, beta) : conditionalDrawdownAtRisk(r, beta)) as number;

describe('tail-risk LPs on two assets = exact enumeration of the breakpoints', () => {
  for (const measure of ['cvar', 'cdar'] as const) {
    for (const [beta, lo, hi, seed] of [
      [0.95, 0, 1, 11],
      [0.8, 0.1, 0.7, 12],
      [0.9, 0.3, 1, 13],
    ] as const) {
      test(`min_${measure} β=${beta}, bounds [${lo}, ${hi}]`, () => {
        const R = scenarios(measure === 'cvar' ? 40 : 14, 2, seed);
        const r = (measure === 'cvar' ? minCvar : minCdar)(R, { level: beta, minWeight: lo, maxWeight: hi });
        let best = Infinity;
        const x0 = Math.max(lo, 1 - hi);
        const x1 = Math.min(hi, 1 - lo);
        for (const x of candidates(lines(R, measure), x0, x1)) {
          best = Math.min(best, measureOf(measure, portfolio(R, [x, 1 - x]), beta));
        }
        assert.ok(Math.abs(r.value - best) <= 1e-12, `LP ${r.value} vs enumeration ${best}`);
        const direct = measureOf(measure, portfolio(R, r.weights), beta);
        assert.ok(Math.abs(direct - r.value) <= 1e-10, `sorted ${direct} vs LP ${r.value}`);
        assert.ok(r.lp.gap <= 1e-12 && r.lp.primalResidual <= 1e-12, `LP report ${JSON.stringify(r.lp)}`);
        r.weights.forEach((w) => assert.ok(w >= lo && w <= hi, `weight ${w} within [${lo}, ${hi}]`));
      });
    }
  }

  test('mean_cvar: max μ/CVaR at a breakpoint', () => {
    const R = scenarios(40, 2, 24); // both means positive, the optimum is interior
    const beta = 0.9;
    const r = meanCvar(R, { level: beta, maxWeight: 0.9 });
    const mean = (w: number[]): number => portfolio(R, w).reduce((a, b) => a + b, 0) / R.rows;
    let best = -Infinity;
    for (const x of candidates(lines(R, 'cvar'), 0.1, 0.9)) {
      const w = [x, 1 - x];
      const c = measureOf('cvar', portfolio(R, w), beta);
      if (c > 0) best = Math.max(best, mean(w) / c);
    }
    assert.ok(best > 0, 'the case has a positive ratio');
    assert.ok(Math.abs(r.ratio - best) <= 1e-10 * best, `LP ratio ${r.ratio} vs enumeration ${best}`);
    const direct = mean(Array.from(r.weights)) / measureOf('cvar', portfolio(R, r.weights), beta);
    assert.ok(Math.abs(direct - r.ratio) <= 1e-10 * best, `ratio of the weights ${direct}`);
    assert.ok((r.weights[0] as number) > 0.11 && (r.weights[0] as number) < 0.89, 'interior optimum');
  });

  test('mean_cvar without a positive mean is E_NO_POSITIVE_EXCESS_RETURN', () => {
    const R = scenarios(40, 2, 22); // both means negative
    assert.throws(
      () => meanCvar(R, { level: 0.9 }),
      (e: unknown) => isQuantError(e) && e.code === 'E_NO_POSITIVE_EXCESS_RETURN',
      'no positive ratio exists',
    );
  });
});

describe('tail-risk LPs on three assets: no grid point does better', () => {
  for (const measure of ['cvar', 'cdar'] as const) {
    test(`min_${measure}, bounds [0.05, 0.6]`, () => {
      const R = scenarios(60, 3, 31);
      const beta = 0.9;
      const r = (measure === 'cvar' ? minCvar : minCdar)(R, { level: beta, minWeight: 0.05, maxWeight: 0.6 });
      const direct = measureOf(measure, portfolio(R, r.weights), beta);
      assert.ok(Math.abs(direct - r.value) <= 1e-10, `sorted ${direct} vs LP ${r.value}`);
      let best = Infinity;
      for (let a = 0; a <= 200; a++)
        for (let b = 0; a + b <= 200; b++) {
          const w = [a / 200, b / 200, 1 - (a + b) / 200];
          if (w.some((v) => v < 0.05 - 1e-12 || v > 0.6 + 1e-12)) continue;
          best = Math.min(best, measureOf(measure, portfolio(R, w), beta));
        }
      assert.ok(r.value <= best + 1e-12, `LP ${r.value} beaten by a grid point ${best}`);
      assert.ok(best - r.value < 1e-3, `the grid comes close (${best - r.value}): the case is not trivial`);
    });
  }
});

describe('tail-risk LPs under linear constraints (a group limit)', () => {
  // Group {0, 1} ≤ 35 % on three assets: no point of a 0.005 grid inside the limit does better.
  const R = scenarios(60, 3, 41);
  const beta = 0.9;
  const constraints = createLinearConstraints(3, [
    { name: 'group g ≤ 0.35', coefficients: [1, 1, 0], upper: 0.35 },
  ]);
  for (const [method, measure] of [
    ['min_cvar', 'cvar'],
    ['min_cdar', 'cdar'],
  ] as const) {
    test(`${method} through optimizePortfolio`, () => {
      const r = optimizePortfolio(R, { method, periodsPerYear: 252, cvarLevel: beta, constraints });
      const w = r.weights;
      assert.ok(
        (w[0] as number) + (w[1] as number) <= 0.35 + 1e-12,
        `group ${(w[0] as number) + (w[1] as number)}`,
      );
      const value = r.diagnostics[measure] as number;
      const direct = measureOf(measure, portfolio(R, w), beta);
      assert.ok(Math.abs(direct - value) <= 1e-10, `sorted ${direct} vs LP ${value}`);
      let best = Infinity;
      for (let a = 0; a <= 200; a++)
        for (let b = 0; a + b <= 200; b++) {
          if (a + b > 70) continue;
          best = Math.min(
            best,
            measureOf(measure, portfolio(R, [a / 200, b / 200, 1 - (a + b) / 200]), beta),
          );
        }
      assert.ok(value <= best + 1e-12, `LP ${value} beaten by a grid point ${best}`);
      const free = (method === 'min_cvar' ? minCvar : minCdar)(R, { level: beta });
      assert.ok(free.value < value - 1e-6, `the limit binds (free optimum ${free.value} < ${value})`);
    });
  }

  test('mean_cvar respects the limit; conflicting limits are E_INFEASIBLE_CONSTRAINTS', () => {
    const R2 = scenarios(40, 3, 24);
    const r = optimizePortfolio(R2, { method: 'mean_cvar', periodsPerYear: 252, constraints });
    assert.ok((r.weights[0] as number) + (r.weights[1] as number) <= 0.35 + 1e-12, 'group limit held');
    const conflict = createLinearConstraints(3, [
      { name: 'group g ≥ 0.8', coefficients: [1, 1, 0], lower: 0.8 },
      { name: 'asset 2 ≥ 0.3', coefficients: [0, 0, 1], lower: 0.3 },
    ]);
    for (const method of ['min_cvar', 'min_cdar', 'mean_cvar'] as const) {
      assert.throws(
        () => optimizePortfolio(R2, { method, periodsPerYear: 252, constraints: conflict }),
        (e: unknown) => isQuantError(e) && e.code === 'E_INFEASIBLE_CONSTRAINTS' && /g ≥ 0.8/.test(e.message),
        `${method}: the conflicting limits are named`,
      );
    }
    // The LPs themselves (without the feasibility check in front) name the rows when the master has no point.
    for (const solve of [minCvar, minCdar]) {
      assert.throws(
        () => solve(R2, { level: 0.9, linear: conflict }),
        (e: unknown) =>
          isQuantError(e) && e.code === 'E_INFEASIBLE_CONSTRAINTS' && /asset 2 ≥ 0.3/.test(e.message),
        `${solve.name}: an infeasible master LP is E_INFEASIBLE_CONSTRAINTS`,
      );
    }
  });
});
