import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeRisk, relativeEquity } from '../../../../src/numeric/stats/active-risk.js';
import { sharpe, sortino, performanceMetrics } from '../../../../src/numeric/stats/performance.js';
import { QuantError } from '../../../../src/errors.js';

const TOL = 1e-12;
const close = (actual: number | null, expected: number, what: string): void => {
  assert.notEqual(actual, null, `${what} is defined`);
  assert.ok(Math.abs((actual as number) - expected) <= TOL, `${what}: ${actual} vs ${expected}`);
};

// A tiny series with A = 4 (√A = 2), every figure by hand:
//   r_p = [0.02, −0.01, 0.03, 0.00], r_b = [0.01, −0.02, 0.02, 0.01]
//   active a = [0.01, 0.01, 0.01, −0.01], mean 0.005, deviations (0.005, 0.005, 0.005, −0.015),
//   Σd² = 3 × 2.5e−5 + 2.25e−4 = 3e−4, var = 1e−4, std = 0.01.
//   mean r_p = 0.01, mean r_b = 0.005; Σ(dp·db) = 0.00005 + 0.0005 + 0.0003 − 0.00005 = 0.0008,
//   Σdb² = 0.000025 + 0.000625 + 0.000225 + 0.000025 = 0.0009, Σdp² = 0.001.
const P = Float64Array.from([0.02, -0.01, 0.03, 0]);
const B = Float64Array.from([0.01, -0.02, 0.02, 0.01]);
const A = 4;

describe('active risk by hand', () => {
  test('active return, tracking error and information ratio', () => {
    const m = activeRisk(P, B, A);
    assert.equal(m.observations, 4, 'four common rows');
    close(m.activeReturn, 0.005 * 4, 'active return = mean(a) × A');
    close(m.trackingError, 0.01 * 2, 'tracking error = std(a) × √A');
    close(m.informationRatio, 1, 'IR = 0.02 / 0.02');
  });

  test('beta and alpha with r_f = 0', () => {
    const m = activeRisk(P, B, A);
    close(m.beta, 0.0008 / 0.0009, 'beta = Σ(dp·db) / Σdb² = 8/9');
    close(m.alpha, (0.01 - (8 / 9) * 0.005) * 4, 'alpha = (mean r_p − β mean r_b) × A = 0.2/9');
    close(m.correlation, 0.0008 / Math.sqrt(0.001 * 0.0009), 'correlation');
  });

  test('beta and alpha with a constant r_f of 0.005 per period (2 % a year at A = 4)', () => {
    const m = activeRisk(P, B, A, 0.005);
    // Excess returns shift by a constant: beta is unchanged; mean excess r_p = 0.005, r_b = 0.
    close(m.beta, 8 / 9, 'beta does not move with a constant r_f');
    close(m.alpha, (0.005 - (8 / 9) * 0) * 4, 'alpha = (0.005 − β · 0) × 4 = 0.02');
    close(m.activeReturn, 0.02, 'the active return does not depend on r_f');
    const series = activeRisk(P, B, A, Float64Array.from([0.005, 0.005, 0.005, 0.005]));
    close(series.alpha, 0.02, 'a per-row series equal to the constant gives the same alpha');
  });

  test('a per-row r_f moves beta', () => {
    // x_p = r_p − r_f = [0.02, −0.02, 0.03, −0.01], x_b = [0.01, −0.03, 0.02, 0.00]
    // means 0.005, 0; dp = (0.015, −0.025, 0.025, −0.015), db = (0.01, −0.03, 0.02, 0)
    // Σ(dp·db) = 0.00015 + 0.00075 + 0.0005 + 0 = 0.0014; Σdb² = 0.0001 + 0.0009 + 0.0004 = 0.0014.
    const m = activeRisk(P, B, A, Float64Array.from([0, 0.01, 0, 0.01]));
    close(m.beta, 1, 'beta = 0.0014 / 0.0014');
    close(m.alpha, 0.005 * 4, 'alpha = (0.005 − 1 · 0) × 4');
  });

  test('up and down capture', () => {
    const m = activeRisk(P, B, A);
    // Benchmark up on rows 0, 2, 3: portfolio 0.02 + 0.03 + 0 = 0.05 against 0.01 + 0.02 + 0.01 = 0.04.
    close(m.upCapture, 0.05 / 0.04, 'up capture = 1.25');
    // Down on row 1 only: −0.01 against −0.02.
    close(m.downCapture, 0.5, 'down capture = 0.5');
  });

  test('relative equity is the ratio of the compounded curves', () => {
    const q = relativeEquity(P, B);
    const expected = [
      1.02 / 1.01,
      (1.02 * 0.99) / (1.01 * 0.98),
      (1.02 * 0.99 * 1.03) / (1.01 * 0.98 * 1.02),
      (1.02 * 0.99 * 1.03) / (1.01 * 0.98 * 1.02 * 1.01),
    ];
    expected.forEach((e, t) => close(q[t] as number, e, `relative equity row ${t}`));
    close(activeRisk(P, B, A).relativeReturn, (expected[3] as number) - 1, 'relative return at the end');
  });

  test('undefined figures are null, never NaN', () => {
    const flat = Float64Array.from([0.01, 0.01, 0.01]);
    const m = activeRisk(Float64Array.from([0.02, 0, 0.01]), flat, A);
    assert.equal(m.beta, null, 'a constant benchmark has no beta');
    assert.equal(m.alpha, null, 'nor an alpha');
    assert.equal(m.downCapture, null, 'no down period: no down capture');
    assert.equal(m.correlation, null, 'no correlation with a constant series');
    const same = activeRisk(B, B, A);
    assert.equal(same.trackingError, 0, 'the benchmark against itself has no tracking error');
    assert.equal(same.informationRatio, null, 'and no information ratio');
    close(same.beta, 1, 'and a beta of 1');
    const one = activeRisk(Float64Array.from([0.01]), Float64Array.from([0.02]), A);
    assert.equal(one.trackingError, null, 'one row: no tracking error');
    close(one.activeReturn, -0.04, 'one row still has a mean active return');
  });

  test('mismatched lengths and non-finite values are E_INPUT_VALUE', () => {
    const code = (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE';
    assert.throws(() => activeRisk(P, B.subarray(1), A), code, 'lengths differ');
    assert.throws(() => activeRisk(P, Float64Array.from([0, Number.NaN, 0, 0]), A), code, 'NaN');
    assert.throws(() => activeRisk(P, B, 0), code, 'a zero factor');
    assert.throws(() => activeRisk(P, B, A, Float64Array.from([0, 0])), code, 'r_f of another length');
  });
});

describe('Sharpe and Sortino with a risk-free rate', () => {
  // r = [0.10, −0.10, 0.05, 0], A = 4: mean 0.0125; with r_f = 0.005 the excess mean is 0.0075.
  const R = Float64Array.from([0.1, -0.1, 0.05, 0]);
  test('a constant r_f scales the Sharpe ratio by mean(x) / mean(r)', () => {
    const s0 = sharpe(R, A) as number;
    close(sharpe(R, A, 0.005), (s0 * 0.0075) / 0.0125, 'the volatility is unchanged by a constant');
    close(sharpe(R, A, Float64Array.from([0.005, 0.005, 0.005, 0.005])), (s0 * 0.0075) / 0.0125, 'series');
  });
  test('the Sortino target is r_f', () => {
    // x = [0.095, −0.105, 0.045, −0.005]: downside √((0.105² + 0.005²) / 4) × 2, mean × A = 0.03.
    const downside = Math.sqrt((0.105 ** 2 + 0.005 ** 2) / 4) * 2;
    close(sortino(R, A, 0.005), 0.03 / downside, 'Sortino with r_f');
    const m = performanceMetrics(R, A, 0.005);
    close(m.sortino, 0.03 / downside, 'performanceMetrics passes r_f to Sortino');
    close(m.sharpe, sharpe(R, A, 0.005) as number, 'and to Sharpe');
    close(m.cagr, performanceMetrics(R, A).cagr as number, 'CAGR does not depend on r_f');
  });
});
