import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataAge } from '../../../../src/numeric/series/data-age.js';
import { QuantError } from '../../../../src/errors.js';

test('age of the last date and lag of each stream in calendar days', () => {
  const now = new Date('2024-03-05T23:59:59Z');
  const age = dataAge(
    '2024-02-28',
    [
      { id: 'a', lastDate: '2024-03-01' },
      { id: 'b', lastDate: '2024-02-28' },
    ],
    now,
  );
  // 2024 is a leap year: Feb 28 → Mar 5 is 6 days (29, 1, 2, 3, 4, 5).
  assert.equal(age.ageDays, 6, 'Feb 28 to Mar 5 2024 is 6 days');
  assert.equal(age.asOf, '2024-03-05', 'the reference day is the UTC day of now');
  assert.deepEqual(
    age.streams.map((s) => s.lagDays),
    [0, 2],
    'b ends two days before a (Feb 29 and Mar 1 missing)',
  );
});

test('a date-time last date counts by its day; a bad date is E_INPUT_DATES', () => {
  const now = new Date('2024-01-02T00:00:00Z');
  assert.equal(dataAge('2024-01-01T22:00:00Z', [], now).ageDays, 1, 'the day part counts');
  assert.throws(
    () => dataAge('01/02/2024', [], now),
    (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_DATES',
    'a non-ISO date is refused with a code',
  );
});
