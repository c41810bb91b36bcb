// The cache-tampering corpus through the built CLI, every case but the first of each kind (see
// _cache-tampering.ts; npm run test:slow).
import { defineCacheTamperingSuite } from './_cache-tampering.js';

defineCacheTamperingSuite('rest');
