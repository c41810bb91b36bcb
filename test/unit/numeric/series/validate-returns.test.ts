import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows } from '../../../../src/numeric/linalg/matrix.js';
import { assertFiniteReturns } from '../../../../src/numeric/series/validate-returns.js';
import { QuantError } from '../../../../src/errors.js';

describe('assertFiniteReturns', () => {
  test('accepts finite returns down to exactly -1', () => {
    assert.doesNotThrow(
      () =>
        assertFiniteReturns(
          matrixFromRows([
            [0.01, -1],
            [5, -0.5],
          ]),
        ),
      'assertFiniteReturns does not throw',
    );
  });

  for (const [label, bad, pattern] of [
    ['NaN', Number.NaN, /not a finite number/],
    ['+Infinity', Infinity, /not a finite number/],
    ['-Infinity', -Infinity, /not a finite number/],
    ['below -1', -1.5, /below -1/],
  ] as const) {
    test(`${label} is E_INPUT_VALUE with the cell named`, () => {
      assert.throws(
        () =>
          assertFiniteReturns(
            matrixFromRows([
              [0, 0],
              [0, bad],
            ]),
            { columns: ['X', 'Y'], dates: ['d0', 'd1'] },
          ),
        (e: unknown) => {
          assert.ok(e instanceof QuantError, 'e is a QuantError');
          assert.equal(e.code, 'E_INPUT_VALUE', 'e.code');
          assert.match(e.message, pattern, 'e.message matches pattern');
          assert.match(
            e.message,
            /row 1 \(d1\), column 1 \(Y\)/,
            'e.message matches /row 1 \\(d1\\), column 1 \\(Y\\)/',
          );
          assert.equal(e.details['row'], 1, "e.details['row']");
          assert.equal(e.details['column'], 1, "e.details['column']");
          return true;
        },
        'assertFiniteReturns throws E_INPUT_VALUE',
      );
    });
  }

  test('reports the first bad cell in row-major order', () => {
    assert.throws(
      () =>
        assertFiniteReturns(
          matrixFromRows([
            [0, Number.NaN],
            [Number.NaN, 0],
          ]),
        ),
      (e: unknown) => {
        assert.ok(e instanceof QuantError, 'e is a QuantError');
        assert.equal(e.details['row'], 0, "e.details['row']");
        assert.equal(e.details['column'], 1, "e.details['column']");
        return true;
      },
      'assertFiniteReturns throws',
    );
  });
});
