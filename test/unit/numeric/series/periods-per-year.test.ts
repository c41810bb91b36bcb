import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inferPeriodsPerYear } from '../../../../src/numeric/series/periods-per-year.js';
import { QuantError } from '../../../../src/errors.js';

describe('inferPeriodsPerYear', () => {
  test('business days only: 252', () => {
    // 2024-01-01 is a Monday; 2024-01-05 a Friday; 2024-01-08 the next Monday.
    assert.equal(inferPeriodsPerYear(['2024-01-01', '2024-01-02', '2024-01-05', '2024-01-08']), 252);
  });

  test('any Saturday or Sunday: 365', () => {
    assert.equal(inferPeriodsPerYear(['2024-01-05', '2024-01-06']), 365); // Saturday
    assert.equal(inferPeriodsPerYear(['2024-01-07']), 365); // Sunday
  });

  test('a time part after the date is ignored (UTC day)', () => {
    assert.equal(inferPeriodsPerYear(['2024-01-06T00:00:00Z']), 365);
    assert.equal(inferPeriodsPerYear(['2024-01-05 23:59:59']), 252);
  });

  test('an empty series defaults to 252', () => {
    assert.equal(inferPeriodsPerYear([]), 252);
  });

  for (const bad of ['2024-02-30', '2024-13-01', '01/02/2024', '2024-1-5', '']) {
    test(`"${bad}" is E_INPUT_DATES with its index`, () => {
      assert.throws(
        () => inferPeriodsPerYear(['2024-01-06', bad]),
        (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_DATES' && e.details['index'] === 1,
      );
    });
  }
});
