import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rollingVolatility } from '../../../../src/numeric/stats/rolling-volatility.js';
import { annualVolatility } from '../../../../src/numeric/stats/performance.js';
import { QuantError } from '../../../../src/errors.js';

describe('rollingVolatility', () => {
  test('hand-computed: window 2, A = 4', () => {
    // r = [0.1, −0.1, 0.05, 0.05]: pairs (0.1, −0.1) → sd = √(0.02) = 0.141421…, × √4 = 0.282843;
    // (−0.1, 0.05) → sd = 0.15/√2 = 0.106066, × 2 = 0.212132; (0.05, 0.05) → exactly 0.
    const v = rollingVolatility(Float64Array.from([0.1, -0.1, 0.05, 0.05]), 2, 4);
    assert.ok(Number.isNaN(v[0]!), 'Number.isNaN(v[0])');
    assert.ok(Math.abs(v[1]! - 2 * Math.sqrt(0.02)) < 1e-15, 'v[1] ≈ 2 * Math.sqrt(0.02) within 1e-15');
    assert.ok(
      Math.abs(v[2]! - (2 * 0.15) / Math.SQRT2) < 1e-15,
      'v[2] ≈ (2 * 0.15) / Math.SQRT2 within 1e-15',
    );
    assert.equal(v[3], 0, 'v[3]');
  });

  test('each value is annualVolatility of its trailing block', () => {
    const r = Float64Array.from(
      { length: 100 },
      (_, t) => 0.01 * Math.sin(t * 1.3) + 0.002 * Math.cos(t / 7),
    );
    const v = rollingVolatility(r, 21, 252);
    for (let t = 0; t < 20; t++) assert.ok(Number.isNaN(v[t]!), 'Number.isNaN(v[t])');
    for (let t = 20; t < 100; t++) {
      assert.equal(v[t], annualVolatility(r.subarray(t - 20, t + 1), 252), `row ${t}`);
    }
  });

  test('input checks', () => {
    const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;
    assert.throws(
      () => rollingVolatility(new Float64Array(5), 1, 252),
      code('E_INPUT_VALUE'),
      'rollingVolatility throws E_INPUT_VALUE',
    );
    assert.throws(
      () => rollingVolatility(new Float64Array(5), 2, 0),
      code('E_INPUT_VALUE'),
      'rollingVolatility throws E_INPUT_VALUE',
    );
    assert.throws(
      () => rollingVolatility(Float64Array.from([0, Number.NaN, 0]), 2, 252),
      code('E_INPUT_VALUE'),
      'rollingVolatility throws E_INPUT_VALUE',
    );
    assert.equal(
      rollingVolatility(new Float64Array(1), 2, 252).length,
      1,
      'rollingVolatility(new Float64Array(1), 2, 252).length',
    );
  });
});
