// The cache-tampering corpus through the built CLI, every case npm test does not run (see
// _cache-tampering.ts; npm run test:slow).
import { defineCacheTamperingSuite } from './_cache-tampering.js';

defineCacheTamperingSuite('rest');
