import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows } from '../../../../src/numeric/linalg/matrix.js';
import { simpleReturns } from '../../../../src/numeric/series/simple-returns.js';
import { QuantError } from '../../../../src/errors.js';

const isCode = (code: string) => (e: unknown) => e instanceof QuantError && e.code === code;

describe('simpleReturns', () => {
  test('p_t / p_{t-1} - 1, one row fewer than the prices', () => {
    const r = simpleReturns(
      matrixFromRows([
        [100, 10],
        [110, 9],
        [99, 9],
      ]),
    );
    assert.equal(r.rows, 2, 'r.rows');
    assert.equal(r.cols, 2, 'r.cols');
    assert.deepEqual(
      matrixToRows(r),
      [
        [110 / 100 - 1, 9 / 10 - 1],
        [99 / 110 - 1, 0],
      ],
      'matrixToRows(r)',
    );
  });

  for (const [label, bad] of [
    ['zero', 0],
    ['negative', -3],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
  ] as const) {
    test(`a ${label} price is E_INPUT_VALUE naming the cell by index and by name`, () => {
      const prices = matrixFromRows([
        [1, 2],
        [1, 2],
        [1, bad],
      ]);
      assert.throws(
        () =>
          simpleReturns(prices, { columns: ['A', 'B'], dates: ['2024-01-01', '2024-01-02', '2024-01-03'] }),
        (e: unknown) => {
          assert.ok(e instanceof QuantError, 'e is a QuantError');
          assert.equal(e.code, 'E_INPUT_VALUE', 'e.code');
          assert.match(
            e.message,
            /row 2 \(2024-01-03\), column 1 \(B\)/,
            'e.message matches /row 2 \\(2024-01-03\\), column 1 \\(B\\)/',
          );
          assert.equal(e.details['row'], 2, "e.details['row']");
          assert.equal(e.details['column'], 1, "e.details['column']");
          assert.equal(e.details['asset'], 'B', "e.details['asset']");
          assert.equal(e.details['date'], '2024-01-03', "e.details['date']");
          assert.deepEqual(e.location, { column: 'B' }, 'e.location');
          return true;
        },
        'simpleReturns throws E_INPUT_VALUE',
      );
    });
  }

  test('without names the message still gives the indices', () => {
    assert.throws(
      () =>
        simpleReturns(
          matrixFromRows([
            [1, 1],
            [-1, 1],
          ]),
        ),
      (e: unknown) => {
        assert.ok(e instanceof QuantError, 'e is a QuantError');
        assert.match(e.message, /row 1, column 0/, 'e.message matches /row 1, column 0/');
        return true;
      },
      'simpleReturns throws',
    );
  });

  test('fewer than 2 price rows is E_TOO_FEW_OBSERVATIONS', () => {
    assert.throws(
      () => simpleReturns(matrixFromRows([[1, 2]])),
      isCode('E_TOO_FEW_OBSERVATIONS'),
      'simpleReturns throws E_TOO_FEW_OBSERVATIONS',
    );
  });
});
