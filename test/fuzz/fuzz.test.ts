// The fuzzers of the readers on the first 2,000 inputs of each target (see _suite.ts); the first 10,000:
// fuzz.slow.test.ts.
import { defineFuzzSuite } from './_suite.js';

defineFuzzSuite(2_000);
