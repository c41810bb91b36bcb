// Eight concurrent `quant meta run`s over the same sleeve runs and cache (see _concurrency.ts; npm run
// test:slow).
import { defineConcurrencySuite } from './_concurrency.js';

defineConcurrencySuite({ lockTests: false, parallelRuns: 8 });
