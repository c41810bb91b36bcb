/**
 * The two labels every performance figure of the reports carries: figures of the optimized weights on
 * the history they were fitted on, and figures of the walk-forward that only ever used past data.
 */
export const IN_SAMPLE_LABEL = 'In sample (fit period)';
export const OUT_OF_SAMPLE_LABEL = 'Out of sample (walk-forward)';

/** The labels in running text. */
export const IN_SAMPLE = 'in sample (fit period)';
export const OUT_OF_SAMPLE = 'out of sample (walk-forward)';
