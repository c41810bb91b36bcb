// checkCovariance decides every matrix as its plain pair-by-pair checks do: its shortcut for mirrored
// pairs well inside √(Σᵢᵢ·Σⱼⱼ) never accepts what the exact expressions reject, nor reports another
// pair or another error.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantError } from '../../../../src/errors.js';
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';
import { checkCovariance } from '../../../../src/numeric/optimize/_inputs.js';
import { rng } from './_fixtures.js';

/** The pair checks as plain expressions (finite, symmetric to 1e-10·√Σᵢᵢ·√Σⱼⱼ, 2 x 2 minors): the first failing pair, or none. */
function referenceVerdict(d: Float64Array, n: number): string {
  for (let i = 0; i < n; i++) {
    const v = d[i * n + i]!;
    if (!Number.isFinite(v)) return `E_INPUT_VALUE variance ${i}`;
    if (!(v >= 0)) return `E_SINGULAR_COVARIANCE variance ${i}`;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = d[i * n + j]!;
      const b = d[j * n + i]!;
      const tol = 1e-10 * Math.sqrt(d[i * n + i]!) * Math.sqrt(d[j * n + j]!);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return `E_INPUT_VALUE pair ${i} ${j}`;
      if (!(Math.abs(a - b) <= tol)) return `E_SINGULAR_COVARIANCE asymmetric ${i} ${j}`;
      const bound = Math.sqrt(d[i * n + i]!) * Math.sqrt(d[j * n + j]!);
      if (Math.abs(a) > bound * (1 + 1e-8) + 1e-300) return `E_SINGULAR_COVARIANCE minor ${i} ${j}`;
    }
  }
  return 'ok';
}

/** What checkCovariance says of the same matrix, in the reference's words (its details name the place). */
function verdict(d: Float64Array, n: number): string {
  try {
    checkCovariance({ rows: n, cols: n, data: d } as Matrix);
    return 'ok';
  } catch (error) {
    assert.ok(isQuantError(error), `a QuantError, not ${String(error)}`);
    const x = error.details;
    if (x['asset_index'] !== undefined && x['assets'] === undefined)
      return `${error.code} variance ${String(x['asset_index'])}`;
    if (x['row'] !== undefined) {
      const kind = error.code === 'E_INPUT_VALUE' ? 'pair' : 'asymmetric';
      return `${error.code} ${kind} ${String(x['row'])} ${String(x['column'])}`;
    }
    const [j, i] = x['assets'] as [number, number];
    return `${error.code} minor ${i} ${j}`;
  }
}

describe('checkCovariance', () => {
  test('random matrices at every scale, with pairs on, just inside and just past each bound: the same verdict as the plain checks', () => {
    const u = rng(2024);
    const scales = [1e-170, 1e-152, 1e-150, 1e-149, 1e-8, 1, 1e6, 1e150, 1e152, 1e160];
    const verdicts = new Map<string, number>();
    for (let trial = 0; trial < 3000; trial++) {
      const n = 2 + Math.floor(u() * 5);
      const d = new Float64Array(n * n);
      for (let i = 0; i < n; i++) d[i * n + i] = scales[Math.floor(u() * scales.length)]! * (0.5 + u());
      if (u() < 0.05) d[0] = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          const bound = Math.sqrt(d[i * n + i]!) * Math.sqrt(d[j * n + j]!);
          const pick = u();
          // Inside, on the bound, one part in 1e12 or 1e8 either side of it, or beyond.
          const rho =
            pick < 0.5
              ? 2 * u() - 1
              : [1, 1 - 1e-12, 1 + 1e-12, 1 - 1e-13, 1 + 1e-8, 1 + 2e-8, 1.5][Math.floor(u() * 7)]!;
          const a = (u() < 0.5 ? -1 : 1) * rho * bound;
          d[i * n + j] = a;
          // Mostly mirrored; sometimes off by a few ulps or by more than the symmetry tolerance.
          const skew = u();
          d[j * n + i] = skew < 0.85 ? a : skew < 0.95 ? a * (1 + 4e-16) : a + 2e-10 * bound;
        }
      }
      if (u() < 0.02) d[n * n - 2] = NaN;
      const expected = referenceVerdict(d, n);
      assert.equal(verdict(d, n), expected, `trial ${trial}, n = ${n}: ${Array.from(d).join(', ')}`);
      const kind = expected.split(' ').slice(0, 2).join(' ');
      verdicts.set(kind, (verdicts.get(kind) ?? 0) + 1);
    }
    // Every outcome occurred, so the comparison covered accepting and each way of rejecting.
    for (const kind of [
      'ok',
      'E_INPUT_VALUE pair',
      'E_SINGULAR_COVARIANCE asymmetric',
      'E_SINGULAR_COVARIANCE minor',
    ])
      assert.ok((verdicts.get(kind) ?? 0) > 10, `${kind}: ${verdicts.get(kind) ?? 0} trials`);
  });
});

describe('checkCovariance on tiny magnitudes', () => {
  test('a covariance of returns near 1e-100 (variances near 1e-200) is accepted: √Σᵢᵢ·√Σⱼⱼ does not underflow', () => {
    for (const scale of [1, 1e-160, 1e-200, 1e-280]) {
      const d = Float64Array.from([4, 1, -1, 1, 9, 2, -1, 2, 16], (x) => x * scale);
      assert.equal(verdict(d, 3), 'ok', `scale ${scale}: a valid covariance`);
      const bad = Float64Array.from([4, 7, 0, 7, 9, 0, 0, 0, 16], (x) => x * scale);
      assert.match(verdict(bad, 3), /minor 1 0/, `scale ${scale}: |Σ₁₀| above √Σ₀₀·√Σ₁₁ still refused`);
    }
  });
});
