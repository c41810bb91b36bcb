import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows } from '../../../../src/numeric/linalg/matrix.js';
import {
  annualVolatility,
  anomalyWindows,
  calmar,
  correlationMatrix,
  drawdownSeries,
  effectiveN,
  equityCurve,
  maxDrawdown,
  performanceMetrics,
  sharpe,
  sortino,
  twrCagr,
  winRate,
} from '../../../../src/numeric/stats/performance.js';
import { QuantError } from '../../../../src/errors.js';

const TOL = 1e-12;
const close = (actual: number | null, expected: number, tol = TOL): void => {
  assert.notEqual(actual, null, 'actual differs from null');
  assert.ok(Math.abs((actual as number) - expected) <= tol, `${actual} vs ${expected}`);
};
const closeArray = (actual: Float64Array, expected: number[]): void => {
  assert.equal(actual.length, expected.length, 'actual.length');
  expected.forEach((e, i) => close(actual[i] as number, e));
};
const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;

// r = [0.10, −0.10, 0.05, 0] with A = 4 (√A = 2) so that every figure is easy by hand.
const R = Float64Array.from([0.1, -0.1, 0.05, 0]);
const A = 4;

describe('performance metrics by hand', () => {
  test('equity curve and drawdowns', () => {
    // E = 1.1, 1.1 × 0.9 = 0.99, 0.99 × 1.05 = 1.0395, 1.0395.
    closeArray(equityCurve(R), [1.1, 0.99, 1.0395, 1.0395]);
    // Peak 1.1 from day 0: D = 0, 1 − 0.99/1.1 = 0.1, 1 − 1.0395/1.1 = 0.055, 0.055.
    closeArray(drawdownSeries(R), [0, 0.1, 0.055, 0.055]);
    close(maxDrawdown(R), 0.1);
  });

  test('CAGR, volatility, Sharpe, Sortino, Calmar, win rate', () => {
    // Π(1 + r) = 1.0395; A / T = 4 / 4 = 1 → CAGR = 0.0395.
    close(twrCagr(R, A), 0.0395);
    // mean = 0.05 / 4 = 0.0125; deviations 0.0875, −0.1125, 0.0375, −0.0125; squares sum 0.021875;
    // variance (ddof 1) = 0.021875 / 3 = 7/960; vol = √(7/960) × 2 = √(7/240) ≈ 0.170782.
    close(annualVolatility(R, A), Math.sqrt(7 / 240));
    // Sharpe = 0.0125 × 4 / √(7/240) = 0.05 × √(240/7) ≈ 0.292770.
    close(sharpe(R, A), 0.05 * Math.sqrt(240 / 7));
    close(sharpe(R, A), 0.2927700219, 1e-9);
    // Downside: min(r, 0)² = 0, 0.01, 0, 0 → mean 0.0025 → √ = 0.05; × √4 = 0.1; Sortino = 0.05 / 0.1 = 0.5.
    close(sortino(R, A), 0.5);
    // Calmar = 0.0395 / 0.1 = 0.395.
    close(calmar(R, A), 0.395);
    // Wins: 0.10 and 0.05 (0 is not a win) → 2 / 4.
    assert.equal(winRate(R), 0.5, 'winRate(R)');
    const all = performanceMetrics(R, A);
    assert.equal(all.observations, 4, 'all.observations');
    close(all.cagr, 0.0395);
    close(all.calmar, 0.395);
  });

  test('a loss on the first day is a drawdown from the starting value 1', () => {
    // E = 0.8, 1.0 → D = 0.2, 0; CAGR with A = T = 2: 1.0^1 − 1 = 0 → Calmar 0 / 0.2 = 0.
    const r = Float64Array.from([-0.2, 0.25]);
    close(maxDrawdown(r), 0.2);
    close(twrCagr(r, 2), 0);
    close(calmar(r, 2), 0);
  });

  test('CAGR annualises by A / T', () => {
    // Two days of +1 % with A = 252: 1.0201^126 − 1.
    close(twrCagr(Float64Array.from([0.01, 0.01]), 252), Math.pow(1.0201, 126) - 1, 1e-9);
  });

  test('effective N = 1 / Σw²', () => {
    // [0.5, 0.25, 0.25]: Σw² = 0.25 + 0.0625 + 0.0625 = 0.375 → 8/3.
    close(effectiveN([0.5, 0.25, 0.25]), 8 / 3);
    close(effectiveN(Float64Array.from([0.25, 0.25, 0.25, 0.25])), 4);
    assert.equal(effectiveN([0, 0]), null, 'effectiveN([0, 0])');
  });
});

describe('undefined metrics are null, never NaN', () => {
  test('empty series', () => {
    const m = performanceMetrics(new Float64Array(0), 252);
    assert.deepEqual(
      m,
      {
        observations: 0,
        cagr: null,
        volatility: null,
        sharpe: null,
        sortino: null,
        maxDrawdown: null,
        calmar: null,
        winRate: null,
      },
      'm',
    );
  });

  test('a constant series has zero volatility exactly, so no Sharpe; no loss, so no Sortino or Calmar', () => {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004: the mean is not exactly 0.1, yet the volatility must be 0.
    const r = Float64Array.from([0.1, 0.1, 0.1]);
    assert.equal(annualVolatility(r, 252), 0, 'annualVolatility(r, 252)');
    assert.equal(sharpe(r, 252), null, 'sharpe(r, 252)');
    assert.equal(sortino(r, 252), null, 'sortino(r, 252)');
    assert.equal(maxDrawdown(r), 0, 'maxDrawdown(r)');
    assert.equal(calmar(r, 252), null, 'calmar(r, 252)');
    assert.equal(
      annualVolatility(Float64Array.from([0.01]), 252),
      null,
      'annualVolatility(Float64Array.from([0.01]), 252)',
    );
  });

  test('total loss and negative terminal equity', () => {
    // 1.5 × 0 × 1.2 = 0 → CAGR −1, drawdown 100 %.
    const r = Float64Array.from([0.5, -1, 0.2]);
    assert.equal(twrCagr(r, 252), -1, 'twrCagr(r, 252)');
    close(maxDrawdown(r), 1);
    // 1 + (−1.5) = −0.5: no real annual rate.
    assert.equal(twrCagr(Float64Array.from([-1.5]), 252), null, 'twrCagr(Float64Array.from([-1.5]), 252)');
  });

  test('a product that overflows is compounded in logs', () => {
    // 2^2000 overflows a double; with A = 1, T = 2000: (2^2000)^(1/2000) − 1 = 1.
    const r = new Float64Array(2000).fill(1);
    close(twrCagr(r, 1), 1, 1e-12);
  });

  test('non-finite inputs and a bad factor are E_INPUT_VALUE', () => {
    assert.throws(
      () => sharpe(Float64Array.from([0.1, Number.NaN]), 252),
      code('E_INPUT_VALUE'),
      'sharpe throws E_INPUT_VALUE',
    );
    assert.throws(() => twrCagr(R, 0), code('E_INPUT_VALUE'), 'twrCagr throws E_INPUT_VALUE');
    assert.throws(
      () => effectiveN([0.5, Infinity]),
      code('E_INPUT_VALUE'),
      'effectiveN throws E_INPUT_VALUE',
    );
  });
});

describe('anomalyWindows', () => {
  const returns = Float64Array.from([0.01, 0.03, 0.1, 0.11, 1.0, -0.5, 0.5]);
  const dates = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'];

  test('flags blocks by |Sharpe| > 10 or volatility > 200 %; the short tail is not evaluated', () => {
    const found = anomalyWindows(returns, dates, { window: 2, periodsPerYear: 4 });
    // Block [0.01, 0.03]: mean 0.02, std √0.0002, Sharpe 0.08 / (2√0.0002) ≈ 2.83 → fine.
    // Block [0.10, 0.11]: mean 0.105, std 0.005√2, Sharpe 0.42 / (0.01√2) = 42/√2 ≈ 29.70 → flagged.
    // Block [1.0, −0.5]: mean 0.25, std 0.75√2, vol 1.5√2 ≈ 2.121 > 2 → flagged; Sharpe 1 / (1.5√2) ≈ 0.471.
    // Row 6 alone is a partial block.
    assert.equal(found.length, 2, 'found.length');
    const [a, b] = found;
    assert.deepEqual(
      [a?.start, a?.end, a?.startIndex, a?.rows, a?.breaches],
      ['d2', 'd3', 2, 2, ['sharpe']],
      '[a?.start, a?.end, a?.startIndex, a?.rows, a?.breaches]',
    );
    close(a?.sharpe ?? null, 42 / Math.SQRT2, 1e-9);
    close(a?.volatility ?? null, 0.01 * Math.SQRT2, 1e-12);
    assert.deepEqual(
      [b?.start, b?.end, b?.breaches],
      ['d4', 'd5', ['volatility']],
      '[b?.start, b?.end, b?.breaches]',
    );
    close(b?.volatility ?? null, 1.5 * Math.SQRT2);
    close(b?.sharpe ?? null, 1 / (1.5 * Math.SQRT2));
  });

  test('default window of 21 rows; thresholds are configurable; input checks', () => {
    assert.deepEqual(
      anomalyWindows(returns, dates, { periodsPerYear: 4 }),
      [],
      'anomalyWindows(returns, dates, { periodsPerYear: 4 })',
    );
    assert.equal(
      anomalyWindows(returns, dates, { window: 2, periodsPerYear: 4, sharpeLimit: 2 }).length,
      3,
      'anomalyWindows(returns, dates, { window: 2, periodsPerYear: 4, sharpe…',
    );
    assert.throws(
      () => anomalyWindows(returns, dates.slice(1), { periodsPerYear: 4 }),
      code('E_INPUT_VALUE'),
      'anomalyWindows throws E_INPUT_VALUE',
    );
    assert.throws(
      () => anomalyWindows(returns, dates, { window: 1, periodsPerYear: 4 }),
      code('E_INPUT_VALUE'),
      'anomalyWindows throws E_INPUT_VALUE',
    );
  });
});

describe('correlationMatrix', () => {
  test('perfectly co-moving and opposite columns', () => {
    // Columns x = [1, 2, 3], y = 2x, z = 4 − x → ρ(x, y) = 1, ρ(x, z) = ρ(y, z) = −1.
    const rho = matrixToRows(
      correlationMatrix(
        matrixFromRows([
          [1, 2, 3],
          [2, 4, 2],
          [3, 6, 1],
        ]),
      ),
    );
    assert.deepEqual(
      rho,
      [
        [1, 1, -1],
        [1, 1, -1],
        [-1, -1, 1],
      ],
      'rho',
    );
  });

  test('a hand-computed partial correlation', () => {
    // x = [1, 2, 3], y = [1, 3, 2]: deviations (−1, 0, 1) and (−1, 1, 0); Σdxdy = 1, Σdx² = Σdy² = 2 → 0.5.
    const rho = correlationMatrix(
      matrixFromRows([
        [1, 1],
        [2, 3],
        [3, 2],
      ]),
    );
    close(rho.data[1] as number, 0.5);
  });
});
