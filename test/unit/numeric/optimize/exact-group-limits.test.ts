// Exact group limits ([v, v]) whose groups partition the assets: their rows sum to the budget row Σw = 1,
// so the equalities are linearly dependent. The dual active-set solver keeps a dependent equality that
// holds to rounding out of its active set (it is implied), and refuses one that does not with a Farkas
// certificate; every method then returns weights that meet the limits. Answers under limits carry no
// negative rounding (a binding bound of 0 held to rounding is not returned as −2e-17).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { solveDualQp } from '../../../../src/numeric/optimize/_dual-active-set-qp.js';
import {
  createLinearConstraints,
  rowValue,
  type LinearConstraints,
} from '../../../../src/numeric/optimize/linear-constraints.js';
import { optimizePortfolio } from '../../../../src/numeric/optimize/optimize-portfolio.js';
import { factorReturns } from './_fixtures.js';
import { LIMIT_METHODS as METHODS } from '../../../helpers/linear-rows.js';

function exact(
  n: number,
  groups: readonly (readonly number[])[],
  values: readonly number[],
): LinearConstraints {
  return createLinearConstraints(
    n,
    groups.map((members, k) => ({
      name: `group g${k + 1}`,
      coefficients: Array.from({ length: n }, (_, j) => (members.includes(j) ? 1 : 0)),
      lower: values[k] as number,
      upper: values[k] as number,
    })),
  );
}

/** Every weight ≥ 0 exactly and ≤ 1, Σw and every row of `c` within 1e-9. */
function assertMeets(w: Float64Array, c: LinearConstraints, label: string): void {
  let sum = 0;
  for (const [i, v] of w.entries()) {
    assert.ok(v >= 0 && v <= 1 + 1e-9, `${label}: weight ${i} = ${v} within [0, 1]`);
    sum += v;
  }
  assert.ok(Math.abs(sum - 1) <= 1e-9, `${label}: Σw = ${sum}`);
  for (let k = 0; k < c.rows; k++) {
    const v = rowValue(c, k, w);
    assert.ok(
      v >= (c.lower[k] as number) - 1e-9 && v <= (c.upper[k] as number) + 1e-9,
      `${label}: ${c.names[k]} = ${v}, limits [${c.lower[k]}, ${c.upper[k]}]`,
    );
  }
}

describe('solveDualQp: equality rows dependent on each other', () => {
  // min ½‖x‖² s.t. x0 + x1 + x2 = 1, x0 = a, x1 + x2 = b: the third row is the first minus the second.
  const problem = (a: number, b: number) => ({
    n: 3,
    g: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]),
    c: new Float64Array(3),
    normals: Float64Array.from([1, 1, 1, 1, 0, 0, 0, 1, 1]),
    rhs: Float64Array.from([1, a, b]),
    meq: 3,
  });

  test('consistent (0.3 + 0.7 = 1): optimal, the implied row without a multiplier', () => {
    const r = solveDualQp(problem(0.3, 0.7));
    assert.equal(r.status, 'optimal', 'the rows hold together');
    if (r.status !== 'optimal') return;
    assert.ok(Math.abs((r.x[0] as number) - 0.3) <= 1e-15, `x0 = ${r.x[0]}`);
    assert.ok(Math.abs((r.x[1] as number) - 0.35) <= 1e-15, `x1 = ${r.x[1]}`);
    assert.ok(Math.abs((r.x[2] as number) - 0.35) <= 1e-15, `x2 = ${r.x[2]}`);
    assert.equal(r.multipliers[2], 0, 'the implied equality carries no multiplier');
  });

  test('inconsistent (0.5 + 0.6 = 1.1): a Farkas certificate', () => {
    const p = problem(0.5, 0.6);
    const r = solveDualQp(p);
    assert.equal(r.status, 'infeasible', 'the rows conflict');
    if (r.status !== 'infeasible') return;
    const y = r.certificate;
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let i = 0; i < 3; i++) s += (y[i] as number) * (p.normals[i * 3 + k] as number);
      assert.ok(Math.abs(s) <= 1e-12, `Σ y_i n_i = 0 (component ${k}: ${s})`);
    }
    const yb = (y[0] as number) * 1 + (y[1] as number) * 0.5 + (y[2] as number) * 0.6;
    assert.ok(yb > 0.05, `Σ y_i b_i = ${yb} > 0`);
  });
});

describe('every method under exact group limits that partition the assets', () => {
  const setups = [
    { n: 3, groups: [[0], [1, 2]], values: [0.3, 0.7] },
    { n: 4, groups: [[0], [1], [2, 3]], values: [0.1, 0.2, 0.7] },
    // 0.7 + 0.2 + 0.1 = 0.9999999999999999 in floating point.
    { n: 5, groups: [[0, 1], [2], [3, 4]], values: [0.7, 0.2, 0.1] },
  ];
  for (const { n, groups, values } of setups) {
    const c = exact(n, groups, values);
    const returns = factorReturns(n, 250, 1);
    for (const method of METHODS) {
      const label = `${method}, groups ${JSON.stringify(groups)} = ${values.join(' / ')}`;
      test(label, () => {
        const r = optimizePortfolio(returns, { method, periodsPerYear: 252, constraints: c });
        assert.equal(r.method, method, `${label}: the method itself`);
        assertMeets(r.weights, c, label);
      });
    }
  }

  test('near a reference (turnover penalty and cap): the limits still hold', () => {
    const c = exact(4, [[0], [1], [2, 3]], [0.1, 0.2, 0.7]);
    const returns = factorReturns(4, 250, 1);
    const reference = Float64Array.from([0.1, 0.2, 0.4, 0.3]);
    for (const method of METHODS) {
      for (const turnover of [
        { reference, penalty: 0.01 },
        { reference, maxTurnover: 0.2 },
      ]) {
        const label = `${method} with ${JSON.stringify({ ...turnover, reference: undefined })}`;
        const r = optimizePortfolio(returns, { method, periodsPerYear: 252, constraints: c, turnover });
        assertMeets(r.weights, c, label);
      }
    }
  });

  test('exact limits with per-asset bounds: every weight within its own range', () => {
    const c = exact(
      4,
      [
        [0, 1],
        [2, 3],
      ],
      [0.4, 0.6],
    );
    const returns = factorReturns(4, 250, 1);
    const lo = Float64Array.from([0.05, 0.05, 0.1, 0.1]);
    for (const method of METHODS) {
      const r = optimizePortfolio(returns, { method, periodsPerYear: 252, constraints: c, minWeight: lo });
      assertMeets(r.weights, c, method);
      for (const [i, v] of r.weights.entries())
        assert.ok(v >= (lo[i] as number) - 1e-9, `${method}: weight ${i} = ${v} ≥ ${lo[i]}`);
    }
  });
});

describe('answers under limits carry no negative rounding', () => {
  test('a bound that binds is met exactly: no −1e-17 weight from max_sharpe or min_variance', () => {
    // On these returns the dual active set held w ≥ 0 to rounding only (w = −2.9e-18 and −2.8e-17).
    const c = createLinearConstraints(4, [{ name: 'group g', coefficients: [1, 1, 0, 0], upper: 0.3 }]);
    const returns = factorReturns(4, 250, 12);
    for (const method of ['max_sharpe', 'min_variance'] as const) {
      const r = optimizePortfolio(returns, { method, periodsPerYear: 252, constraints: c });
      assertMeets(r.weights, c, method);
    }
  });
});
