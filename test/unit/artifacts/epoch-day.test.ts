// Parquet day numbers to ISO days by integer arithmetic: the same strings as Date#toISOString.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FIRST_EPOCH_DAY,
  LAST_EPOCH_DAY,
  epochDayToIsoDay,
  isoDayToEpochDay,
  normalizeIsoDay,
} from '../../../src/artifacts/numeric-table.js';
import { civilDayPrefix } from '../../../src/util/civil-day.js';

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

/** What `Date` says of the first ten characters: the day number of a real calendar day, else undefined. */
function civilViaDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d);
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return undefined;
  return Math.round(at.getTime() / 86_400_000);
}

describe('civilDayPrefix and isoDayToEpochDay', () => {
  test('every day from 1899 to 2201 and every 61st day of years 0-9999 give the day number Date gives', () => {
    let checked = 0;
    const check = (d: number): void => {
      const iso = viaDate(d);
      const got = civilDayPrefix(iso);
      if (got !== d) assert.fail(`${iso}: ${got}, Date says ${d}`);
      if (isoDayToEpochDay(iso) !== d) assert.fail(`isoDayToEpochDay(${iso}) = ${isoDayToEpochDay(iso)}`);
      checked++;
    };
    for (let d = -25_567; d <= 84_000; d++) check(d);
    for (let d = FIRST_EPOCH_DAY; d <= LAST_EPOCH_DAY; d += 61) check(d);
    assert.ok(checked > 160_000, `${checked} days checked`);
  });

  test('every month and day number 00-39 of leap, century and ordinary years is accepted exactly when Date keeps it', () => {
    let checked = 0;
    for (const year of [
      '0000',
      '0004',
      '0100',
      '1900',
      '1999',
      '2000',
      '2023',
      '2024',
      '2100',
      '2400',
      '9999',
    ]) {
      for (let m = 0; m <= 13; m++) {
        for (let d = 0; d <= 39; d++) {
          const text = `${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          assert.equal(civilDayPrefix(text), civilViaDate(text), text);
          assert.equal(normalizeIsoDay(text), civilViaDate(text) === undefined ? undefined : text, text);
          checked++;
        }
      }
    }
    assert.equal(checked, 11 * 14 * 40, 'every combination checked');
  });

  test('malformed text is no day; what follows the tenth character is left to the caller', () => {
    for (const text of [
      '',
      '2024-01-0',
      '2024/01/02',
      '2024-1-02x',
      '2O24-01-02',
      '2024-01-0a',
      ' 024-01-02',
      '+2024-01-02',
    ])
      assert.equal(civilDayPrefix(text), undefined, JSON.stringify(text));
    assert.equal(civilDayPrefix('2024-01-02T10:00Z'), civilViaDate('2024-01-02'), 'a datetime: its day');
    assert.equal(normalizeIsoDay(' 2024-01-02 '), '2024-01-02', 'spaces around a day are trimmed');
    assert.equal(normalizeIsoDay('2024-01-02x'), undefined, 'a trailing character is not a day');
    assert.equal(
      normalizeIsoDay('2024-02-30T00:00Z'),
      undefined,
      'an impossible day with a time is rejected',
    );
  });
});
