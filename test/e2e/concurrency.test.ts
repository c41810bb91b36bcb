// Concurrent `quant meta run`s on one run id (see _concurrency.ts): the run lock. Eight runs with
// different ids at once run in concurrency.slow.test.ts.
import { defineConcurrencySuite } from './_concurrency.js';

defineConcurrencySuite({ lockTests: true, parallelRuns: 0 });
