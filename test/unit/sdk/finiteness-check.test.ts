// optimizePortfolio on a Float64Array matrix leaves the finiteness check of the values to the kernel's
// column means (one pass over the data less) for every method but the tail-risk ones, which are checked
// first: a NaN or ±Infinity anywhere is still E_PARAMS naming the same cell as for a plain array, whatever
// else is wrong, for every method. assertFiniteData's branch-free pass finds a bad value in any lane.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { optimizePortfolio, QuantError, PORTFOLIO_METHODS } from '../../../src/index.js';
import { assertFiniteData } from '../../../src/sdk/returns-input.js';

function rows(T: number, n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: T * n }, () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02);
}

function failure(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, `a QuantError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a coded failure');
}

describe('non-finite values in a Float64Array matrix', () => {
  const T = 60;
  const n = 4;
  for (const method of PORTFOLIO_METHODS) {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      test(`${method}: ${bad} is E_PARAMS naming its cell, as for a plain array`, () => {
        const values = rows(T, n, 11);
        const k = 37 * n + 2;
        values[k] = bad;
        const options = { method, periodsPerYear: 252 };
        const typed = failure(() =>
          optimizePortfolio({ rows: T, cols: n, data: Float64Array.from(values) }, options),
        );
        const plain = failure(() => optimizePortfolio({ rows: T, cols: n, data: values }, options));
        assert.equal(typed.code, 'E_PARAMS', typed.message);
        assert.equal(typed.message, plain.message, 'the same message for both shapes');
        assert.match(typed.message, /returns\.data\[150\] \(row 37, column 2\)/, typed.message);
      });
    }
  }

  test('a NaN is named before another problem the kernel finds first (too few observations, bounds)', () => {
    const data = Float64Array.from([0.01, Number.NaN]);
    const few = failure(() =>
      optimizePortfolio({ rows: 1, cols: 2, data }, { method: 'hrp', periodsPerYear: 252 }),
    );
    assert.equal(few.code, 'E_PARAMS', few.message);
    assert.match(few.message, /row 0, column 1/, few.message);
    const values = Float64Array.from(rows(T, n, 5));
    values[3] = Number.NaN;
    const bounds = failure(() =>
      optimizePortfolio(
        { rows: T, cols: n, data: values },
        { method: 'min_variance', periodsPerYear: 252, maxWeight: 0.1 },
      ),
    );
    assert.equal(bounds.code, 'E_PARAMS', bounds.message);
    assert.match(bounds.message, /row 0, column 3/, bounds.message);
  });

  test('finite values give the same weights as a plain array (the data read in place, not changed)', () => {
    const values = rows(T, n, 3);
    const data = Float64Array.from(values);
    const before = Float64Array.from(data);
    for (const method of PORTFOLIO_METHODS) {
      const options = { method, periodsPerYear: 252 };
      const a = optimizePortfolio({ rows: T, cols: n, data }, options).weights;
      const b = optimizePortfolio({ rows: T, cols: n, data: values }, options).weights;
      assert.deepEqual([...a], [...b], `${method}: same weights`);
    }
    assert.deepEqual(data, before, 'the input is not written to');
  });

  test('assertFiniteData finds a bad value at every position (each lane and the tail)', () => {
    for (const len of [1, 2, 3, 4, 5, 7, 8, 9]) {
      for (let k = 0; k < len; k++) {
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const data = new Float64Array(len).fill(0.5);
          data[k] = bad;
          const error = failure(() => assertFiniteData({ rows: len, cols: 1, data }));
          assert.match(
            error.message,
            new RegExp(`returns\\.data\\[${k}\\] \\(row ${k}, column 0\\)`),
            error.message,
          );
        }
      }
      assertFiniteData({ rows: len, cols: 1, data: new Float64Array(len).fill(-1e308) });
    }
  });
});
