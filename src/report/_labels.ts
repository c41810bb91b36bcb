/**
 * The two labels every performance figure of the reports carries: figures of the optimized weights on
 * the history they were fitted on, and figures of the walk-forward that only ever used past data.
 */
export const IN_SAMPLE_LABEL = 'In sample (fit period)';
export const OUT_OF_SAMPLE_LABEL = 'Out of sample (walk-forward)';

/** The labels in running text. */
export const IN_SAMPLE = 'in sample (fit period)';
export const OUT_OF_SAMPLE = 'out of sample (walk-forward)';

const PERIOD_NOUNS: Readonly<Record<string, string>> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  quarterly: 'quarter',
  annual: 'year',
};

/** One row of the run's calendar in words (`day`, `month`, ...); `period` when the calendar is unknown. */
export function periodNoun(frequency: string | undefined): string {
  return (frequency === undefined ? undefined : PERIOD_NOUNS[frequency]) ?? 'period';
}

/** Rows of the run's calendar in words: `days`, `months`, ...; `periods` when the calendar is unknown. */
export function periodsNoun(frequency: string | undefined): string {
  return `${periodNoun(frequency)}s`;
}

/** The calendar shared by every risk profile of a report; undefined when they differ or none is known. */
export function sharedFrequency(frequencies: readonly (string | undefined)[]): string | undefined {
  return new Set(frequencies).size === 1 ? frequencies[0] : undefined;
}

/** How often a weight held constant is rebalanced, one row at a time: `daily`, `every month`, `every period`. */
export function everyPeriod(frequency: string | undefined): string {
  const noun = periodNoun(frequency);
  return noun === 'day' ? 'daily' : `every ${noun}`;
}

/** The column heading of a count of rows by the run's calendar: `Days`, `Weeks`, `Months`, ..., `Periods`. */
export function periodsHeading(frequency: string | undefined): string {
  const noun = periodNoun(frequency);
  return `${noun.charAt(0).toUpperCase()}${noun.slice(1)}s`;
}
