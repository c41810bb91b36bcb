import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import {
  assertFeasibleLinearConstraints,
  createLinearConstraints,
  projectOntoConstraints,
  rowValue,
} from '../../../../src/numeric/optimize/linear-constraints.js';

/** Catch the QuantError `fn` throws (fails the test when it does not throw one). */
function caught(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, `a QuantError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a QuantError');
}

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
