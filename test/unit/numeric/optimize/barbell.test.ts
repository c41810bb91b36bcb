import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError } from '../../../../src/errors.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { antifragilityScores, barbell } from '../../../../src/numeric/optimize/barbell.js';
import { minVariance } from '../../../../src/numeric/optimize/min-variance.js';
import { factorReturns, maxAbsDiff, normals, sampleCov, sum } from './_fixtures.js';

function withColumn(m: Matrix, j: number, values: (t: number) => number): Matrix {
  const data = Float64Array.from(m.data);
  for (let t = 0; t < m.rows; t++) data[t * m.cols + j] = values(t);
  return { ...m, data };
}

describe('barbell', () => {
  test('aggressor count: ⌊n/2⌋, at least 1, at most 5 and n − 1', () => {
    const expected: Record<number, number> = { 2: 1, 3: 1, 4: 2, 5: 2, 10: 5, 12: 5 };
    for (const [n, k] of Object.entries(expected)) {
      const returns = factorReturns(Number(n), 300, Number(n));
      assert.equal(barbell(returns, sampleCov(returns)).aggressors.length, k, `n = ${n}`);
    }
  });

  test('aggressors share 10 % equally; the core is 90 % × min-variance of its own block', () => {
    const returns = factorReturns(8, 500, 3);
    const cov = sampleCov(returns);
    const r = barbell(returns, cov);
    assert.equal(r.aggressors.length, 4, 'r.aggressors.length');
    for (const i of r.aggressors)
      assert.ok(Math.abs(r.weights[i]! - 0.025) < 1e-15, 'r.weights[i] ≈ 0.025 within 1e-15');
    const core = [...Array(8).keys()].filter((i) => !r.aggressors.includes(i));
    const block = {
      rows: 4,
      cols: 4,
      data: Float64Array.from(core.flatMap((i) => core.map((j) => cov.data[i * 8 + j]!))),
    };
    const inner = minVariance(block).weights;
    assert.ok(
      maxAbsDiff(
        core.map((i) => r.weights[i]!),
        Array.from(inner, (x) => 0.9 * x),
      ) < 1e-15,
      'maxAbsDiff(core.map((i) => r.weights[i]), Array.from(inner, (x) => 0.…',
    );
    assert.ok(Math.abs(sum(r.weights) - 1) < 1e-15, 'sum(r.weights) ≈ 1 within 1e-15');
  });

  test('a lottery-like asset (rare large gains, small losses) ranks first', () => {
    const z = normals(17);
    const base = factorReturns(6, 1000, 5);
    const returns = withColumn(base, 4, (t) => (t % 50 === 0 ? 0.2 : -0.002 + 0.001 * z()));
    const r = barbell(returns, sampleCov(returns));
    assert.equal(r.aggressors[0], 4, 'r.aggressors[0]');
    assert.equal(Math.max(...r.scores), r.scores[4], 'Math.max(...r.scores)');
  });

  test('ties are broken by index, and the result is deterministic', () => {
    const base = factorReturns(4, 400, 9);
    const same = withColumn(
      withColumn(base, 1, (t) => base.data[t * 4]!),
      3,
      (t) => base.data[t * 4]!,
    );
    const scores = antifragilityScores(same);
    assert.equal(scores[0], scores[1], 'scores[0]');
    assert.equal(scores[0], scores[3], 'scores[0]');
    // Columns 0, 1 and 3 tie; with 2 aggressors the lowest indices of the best group win.
    const ranked = [0, 1, 2, 3].sort((a, b) => scores[b]! - scores[a]! || a - b);
    const r = barbell(same, sampleCov(factorReturns(4, 400, 10)));
    assert.deepEqual(r.aggressors, ranked.slice(0, 2), 'r.aggressors');
    assert.deepEqual(
      Array.from(barbell(base, sampleCov(base)).weights),
      Array.from(barbell(base, sampleCov(base)).weights),
      'Array.from(barbell(base, sampleCov(base)).weights)',
    );
  });

  test('bounds are imposed by proportional redistribution', () => {
    const returns = factorReturns(10, 500, 21);
    const r = barbell(returns, sampleCov(returns), { minWeight: 0.05, maxWeight: 0.2 });
    assert.ok(Math.abs(sum(r.weights) - 1) < 1e-15, 'sum(r.weights) ≈ 1 within 1e-15');
    for (const w of r.weights) assert.ok(w >= 0.05 && w <= 0.2, 'w >= 0.05 && w <= 0.2');
  });

  test('skewness is the adjusted Fisher–Pearson G1 and the tail gain uses the top and bottom 5 %', () => {
    // T = 20 → q = 1: tail gain = max / |min|. Column 1 = column 0 reflected → skew flips sign.
    const x = [
      0.01, -0.02, 0.03, 0.05, -0.01, 0.0, 0.02, 0.12, -0.03, 0.01, 0.02, -0.01, 0.0, 0.04, -0.02, 0.01, 0.03,
      -0.04, 0.02, 0.0,
    ];
    const T = x.length;
    const returns = { rows: T, cols: 2, data: Float64Array.from(x.flatMap((v) => [v, -v])) };
    const mean = x.reduce((a, b) => a + b, 0) / T;
    const m2 = x.reduce((a, b) => a + (b - mean) ** 2, 0) / T;
    const m3 = x.reduce((a, b) => a + (b - mean) ** 3, 0) / T;
    const g1 = ((Math.sqrt(T * (T - 1)) / (T - 2)) * m3) / m2 ** 1.5;
    const tail0 = 0.12 / 0.04;
    const tail1 = 0.04 / 0.12;
    // Two assets: each component standardised to ±1/√2.
    const s = antifragilityScores(returns);
    const expected0 = Math.sign(g1) * Math.SQRT1_2 + Math.sign(tail0 - tail1) * Math.SQRT1_2;
    assert.ok(Math.abs(s[0]! - expected0) < 1e-12, 's[0] ≈ expected0 within 1e-12');
    assert.ok(Math.abs(s[1]! + expected0) < 1e-12, 'Math.abs(s[1] + expected0) < 1e-12');
    assert.ok(g1 > 0, 'g1 > 0');
  });

  test('the scores are those of a full sort of each column, bit for bit (blocks of columns, ties, ±0)', () => {
    // The textbook computation: each column copied out, sorted, its ends added; then standardised.
    const reference = (m: Matrix): Float64Array => {
      const { rows: T, cols: n, data } = m;
      const q = Math.max(1, Math.ceil(0.05 * T));
      const skew = new Float64Array(n);
      const tail = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const col = Float64Array.from({ length: T }, (_, t) => data[t * n + j]!);
        let mean = 0;
        for (let t = 0; t < T; t++) mean += col[t]!;
        mean /= T;
        let m2 = 0;
        let m3 = 0;
        for (let t = 0; t < T; t++) {
          const d = col[t]! - mean;
          m2 += d * d;
          m3 += d * d * d;
        }
        m2 /= T;
        m3 /= T;
        skew[j] = m2 > 0 ? ((Math.sqrt(T * (T - 1)) / (T - 2)) * m3) / Math.pow(m2, 1.5) : 0;
        col.sort();
        let bottom = 0;
        let top = 0;
        for (let t = 0; t < q; t++) {
          bottom += col[t]!;
          top += col[T - 1 - t]!;
        }
        tail[j] = top / q / Math.max(Math.abs(bottom / q), 1e-12);
      }
      const z = (v: Float64Array): Float64Array => {
        const mean = v.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
        return v.map((x) => (sd > 0 ? (x - mean) / sd : 0));
      };
      const zs = z(skew);
      const zt = z(tail);
      return zs.map((v, i) => v + zt[i]!);
    };
    const draw = normals(11);
    for (const [n, T] of [
      [2, 3],
      [5, 40],
      [16, 21],
      [17, 300],
      [37, 252],
    ] as const) {
      for (const kind of ['plain', 'rounded', 'zeros'] as const) {
        const data = new Float64Array(n * T);
        for (let i = 0; i < data.length; i++) {
          const v = draw() * 0.01;
          data[i] = kind === 'plain' ? v : Math.round(v * 300) / 300;
          if (kind === 'zeros' && i % 3 === 0) data[i] = i % 2 === 0 ? -0 : 0;
        }
        const m = { rows: T, cols: n, data };
        const got = antifragilityScores(m);
        const want = reference(m);
        for (let j = 0; j < n; j++)
          assert.ok(Object.is(got[j], want[j]), `${n} x ${T} ${kind}: asset ${j} ${got[j]} vs ${want[j]}`);
      }
    }
  });

  test('a non-finite return is reported at its asset and row, the first in column order', () => {
    const m = factorReturns(20, 50, 1);
    m.data[3 * 20 + 19] = Number.NaN; // asset 19, row 3: earlier row, later column
    m.data[40 * 20 + 17] = Number.POSITIVE_INFINITY; // asset 17, row 40
    m.data[45 * 20 + 17] = Number.NaN;
    assert.throws(
      () => antifragilityScores(m),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_INPUT_VALUE' &&
        e.message === 'return of asset 17 at row 40 is Infinity',
      'the first non-finite of the lowest column is named',
    );
  });

  test('errors: too few observations, infeasible bounds', () => {
    const r3 = factorReturns(3, 2, 1);
    assert.throws(
      () => barbell(r3, sampleCov(factorReturns(3, 50, 1))),
      (e: unknown) => e instanceof QuantError && e.code === 'E_TOO_FEW_OBSERVATIONS',
      'barbell throws E_TOO_FEW_OBSERVATIONS',
    );
    const r = factorReturns(3, 50, 1);
    assert.throws(
      () => barbell(r, sampleCov(r), { minWeight: 0.4 }),
      (e: unknown) => e instanceof QuantError && e.code === 'E_INFEASIBLE_BOUNDS',
      'barbell throws E_INFEASIBLE_BOUNDS',
    );
  });
});
