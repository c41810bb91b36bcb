import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matrixFromRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import {
  historicalCvar,
  leaveOneOut,
  lookThrough,
  portfolioReturns,
  riskAttribution,
} from '../../../../src/numeric/stats/risk-attribution.js';
import { annualVolatility } from '../../../../src/numeric/stats/performance.js';
import { QuantError } from '../../../../src/errors.js';
import { seededRandom } from '../../../helpers/random.js';

const close = (actual: number | null | undefined, expected: number, tol = 1e-12, what = ''): void => {
  assert.ok(actual !== null && actual !== undefined, `${what}: a number, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
};

// Two uncorrelated, zero-mean assets, A = 1: r1 = ±0.02, r2 = ±0.01 in a crossed pattern.
// var1 = 4·0.0004/3, var2 = 4·0.0001/3, cov = 0; w = (½, ½): Σw = (0.0008/3, 0.0002/3),
// σ_p² = 0.0005/3, percent contributions 0.8 and 0.2.
const R = matrixFromRows([
  [0.02, 0.01],
  [-0.02, 0.01],
  [0.02, -0.01],
  [-0.02, -0.01],
]);
const W = [0.5, 0.5];

describe('risk attribution by hand', () => {
  test('volatility: Euler contributions, diversification ratio, effective N', () => {
    const a = riskAttribution(R, W, { periodsPerYear: 1, cvarLevel: 0.75 });
    const sd = Math.sqrt(0.0005 / 3);
    close(a.volatility.total, sd, 1e-15, 'σ_p');
    close(a.volatility.absolute[0], (0.5 * 0.0008) / 3 / sd, 1e-15, 'RC_1');
    close(a.volatility.absolute[1], (0.5 * 0.0002) / 3 / sd, 1e-15, 'RC_2');
    close(a.volatility.percent[0], 0.8, 1e-12, 'share 1');
    close(a.volatility.percent[1], 0.2, 1e-12, 'share 2');
    close(a.volatility.marginal[0], 0.0008 / 3 / sd, 1e-15, 'marginal 1');
    // DR = (½·0.04 + ½·0.02)/√0.0005 (the common 1/√3 cancels).
    close(a.diversificationRatio, 0.03 / Math.sqrt(0.0005), 1e-12, 'diversification ratio');
    close(a.effectiveN, 1 / (0.64 + 0.04), 1e-12, 'effective N');
  });

  test('CVaR: the worst scenario, then a fractional tail', () => {
    // r_p = 0.015, −0.005, 0.005, −0.015. At 75 %, k = 1: the worst day alone.
    const a = riskAttribution(R, W, { periodsPerYear: 1, cvarLevel: 0.75 });
    close(a.cvar.total, 0.015, 1e-15, 'CVaR 75 %');
    close(a.cvar.absolute[0], 0.01, 1e-15, 'asset 1 on the worst day: −½·(−0.02)');
    close(a.cvar.absolute[1], 0.005, 1e-15, 'asset 2 on the worst day: −½·(−0.01)');
    close(a.cvar.marginal[0], 0.02, 1e-15, 'marginal CVaR of asset 1');
    // At 60 %, k = 1.6: the worst day with weight 1/1.6, the next (−0.005) with 0.6/1.6.
    const b = riskAttribution(R, W, { periodsPerYear: 1, cvarLevel: 0.6 });
    close(b.cvar.total, (0.015 + 0.6 * 0.005) / 1.6, 1e-15, 'CVaR 60 %');
    // Asset 1 on the two tail days: −0.02 and −0.02; asset 2: −0.01 and +0.01.
    close(b.cvar.absolute[0], 0.5 * 0.02, 1e-15, 'asset 1');
    close(b.cvar.absolute[1], 0.5 * ((0.01 - 0.6 * 0.01) / 1.6), 1e-15, 'asset 2');
    close(historicalCvar(portfolioReturns(R, W), 0.6), b.cvar.total, 1e-15, 'historicalCvar agrees');
  });

  test('leave one out renormalises the remaining weights', () => {
    const rows = leaveOneOut(R, W, { periodsPerYear: 1, cvarLevel: 0.75 });
    assert.equal(rows.length, 2, 'one row per holding');
    close(rows[0]?.volatility, Math.sqrt(0.0004 / 3), 1e-15, 'without asset 1: asset 2 alone');
    close(rows[0]?.cvar, 0.01, 1e-15, 'without asset 1: CVaR of asset 2');
    close(rows[0]?.sharpe, 0, 1e-15, 'zero mean, Sharpe 0');
    close(rows[1]?.volatility, Math.sqrt(0.0016 / 3), 1e-15, 'without asset 2: asset 1 alone');
    close(rows[1]?.cvar, 0.02, 1e-15, 'without asset 2: CVaR of asset 1');
    const single = leaveOneOut(R, [1, 0], { periodsPerYear: 1 });
    assert.equal(single[0]?.volatility, null, 'nothing left without the only holding');
    assert.equal(single[0]?.remainingWeight, 0, 'remaining weight recorded');
  });

  test('look-through splits each contribution by gross exposure', () => {
    const out = lookThrough(
      [0.8, 0.2, 0.1],
      matrixFromRows([
        [0.5, -0.5, 0],
        [0, 0.25, 0.75],
        [0, 0, 0],
      ]),
    );
    close(out.assets[0], 0.4, 1e-15, 'asset 0: half of the first');
    close(out.assets[1], 0.45, 1e-15, 'asset 1: half of the first and a quarter of the second');
    close(out.assets[2], 0.15, 1e-15, 'asset 2: three quarters of the second');
    close(out.unassigned, 0.1, 0, 'a holding without exposure stays unassigned');
  });

  test('bad input is a coded error', () => {
    const bad = (f: () => unknown, why: string): void =>
      assert.throws(f, (e: unknown) => e instanceof QuantError && e.code === 'E_INPUT_VALUE', why);
    bad(() => riskAttribution(R, [1], { periodsPerYear: 1 }), 'weight count');
    bad(() => riskAttribution(R, W, { periodsPerYear: 1, cvarLevel: 1 }), 'level 1');
    bad(() => riskAttribution(R, W, { periodsPerYear: 0 }), 'factor 0');
    bad(() => riskAttribution(matrixFromRows([[0.1, 0.2]]), W, { periodsPerYear: 1 }), 'one row');
    bad(() => riskAttribution(R, [NaN, 1], { periodsPerYear: 1 }), 'NaN weight');
  });
});

/** CVaR as the Rockafellar–Uryasev minimum min_ζ ζ + Σ max(−r_t − ζ, 0) / ((1 − α)T), over breakpoints. */
function cvarByMinimisation(r: Float64Array, level: number): number {
  const k = (1 - level) * r.length;
  let best = Infinity;
  for (const candidate of r) {
    const zeta = -candidate;
    let s = 0;
    for (const v of r) s += Math.max(-v - zeta, 0);
    best = Math.min(best, zeta + s / k);
  }
  return best;
}

const caseArb = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    T: fc.integer({ min: 5, max: 80 }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    weights: fc.array(fc.integer({ min: -300, max: 1000 }), { minLength: n, maxLength: n }),
    level: fc.constantFrom(0.9, 0.95, 0.99, 0.5, 0.777),
  }),
);

function randomReturns(T: number, n: number, seed: number): Matrix {
  let s = seed;
  const next = (): number => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  const data = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    const common = next() * 0.02;
    for (let i = 0; i < n; i++) data[t * n + i] = common * (i % 3) + next() * 0.03 * (1 + i);
  }
  return { rows: T, cols: n, data };
}

describe('risk attribution properties', () => {
  test('contributions sum to the totals to 1e-10; totals match the portfolio series', () => {
    const sizes: number[] = [];
    fc.assert(
      fc.property(caseArb, ({ n, T, seed, weights, level }) => {
        const R2 = randomReturns(T, n, seed);
        const w = weights.map((v) => v / 1000);
        const a = riskAttribution(R2, w, { periodsPerYear: 252, cvarLevel: level });
        const p = portfolioReturns(R2, w);
        sizes.push(n);
        let sv = 0;
        let sc = 0;
        let sp = 0;
        for (let i = 0; i < n; i++) {
          sv += a.volatility.absolute[i] as number;
          sc += a.cvar.absolute[i] as number;
          sp += a.volatility.percent[i] as number;
        }
        const vol = annualVolatility(p, 252) as number;
        assert.ok(Math.abs(sv - vol) <= 1e-10 * Math.max(1, vol), `Σ RC ${sv} vs σ_p ${vol}`);
        assert.ok(Math.abs(a.volatility.total - vol) <= 1e-12 * Math.max(1, vol), 'total is σ_p');
        const cvar = cvarByMinimisation(p, level);
        assert.ok(Math.abs(sc - cvar) <= 1e-10, `Σ CVaR_i ${sc} vs RU minimum ${cvar}`);
        assert.ok(Math.abs(a.cvar.total - cvar) <= 1e-12, `CVaR ${a.cvar.total} vs RU minimum ${cvar}`);
        if (vol > 0) assert.ok(Math.abs(sp - 1) <= 1e-10, `shares sum to 1, got ${sp}`);
        if (a.effectiveN !== null) assert.ok(a.effectiveN <= n + 1e-9, `effective N ≤ n: ${a.effectiveN}`);
      }),
      { numRuns: 200 },
    );
    assert.ok(new Set(sizes).size >= 5, `sizes spread: ${[...new Set(sizes)].join(',')}`);
  });
});

describe('tail scenarios without a full sort', () => {
  /** The definition: every row sorted by return, ties by row index; the worst m + 1 with their θ. */
  function referenceTail(p: Float64Array, level: number): { row: number; weight: number }[] {
    const order = Array.from({ length: p.length }, (_, t) => t).sort(
      (a, b) => (p[a] as number) - (p[b] as number) || a - b,
    );
    const k = (1 - level) * p.length;
    const m = Math.max(0, Math.ceil(k) - 1);
    return [
      ...order.slice(0, m).map((row) => ({ row, weight: 1 / k })),
      { row: order[m] as number, weight: (k - m) / k },
    ];
  }

  test('CVaR and its decomposition are bit for bit those of the full sort, ties and signed zeros included', () => {
    const rand = seededRandom(17);
    const levels = [0, -0, 0.01, -0.01, 0.02, -0.02, -0.03];
    let tiedTails = 0;
    for (let c = 0; c < 80; c++) {
      const T = 2 + ((c * 53) % 400);
      const n = 1 + (c % 4);
      const R: Matrix = {
        rows: T,
        cols: n,
        data: Float64Array.from({ length: T * n }, () =>
          rand() < 0.9 ? (levels[Math.floor(rand() * levels.length)] as number) : (rand() - 0.6) * 0.05,
        ),
      };
      // Equal weights make rows with different returns tie in the portfolio (0.01 + −0.01 = −0.01 + 0.01).
      const w = Float64Array.from({ length: n }, () => (c % 2 === 0 ? 1 / n : rand()));
      const level = [0.95, 0.9, 0.99, 0.5][c % 4] as number;
      const p = portfolioReturns(R, w);
      const tail = referenceTail(p, level);
      const last = p[tail.at(-1)!.row] as number;
      const tiedRows = Array.from({ length: T }, (_, t) => t).filter((t) => p[t] === last);
      const row = (t: number): string => String(Array.from(R.data.subarray(t * n, t * n + n)));
      if (new Set(tiedRows.map(row)).size > 1) tiedTails++;
      let cvar = 0;
      for (const { row, weight } of tail) cvar -= weight * (p[row] as number);
      assert.ok(
        Object.is(historicalCvar(p, level), cvar),
        `case ${c}: CVaR ${historicalCvar(p, level)} vs ${cvar}`,
      );
      const marginal = new Float64Array(n);
      for (const { row, weight } of tail)
        for (let i = 0; i < n; i++)
          marginal[i] = (marginal[i] as number) - weight * (R.data[row * n + i] as number);
      const got = riskAttribution(R, w, { periodsPerYear: 252, cvarLevel: level }).cvar.marginal;
      for (let i = 0; i < n; i++)
        assert.ok(
          Object.is(got[i], marginal[i]),
          `case ${c}: CVaR marginal ${i} ${got[i]} vs ${marginal[i]}`,
        );
    }
    assert.ok(
      tiedTails >= 5,
      `the cases reach ties of different rows at the tail's last scenario (${tiedTails} times)`,
    );
  });
});
