import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import {
  maxSharpeConstrained,
  minVarianceConstrained,
} from '../../../../src/numeric/optimize/constrained-qp.js';
import {
  createLinearConstraints,
  emptyLinearConstraints,
  projectOntoConstraints,
  type LinearConstraints,
} from '../../../../src/numeric/optimize/linear-constraints.js';
import { maxSharpe } from '../../../../src/numeric/optimize/max-sharpe.js';
import { minVariance } from '../../../../src/numeric/optimize/min-variance.js';
import {
  matVec,
  maxAbsDiff,
  quadForm,
  randomCovariance,
  rng,
  sharpe,
  solveLinear,
  sum,
} from './_fixtures.js';
import { caughtQuantError as caught } from '../../../helpers/errors.js';

/** Rows n_iᵀw ≥ b_i of budget-free constraints plus the box, for the oracle. */
interface Ineq {
  readonly a: number[];
  readonly b: number;
}

function inequalities(c: LinearConstraints, lo: number, hi: number): Ineq[] {
  const out: Ineq[] = [];
  for (let k = 0; k < c.rows; k++) {
    const a = Array.from(c.a.subarray(k * c.n, (k + 1) * c.n));
    if (c.lower[k]! > -Infinity) out.push({ a, b: c.lower[k]! });
    if (c.upper[k]! < Infinity) out.push({ a: a.map((x) => -x), b: -c.upper[k]! });
  }
  for (let i = 0; i < c.n; i++) {
    const e = Array.from({ length: c.n }, (_, j) => (j === i ? 1 : 0));
    out.push({ a: e, b: lo });
    out.push({ a: e.map((x) => -x), b: -hi });
  }
  return out;
}

/**
 * Independent oracle for min wᵀΣw s.t. 1ᵀw = 1 (and optionally mᵀw = r), rows: every subset of the
 * inequalities taken as equalities, its KKT system solved by Gaussian elimination, and the feasible
 * solution with the lowest variance. The optimum is the equality-constrained minimiser of its own active
 * set, so it is among them.
 */
function bruteForce(
  cov: Matrix,
  rows: readonly Ineq[],
  extra?: { m: Float64Array; r: number },
): Float64Array {
  const n = cov.rows;
  let best: Float64Array | undefined;
  let bestF = Infinity;
  for (let mask = 0; mask < 1 << rows.length; mask++) {
    const eq: Ineq[] = [{ a: Array<number>(n).fill(1), b: 1 }];
    if (extra !== undefined) eq.push({ a: Array.from(extra.m), b: extra.r });
    rows.forEach((row, i) => {
      if (mask & (1 << i)) eq.push(row);
    });
    if (eq.length > n) continue;
    const k = n + eq.length;
    const kkt = new Float64Array(k * k);
    const rhs = new Float64Array(k);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) kkt[i * k + j] = 2 * cov.data[i * n + j]!;
    eq.forEach((e, q) => {
      for (let j = 0; j < n; j++) {
        kkt[(n + q) * k + j] = e.a[j]!;
        kkt[j * k + n + q] = e.a[j]!;
      }
      rhs[n + q] = e.b;
    });
    const sol = solveLinear(kkt, rhs, k);
    if (sol === undefined || !sol.every(Number.isFinite)) continue;
    const w = sol.subarray(0, n);
    if (!rows.every((row) => row.a.reduce((s, a, j) => s + a * w[j]!, 0) >= row.b - 1e-9)) continue;
    const f = quadForm(cov, w);
    if (f < bestF) {
      bestF = f;
      best = Float64Array.from(w);
    }
  }
  assert.ok(best !== undefined, 'the oracle found a feasible point');
  return best;
}

/** Random group/cap constraints on n assets that the equal-weight portfolio satisfies. */
function randomConstraints(n: number, seed: number): LinearConstraints {
  const u = rng(seed);
  const rows = [];
  const members = Array.from({ length: n }, (_, i) => (u() < 0.5 || i === 0 ? 1 : 0));
  const share = sum(members) / n;
  rows.push({
    name: 'group g',
    coefficients: members,
    lower: share * (0.3 + 0.5 * u()),
    upper: Math.min(1, share * (1.1 + u())),
  });
  const capped = Math.floor(u() * n);
  rows.push({
    name: 'cap',
    coefficients: Array.from({ length: n }, (_, i) => (i === capped ? 1 : 0)),
    upper: (1 / n) * (1 + u()),
  });
  const tilt = Array.from({ length: n }, () => u() - 0.5);
  rows.push({ name: 'tilt', coefficients: tilt, lower: sum(tilt) / n - 0.05 });
  return createLinearConstraints(n, rows);
}

describe('minVarianceConstrained', () => {
  test('equals an exhaustive active-set search on random problems (n = 3, 4)', () => {
    let worst = 0;
    let binding = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const n = 3 + (seed % 2);
      const cov = randomCovariance(n, seed);
      const c = randomConstraints(n, seed + 100);
      const r = minVarianceConstrained(cov, c, { maxWeight: 0.7 });
      const oracle = bruteForce(cov, inequalities(c, 0, 0.7));
      worst = Math.max(worst, maxAbsDiff(r.weights, oracle));
      if (r.binding.length > 0) binding++;
      assert.ok(r.kkt.maxViolation <= 1e-9, `seed ${seed}: KKT violation ${r.kkt.maxViolation}`);
    }
    assert.ok(worst < 1e-9, `largest difference to the oracle ${worst}`);
    assert.ok(binding >= 10, `a limit binds in ${binding} of 30 cases: the cases must reach the constraints`);
  });

  test('no feasible improving direction: ∇f(w)ᵀ(v − w) ≥ 0 for random feasible v', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = 6 + (seed % 5);
      const cov = randomCovariance(n, seed);
      const c = randomConstraints(n, seed + 7);
      const w = minVarianceConstrained(cov, c).weights;
      const grad = matVec(cov, w);
      const scale = Math.max(...Array.from(grad, Math.abs));
      const u = rng(seed + 3);
      for (let k = 0; k < 30; k++) {
        const v = projectOntoConstraints(
          Float64Array.from({ length: n }, () => u()),
          c,
          0,
          1,
        );
        let d = 0;
        for (let i = 0; i < n; i++) d += grad[i]! * (v[i]! - w[i]!);
        assert.ok(d >= -1e-10 * scale, `seed ${seed}: feasible v improves the variance (${d})`);
      }
    }
  });

  test('without rows it is the box-constrained minimum variance portfolio', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const cov = randomCovariance(8, seed);
      const a = minVarianceConstrained(cov, emptyLinearConstraints(8), { maxWeight: 0.3 }).weights;
      const b = minVariance(cov, { maxWeight: 0.3 }).weights;
      assert.ok(maxAbsDiff(a, b) < 1e-10, `seed ${seed}: ${maxAbsDiff(a, b)}`);
    }
  });

  test('a binding group limit: golden two-group case', () => {
    // Σ = diag(0.04, 0.04, 0.01): unconstrained w = (1/6, 1/6, 2/3); asset 2 capped at 0.5 by "group b" →
    // the remaining 0.5 is split equally (equal variances), (0.25, 0.25, 0.5).
    const cov = { rows: 3, cols: 3, data: Float64Array.from([0.04, 0, 0, 0, 0.04, 0, 0, 0, 0.01]) };
    const c = createLinearConstraints(3, [
      { name: 'group b', coefficients: [0, 0, 1], lower: 0, upper: 0.5 },
    ]);
    const r = minVarianceConstrained(cov, c);
    assert.ok(maxAbsDiff(r.weights, [0.25, 0.25, 0.5]) < 1e-15, `weights ${Array.from(r.weights)}`);
    assert.deepEqual(r.binding, ['group b max'], 'the group limit binds');
  });

  test('infeasible limits are E_INFEASIBLE_CONSTRAINTS naming them', () => {
    const cov = randomCovariance(4, 1);
    const c = createLinearConstraints(4, [
      { name: 'group a', coefficients: [1, 1, 0, 0], lower: 0.6 },
      { name: 'group b', coefficients: [0, 1, 1, 0], lower: 0.6 },
      { name: 'cap 1', coefficients: [0, 1, 0, 0], upper: 0.1 },
    ]);
    const e = caught(() => minVarianceConstrained(cov, c));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /group a min 0\.6/, e.message);
    assert.match(e.message, /group b min 0\.6/, e.message);
  });
});

describe('maxSharpeConstrained', () => {
  test('without rows it is the box-constrained tangency portfolio', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const cov = randomCovariance(6, seed);
      const u = rng(seed);
      const mu = Float64Array.from({ length: 6 }, () => 0.02 + 0.1 * u());
      const a = maxSharpeConstrained(cov, mu, emptyLinearConstraints(6), {
        maxWeight: 0.4,
        riskFreeRate: 0.01,
      });
      const b = maxSharpe(cov, mu, { maxWeight: 0.4, riskFreeRate: 0.01 }).weights;
      assert.ok(maxAbsDiff(a.weights, b) < 1e-9, `seed ${seed}: ${maxAbsDiff(a.weights, b)}`);
      assert.ok(a.kkt.maxViolation <= 1e-9, `seed ${seed}: KKT ${a.kkt.maxViolation}`);
    }
  });

  test('beats every point of an exhaustive efficient frontier (independent formulation), n = 3, 4', () => {
    let binding = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const n = 3 + (seed % 2);
      const cov = randomCovariance(n, seed);
      const u = rng(seed + 50);
      const mu = Float64Array.from({ length: n }, () => 0.03 + 0.1 * u());
      const c = randomConstraints(n, seed + 200);
      const r = maxSharpeConstrained(cov, mu, c);
      assert.ok(r.kkt.maxViolation <= 1e-9, `seed ${seed}: KKT ${r.kkt.maxViolation}`);
      if (r.binding.length > 0) binding++;
      const best = sharpe(cov, mu, r.weights);
      const rows = inequalities(c, 0, 1);
      const lowR = Math.min(...mu);
      const highR = Math.max(...mu);
      for (let k = 0; k <= 40; k++) {
        const target = lowR + ((highR - lowR) * k) / 40;
        let w: Float64Array;
        try {
          w = bruteForce(cov, rows, { m: mu, r: target });
        } catch {
          continue; // target not attainable under the constraints
        }
        assert.ok(
          sharpe(cov, mu, w) <= best + 1e-10,
          `seed ${seed}: frontier point at μ = ${target} beats it`,
        );
      }
      const check = bruteForce(cov, rows, { m: mu, r: mu.reduce((s, m, i) => s + m * r.weights[i]!, 0) });
      assert.ok(maxAbsDiff(check, r.weights) < 1e-8, `seed ${seed}: it is on the constrained frontier`);
    }
    assert.ok(binding >= 4, `a limit binds in ${binding} of 12 cases: the cases must reach the constraints`);
  });

  test('no feasible portfolio beats r_f: E_NO_POSITIVE_EXCESS_RETURN', () => {
    const cov = randomCovariance(3, 2);
    const mu = Float64Array.from([0.1, 0.0, 0.0]);
    const c = createLinearConstraints(3, [{ name: 'cap winner', coefficients: [1, 0, 0], upper: 0.1 }]);
    const e = caught(() => maxSharpeConstrained(cov, mu, c, { riskFreeRate: 0.02 }));
    assert.equal(e.code, 'E_NO_POSITIVE_EXCESS_RETURN', e.message);
  });
});
