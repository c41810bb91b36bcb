/** Input checks shared by the covariance-based optimizers. */
import { QuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';

/**
 * Check that `cov` is a square, finite, symmetric matrix with positive variances and return n.
 * n < 2 → E_TOO_FEW_ASSETS; a zero or negative variance or asymmetry → E_SINGULAR_COVARIANCE.
 */
export function checkCovariance(cov: Matrix): number {
  const n = cov.rows;
  if (cov.cols !== n || cov.data.length !== n * n) {
    throw new RangeError(`covariance must be square, got ${cov.rows}x${cov.cols}`);
  }
  if (n < 2) {
    throw new QuantError('E_TOO_FEW_ASSETS', `a portfolio optimizer needs at least 2 assets, got ${n}`, {
      hint: 'add assets, or hold a single asset directly',
      details: { n },
    });
  }
  const d = cov.data;
  for (let i = 0; i < n; i++) {
    const vi = d[i * n + i] as number;
    if (!(vi > 0) || !Number.isFinite(vi)) {
      throw new QuantError(
        'E_SINGULAR_COVARIANCE',
        `asset ${i} has variance ${vi}; the covariance must have positive, finite variances`,
        {
          hint: 'drop constant or empty return columns before optimizing',
          details: { assetIndex: i },
        },
      );
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = d[i * n + j] as number;
      const b = d[j * n + i] as number;
      const tol = 1e-10 * Math.sqrt((d[i * n + i] as number) * (d[j * n + j] as number));
      if (!Number.isFinite(a) || !(Math.abs(a - b) <= tol)) {
        throw new QuantError(
          'E_SINGULAR_COVARIANCE',
          `the covariance is not symmetric or not finite at (${i}, ${j}): ${a} vs ${b}`,
          {
            hint: 'pass a symmetric covariance matrix',
            details: { row: i, column: j },
          },
        );
      }
    }
  }
  return n;
}

/** Indices of assets held at the lower and at the upper bound. */
export function activeSets(state: Int8Array): { activeLower: number[]; activeUpper: number[] } {
  const activeLower: number[] = [];
  const activeUpper: number[] = [];
  for (let i = 0; i < state.length; i++) {
    if (state[i] === -1) activeLower.push(i);
    else if (state[i] === 1) activeUpper.push(i);
  }
  return { activeLower, activeUpper };
}
