// Parquet day numbers to ISO days by integer arithmetic: the same strings as Date#toISOString.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FIRST_EPOCH_DAY,
  LAST_EPOCH_DAY,
  epochDayToIsoDay,
  isoDayToEpochDay,
} from '../../../src/artifacts/numeric-table.js';

const viaDate = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);

describe('epochDayToIsoDay', () => {
  test('every day from 1899 to 2201 and every 61st day of years 0-9999 equal Date#toISOString', () => {
    const days: number[] = [FIRST_EPOCH_DAY, LAST_EPOCH_DAY, -1, 0, 1];
    for (let d = isoDayToEpochDay('1899-01-01'); d <= isoDayToEpochDay('2201-12-31'); d++) days.push(d);
    for (let d = FIRST_EPOCH_DAY; d <= LAST_EPOCH_DAY; d += 61) days.push(d);
    let checked = 0;
    for (const d of days) {
      const got = epochDayToIsoDay(d);
      if (got !== viaDate(d)) assert.fail(`day ${d}: ${got}, Date says ${viaDate(d)}`);
      checked++;
    }
    assert.ok(checked > 160_000, `${checked} days checked`);
  });

  test('leap days and century rules', () => {
    assert.equal(epochDayToIsoDay(isoDayToEpochDay('2000-02-29')), '2000-02-29', '2000 is a leap year');
    assert.equal(epochDayToIsoDay(isoDayToEpochDay('1900-03-01') - 1), '1900-02-28', '1900 is not');
    assert.equal(epochDayToIsoDay(FIRST_EPOCH_DAY), '0000-01-01', 'first day');
    assert.equal(epochDayToIsoDay(LAST_EPOCH_DAY), '9999-12-31', 'last day');
  });
});
