// Concentration by hand: gross shares, top-k share, HHI and its inverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concentration } from '../../../../src/numeric/stats/concentration.js';

test('concentration of gross weights, by hand', () => {
  // Gross 0.5, 0.3, 0.2 (one short): shares 0.5, 0.3, 0.2; HHI = 0.25 + 0.09 + 0.04 = 0.38.
  const c = concentration([0.5, -0.3, 0.2], 2);
  assert.equal(c.largest, 0, 'the largest position is the first');
  assert.equal(c.largestGross, 0.5, 'its gross weight');
  assert.ok(Math.abs((c.topShare as number) - 0.8) < 1e-15, `top-2 share ${c.topShare}`);
  assert.ok(Math.abs((c.hhi as number) - 0.38) < 1e-15, `HHI ${c.hhi}`);
  assert.ok(Math.abs((c.effectiveN as number) - 1 / 0.38) < 1e-12, `effective N ${c.effectiveN}`);
  const equal = concentration([0.25, 0.25, 0.25, 0.25]);
  assert.ok(Math.abs((equal.effectiveN as number) - 4) < 1e-12, 'n equal positions: effective N = n');
  assert.equal(equal.topShare, 1, 'fewer than 10 positions: the top 10 hold everything');
  const none = concentration([0, 0]);
  assert.deepEqual(
    none,
    { largest: -1, largestGross: 0, topShare: null, hhi: null, effectiveN: null },
    'no position',
  );
});
