// The fuzzers of the readers on the first 10,000 inputs of each target (see _suite.ts; npm run test:slow).
import { defineFuzzSuite } from './_suite.js';

defineFuzzSuite(10_000);
