import { QuantError } from '../../errors.js';
import { squareOrder, type Matrix } from '../linalg/matrix.js';
import { applyBounds } from './bounded-projection.js';
import { resolveBounds, type WeightBound } from './feasibility.js';
import { minVariance } from './min-variance.js';
import { largestDescending } from '../stats/tail-risk.js';

export interface BarbellOptions {
  /** Lower weight bound, scalar or per asset (default 0). */
  readonly minWeight?: WeightBound;
  /** Upper weight bound, scalar or per asset (default 1). */
  readonly maxWeight?: WeightBound;
}

export interface BarbellResult {
  /** n weights, lo ≤ w ≤ hi, Σw = 1. */
  readonly weights: Float64Array;
  /** Indices of the aggressive sleeve, best score first. */
  readonly aggressors: number[];
  /** Antifragility score per asset (see {@link antifragilityScores}). */
  readonly scores: Float64Array;
}

/** Share of the aggressive sleeve; the core gets the rest. */
const BARBELL_AGGRESSIVE_SHARE = 0.1;
/** Tail fraction used for the right-tail gain. */
const BARBELL_TAIL = 0.05;
/** Columns of the returns read per pass over the rows. */
const COLUMN_BLOCK = 16;

/**
 * Taleb-style barbell: a minimum-variance core plus a small, equally weighted convex sleeve.
 *
 * The aggressors are the k = min(5, n − 1, max(1, ⌊n/2⌋)) assets with the highest
 * {@link antifragilityScores} (ties: lower index first); they share 10 % equally. The other assets get
 * 90 % in the proportions of {@link minVariance} on their own covariance block (long-only, no bounds; a
 * single core asset takes the whole 90 %). The configured bounds are then imposed by
 * {@link applyBounds}. Deterministic.
 *
 * @param returns T x n simple returns (T ≥ 3); `cov` their n x n covariance.
 * @throws QuantError E_TOO_FEW_ASSETS (n < 2; the caller handles a single sleeve),
 *   E_TOO_FEW_OBSERVATIONS (T < 3), E_INFEASIBLE_BOUNDS, and the errors of {@link minVariance}.
 */
export function barbell(returns: Matrix, cov: Matrix, options: BarbellOptions = {}): BarbellResult {
  const n = returns.cols;
  if (squareOrder(cov, 'covariance') !== n) {
    throw new QuantError('E_INPUT_VALUE', `the covariance is ${cov.rows} x ${cov.cols} for ${n} assets`, {
      hint: 'pass the covariance of the same assets as the returns',
      details: { rows: cov.rows, columns: cov.cols, assets: n },
    });
  }
  const lo = options.minWeight ?? 0;
  const hi = options.maxWeight ?? 1;
  resolveBounds(n, lo, hi);
  const scores = antifragilityScores(returns);
  const ranked = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
  const k = Math.min(5, n - 1, Math.max(1, Math.floor(n / 2)));
  const aggressors = ranked.slice(0, k);
  const core = ranked.slice(k).sort((a, b) => a - b);
  const w = new Float64Array(n);
  for (const i of aggressors) w[i] = BARBELL_AGGRESSIVE_SHARE / k;
  const coreShare = 1 - BARBELL_AGGRESSIVE_SHARE;
  if (core.length === 1) {
    w[core[0] as number] = coreShare;
  } else {
    const m = core.length;
    const block = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++)
        block[a * m + b] = cov.data[(core[a] as number) * n + (core[b] as number)] as number;
    const inner = minVariance({ rows: m, cols: m, data: block }).weights;
    for (let a = 0; a < m; a++) w[core[a] as number] = coreShare * (inner[a] as number);
  }
  return { weights: applyBounds(w, lo, hi), aggressors, scores };
}

/**
 * Antifragility score per asset: z(skew) + z(tail gain), each standardised across the assets (mean 0,
 * sample standard deviation 1; a component with no spread contributes 0).
 *
 * - skew: adjusted Fisher–Pearson sample skewness G1 = √(T(T−1))/(T−2) · m3 / m2^{3/2} (pandas'
 *   `skew()`), 0 for a constant series;
 * - tail gain: mean of the top q = max(1, ⌈5 %·T⌉) returns divided by |mean of the bottom q| (convex
 *   payoffs gain more in the right tail than they lose in the left); a zero left tail counts as 1e-12.
 *
 * @param returns T x n simple returns, T ≥ 3.
 */
export function antifragilityScores(returns: Matrix): Float64Array {
  const { rows: T, cols: n, data } = returns;
  if (T < 3) {
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `the barbell score needs at least 3 observations, got ${T}`,
      {
        hint: 'use a longer history',
      },
    );
  }
  const skew = new Float64Array(n);
  const tail = new Float64Array(n);
  const q = Math.max(1, Math.ceil(BARBELL_TAIL * T));
  // The columns a block at a time (one pass over the rows per block, not one strided pass per column).
  const block = new Float64Array(T * COLUMN_BLOCK);
  for (let j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
    const width = Math.min(COLUMN_BLOCK, n - j0);
    for (let t = 0; t < T; t++) {
      const row = t * n + j0;
      for (let c = 0; c < width; c++) block[c * T + t] = data[row + c] as number;
    }
    for (let c = 0; c < width; c++) {
      const j = j0 + c;
      const col = block.subarray(c * T, (c + 1) * T);
      let mean = 0;
      for (let t = 0; t < T; t++) {
        const v = col[t] as number;
        if (!Number.isFinite(v))
          throw new QuantError('E_INPUT_VALUE', `return of asset ${j} at row ${t} is ${v}`, {
            hint: 'clean the returns first',
          });
        mean += v;
      }
      mean /= T;
      let m2 = 0;
      let m3 = 0;
      for (let t = 0; t < T; t++) {
        const d = (col[t] as number) - mean;
        m2 += d * d;
        m3 += d * d * d;
      }
      m2 /= T;
      m3 /= T;
      skew[j] = m2 > 0 ? ((Math.sqrt(T * (T - 1)) / (T - 2)) * m3) / Math.pow(m2, 1.5) : 0;
      // The q largest from the top down and the q smallest from the bottom up, each added in that order
      // (the terms of a full sort's ends; a tie of −0 and +0 cannot change a sum that starts at +0).
      const largest = largestDescending(col, q);
      for (let t = 0; t < T; t++) col[t] = -(col[t] as number);
      const smallest = largestDescending(col, q);
      let bottom = 0;
      let top = 0;
      for (let t = 0; t < q; t++) {
        bottom += -(smallest[t] as number);
        top += largest[t] as number;
      }
      tail[j] = top / q / Math.max(Math.abs(bottom / q), 1e-12);
    }
  }
  const zs = standardise(skew);
  const zt = standardise(tail);
  return zs.map((v, i) => v + (zt[i] as number));
}

function standardise(v: Float64Array): Float64Array {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((v[i] as number) - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return v.map((x) => (sd > 0 ? (x - mean) / sd : 0));
}
