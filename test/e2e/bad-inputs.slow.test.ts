// The bad-input corpus, every case bad-inputs.test.ts does not run (npm run test:slow).
import { defineBadInputSuite } from './_bad-inputs.js';

defineBadInputSuite('slow');
