import { QuantError, isQuantError } from '../../errors.js';
import { civilDayPrefix } from '../../util/civil-day.js';

const DAYS_PER_YEAR = 365.25;

/** Sampling calendars the annualisation factor can be inferred for, with their factor A. */
export const PERIODS_PER_YEAR = {
  daily_business: 252,
  daily_calendar: 365,
  weekly: 52,
  monthly: 12,
  quarterly: 4,
  annual: 1,
} as const;
export type Frequency = keyof typeof PERIODS_PER_YEAR;

/**
 * How the spacing between consecutive dates identifies a calendar: the median spacing must fall in
 * `median`, and at least {@link REGULAR_SHARE} of all spacings in `spacing` (days). The spacing bands
 * are wide enough for holidays (a weekly Friday close moved to Thursday, a month end on the last
 * business day) and a few dropped rows, narrow enough that no two calendars overlap.
 */
const CALENDARS = [
  { name: 'daily', median: [1, 4], spacing: [1, 7] },
  { name: 'weekly', median: [5, 10], spacing: [4, 11] },
  { name: 'monthly', median: [25, 35], spacing: [20, 42] },
  { name: 'quarterly', median: [80, 100], spacing: [70, 110] },
  { name: 'annual', median: [340, 390], spacing: [330, 400] },
] as const;
type Calendar = (typeof CALENDARS)[number];

/** Share of the spacings that must fall in the calendar's band for the dates to count as regular. */
const REGULAR_SHARE = 0.75;
/**
 * Consecutive spacings of another calendar (each in that calendar's `median` band) that make the dates
 * two series of different frequencies rather than one with holidays and gaps: a holiday or a gap is one
 * long spacing, a stretch of month ends (or Friday closes) before daily data is a run of them. 6 is
 * half a year of month ends, six weeks of Friday closes, a week of daily rows in a monthly table.
 */
const OTHER_REGIME_RUN = 6;
/**
 * Daily dates with weekend days and more rows a year than this are a calendar-day series (365, e.g.
 * crypto); otherwise business days (252) — also markets that trade Sunday to Thursday, or a ~260-row
 * series whose dates are a regular grid.
 */
const CALENDAR_DAILY_ROWS_PER_YEAR = 300;

/** The annualisation factor inferred from dates, and the evidence. */
export interface FrequencyInference {
  readonly frequency: Frequency;
  readonly periodsPerYear: number;
  /** Median days between consecutive dates. */
  readonly medianSpacingDays: number;
  /** (dates − 1) / (years from the first to the last date). */
  readonly rowsPerYear: number;
  /** Whether any date is a Saturday or Sunday. */
  readonly weekendDates: boolean;
  /** One line: `median spacing 31 days, 12.0 rows/year → monthly`. */
  readonly rule: string;
}

function dateError(i: number, text: string): QuantError {
  return new QuantError('E_INPUT_DATES', `date ${i} ("${text}") is not a valid ISO date YYYY-MM-DD`, {
    hint: 'write dates as YYYY-MM-DD',
    details: { index: i, value: text },
  });
}

/** Days since 1970-01-01, or undefined when the text is not a real calendar date. */
function epochDay(text: string): number | undefined {
  // A time part after `T` or a space is allowed and ignored.
  const next = text.length === 10 ? 'T' : text[10];
  return next === 'T' || next === ' ' ? civilDayPrefix(text) : undefined;
}

function median(sorted: readonly number[]): number {
  const k = sorted.length;
  const mid = Math.floor(k / 2);
  return k % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const days = (n: number): string => `${Number.isInteger(n) ? n : n.toFixed(1)} day${n === 1 ? '' : 's'}`;

/**
 * Infer the sampling frequency of a dated series from the spacing of its dates (DESIGN §8): the median
 * spacing picks daily (1–4 days), weekly (5–10), monthly (25–35), quarterly (80–100) or annual
 * (340–390); at least 75 % of the spacings must then fall in that calendar's band, and no run of 6 or
 * more consecutive spacings may belong to another calendar (a table that changes frequency). Daily dates are
 * calendar days (A = 365) when they include weekend days and exceed 300 rows a year, else business
 * days (A = 252). Weekly 52, monthly 12, quarterly 4, annual 1.
 *
 * @param dates ISO dates `YYYY-MM-DD` (a time part after `T` or a space is ignored), ascending.
 * @throws QuantError `E_INPUT_DATES` naming the first date that is not a valid ISO date, or not after
 *   the date before it (unsorted or duplicate);
 *   `E_FREQUENCY` with fewer than 2 dates or irregular spacing (details: first/last date, median
 *   spacing, rows per year, an example spacing outside the band), or dates whose spacing changes
 *   calendar (details: `frequency_changes_at`, `other_frequency`, `other_from`, `other_to`).
 */
export function inferFrequency(dates: readonly string[]): FrequencyInference {
  if (!Array.isArray(dates)) {
    throw new QuantError('E_INPUT_DATES', `dates: received ${typeof dates}, not an array of dates`, {
      hint: 'pass an array of YYYY-MM-DD strings',
    });
  }
  const day: number[] = [];
  let weekendDates = false;
  dates.forEach((text: unknown, i) => {
    const d = typeof text === 'string' ? epochDay(text) : undefined;
    if (d === undefined) throw dateError(i, typeof text === 'string' ? text : `a ${typeof text}`);
    // 1970-01-01 was a Thursday: (d + 4) mod 7 is 0 on Sundays and 6 on Saturdays.
    const wd = (((d + 4) % 7) + 7) % 7;
    if (wd === 0 || wd === 6) weekendDates = true;
    const prev = day[i - 1];
    if (prev !== undefined && d <= prev) {
      throw new QuantError(
        'E_INPUT_DATES',
        `date ${i} ("${text as string}") is ${d === prev ? 'the same day as' : 'before'} date ${i - 1} ("${dates[i - 1] as string}"): dates must be ascending and unique`,
        { hint: 'sort the dates and remove duplicates', details: { index: i, value: text as string } },
      );
    }
    day.push(d);
  });
  if (day.length < 2) {
    throw new QuantError(
      'E_FREQUENCY',
      `cannot infer the sampling frequency from ${day.length} date(s)${day.length === 1 ? ` (${dates[0]})` : ''}: at least 2 are needed`,
      { hint: 'set periods_per_year', details: { dates: day.length } },
    );
  }
  const spacing = day.slice(1).map((d, i) => d - (day[i] as number));
  const medianSpacingDays = median([...spacing].sort((a, b) => a - b));
  const span = (day[day.length - 1] as number) - (day[0] as number);
  const rowsPerYear = (day.length - 1) / (span / DAYS_PER_YEAR);
  const evidence = `median spacing ${days(medianSpacingDays)}, ${rowsPerYear.toFixed(1)} rows/year`;
  const calendar = CALENDARS.find(
    (c) => medianSpacingDays >= c.median[0] && medianSpacingDays <= c.median[1],
  );
  if (calendar !== undefined) {
    const other = otherRegime(spacing, calendar);
    if (other !== undefined)
      throw regimeError(dates, evidence, calendar, other, { medianSpacingDays, rowsPerYear });
  }
  const outside = calendar === undefined ? -1 : irregularSpacing(spacing, calendar);
  if (calendar === undefined || outside >= 0) {
    throw irregularError(dates, spacing, evidence, calendar, outside, { medianSpacingDays, rowsPerYear });
  }
  let frequency: Frequency;
  let rule: string;
  if (calendar.name === 'daily') {
    const calendarDays = weekendDates && rowsPerYear > CALENDAR_DAILY_ROWS_PER_YEAR;
    frequency = calendarDays ? 'daily_calendar' : 'daily_business';
    const weekend = weekendDates ? 'with weekend dates' : 'no weekend dates';
    rule = `${evidence}, ${weekend} → daily (${calendarDays ? 'calendar' : 'business'} days)`;
  } else {
    frequency = calendar.name;
    rule = `${evidence} → ${calendar.name}`;
  }
  return {
    frequency,
    periodsPerYear: PERIODS_PER_YEAR[frequency],
    medianSpacingDays,
    rowsPerYear,
    weekendDates,
    rule,
  };
}

/** A run of consecutive spacings of one calendar other than the chosen one. */
interface OtherRegime {
  readonly calendar: Calendar;
  /** Spacings first..last (spacing i runs from date i to date i + 1). */
  readonly first: number;
  readonly last: number;
}

/** The first run of at least {@link OTHER_REGIME_RUN} spacings of another calendar, if any. */
function otherRegime(spacing: readonly number[], chosen: Calendar): OtherRegime | undefined {
  const classOf = (s: number): Calendar | undefined =>
    CALENDARS.find((c) => s >= c.median[0] && s <= c.median[1]);
  let start = 0;
  for (let i = 0; i <= spacing.length; i++) {
    const here = i < spacing.length ? classOf(spacing[i] as number) : undefined;
    const runClass = start < i ? classOf(spacing[start] as number) : undefined;
    if (i < spacing.length && here === runClass && here !== undefined) continue;
    if (runClass !== undefined && runClass !== chosen && i - start >= OTHER_REGIME_RUN) {
      return { calendar: runClass, first: start, last: i - 1 };
    }
    start = i;
  }
  return undefined;
}

function regimeError(
  dates: readonly string[],
  evidence: string,
  chosen: Calendar,
  other: OtherRegime,
  numbers: { medianSpacingDays: number; rowsPerYear: number },
): QuantError {
  const first = dates[0] as string;
  const last = dates[dates.length - 1] as string;
  const from = dates[other.first] as string;
  const to = dates[other.last + 1] as string;
  const count = other.last - other.first + 1;
  // Where the table turns from one frequency to the other: the end of a leading run, else its start.
  const change = other.first === 0 ? to : from;
  const [lo, hi] = other.calendar.median;
  const coarser = CALENDARS.indexOf(other.calendar) > CALENDARS.indexOf(chosen) ? other.calendar : chosen;
  return new QuantError(
    'E_FREQUENCY',
    `cannot infer one sampling frequency for ${dates.length} dates from ${first} to ${last}: ${evidence} ` +
      `suggest ${chosen.name}, but the ${count} spacings from ${from} to ${to} are ${other.calendar.name} ` +
      `(${lo}–${hi} days): the table changes frequency at ${change}`,
    {
      hint:
        `split the table at ${change} into one file per frequency, or resample it to ${coarser.name} ` +
        `(the last row of each period) so that every row has the same spacing`,
      details: {
        first_date: first,
        last_date: last,
        median_spacing_days: numbers.medianSpacingDays,
        rows_per_year: numbers.rowsPerYear,
        frequency_changes_at: change,
        other_frequency: other.calendar.name,
        other_from: from,
        other_to: to,
        other_spacings: count,
      },
    },
  );
}

/** Index of the first spacing outside the calendar's band when too many are, else -1. */
function irregularSpacing(spacing: readonly number[], calendar: Calendar): number {
  const [lo, hi] = calendar.spacing;
  let inBand = 0;
  let first = -1;
  spacing.forEach((s, i) => {
    if (s >= lo && s <= hi) inBand++;
    else if (first < 0) first = i;
  });
  return inBand >= REGULAR_SHARE * spacing.length ? -1 : first;
}

function irregularError(
  dates: readonly string[],
  spacing: readonly number[],
  evidence: string,
  calendar: Calendar | undefined,
  outside: number,
  numbers: { medianSpacingDays: number; rowsPerYear: number },
): QuantError {
  const first = dates[0] as string;
  const last = dates[dates.length - 1] as string;
  let why: string;
  if (calendar === undefined) {
    why = 'which matches no daily, weekly, monthly, quarterly or annual calendar';
  } else {
    const [lo, hi] = calendar.spacing;
    const inBand = spacing.filter((s) => s >= lo && s <= hi).length;
    const example = `${dates[outside]} → ${dates[outside + 1]}: ${days(spacing[outside] as number)}`;
    why =
      `which looks ${calendar.name}, but only ${inBand} of ${spacing.length} spacings are ${lo}–${hi} days ` +
      `(e.g. ${example})`;
  }
  return new QuantError(
    'E_FREQUENCY',
    `cannot infer the sampling frequency of ${dates.length} dates from ${first} to ${last}: ${evidence}, ${why}`,
    {
      hint: 'set periods_per_year (252 business days, 365 calendar days, 52 weekly, 12 monthly, 4 quarterly, 1 annual)',
      details: {
        first_date: first,
        last_date: last,
        median_spacing_days: numbers.medianSpacingDays,
        rows_per_year: numbers.rowsPerYear,
        ...(outside >= 0 ? { irregular_from: dates[outside], irregular_to: dates[outside + 1] } : {}),
      },
    },
  );
}

/** Whether an `E_FREQUENCY` of {@link inferFrequency} is dates that change frequency (not irregular ones). */
export const isFrequencyChange = (error: QuantError): boolean =>
  error.code === 'E_FREQUENCY' && error.details['frequency_changes_at'] !== undefined;

/**
 * The `E_FREQUENCY` of dates that change frequency (e.g. month ends, then daily closes), else undefined.
 * A set annualisation factor covers irregular dates but not these: their returns are of two lengths and
 * any one A misstates one part of them, so every caller that takes a set A refuses them with this error.
 * Malformed, unsorted, irregular or too few dates give undefined (they are the caller's to judge).
 */
export function frequencyChange(dates: readonly string[]): QuantError | undefined {
  try {
    inferFrequency(dates);
    return undefined;
  } catch (error) {
    if (!isQuantError(error)) throw error;
    return isFrequencyChange(error) ? error : undefined;
  }
}

/**
 * The annualisation factor A of a dated series: {@link inferFrequency}'s periods per year.
 *
 * @throws QuantError `E_INPUT_DATES`, `E_FREQUENCY` as {@link inferFrequency}.
 */
export function inferPeriodsPerYear(dates: readonly string[]): number {
  return inferFrequency(dates).periodsPerYear;
}
