// Imported first by full-runs.slow.test.ts: every property after it tries all its cases
// (test/helpers/property-runs.ts).
process.env['QUANT_TEST_FULL_RUNS'] = '1';
