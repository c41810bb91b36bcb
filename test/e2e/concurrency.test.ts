// Concurrent `quant meta run`s (see _concurrency.ts): the run lock, and three runs at once; eight at once
// run in concurrency.slow.test.ts.
import { defineConcurrencySuite } from './_concurrency.js';

defineConcurrencySuite({ lockTests: true, parallelRuns: 3 });
