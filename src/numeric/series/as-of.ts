/**
 * As-of alignment: the value of a dated series in force on each target date — the value of its latest
 * date on or before it. Suited to levels that hold until they change (a policy or money-market rate);
 * a target date before the series' first date has no value and is an error, never a guess.
 */
import { QuantError } from '../../errors.js';
import type { DatedSeries } from './inner-join.js';

/** Values on the target dates and how many of them were carried from an earlier date. */
export interface AsOfResult {
  readonly values: Float64Array;
  /** Target dates the series has no row for (its last earlier value was used). */
  readonly carried: number;
}

/**
 * @param dates target dates, ascending (`YYYY-MM-DD` compare as strings).
 * @param series source dates ascending, one value per date.
 * @throws QuantError `E_INPUT_DATES` when a target date precedes the series' first date.
 */
export function asOfValues(dates: readonly string[], series: DatedSeries): AsOfResult {
  const values = new Float64Array(dates.length);
  let k = -1;
  let carried = 0;
  for (let t = 0; t < dates.length; t++) {
    const d = dates[t] as string;
    while (k + 1 < series.dates.length && (series.dates[k + 1] as string) <= d) k++;
    if (k < 0) {
      throw new QuantError(
        'E_INPUT_DATES',
        `the series starts ${series.dates[0] ?? '(empty)'}, after ${d}: no value is in force on ${d}`,
        { hint: 'extend the series back to the first date it is needed for', details: { date: d } },
      );
    }
    if (series.dates[k] !== d) carried++;
    values[t] = series.values[k] as number;
  }
  return { values, carried };
}
