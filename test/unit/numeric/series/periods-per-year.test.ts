import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inferFrequency, inferPeriodsPerYear } from '../../../../src/numeric/series/periods-per-year.js';
import { QuantError } from '../../../../src/errors.js';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const at = (d: string): number => Date.parse(`${d}T00:00:00Z`);

/** Every day from `start` for which `keep(weekday)` holds, `count` of them. */
function days(start: string, count: number, keep: (weekday: number) => boolean): string[] {
  const out: string[] = [];
  for (let t = at(start); out.length < count; t += DAY) if (keep(new Date(t).getUTCDay())) out.push(iso(t));
  return out;
}

/** The last weekday (Mon–Fri) of each month, `count` months from `year`-`month` (1-based). */
function monthEnds(year: number, month: number, count: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let t = Date.UTC(year, month - 1 + k + 1, 0);
    while ([0, 6].includes(new Date(t).getUTCDay())) t -= DAY;
    out.push(iso(t));
  }
  return out;
}

function frequencyError(dates: readonly string[]): QuantError {
  try {
    inferFrequency(dates);
  } catch (error) {
    assert.ok(error instanceof QuantError, `not a QuantError: ${String(error)}`);
    return error;
  }
  assert.fail(`inferred a frequency for ${dates.join(', ')}`);
}

describe('inferFrequency', () => {
  test('business days (Mon–Fri): 252, the rule names the evidence', () => {
    const r = inferFrequency(days('2024-01-01', 260, (wd) => wd !== 0 && wd !== 6));
    assert.equal(r.frequency, 'daily_business', 'r.frequency');
    assert.equal(r.periodsPerYear, 252, 'r.periodsPerYear');
    assert.equal(r.medianSpacingDays, 1, 'r.medianSpacingDays');
    assert.equal(r.weekendDates, false, 'r.weekendDates');
    assert.match(
      r.rule,
      /^median spacing 1 day, 2\d\d\.\d rows\/year, no weekend dates → daily \(business days\)$/,
      'r.rule matches /^median spacing 1 day, 2\\d\\d\\.\\d rows\\/year, no weekend da…',
    );
  });

  test('every calendar day: 365', () => {
    const r = inferFrequency(days('2024-01-01', 90, () => true));
    assert.equal(r.frequency, 'daily_calendar', 'r.frequency');
    assert.equal(r.periodsPerYear, 365, 'r.periodsPerYear');
    assert.match(
      r.rule,
      /365\.\d rows\/year, with weekend dates → daily \(calendar days\)/,
      'r.rule matches /365\\.\\d rows\\/year, with weekend dates → daily \\(calendar …',
    );
  });

  test('a regular grid of ~260 rows a year that lands on weekends (EuStockMarkets) is business days: 252', () => {
    // Row i at day ⌊i × 365.25 / 260⌋: spacings of 1 and 2 days, weekends included, 260 rows a year.
    const dates = Array.from({ length: 1000 }, (_, i) =>
      iso(at('1991-01-01') + Math.floor((i * 365.25) / 260) * DAY),
    );
    const r = inferFrequency(dates);
    assert.equal(r.weekendDates, true, 'the grid has weekend dates');
    assert.equal(r.periodsPerYear, 252, 'r.periodsPerYear');
  });

  test('a Sunday–Thursday market is business days: 252', () => {
    const r = inferFrequency(days('2006-01-01', 500, (wd) => wd <= 4));
    assert.equal(r.weekendDates, true, 'Sundays are weekend dates');
    assert.equal(r.periodsPerYear, 252, 'r.periodsPerYear');
  });

  test('Friday closes, one moved to Thursday for a holiday: weekly, 52', () => {
    const fridays = days('2020-01-03', 120, (wd) => wd === 5);
    fridays[10] = iso(at(fridays[10] as string) - DAY);
    const r = inferFrequency(fridays);
    assert.equal(r.frequency, 'weekly', 'r.frequency');
    assert.equal(r.periodsPerYear, 52, 'r.periodsPerYear');
    assert.match(
      r.rule,
      /^median spacing 7 days, 52\.\d rows\/year → weekly$/,
      'r.rule matches /^median spacing 7 days, 52\\.\\d rows\\/year → weekly$/',
    );
  });

  test('last business day of each month: monthly, 12', () => {
    const r = inferFrequency(monthEnds(2000, 1, 96));
    assert.equal(r.frequency, 'monthly', 'r.frequency');
    assert.equal(r.periodsPerYear, 12, 'r.periodsPerYear');
    assert.match(
      r.rule,
      /^median spacing (30|31) days, 12\.\d rows\/year → monthly$/,
      'r.rule matches /^median spacing (30|31) days, 12\\.\\d rows\\/year → monthly$/',
    );
  });

  test('quarter ends: 4; year ends: 1', () => {
    const quarters = monthEnds(2000, 3, 60).filter((_, i) => i % 3 === 0);
    assert.equal(inferFrequency(quarters).periodsPerYear, 4, 'inferFrequency(quarters).periodsPerYear');
    const years = monthEnds(1990, 12, 360).filter((_, i) => i % 12 === 0);
    assert.equal(inferFrequency(years).frequency, 'annual', 'inferFrequency(years).frequency');
    assert.equal(inferFrequency(years).periodsPerYear, 1, 'inferFrequency(years).periodsPerYear');
  });

  test('a time part after the date is ignored (UTC day)', () => {
    assert.equal(
      inferPeriodsPerYear(['2024-01-05T23:59:59Z', '2024-01-06 10:00', '2024-01-07']),
      365,
      "inferPeriodsPerYear(['2024-01-05T23:59:59Z', '2024-01-06 10:00', '202…",
    );
  });

  test('a spacing that matches no calendar is E_FREQUENCY with the dates and numbers', () => {
    const dates = Array.from({ length: 30 }, (_, i) => iso(at('2001-01-03') + i * 17 * DAY));
    const e = frequencyError(dates);
    assert.equal(e.code, 'E_FREQUENCY', 'e.code');
    assert.match(
      e.message,
      /^cannot infer the sampling frequency of 30 dates from 2001-01-03 to /,
      'e.message matches /^cannot infer the sampling frequency of 30 dates from 2001…',
    );
    assert.match(
      e.message,
      /median spacing 17 days, 21\.\d rows\/year, which matches no daily, weekly, monthly/,
      'e.message matches /median spacing 17 days, 21\\.\\d rows\\/year, which matches n…',
    );
    assert.match(e.hint ?? '', /periods_per_year/, "e.hint ?? '' matches /periods_per_year/");
    assert.equal(e.details['median_spacing_days'], 17, "e.details['median_spacing_days']");
  });

  test('a monthly median with too many long gaps is E_FREQUENCY naming a gap', () => {
    // Month ends Jan–Oct 2010, then every third month end from Nov 2010: 10 of 15 spacings are monthly
    // (67 % < 75 %), the first long one Nov 2010 → Feb 2011.
    const months = monthEnds(2010, 1, 10);
    const quarters = monthEnds(2010, 11, 18).filter((_, i) => i % 3 === 0);
    const e = frequencyError([...months, ...quarters]);
    assert.equal(e.code, 'E_FREQUENCY', 'e.code');
    assert.match(
      e.message,
      /looks monthly, but only 10 of 15 spacings are 20–42 days \(e\.g\. 2010-11-30 → 2011-02-28: 90 days\)/,
      'e.message matches /looks monthly, but only 10 of 15 spacings are 20–42 days \\…',
    );
    assert.equal(e.details['irregular_from'], '2010-11-30', "e.details['irregular_from']");
  });

  test('month ends followed by business days is E_FREQUENCY naming where the frequency changes', () => {
    // 20 years of month ends (239 monthly spacings), then 10 years of business days: the median is daily
    // and 92 % of the spacings are in the daily band, yet the first 20 years are monthly.
    const months = monthEnds(1990, 1, 240);
    const daily = days('2010-01-04', 2600, (wd) => wd !== 0 && wd !== 6);
    const e = frequencyError([...months, ...daily]);
    assert.equal(e.code, 'E_FREQUENCY', 'e.code');
    assert.match(
      e.message,
      /suggest daily, but the 239 spacings from 1990-01-31 to 2009-12-31 are monthly \(25–35 days\): the table changes frequency at 2009-12-31$/,
      'e.message names the monthly stretch and where the frequency changes',
    );
    assert.match(
      e.hint ?? '',
      /split the table at 2009-12-31 .* resample it to monthly/,
      'e.hint says how to fix',
    );
    assert.equal(e.details['frequency_changes_at'], '2009-12-31', "e.details['frequency_changes_at']");
    assert.equal(e.details['other_frequency'], 'monthly', "e.details['other_frequency']");
  });

  test('a monthly table ending in 3 months of business days is E_FREQUENCY, not monthly', () => {
    // 360 month ends then 63 business days: 85 % of the spacings are monthly.
    const months = monthEnds(1980, 1, 360);
    const daily = days('2010-01-04', 63, (wd) => wd !== 0 && wd !== 6);
    const e = frequencyError([...months, ...daily]);
    assert.equal(e.details['other_frequency'], 'daily', "e.details['other_frequency']");
    assert.equal(e.details['frequency_changes_at'], '2009-12-31', "e.details['frequency_changes_at']");
  });

  test('a year of Friday closes before business days is E_FREQUENCY (weekly, then daily)', () => {
    const fridays = days('2015-01-02', 52, (wd) => wd === 5);
    const daily = days('2016-01-04', 500, (wd) => wd !== 0 && wd !== 6);
    const e = frequencyError([...fridays, ...daily]);
    assert.equal(e.details['other_frequency'], 'weekly', "e.details['other_frequency']");
  });

  test('holidays and isolated gaps are no change of frequency', () => {
    // Business days with a 5-day gap every month and one 40-day outage: daily, 252.
    const all = days('2010-01-04', 1500, (wd) => wd !== 0 && wd !== 6);
    const gappy = all.filter((_, i) => i % 21 !== 5 && !(i >= 700 && i < 728));
    assert.equal(inferFrequency(gappy).periodsPerYear, 252, 'inferFrequency(gappy).periodsPerYear');
    // Five month-long gaps in a row of daily data, each between daily stretches: still daily.
    const holes = all.filter((_, i) => !(i % 100 >= 50 && i % 100 < 72) || i >= 500);
    assert.equal(inferFrequency(holes).periodsPerYear, 252, 'inferFrequency(holes).periodsPerYear');
  });

  test('unsorted, duplicate or descending dates are E_INPUT_DATES naming the first offending position', () => {
    const cases: [string[], number][] = [
      [['2024-01-01', '2024-01-02', '2024-01-04', '2024-01-03', '2024-01-05'], 3],
      [['2024-01-08', '2024-01-09', '2024-01-09', '2024-01-10'], 2],
      [['2024-01-12', '2024-01-11', '2024-01-10'], 1],
    ];
    for (const [dates, index] of cases) {
      assert.throws(
        () => inferFrequency(dates),
        (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_DATES' && e.details['index'] === index,
        `${dates.join(', ')}: E_INPUT_DATES at ${index}`,
      );
    }
  });

  test('fewer than 2 dates is E_FREQUENCY', () => {
    assert.equal(frequencyError([]).code, 'E_FREQUENCY', 'frequencyError([]).code');
    assert.match(
      frequencyError(['2024-01-07']).message,
      /from 1 date\(s\) \(2024-01-07\): at least 2/,
      "frequencyError(['2024-01-07']).message matches /from 1 date\\(s\\) \\(2024-01-07\\): at least 2/",
    );
  });

  test('a time part after T or a space is ignored', () => {
    const plain = days('2024-01-01', 260, (wd) => wd !== 0 && wd !== 6);
    const timed = plain.map((d, i) => (i % 2 === 0 ? `${d}T16:00:00Z` : `${d} 09:30`));
    assert.deepEqual(inferFrequency(timed), inferFrequency(plain), 'the same inference');
  });

  for (const bad of [
    '2024-02-30',
    '2024-13-01',
    '01/02/2024',
    '2024-1-5',
    '',
    '2024-01-08x',
    '2024-01-08:00',
  ]) {
    test(`"${bad}" is E_INPUT_DATES with its index`, () => {
      assert.throws(
        () => inferFrequency(['2024-01-06', bad]),
        (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_DATES' && e.details['index'] === 1,
        'inferFrequency throws E_INPUT_DATES',
      );
    });
  }
});
