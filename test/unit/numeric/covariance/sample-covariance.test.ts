import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, matrixToRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import {
  cagrReturns,
  meanReturns,
  sampleCovariance,
} from '../../../../src/numeric/covariance/sample-covariance.js';
import { QuantError } from '../../../../src/errors.js';
import { DATASETS, loadDatasetReturns, loadGolden } from '../../../helpers/datasets.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Textbook two-pass covariance, one entry at a time (independent of the tiled kernel). */
function naiveCovariance(m: Matrix): number[][] {
  const { rows: T, cols: n, data } = m;
  const mean = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += data[t * n + j]!;
    return s / T;
  });
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < T; t++) s += (data[t * n + i]! - mean[i]!) * (data[t * n + j]! - mean[j]!);
      return s / (T - 1);
    }),
  );
}

describe('sampleCovariance', () => {
  test('hand-computed 3 x 2 example (ddof = 1)', () => {
    // Deviations (-2, 0, 2) and (-3, -1, 4): var = 8/2, 26/2; cov = 14/2.
    assert.deepEqual(
      matrixToRows(
        sampleCovariance(
          matrixFromRows([
            [1, 2],
            [3, 4],
            [5, 9],
          ]),
        ),
      ),
      [
        [4, 7],
        [7, 13],
      ],
      'matrixToRows(sampleCovariance(matrixFromRows([ [1, 2], [3, 4], [5, 9]…',
    );
  });

  for (let n = 1; n <= 8; n++) {
    test(`n = ${n}: matches the textbook formula to 1e-15 and is exactly symmetric`, () => {
      const r = lcg(n);
      const T = 37;
      const m: Matrix = { rows: T, cols: n, data: new Float64Array(T * n).map(() => (r() - 0.5) * 0.04) };
      const cov = sampleCovariance(m);
      const expected = naiveCovariance(m);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          assert.ok(Math.abs(cov.data[i * n + j]! - expected[i]![j]!) <= 1e-15, `(${i}, ${j})`);
          assert.equal(cov.data[i * n + j], cov.data[j * n + i], 'cov.data[i * n + j]');
        }
      }
    });
  }

  test('errors: too few rows, no columns, non-finite values', () => {
    const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;
    assert.throws(
      () => sampleCovariance(matrixFromRows([[1, 2]])),
      code('E_TOO_FEW_OBSERVATIONS'),
      'sampleCovariance throws E_TOO_FEW_OBSERVATIONS',
    );
    assert.throws(
      () => sampleCovariance({ rows: 3, cols: 0, data: new Float64Array(0) }),
      code('E_TOO_FEW_ASSETS'),
      'sampleCovariance throws E_TOO_FEW_ASSETS',
    );
    assert.throws(
      () =>
        sampleCovariance(
          matrixFromRows([
            [1, 2],
            [Number.NaN, 1],
          ]),
        ),
      code('E_INPUT_VALUE'),
      'sampleCovariance throws E_INPUT_VALUE',
    );
  });

  // Golden: common_inputs of test/fixtures/golden/<dataset>.reference.json, computed with pandas 1.5.3:
  // S_ann = R.cov(ddof=1) * 252, mu_arith = R.mean() * 252, mu_cagr = (1 + R).prod() ** (252 / len(R)) - 1.
  for (const name of DATASETS) {
    test(`${name}: annualised covariance and expected returns equal the reference (1e-12 relative)`, () => {
      const { assets, returns } = loadDatasetReturns(name);
      const golden = loadGolden(name);
      const n = assets.length;
      const cov = sampleCovariance(returns);
      const mu = meanReturns(returns);
      const cagr = cagrReturns(returns, 252);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
      assets.forEach((a, i) => {
        assets.forEach((b, j) => {
          const ref = golden.common_inputs.S_ann_values[a]![b]!;
          assert.ok(rel(252 * cov.data[i * n + j]!, ref) < 1e-12, `S_ann ${a},${b}`);
        });
        assert.ok(rel(252 * mu[i]!, golden.common_inputs.mu_arith_values[a]!) < 1e-12, `mu_arith ${a}`);
        assert.ok(rel(cagr[i]!, golden.common_inputs.mu_cagr_values[a]!) < 1e-12, `mu_cagr ${a}`);
      });
    });
  }
});

describe('meanReturns / cagrReturns', () => {
  test('arithmetic mean per column', () => {
    assert.deepEqual(
      Array.from(
        meanReturns(
          matrixFromRows([
            [0.1, -0.2],
            [0.3, 0],
          ]),
        ),
      ),
      [0.2, -0.1],
      'Array.from(meanReturns(matrixFromRows([ [0.1, -0.2], [0.3, 0], ])))',
    );
  });

  test('CAGR: (Π(1 + r))^(A/T) − 1', () => {
    // Two periods of +10 % and -10 %, A = 2: growth 0.99 per 2 periods = per year.
    const c = cagrReturns(matrixFromRows([[0.1], [-0.1]]), 2);
    assert.ok(Math.abs(c[0]! - (0.99 - 1)) < 1e-15, 'c[0] ≈ (0.99 - 1) within 1e-15');
    // A total loss stays a total loss.
    assert.equal(
      cagrReturns(matrixFromRows([[-1], [0.5]]), 252)[0],
      -1,
      'cagrReturns(matrixFromRows([[-1], [0.5]]), 252)[0]',
    );
  });

  test('CAGR of a very long series does not overflow (log-space fallback)', () => {
    const T = 20000;
    const m: Matrix = { rows: T, cols: 1, data: new Float64Array(T).fill(0.05) };
    const c = cagrReturns(m, 252);
    assert.ok(Number.isFinite(c[0]!), 'Number.isFinite(c[0])');
    assert.ok(
      Math.abs(c[0]! - (Math.pow(1.05, 252) - 1)) / (Math.pow(1.05, 252) - 1) < 1e-9,
      'Math.abs(c[0] - (Math.pow(1.05, 252) - 1)) / (Math.pow(1.05, 252) - 1…',
    );
  });
});
