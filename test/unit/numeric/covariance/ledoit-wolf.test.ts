import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows, type Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { ledoitWolfCovariance } from '../../../../src/numeric/covariance/ledoit-wolf.js';
import { QuantError } from '../../../../src/errors.js';
import { DATASETS, loadDatasetReturns } from '../../../helpers/datasets.js';

/**
 * Ledoit & Wolf (2004), section 3.3, computed literally: centre the data, S = XᵀX/T, ‖A‖² = tr(AAᵀ)/p,
 * m = tr(S)/p, d² = ‖S − mI‖², b̄² = (1/T²) Σₜ ‖xₜxₜᵀ − S‖² (one outer product per observation, no
 * algebraic shortcut), b² = min(b̄², d²), δ = b²/d², Σ̂ = δ·m·I + (1 − δ)·S.
 */
function ledoitWolfByDefinition(m: Matrix): { cov: number[][]; shrinkage: number } {
  const { rows: T, cols: p, data } = m;
  const x: number[][] = [];
  const mean = new Array<number>(p).fill(0);
  for (let t = 0; t < T; t++) for (let j = 0; j < p; j++) mean[j]! += data[t * p + j]! / T;
  for (let t = 0; t < T; t++) x.push(Array.from({ length: p }, (_, j) => data[t * p + j]! - mean[j]!));
  const S = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => x.reduce((s, row) => s + row[i]! * row[j]!, 0) / T),
  );
  const norm2 = (a: (i: number, j: number) => number) => {
    let s = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += a(i, j) ** 2;
    return s / p;
  };
  const mu = S.reduce((s, row, i) => s + row[i]!, 0) / p;
  const d2 = norm2((i, j) => S[i]![j]! - (i === j ? mu : 0));
  let bBar2 = 0;
  for (const row of x) bBar2 += norm2((i, j) => row[i]! * row[j]! - S[i]![j]!);
  bBar2 /= T * T;
  const b2 = Math.min(bBar2, d2);
  const shrinkage = d2 === 0 ? 0 : b2 / d2;
  const cov = S.map((row, i) => row.map((v, j) => shrinkage * (i === j ? mu : 0) + (1 - shrinkage) * v));
  return { cov, shrinkage };
}

function assertMatchesDefinition(m: Matrix, tolerance: number): number {
  const got = ledoitWolfCovariance(m);
  const want = ledoitWolfByDefinition(m);
  const p = m.cols;
  assert.ok(
    Math.abs(got.shrinkage - want.shrinkage) <= tolerance,
    `shrinkage ${got.shrinkage} vs ${want.shrinkage}`,
  );
  let scale = 0;
  for (const row of want.cov) for (const v of row) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      assert.ok(
        Math.abs(got.covariance.data[i * p + j]! - want.cov[i]![j]!) <= tolerance * scale,
        `(${i}, ${j})`,
      );
      assert.equal(
        got.covariance.data[i * p + j],
        got.covariance.data[j * p + i],
        'got.covariance.data[i * p + j]',
      );
    }
  }
  return got.shrinkage;
}

/** Cholesky succeeds ⟺ positive definite. */
function isPositiveDefinite(c: Float64Array, n: number): boolean {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = c[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0)) return false;
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = c[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / l[j * n + j]!;
    }
  }
  return true;
}

describe('ledoitWolfCovariance', () => {
  for (const name of DATASETS) {
    test(`${name}: equals the published formula computed directly (1e-12), δ in [0, 1], PD`, () => {
      const { returns } = loadDatasetReturns(name);
      const shrinkage = assertMatchesDefinition(returns, 1e-12);
      assert.ok(shrinkage > 0 && shrinkage < 1, 'shrinkage > 0 && shrinkage < 1');
      assert.ok(
        isPositiveDefinite(ledoitWolfCovariance(returns).covariance.data, returns.cols),
        'isPositiveDefinite(ledoitWolfCovariance(returns).covariance.data, ret…',
      );
    });
  }

  test('more assets than observations: still PD thanks to shrinkage', () => {
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.02;
    const m: Matrix = { rows: 6, cols: 10, data: new Float64Array(60).map(rnd) };
    assertMatchesDefinition(m, 1e-12);
    assert.ok(
      isPositiveDefinite(ledoitWolfCovariance(m).covariance.data, 10),
      'isPositiveDefinite(ledoitWolfCovariance(m).covariance.data, 10)',
    );
  });

  test('S already a multiple of I: no shrinkage and no NaN (d² = 0)', () => {
    // Orthogonal centred columns of equal norm: S = I exactly.
    const r = ledoitWolfCovariance(
      matrixFromRows([
        [1, 1],
        [-1, 1],
        [1, -1],
        [-1, -1],
      ]),
    );
    assert.equal(r.shrinkage, 0, 'r.shrinkage');
    assert.deepEqual(Array.from(r.covariance.data), [1, 0, 0, 1], 'Array.from(r.covariance.data)');
    assert.equal(r.target, 1, 'r.target');
  });

  test('noise dominates (b̄² ≥ d²): full shrinkage to m·I', () => {
    const m = matrixFromRows([
      [0.01, 0.02],
      [0.02, -0.01],
      [-0.03, 0],
    ]);
    const r = ledoitWolfCovariance(m);
    assert.equal(r.shrinkage, 1, 'r.shrinkage');
    assertMatchesDefinition(m, 1e-15);
    assert.equal(Math.abs(r.covariance.data[1]!), 0, 'Math.abs(r.covariance.data[1])');
    assert.equal(r.covariance.data[0], r.target, 'r.covariance.data[0]');
    assert.equal(r.covariance.data[3], r.target, 'r.covariance.data[3]');
  });

  test('errors: fewer than 2 observations or 2 assets', () => {
    const code = (c: string) => (e: unknown) => e instanceof QuantError && e.code === c;
    assert.throws(
      () => ledoitWolfCovariance(matrixFromRows([[1, 2]])),
      code('E_TOO_FEW_OBSERVATIONS'),
      'ledoitWolfCovariance throws E_TOO_FEW_OBSERVATIONS',
    );
    assert.throws(
      () => ledoitWolfCovariance(matrixFromRows([[1], [2], [3]])),
      code('E_TOO_FEW_ASSETS'),
      'ledoitWolfCovariance throws E_TOO_FEW_ASSETS',
    );
  });
});
