// One condition, one error: a covariance that is not square is the same coded error (E_INPUT_VALUE, with
// its shape in details.rows / details.columns) in every optimizer, and so is one whose data does not
// hold n² values, and one holding a non-finite entry (NaN, ±Infinity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError, type QuantError } from '../../../../src/errors.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { minVariance } from '../../../../src/numeric/optimize/min-variance.js';
import { maxSharpe } from '../../../../src/numeric/optimize/max-sharpe.js';
import { riskParity } from '../../../../src/numeric/optimize/risk-parity.js';
import { inverseVariance } from '../../../../src/numeric/optimize/inverse-variance.js';
import { hierarchicalRiskParity } from '../../../../src/numeric/optimize/hierarchical-risk-parity.js';

function caught(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (error) {
    assert.ok(isQuantError(error), `a QuantError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

const OPTIMIZERS: Readonly<Record<string, (cov: Matrix) => unknown>> = {
  min_variance: (cov) => minVariance(cov),
  max_sharpe: (cov) => maxSharpe(cov, Float64Array.from([0.1, 0.2])),
  risk_parity: (cov) => riskParity(cov),
  inverse_variance: (cov) => inverseVariance(cov),
  hrp: (cov) => hierarchicalRiskParity(cov),
};

test('a covariance that is not square is E_INPUT_VALUE in every optimizer', () => {
  const wide: Matrix = { rows: 2, cols: 3, data: Float64Array.from([1, 0, 0, 0, 1, 0]) };
  for (const [name, run] of Object.entries(OPTIMIZERS)) {
    const e = caught(() => run(wide));
    assert.equal(e.code, 'E_INPUT_VALUE', `${name}: code`);
    assert.equal(e.message, 'a covariance matrix must be square, got 2 x 3', `${name}: message`);
    assert.deepEqual(e.details, { rows: 2, columns: 3 }, `${name}: details`);
  }
});

test('a covariance whose data does not hold n² values is E_INPUT_VALUE in every optimizer', () => {
  const short: Matrix = { rows: 2, cols: 2, data: Float64Array.from([1, 0, 0]) };
  for (const [name, run] of Object.entries(OPTIMIZERS)) {
    assert.equal(caught(() => run(short)).code, 'E_INPUT_VALUE', `${name}: code`);
  }
});

test('a non-finite variance is E_INPUT_VALUE in every optimizer', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    const cov: Matrix = { rows: 2, cols: 2, data: Float64Array.from([0.04, 0.01, 0.01, bad]) };
    for (const [name, run] of Object.entries(OPTIMIZERS)) {
      const e = caught(() => run(cov));
      assert.equal(e.code, 'E_INPUT_VALUE', `${name}, variance ${bad}: code (${e.message})`);
      assert.match(e.message, /not finite/, `${name}, variance ${bad}: the message says why`);
    }
  }
});

test('a non-finite covariance between two assets is E_INPUT_VALUE in every optimizer that reads it', () => {
  const cov: Matrix = { rows: 2, cols: 2, data: Float64Array.from([0.04, Number.NaN, Number.NaN, 0.09]) };
  // Inverse variance reads only the diagonal.
  for (const [name, run] of Object.entries(OPTIMIZERS).filter(([n]) => n !== 'inverse_variance')) {
    const e = caught(() => run(cov));
    assert.equal(e.code, 'E_INPUT_VALUE', `${name}: code (${e.message})`);
  }
});
