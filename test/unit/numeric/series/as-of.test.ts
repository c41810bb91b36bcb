import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asOfValues } from '../../../../src/numeric/series/as-of.js';
import { QuantError } from '../../../../src/errors.js';

test('each date takes the value of the latest series date on or before it', () => {
  const series = { dates: ['2024-01-01', '2024-01-03', '2024-01-10'], values: Float64Array.from([1, 2, 3]) };
  const r = asOfValues(['2024-01-02', '2024-01-03', '2024-01-09', '2024-01-11'], series);
  assert.deepEqual([...r.values], [1, 2, 2, 3], 'values in force on each date');
  assert.equal(r.carried, 3, 'three dates have no row of their own');
});

test('a date before the first value is E_INPUT_DATES', () => {
  const series = { dates: ['2024-01-05'], values: Float64Array.from([1]) };
  assert.throws(
    () => asOfValues(['2024-01-04'], series),
    (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_DATES',
    'no value is in force before the series starts',
  );
});
