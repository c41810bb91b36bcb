// Tail metrics on a five-day series computed by hand (the definitions of skfolio.measures: losses −r,
// k = (1 − β)T, i_k = ⌈k⌉ − 1; uncompounded drawdowns with the start as a peak; population moments).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../../../src/errors.js';
import {
  conditionalDrawdownAtRisk,
  conditionalValueAtRisk,
  excessKurtosis,
  omegaRatio,
  orderByLoss,
  scenarioAtLossRank,
  skewness,
  tailCount,
  tailCvar,
  tailMetrics,
  ulcerIndex,
  uncompoundedDrawdowns,
  valueAtRisk,
  worstScenarioMask,
  worstScenarios,
} from '../../../../src/numeric/stats/tail-risk.js';
import { seededRandom } from '../../../helpers/random.js';

const R = [0.02, -0.01, -0.03, 0.01, -0.02];
const close = (a: number | null, b: number, tol = 1e-15): boolean => a !== null && Math.abs(a - b) <= tol;

describe('tail metrics by hand', () => {
  test('VaR and CVaR: integer, fractional and sub-one tail sizes', () => {
    // β = 0.95: k = 0.25 < 1, the worst loss alone.
    assert.ok(close(valueAtRisk(R, 0.95), 0.03), `VaR95 ${valueAtRisk(R, 0.95)}`);
    assert.ok(close(conditionalValueAtRisk(R, 0.95), 0.03), 'CVaR95 = worst loss');
    // β = 0.6: k = 2: VaR = 2nd loss 0.02, CVaR = (0.03 + 0.02) / 2.
    assert.ok(close(valueAtRisk(R, 0.6), 0.02), `VaR60 ${valueAtRisk(R, 0.6)}`);
    assert.ok(close(conditionalValueAtRisk(R, 0.6), 0.025), `CVaR60 ${conditionalValueAtRisk(R, 0.6)}`);
    // β = 0.5: k = 2.5, i_k = 2: (0.03 + 0.02 + 0.5 · 0.01) / 2.5 = 0.022.
    assert.ok(close(valueAtRisk(R, 0.5), 0.01), 'VaR50 = 3rd loss');
    assert.ok(
      close(conditionalValueAtRisk(R, 0.5), 0.022, 1e-15),
      `CVaR50 ${conditionalValueAtRisk(R, 0.5)}`,
    );
  });

  test('k = (1 − β)T snaps to an integer up to rounding', () => {
    assert.equal(tailCount(2520, 0.95), 126, '(1 − 0.95) · 2520 is 126 scenarios, not 126.0000000001');
    assert.equal(tailCount(5, 0.5), 2.5, 'a genuinely fractional k stays');
  });

  test('uncompounded drawdowns, CDaR and Ulcer index', () => {
    // C = 0.02, 0.01, −0.02, −0.01, −0.03; peak 0.02 from day 1 → D = 0, 0.01, 0.04, 0.03, 0.05.
    const d = Array.from(uncompoundedDrawdowns(R));
    [0, 0.01, 0.04, 0.03, 0.05].forEach((v, t) => assert.ok(close(d[t] ?? null, v, 1e-17), `D_${t} ${d[t]}`));
    assert.ok(close(conditionalDrawdownAtRisk(R, 0.6), 0.045, 1e-16), 'CDaR60 = (0.05 + 0.04) / 2');
    assert.ok(close(conditionalDrawdownAtRisk(R, 0.95), 0.05, 1e-17), 'CDaR95 = worst drawdown');
    assert.ok(close(ulcerIndex(R), Math.sqrt(51e-4 / 5), 1e-16), `Ulcer ${ulcerIndex(R)}`);
    // A loss on the first day is a drawdown from the start.
    assert.ok(close(conditionalDrawdownAtRisk([-0.01, 0.005], 0.5), 0.01, 1e-17), 'start counts as a peak');
  });

  test('skewness, excess kurtosis (population moments) and Omega', () => {
    // mean −0.006; m2 = 17.2e-4 / 5, m3 = 5.04e-6 / 5, m4 = 8.9296e-7 / 5.
    const m2 = 3.44e-4;
    const m3 = 1.008e-6;
    const m4 = 1.78592e-7;
    assert.ok(close(skewness(R), m3 / Math.pow(m2, 1.5), 1e-12), `skew ${skewness(R)}`);
    assert.ok(close(excessKurtosis(R), m4 / (m2 * m2) - 3, 1e-12), `kurt ${excessKurtosis(R)}`);
    assert.ok(close(omegaRatio(R), 0.5), 'Omega(0) = 0.03 / 0.06');
    // r + 0.015 = 0.035, 0.005, −0.015, 0.025, −0.005.
    assert.ok(close(omegaRatio(R, -0.015), 0.065 / 0.02, 1e-14), 'Omega(−1.5 %) = 0.065 / 0.02');
  });

  test('undefined metrics are null, never NaN', () => {
    const flat = [0.01, 0.01, 0.01];
    assert.equal(skewness(flat), null, 'a constant series has no skewness');
    assert.equal(excessKurtosis(flat), null, 'nor kurtosis');
    assert.equal(omegaRatio(flat), null, 'no loss below 0: Omega undefined');
    const m = tailMetrics([]);
    assert.ok(
      Object.values(m).every((v) => v === null),
      `empty series: ${JSON.stringify(m)}`,
    );
  });

  test('levels outside (0, 1) are E_PARAMS', () => {
    for (const beta of [0, 1, -0.1, 1.5, Number.NaN]) {
      assert.throws(
        () => conditionalValueAtRisk(R, beta),
        (e: unknown) => isQuantError(e) && e.code === 'E_PARAMS' && e.message.includes('cvar_level'),
        `level ${beta}`,
      );
    }
    assert.throws(
      () => tailMetrics([0.01, Number.NaN]),
      (e: unknown) => isQuantError(e) && e.code === 'E_INPUT_VALUE',
      'a NaN return is E_INPUT_VALUE',
    );
  });
});

/** A series with ties, signed zeros and a few distinct values (every tie-breaking path is reached). */
function tiedSeries(seed: number, T: number): Float64Array {
  const rand = seededRandom(seed);
  const levels = [0, -0, 0.01, -0.01, -0.02, 0.005, -0.005];
  return Float64Array.from({ length: T }, () =>
    rand() < 0.5 ? (levels[Math.floor(rand() * levels.length)] as number) : (rand() - 0.55) * 0.04,
  );
}

describe('tailMetrics sorts once, only the tail', () => {
  test('every figure is bit for bit the one-metric functions', () => {
    const cases: Float64Array[] = [
      Float64Array.of(0),
      Float64Array.of(-0),
      Float64Array.of(-0, 0, 0.01, -0),
      Float64Array.from({ length: 40 }, (_, t) => (t % 2 === 0 ? 0 : -0)),
      Float64Array.from({ length: 200 }, (_, t) => (t < 195 ? 0.01 : t % 2 === 0 ? 0 : -0)),
      ...Array.from({ length: 60 }, (_, s) => tiedSeries(s, 1 + ((s * 37) % 300))),
      // Long series: the tail is taken from a heap of the largest 5 %, not from a sort of every day.
      ...Array.from({ length: 8 }, (_, s) => tiedSeries(100 + s, 2000 + 1237 * s)),
      Float64Array.from({ length: 3000 }, (_, t) => (t % 3 === 0 ? 0 : t % 3 === 1 ? -0 : 0.001)),
      Float64Array.from({ length: 3000 }, (_, t) => Math.sin(t) * 0.01),
    ];
    let zeroVars = 0;
    for (const [c, r] of cases.entries()) {
      const m = tailMetrics(r);
      const expected = {
        var95: valueAtRisk(r, 0.95),
        cvar95: conditionalValueAtRisk(r, 0.95),
        var99: valueAtRisk(r, 0.99),
        cvar99: conditionalValueAtRisk(r, 0.99),
        cdar95: conditionalDrawdownAtRisk(r, 0.95),
      };
      for (const [key, want] of Object.entries(expected)) {
        const got = m[key as keyof typeof expected];
        if (want === 0 && key.startsWith('var')) zeroVars++;
        assert.ok(Object.is(got, want), `case ${c} (T = ${r.length}) ${key}: ${got} vs ${want}`);
      }
    }
    assert.ok(zeroVars >= 4, `the cases reach a zero VaR (signed-zero ties) ${zeroVars} times`);
  });
});

describe('the tail without sorting every scenario (the vertex simplex of min_cvar)', () => {
  const cases: Float64Array[] = [
    Float64Array.of(0),
    Float64Array.of(-0, 0, 0.01, -0),
    Float64Array.from({ length: 40 }, (_, t) => (t % 2 === 0 ? 0 : -0)),
    Float64Array.from({ length: 300 }, (_, t) => (t % 3 === 0 ? 0.02 : 0.01)),
    ...Array.from({ length: 40 }, (_, s) => tiedSeries(200 + s, 1 + ((s * 53) % 700))),
    ...Array.from({ length: 3 }, (_, s) => tiedSeries(300 + s, 2520)),
  ];

  test('worstScenarioMask is the set of the first positions of orderByLoss', () => {
    let checked = 0;
    for (const [c, losses] of cases.entries()) {
      const order = orderByLoss(losses);
      const T = losses.length;
      // Counts reaching both ways of finding the threshold (a heap of a few, a sort of many) and the ends.
      for (const count of new Set([
        0,
        1,
        2,
        Math.floor(T / 20),
        Math.floor(T / 5),
        Math.floor(T / 2),
        T - 1,
        T,
        T + 3,
      ])) {
        if (count < 0) continue;
        const mask = worstScenarioMask(losses, count);
        const want = new Uint8Array(T);
        for (let q = 0; q < Math.min(count, T); q++) want[order[q] as number] = 1;
        assert.deepEqual(mask, want, `case ${c} (T = ${T}), count ${count}`);
        checked++;
      }
    }
    assert.ok(checked > 200, `${checked} masks checked`);
  });

  test('worstScenarios is the first positions of orderByLoss, in its order', () => {
    for (const [c, losses] of cases.entries()) {
      const order = orderByLoss(losses);
      const T = losses.length;
      for (const count of new Set([0, 1, 3, Math.floor(T / 20), Math.floor(T / 5), Math.floor(T / 2), T])) {
        assert.deepEqual(
          worstScenarios(losses, count),
          order.slice(0, count),
          `case ${c} (T = ${T}), count ${count}`,
        );
      }
    }
  });

  test('a NaN among the losses gives what the sort gives', () => {
    const losses = tiedSeries(7, 500);
    losses[17] = Number.NaN;
    losses[300] = Number.NaN;
    const order = orderByLoss(losses);
    const mask = new Uint8Array(500);
    for (let q = 0; q < 25; q++) mask[order[q] as number] = 1;
    assert.deepEqual(worstScenarioMask(losses, 25), mask, 'the mask of the sorted positions');
    assert.deepEqual(worstScenarios(losses, 25), order.slice(0, 25), 'the sorted positions');
    assert.equal(scenarioAtLossRank(losses, 24), order[24], 'the position of rank 24');
  });

  test('scenarioAtLossRank is orderByLoss at that position, ties by index', () => {
    for (const [c, losses] of cases.entries()) {
      const order = orderByLoss(losses);
      const T = losses.length;
      for (const rank of new Set([0, 1, Math.floor(T / 20), Math.floor(T / 4), Math.floor(T / 2), T - 1])) {
        if (rank >= T) continue;
        assert.equal(scenarioAtLossRank(losses, rank), order[rank], `case ${c} (T = ${T}), rank ${rank}`);
      }
    }
    assert.throws(() => scenarioAtLossRank(Float64Array.of(1, 2), 2), RangeError, 'a rank past the end');
  });

  test('tailCvar is bit for bit the CVaR of the sorted losses', () => {
    for (const [c, losses] of cases.entries()) {
      const returns = losses.map((x) => -x);
      for (const beta of [0.5, 0.8, 0.95, 0.99]) {
        const got = tailCvar(losses, beta);
        const want = conditionalValueAtRisk(returns, beta);
        assert.ok(Object.is(got, want), `case ${c} (T = ${losses.length}), β ${beta}: ${got} vs ${want}`);
      }
    }
  });
});
