/**
 * The annualisation factor A of a stage's dates and how it was chosen, as recorded in every artifact
 * that annualises (`annualisation: {periods_per_year, source, frequency, rule}`).
 */
import { QuantError, isQuantError, type ErrorLocation } from '../errors.js';
import { inferFrequency, isFrequencyChange, type Frequency } from '../numeric/series/periods-per-year.js';

/** Where A came from: inferred from the dates, or set in the stage params or the manifest. */
export type AnnualisationSource = 'inferred' | 'params' | 'manifest';

/** The `annualisation` record of an artifact. */
export interface Annualisation {
  readonly periods_per_year: number;
  readonly source: AnnualisationSource;
  /** The inferred calendar; null when A was set. */
  readonly frequency: Frequency | null;
  /** One line: how A was chosen (`median spacing 31 days, 12.0 rows/year → monthly`). */
  readonly rule: string;
}

/** What an E_FREQUENCY message needs to say where the dates came from and how to set A. */
export interface AnnualisationPlace {
  /** Where an explicit setting comes from. */
  readonly source: 'params' | 'manifest';
  /** What the dates are, with the file: `data/m.csv` or `meta profile M (hrp): the common dates of a, b`. */
  readonly what: string;
  /** The setting to use, e.g. `--param periods_per_year=<A>` or `profiles.S.sleeve.periods_per_year`. */
  readonly setting: string;
  readonly location?: ErrorLocation;
}

const HINT_VALUES = '252 business days, 365 calendar days, 52 weekly, 12 monthly, 4 quarterly, 1 annual';

/**
 * `E_FREQUENCY` of the dates at `place`: the hint of a table that changes frequency (split or resample
 * it), else the setting to use.
 */
function placedFrequencyError(error: QuantError, place: AnnualisationPlace): QuantError {
  return new QuantError('E_FREQUENCY', `${place.what}: ${error.message}`, {
    hint:
      isFrequencyChange(error) && error.hint !== undefined
        ? error.hint
        : `set ${place.setting} (${HINT_VALUES})`,
    ...(place.location === undefined ? {} : { location: place.location }),
    details: error.details,
    cause: error,
  });
}

/**
 * A as set (`setting` a number) or inferred from `dates` (`'auto'` or absent). A set value that differs
 * from what the dates suggest is kept, and the rule says what inference would have given; a set value
 * also covers irregular dates. It does not cover a table that changes frequency (e.g. month ends, then
 * daily closes): its returns are of two lengths, and any one A misstates one part of them.
 *
 * @throws QuantError `E_FREQUENCY` naming `place.what` and the dates when they change frequency (with
 *   or without a setting: split or resample the table), or are irregular (or fewer than 2) and nothing
 *   is set (naming `place.setting`); `E_INPUT_DATES` for a malformed date.
 */
export function resolveAnnualisation(
  setting: 'auto' | number | undefined,
  dates: readonly string[],
  place: AnnualisationPlace,
): Annualisation {
  if (typeof setting === 'number') {
    let note = '';
    try {
      const inferred = inferFrequency(dates);
      if (inferred.periodsPerYear !== setting)
        note = `; the dates alone would give ${inferred.periodsPerYear} (${inferred.rule})`;
    } catch (error) {
      if (!isQuantError(error)) throw error;
      // Dates of two frequencies are fixed in the data; the set A would be wrong for part of them.
      if (isFrequencyChange(error)) throw placedFrequencyError(error, place);
    }
    return {
      periods_per_year: setting,
      source: place.source,
      frequency: null,
      rule: `periods_per_year = ${setting} set in the ${place.source === 'params' ? 'stage params' : 'manifest'}${note}`,
    };
  }
  try {
    const inferred = inferFrequency(dates);
    return {
      periods_per_year: inferred.periodsPerYear,
      source: 'inferred',
      frequency: inferred.frequency,
      rule: inferred.rule,
    };
  } catch (error) {
    if (!isQuantError(error) || error.code !== 'E_FREQUENCY') throw error;
    throw placedFrequencyError(error, place);
  }
}
