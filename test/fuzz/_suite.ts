// The fuzzers of the readers of user files (test/fuzz/_targets.ts), bounded for the test suite by a count:
// each target on its first `inputs` inputs from a fixed seed (the same inputs on every machine, however
// busy). No input may crash a reader other than with a QuantError that names the file, break a reader's
// invariant, or use 5 s of CPU time without finishing. fuzz.test.ts (npm test) runs the first 2,000 inputs
// of each target, fuzz.slow.test.ts (npm run test:slow) the first 10,000; `npm run fuzz` runs the same for a
// minute per target from a fresh seed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz, formatFailures } from './_engine.js';
import { TARGETS } from './_targets.js';

/** Registers the fuzzing suite: every target on its first `inputs` inputs of the fixed seed. */
export function defineFuzzSuite(inputs: number): void {
  describe('fuzzing the readers', () => {
    for (const { name } of TARGETS) {
      test(`${name}: no crash but a named coded error, no hang (${inputs} inputs)`, async (t) => {
        const report = await fuzz(name, {
          seconds: Number.POSITIVE_INFINITY,
          maxIterations: inputs,
          seed: 20260318,
        });
        t.diagnostic(
          `${report.iterations} inputs, ${report.accepted} accepted, codes ${JSON.stringify(report.codes)}`,
        );
        assert.deepEqual(report.failures, [], formatFailures(report));
        assert.equal(report.iterations, inputs, `every input was tried (${report.iterations} of ${inputs})`);
        assert.ok(
          Object.keys(report.codes).length > 0,
          'no input was refused: the mutations do not reach the checks',
        );
      });
    }
  });
}
