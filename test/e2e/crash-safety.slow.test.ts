// Crash safety of `quant meta run`, killed right after each atomic write and halfway through each, before
// its rename (see _crash-safety.ts; npm run test:slow).
import { defineCrashSafetySuite } from './_crash-safety.js';

defineCrashSafetySuite(['after', 'during']);
