import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import { applyBounds } from '../../../../src/numeric/optimize/bounded-projection.js';
import { rng, sum } from './_fixtures.js';

describe('applyBounds', () => {
  test('the DESIGN §9 examples, exactly', () => {
    assert.deepEqual(
      Array.from(applyBounds(Float64Array.from([0.9, 0.1]), 0.05, 0.5)),
      [0.5, 0.5],
      'Array.from(applyBounds(Float64Array.from([0.9, 0.1]), 0.05, 0.5))',
    );
    assert.deepEqual(
      Array.from(applyBounds(Float64Array.from([0.98, 0.01, 0.01]), 0.05, 0.5)),
      [0.5, 0.25, 0.25],
      'Array.from(applyBounds(Float64Array.from([0.98, 0.01, 0.01]), 0.05, 0…',
    );
  });

  test('redistributes over several rounds and keeps the order of the weights', () => {
    const w = applyBounds(Float64Array.from([0.7, 0.2, 0.1, 0, 0]), 0.05, 0.3);
    assert.ok(
      Math.abs(w[0]! - 0.3) < 1e-15 && Math.abs(w[1]! - 0.3) < 1e-15,
      'Math.abs(w[0] - 0.3) < 1e-15 && Math.abs(w[1] - 0.3) < 1e-15',
    );
    assert.ok(
      Math.abs(w[2]! - 0.2) < 1e-15 && Math.abs(w[3]! - 0.1) < 1e-15 && Math.abs(w[4]! - 0.1) < 1e-15,
      'Math.abs(w[2] - 0.2) < 1e-15 && Math.abs(w[3] - 0.1) < 1e-15 && Math.…',
    );
    // Excess taken proportionally from the assets above the floor.
    const down = applyBounds(Float64Array.from([0.01, 0.6, 0.39]), 0.1, 1);
    assert.ok(Math.abs(down[0]! - 0.1) < 1e-15, 'down[0] ≈ 0.1 within 1e-15');
    assert.ok(
      Math.abs(down[1]! / down[2]! - 0.6 / 0.39) < 1e-12,
      'down[1] / down[2] ≈ 0.6 / 0.39 within 1e-12',
    );
  });

  test('feasible weights come back unchanged; zero weights share a deficit equally', () => {
    const w = Float64Array.from([0.2, 0.3, 0.5]);
    assert.deepEqual(Array.from(applyBounds(w, 0, 1)), [0.2, 0.3, 0.5], 'Array.from(applyBounds(w, 0, 1))');
    assert.deepEqual(
      Array.from(applyBounds(Float64Array.from([0, 0, 0, 0]), 0, 1)),
      [0.25, 0.25, 0.25, 0.25],
      'Array.from(applyBounds(Float64Array.from([0, 0, 0, 0]), 0, 1))',
    );
  });

  test('random inputs: within bounds, sum 1, order preserved', () => {
    const u = rng(5);
    for (let k = 0; k < 500; k++) {
      const n = 2 + Math.floor(u() * 12);
      const lo = u() / n;
      const hi = 1 / n + u() * (1 - 1 / n);
      const w = Float64Array.from({ length: n }, () => (u() < 0.2 ? 0 : u() ** 3));
      const out = applyBounds(w, lo, hi);
      assert.ok(Math.abs(sum(out) - 1) <= 1e-15, `sum ${sum(out)}`);
      for (let i = 0; i < n; i++) {
        assert.ok(out[i]! >= lo && out[i]! <= hi, 'out[i] >= lo && out[i] <= hi');
        for (let j = 0; j < n; j++)
          if (w[i]! < w[j]!) assert.ok(out[i]! <= out[j]! + 1e-15, 'out[i] <= out[j] + 1e-15');
      }
    }
  });

  test('errors: negative weights, infeasible bounds', () => {
    assert.throws(
      () => applyBounds(Float64Array.from([-0.1, 1.1]), 0, 1),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE',
      'applyBounds throws E_INPUT_VALUE',
    );
    assert.throws(
      () => applyBounds(Float64Array.from([0.5, 0.5]), 0.6, 1),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INFEASIBLE_BOUNDS',
      'applyBounds throws E_INFEASIBLE_BOUNDS',
    );
  });
});
