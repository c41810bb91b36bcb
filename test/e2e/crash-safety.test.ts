// Crash safety of `quant meta run`, killed right after each atomic write (see _crash-safety.ts); killed
// halfway through each write: crash-safety.slow.test.ts.
import { defineCrashSafetySuite } from './_crash-safety.js';

defineCrashSafetySuite(['after']);
