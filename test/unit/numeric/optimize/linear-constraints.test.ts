import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertFeasibleLinearConstraints,
  createLinearConstraints,
  projectOntoConstraints,
  rowValue,
  settleWeights,
} from '../../../../src/numeric/optimize/linear-constraints.js';
import { caughtQuantError as caught } from '../../../helpers/errors.js';

const group = (n: number, members: readonly number[]): number[] =>
  Array.from({ length: n }, (_, i) => (members.includes(i) ? 1 : 0));

describe('createLinearConstraints', () => {
  test('builds rows × n row-major with ±Infinity for missing sides', () => {
    const c = createLinearConstraints(3, [
      { name: 'group a', coefficients: [1, 1, 0], upper: 0.5 },
      { name: 'group b', coefficients: [0, 0, 1], lower: 0.2 },
    ]);
    assert.equal(c.rows, 2, 'two rows');
    assert.deepEqual(Array.from(c.a), [1, 1, 0, 0, 0, 1], 'row-major coefficients');
    assert.deepEqual(Array.from(c.lower), [-Infinity, 0.2], 'lower sides');
    assert.deepEqual(Array.from(c.upper), [0.5, Infinity], 'upper sides');
    assert.equal(rowValue(c, 0, [0.2, 0.3, 0.5]), 0.5, 'row value is a·w');
  });

  test('malformed rows are E_INPUT_VALUE; lower > upper is E_INFEASIBLE_CONSTRAINTS naming the row', () => {
    assert.equal(
      caught(() => createLinearConstraints(3, [{ name: 'x', coefficients: [1, 1] }])).code,
      'E_INPUT_VALUE',
      'wrong length',
    );
    assert.equal(
      caught(() => createLinearConstraints(2, [{ name: 'x', coefficients: [1, Number.NaN] }])).code,
      'E_INPUT_VALUE',
      'NaN coefficient',
    );
    assert.equal(
      caught(() =>
        createLinearConstraints(2, [
          { name: 'x', coefficients: [1, 0] },
          { name: 'x', coefficients: [0, 1] },
        ]),
      ).code,
      'E_INPUT_VALUE',
      'duplicate name',
    );
    const e = caught(() =>
      createLinearConstraints(2, [{ name: 'g', coefficients: [1, 0], lower: 0.6, upper: 0.4 }]),
    );
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', 'lower > upper');
    assert.deepEqual(e.details['constraints'], ['g'], 'names the row');
  });
});

describe('assertFeasibleLinearConstraints', () => {
  test('two group minimums above the budget: names both with the arithmetic', () => {
    const c = createLinearConstraints(4, [
      { name: 'group rates', coefficients: group(4, [0, 1]), lower: 0.2, upper: 1 },
      { name: 'group crypto', coefficients: group(4, [2, 3]), lower: 0.9, upper: 1 },
    ]);
    const e = caught(() => assertFeasibleLinearConstraints(c, 0, 1));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', 'coded');
    assert.match(
      e.message,
      /group rates min 0\.2 \+ group crypto min 0\.9 = 1\.1 > 1 \(the budget/,
      e.message,
    );
    assert.deepEqual(
      [...(e.details['constraints'] as string[])].sort(),
      ['group crypto', 'group rates', 'the budget Σw'],
      'exactly the conflicting constraints',
    );
  });

  test('a group maximum below the sum of its members’ minimum weights', () => {
    const c = createLinearConstraints(3, [
      { name: 'group tech', coefficients: group(3, [0, 1]), upper: 0.2 },
    ]);
    const e = caught(() =>
      assertFeasibleLinearConstraints(c, Float64Array.from([0.15, 0.15, 0]), 1, ['A', 'B', 'C']),
    );
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', 'coded');
    assert.match(
      e.message,
      /weight of A min 0\.15 \+ weight of B min 0\.15 = 0\.3 > 0\.2 = group tech max 0\.2|weight of A min 0\.15 \+ weight of B min 0\.15 = 0\.3 > group tech max 0\.2/,
      e.message,
    );
  });

  test('caps whose sum is below 1', () => {
    const c = createLinearConstraints(3, [
      { name: 'cap A', coefficients: [1, 0, 0], upper: 0.3 },
      { name: 'cap B', coefficients: [0, 1, 0], upper: 0.3 },
      { name: 'cap C', coefficients: [0, 0, 1], upper: 0.3 },
    ]);
    const e = caught(() => assertFeasibleLinearConstraints(c, 0, 1));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', 'coded');
    assert.match(
      e.message,
      /1 \(the budget Σw\) > 0\.9 = cap A max 0\.3 \+ cap B max 0\.3 \+ cap C max 0\.3/,
      e.message,
    );
  });

  test('touching limits are feasible (the single feasible point)', () => {
    const c = createLinearConstraints(4, [
      { name: 'g1', coefficients: group(4, [0, 1]), lower: 0.3 },
      { name: 'g2', coefficients: group(4, [2, 3]), lower: 0.7 },
    ]);
    assert.doesNotThrow(() => assertFeasibleLinearConstraints(c, 0, 1), 'Σ minimums = 1 exactly is feasible');
  });
});

describe('projectOntoConstraints', () => {
  test('projects onto a capped simplex: the closed form max(t − τ, 0) clipped at the cap', () => {
    const c = createLinearConstraints(3, [{ name: 'cap A', coefficients: [1, 0, 0], upper: 0.5 }]);
    const w = projectOntoConstraints(Float64Array.from([0.8, 0.1, 0.1]), c, 0, 1);
    assert.ok(Math.abs((w[0] as number) - 0.5) < 1e-14, `A at its cap, got ${w[0]}`);
    assert.ok(Math.abs((w[1] as number) - 0.25) < 1e-14, `B gets half of the excess, got ${w[1]}`);
    assert.ok(Math.abs((w[2] as number) - 0.25) < 1e-14, `C gets half of the excess, got ${w[2]}`);
  });

  test('a feasible target is returned unchanged', () => {
    const c = createLinearConstraints(3, [{ name: 'g', coefficients: [1, 1, 0], lower: 0.2, upper: 0.8 }]);
    const t = Float64Array.from([0.3, 0.3, 0.4]);
    const w = projectOntoConstraints(t, c, 0, 1);
    for (let i = 0; i < 3; i++)
      assert.ok(Math.abs((w[i] as number) - (t[i] as number)) < 1e-15, `w[${i}] unchanged`);
  });
});

/** Exact limits `[v, v]` on groups of n assets (`groups[k]` the members of group k). */
function exact(n: number, groups: readonly (readonly number[])[], values: readonly number[]) {
  return createLinearConstraints(
    n,
    groups.map((members, k) => ({
      name: `group g${k + 1}`,
      coefficients: group(n, members),
      lower: values[k] as number,
      upper: values[k] as number,
    })),
  );
}

describe('exact group limits that partition the assets (rows dependent on the budget)', () => {
  // Σ of the group rows is the budget row: the equalities are linearly dependent, and consistent when
  // the values sum to 1 (to rounding: 0.7 + 0.2 + 0.1 is 0.9999999999999999 in floating point).
  const cases: { groups: number[][]; values: number[]; n: number }[] = [
    { n: 3, groups: [[0], [1, 2]], values: [0.5, 0.5] },
    { n: 3, groups: [[0], [1, 2]], values: [0.4, 0.6] },
    { n: 3, groups: [[0], [1, 2]], values: [0.3, 0.7] },
    { n: 3, groups: [[0], [1, 2]], values: [0.25, 0.75] },
    { n: 4, groups: [[0], [1], [2, 3]], values: [0.1, 0.2, 0.7] },
    { n: 4, groups: [[0, 1], [2], [3]], values: [0.7, 0.2, 0.1] },
    {
      n: 5,
      groups: [
        [0, 1],
        [2, 3, 4],
      ],
      values: [0.3, 0.7],
    },
    // Three equalities and the budget of rank 3 without a partition: (a + b) + (c + d) = 1, b + c fixed.
    {
      n: 4,
      groups: [
        [0, 1],
        [2, 3],
        [1, 2],
      ],
      values: [0.4, 0.6, 0.45],
    },
  ];
  for (const { n, groups, values } of cases) {
    const label = groups.map((g, k) => `{${g.join(',')}} = ${values[k]}`).join(', ');
    test(`feasible: ${label}`, () => {
      const c = exact(n, groups, values);
      assert.doesNotThrow(() => assertFeasibleLinearConstraints(c, 0, 1), `${label}: feasible`);
      const w = projectOntoConstraints(new Float64Array(n).fill(1 / n), c, 0, 1);
      let sum = 0;
      for (const v of w) {
        assert.ok(v >= -1e-15, `${label}: weight ${v} ≥ 0`);
        sum += v;
      }
      assert.ok(Math.abs(sum - 1) <= 1e-12, `${label}: Σw = ${sum}`);
      for (let k = 0; k < c.rows; k++) {
        const v = rowValue(c, k, w);
        assert.ok(Math.abs(v - (values[k] as number)) <= 1e-12, `${label}: group ${k + 1} is ${v}`);
      }
    });
  }

  test('values summing to 1.1 are refused with the arithmetic on both groups and the budget', () => {
    const e = caught(() => assertFeasibleLinearConstraints(exact(3, [[0], [1, 2]], [0.5, 0.6]), 0, 1));
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /group g1 = 0\.5 \+ group g2 = 0\.6 = 1\.1 > 1 \(the budget Σw\)/, e.message);
    assert.deepEqual(
      [...(e.details['constraints'] as string[])].sort(),
      ['group g1', 'group g2', 'the budget Σw'],
      'the conflicting constraints',
    );
  });

  test('values summing to less than 1, or off by far more than rounding, are refused', () => {
    const below = caught(() => assertFeasibleLinearConstraints(exact(3, [[0], [1, 2]], [0.3, 0.6]), 0, 1));
    assert.equal(below.code, 'E_INFEASIBLE_CONSTRAINTS', below.message);
    assert.match(
      below.message,
      /1 \(the budget Σw\) > 0\.9 = group g1 = 0\.3 \+ group g2 = 0\.6/,
      below.message,
    );
    const near = caught(() =>
      assertFeasibleLinearConstraints(exact(4, [[0], [1], [2, 3]], [0.1, 0.2, 0.7 + 1e-9]), 0, 1),
    );
    assert.equal(near.code, 'E_INFEASIBLE_CONSTRAINTS', `a sum 1e-9 above 1: ${near.message}`);
  });

  test('an exact group and a sleeve bound that contradict it are refused', () => {
    const c = exact(3, [[0], [1, 2]], [0.5, 0.5]);
    const e = caught(() =>
      assertFeasibleLinearConstraints(c, Float64Array.from([0, 0.3, 0.3]), 1, ['a', 'b', 'c']),
    );
    assert.equal(e.code, 'E_INFEASIBLE_CONSTRAINTS', e.message);
    assert.match(e.message, /weight of b min 0\.3/, e.message);
    assert.match(e.message, /weight of c min 0\.3/, e.message);
  });
});

describe('settleWeights', () => {
  const c = createLinearConstraints(3, [{ name: 'group g', coefficients: [1, 1, 0], upper: 0.3 }]);

  test('a weight below 0 by rounding becomes 0; every other weight is kept bit for bit', () => {
    const w = Float64Array.from([-2e-17, 0.30000000000000004, 0.7]);
    const out = settleWeights(w, c, 0, 1);
    assert.ok(Object.is(out[0], 0), `−2e-17 becomes 0, got ${out[0]}`);
    assert.ok(Object.is(out[1], w[1]), 'a weight within the limits is unchanged');
    assert.ok(Object.is(out[2], w[2]), 'a weight within the limits is unchanged');
    assert.ok(Object.is(w[0], -2e-17), 'the input is not modified');
    const rounded = Float64Array.from([0.19999999999999998, 0.1, 0.7000000000000001]);
    const kept = settleWeights(rounded, c, Float64Array.from([0.2, 0, 0]), 1);
    assert.deepEqual(
      Array.from(kept),
      Array.from(rounded),
      'weights ≥ 0 within 1e-9 of their limits (0.2 − 2.8e-17): unchanged',
    );
  });

  test('weights that miss a limit by more than 1e-9 are E_SOLVER, naming the limit', () => {
    const e = caught(() => settleWeights(Float64Array.from([0.2, 0.2, 0.6]), c, 0, 1));
    assert.equal(e.code, 'E_SOLVER', e.message);
    assert.match(e.message, /group g is 0\.4, outside \[-Infinity, 0\.3\]/, e.message);
    const neg = caught(() => settleWeights(Float64Array.from([-1e-6, 0.1, 0.900001]), c, 0, 1));
    assert.equal(neg.code, 'E_SOLVER', neg.message);
    assert.match(neg.message, /the weight of asset 0 is -0\.000001/, neg.message);
  });
});
