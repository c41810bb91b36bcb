import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import { assertFeasibleBounds, resolveBounds } from '../../../../src/numeric/optimize/feasibility.js';

function codeOf(fn: () => unknown): { code: string; message: string; hint: string | undefined } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof QuantError, 'e is a QuantError');
    return { code: e.code, message: e.message, hint: e.hint };
  }
  assert.fail('expected a QuantError');
}

describe('assertFeasibleBounds', () => {
  test('accepts feasible bounds, including n·lo = 1 and n·hi = 1 up to rounding', () => {
    assert.doesNotThrow(() => assertFeasibleBounds(6, 0.05, 0.5), 'assertFeasibleBounds does not throw');
    assert.doesNotThrow(() => assertFeasibleBounds(2, 0, 1), 'assertFeasibleBounds does not throw');
    assert.doesNotThrow(() => assertFeasibleBounds(20, 0.05, 1), 'assertFeasibleBounds does not throw'); // 20 × 0.05 = 1.0000000000000002
    assert.doesNotThrow(() => assertFeasibleBounds(3, 0, 1 / 3), 'assertFeasibleBounds does not throw');
    assert.doesNotThrow(() => assertFeasibleBounds(10, 0.1, 0.1), 'assertFeasibleBounds does not throw');
  });

  test('fewer than 2 assets is E_TOO_FEW_ASSETS', () => {
    assert.equal(
      codeOf(() => assertFeasibleBounds(1, 0, 1)).code,
      'E_TOO_FEW_ASSETS',
      'codeOf(() => assertFeasibleBounds(1, 0, 1)).code',
    );
    assert.equal(
      codeOf(() => assertFeasibleBounds(0, 0, 1)).code,
      'E_TOO_FEW_ASSETS',
      'codeOf(() => assertFeasibleBounds(0, 0, 1)).code',
    );
  });

  test('each infeasibility is E_INFEASIBLE_BOUNDS with the numbers and the fix', () => {
    const negative = codeOf(() => assertFeasibleBounds(4, -0.1, 0.5));
    assert.equal(negative.code, 'E_INFEASIBLE_BOUNDS', 'negative.code');
    assert.match(negative.message, /-0\.1/, 'negative.message matches /-0\\.1/');
    assert.match(negative.hint ?? '', /min_weight ≥ 0/, "negative.hint ?? '' matches /min_weight ≥ 0/");

    const above = codeOf(() => assertFeasibleBounds(4, 0, 1.2));
    assert.equal(above.code, 'E_INFEASIBLE_BOUNDS', 'above.code');
    assert.match(above.message, /1\.2/, 'above.message matches /1\\.2/');

    const crossed = codeOf(() => assertFeasibleBounds(4, 0.3, 0.2));
    assert.equal(crossed.code, 'E_INFEASIBLE_BOUNDS', 'crossed.code');
    assert.match(crossed.message, /0\.3.*0\.2/, 'crossed.message matches /0\\.3.*0\\.2/');

    const floor = codeOf(() => assertFeasibleBounds(4, 0.3, 1));
    assert.equal(floor.code, 'E_INFEASIBLE_BOUNDS', 'floor.code');
    assert.match(
      floor.message,
      /4 assets × min_weight 0\.3 = 1\.2 > 1/,
      'floor.message matches /4 assets × min_weight 0\\.3 = 1\\.2 > 1/',
    );
    assert.match(
      floor.hint ?? '',
      /at most 1\/4 = 0\.25/,
      "floor.hint ?? '' matches /at most 1\\/4 = 0\\.25/",
    );

    const cap = codeOf(() => assertFeasibleBounds(4, 0, 0.2));
    assert.equal(cap.code, 'E_INFEASIBLE_BOUNDS', 'cap.code');
    assert.match(
      cap.message,
      /4 assets × max_weight 0\.2 = 0\.8 < 1/,
      'cap.message matches /4 assets × max_weight 0\\.2 = 0\\.8 < 1/',
    );
    assert.match(cap.hint ?? '', /at least 1\/4 = 0\.25/, "cap.hint ?? '' matches /at least 1\\/4 = 0\\.25/");

    assert.equal(
      codeOf(() => assertFeasibleBounds(4, Number.NaN, 1)).code,
      'E_INFEASIBLE_BOUNDS',
      'codeOf(() => assertFeasibleBounds(4, Number.NaN, 1)).code',
    );
  });
});

describe('resolveBounds', () => {
  test('expands scalars and checks per-asset arrays', () => {
    const r = resolveBounds(3, 0.1, 0.6);
    assert.deepEqual(Array.from(r.lo), [0.1, 0.1, 0.1], 'Array.from(r.lo)');
    assert.deepEqual(Array.from(r.hi), [0.6, 0.6, 0.6], 'Array.from(r.hi)');
    const p = resolveBounds(3, Float64Array.from([0, 0.2, 0]), 1);
    assert.deepEqual(Array.from(p.lo), [0, 0.2, 0], 'Array.from(p.lo)');
    const wrongLength = codeOf(() => resolveBounds(3, Float64Array.from([0, 0]), 1));
    assert.equal(wrongLength.code, 'E_INFEASIBLE_BOUNDS', 'wrongLength.code');
    const sum = codeOf(() => resolveBounds(3, Float64Array.from([0.5, 0.5, 0.5]), 1));
    assert.match(sum.message, /min_weights sum to 1\.5/, 'sum.message matches /min_weights sum to 1\\.5/');
    const perAsset = codeOf(() => resolveBounds(2, Float64Array.from([0, 0.7]), Float64Array.from([1, 0.6])));
    assert.match(perAsset.message, /asset 1/, 'perAsset.message matches /asset 1/');
  });

  test('rescales a sum that exceeds 1 by rounding only', () => {
    const lo = Float64Array.from([0.5, 0.5 + 5e-13]);
    const r = resolveBounds(2, lo, 1);
    assert.ok(Math.abs(r.lo[0]! + r.lo[1]! - 1) < 1e-15, 'r.lo[0] + r.lo[1] ≈ 1 within 1e-15');
    assert.ok(r.lo[0]! < 0.5 && r.lo[1]! > 0.5, 'r.lo[0] < 0.5 && r.lo[1] > 0.5');
  });
});
