// How many cases a property test tries. npm test runs a quarter of each property's cases (at least 25),
// from the same seed, so the first cases are the same; npm run test:slow runs the property files again
// with every case (test/property/full-runs.slow.test.ts sets QUANT_TEST_FULL_RUNS=1 before importing
// them). Properties whose assertions count cases (a minimum number solved) keep their full count.

/** The number of cases to try of a property written for `full` cases. */
export function propertyRuns(full: number): number {
  if (process.env['QUANT_TEST_FULL_RUNS'] === '1') return full;
  return Math.min(full, Math.max(25, Math.ceil(full / 4)));
}
