// Crash safety of `quant meta run`, killed halfway through each atomic write, before its rename (see
// _crash-safety.ts; npm run test:slow).
import { defineCrashSafetySuite } from './_crash-safety.js';

defineCrashSafetySuite(['during']);
