// The cache-tampering corpus through the built CLI, one case of each place an entry is checked (see
// _cache-tampering.ts); the other cases run in cache-tampering.slow.test.ts.
import { defineCacheTamperingSuite } from './_cache-tampering.js';

defineCacheTamperingSuite('first');
