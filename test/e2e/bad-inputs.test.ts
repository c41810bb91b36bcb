// The bad-input corpus, one case of each kind and error code (the rest: bad-inputs.slow.test.ts).
import { defineBadInputSuite } from './_bad-inputs.js';

defineBadInputSuite('quick');
