// Random linear rows on the weights for the property tests of the tail-risk LPs (min_cvar, mean_cvar):
// generated from a list of picks, so that fast-check shrinks them like any other input.
import type { TailLinearRows } from '../../src/numeric/optimize/min-cvar.js';

/**
 * Random rows: group sums (0/1), signed tilts, or every third asset; open sides, narrow bands (a row that
 * leaves one side may reach the other) and equalities too.
 */
export function rowsOf(n: number, count: number, pick: number[]): TailLinearRows {
  const a = new Float64Array(count * n);
  const lower = new Float64Array(count);
  const upper = new Float64Array(count);
  let k = 0;
  const next = (): number => (pick[k++ % pick.length] as number) / 1000;
  for (let r = 0; r < count; r++) {
    const kind = next();
    for (let i = 0; i < n; i++) {
      a[r * n + i] =
        kind < 0.6 ? (next() < 0.4 ? 1 : 0) : kind < 0.8 ? next() * 2 - 1 : i % 3 === r % 3 ? 1 : 0;
    }
    lower[r] = next() < 0.5 ? -Infinity : next() * 0.2;
    const band = Number.isFinite(lower[r] as number) && next() < 0.5;
    upper[r] = band
      ? (lower[r] as number) + 0.02 + next() * 0.1
      : next() < 0.2
        ? Infinity
        : 0.2 + next() * 0.6;
    if (next() < 0.1) lower[r] = upper[r] = 0.3;
  }
  return { n, rows: count, a, lower, upper, names: Array.from({ length: count }, (_, r) => `row ${r}`) };
}

/** The largest violation of the budget, the bounds [0, hi] and the rows. */
export function violation(w: Float64Array, rows: TailLinearRows, hi: number): number {
  const n = w.length;
  let sum = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    sum += w[i] as number;
    worst = Math.max(worst, -(w[i] as number), (w[i] as number) - hi);
  }
  worst = Math.max(worst, Math.abs(sum - 1));
  for (let r = 0; r < rows.rows; r++) {
    let v = 0;
    for (let i = 0; i < n; i++) v += (rows.a[r * n + i] as number) * (w[i] as number);
    worst = Math.max(worst, (rows.lower[r] as number) - v, v - (rows.upper[r] as number));
  }
  return worst;
}

/** The meta methods that honour group limits, exactly or by projection (tests of exact limits run each). */
export const LIMIT_METHODS = [
  'min_variance',
  'max_sharpe',
  'risk_parity',
  'hrp',
  'equal_weight',
  'inverse_variance',
  'barbell',
  'min_cvar',
] as const;
