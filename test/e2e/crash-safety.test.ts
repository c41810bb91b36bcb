// Crash safety of `quant meta run`, killed right after every sixth atomic write (see _crash-safety.ts);
// killed after and halfway through each write: crash-safety.slow.test.ts.
import { defineCrashSafetySuite } from './_crash-safety.js';

defineCrashSafetySuite(['after'], 6);
