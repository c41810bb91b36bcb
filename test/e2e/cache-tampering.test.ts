// The cache-tampering corpus through the built CLI, the first case of each kind of tampering (see
// _cache-tampering.ts); the other cases run in cache-tampering.slow.test.ts.
import { defineCacheTamperingSuite } from './_cache-tampering.js';

defineCacheTamperingSuite('first');
