// The fuzzers of the readers of user files (test/fuzz/_targets.ts), bounded for the test suite: each target
// for 1.5 seconds from a fixed seed (the same inputs on every machine, as many as the time allows). No input
// may crash a reader other than with a QuantError that names the file, break a reader's invariant, or take
// longer than 5 s. `npm run fuzz` runs the same for a minute per target from a fresh seed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz, formatFailures } from './_engine.js';
import { TARGETS } from './_targets.js';

const SECONDS = 1.5;

describe('fuzzing the readers', () => {
  for (const { name } of TARGETS) {
    test(`${name}: no crash but a named coded error, no hang (${SECONDS} s)`, async (t) => {
      const report = await fuzz(name, { seconds: SECONDS, seed: 20260318 });
      t.diagnostic(
        `${report.iterations} inputs (${Math.round(report.iterations / SECONDS)}/s), ${report.accepted} accepted, codes ${JSON.stringify(report.codes)}`,
      );
      assert.deepEqual(report.failures, [], formatFailures(report));
      assert.ok(report.iterations > 500, `only ${report.iterations} inputs`);
      assert.ok(
        Object.keys(report.codes).length > 0,
        'no input was refused: the mutations do not reach the checks',
      );
    });
  }
});
