import type { Matrix } from '../linalg/matrix.js';
import { QuantError } from '../../errors.js';
import { checkShape } from './_check.js';
import { sampleCovariance } from './sample-covariance.js';
import { shiftedGram } from './_gram.js';

/**
 * The sample covariance of consecutive walk-forward training windows, updated instead of recomputed.
 * Consecutive windows share all but a few rows: the shifted Gram matrix G = Σₜ (r_t − c)(r_t − c)ᵀ and
 * the shifted sums s = Σₜ (r_t − c) lose the rows that left and gain the rows that entered, O(Δ·n²)
 * instead of O(T·n²) (the blocks of rows go through the Gram kernels of `centredGram`); the covariance is (G − s sᵀ / T) / (T − 1). The shift c is the column mean of the
 * window at the last full computation, so that the subtraction does not cancel. Every `recomputeEvery`-th
 * window (and whenever a window does not overlap the previous one) is computed in full, which bounds the
 * rounding that the updates accumulate.
 *
 * The result differs from `sampleCovariance` (two passes: means, then the centred Gram matrix) by
 * rounding only — about 1e-15 relative, far inside 1e-12 (a property test) — but not bit for bit, which
 * is why walk-forward backtests use it only when asked (sleeve key `incremental_moments`).
 */
export class RollingCovariance {
  private n = -1;
  private T = 0;
  private gram = new Float64Array(0);
  private sums = new Float64Array(0);
  private shift = new Float64Array(0);
  /** The rows of the last window, by date. */
  private rows = new Float64Array(0);
  private dates: readonly string[] = [];
  private sinceFull = 0;
  /** Windows computed in full and by update so far. */
  readonly counts = { full: 0, updated: 0 };

  /** @param recomputeEvery every this many windows, one is computed in full (1: always). */
  constructor(private readonly recomputeEvery: number) {
    if (!Number.isInteger(recomputeEvery) || recomputeEvery < 1) {
      throw new QuantError('E_PARAMS', `incremental_moments must be an integer ≥ 1, got ${recomputeEvery}`);
    }
  }

  /**
   * Sample covariance (ddof = 1, per period) of `window`, whose rows are labelled by `dates` (the same
   * date must mean the same row from window to window, as in one walk-forward).
   */
  covariance(window: Matrix, dates: readonly string[]): Matrix {
    checkShape(window, 1);
    if (dates.length !== window.rows) {
      throw new QuantError('E_INPUT_VALUE', `${dates.length} dates for ${window.rows} rows`);
    }
    const overlap = this.overlap(window, dates);
    if (overlap === null || this.sinceFull + 1 >= this.recomputeEvery) this.full(window);
    else this.update(window, overlap);
    this.rows = window.data.slice();
    this.dates = dates.slice();
    const out = this.result();
    for (let i = 0; i < window.cols; i++) {
      if (Number.isFinite(out.data[i * window.cols + i])) continue;
      // A non-finite cell: the two-pass estimate names it (E_INPUT_VALUE); the next window starts afresh.
      this.T = 0;
      return sampleCovariance(window);
    }
    return out;
  }

  /** Rows of the previous window that leave (its first `dropped`) and stay, or null without overlap. */
  private overlap(window: Matrix, dates: readonly string[]): { dropped: number; kept: number } | null {
    if (window.cols !== this.n || this.T === 0) return null;
    const dropped = this.dates.indexOf(dates[0] as string);
    if (dropped < 0) return null;
    const kept = this.T - dropped;
    if (kept > window.rows) return null;
    for (let t = 0; t < kept; t++) if (this.dates[dropped + t] !== dates[t]) return null;
    return { dropped, kept };
  }

  private full(window: Matrix): void {
    const { rows: T, cols: n, data } = window;
    this.n = n;
    this.T = T;
    this.gram = new Float64Array(n * n);
    this.sums = new Float64Array(n);
    this.shift = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < n; j++) this.shift[j] = (this.shift[j] as number) + (data[t * n + j] as number);
    }
    for (let j = 0; j < n; j++) this.shift[j] = (this.shift[j] as number) / T;
    this.addRows(data, 0, T, 1);
    this.sinceFull = 0;
    this.counts.full++;
  }

  private update(window: Matrix, { dropped, kept }: { dropped: number; kept: number }): void {
    this.addRows(this.rows, 0, dropped, -1);
    this.addRows(window.data, kept, window.rows, 1);
    this.T = window.rows;
    if (dropped > 0 || kept < window.rows) this.sinceFull++;
    this.counts.updated++;
  }

  /** G += sign·Σ (r_t − c)(r_t − c)ᵀ and s += sign·Σ (r_t − c) over rows [from, to) of `data`. */
  private addRows(data: Float64Array, from: number, to: number, sign: 1 | -1): void {
    if (to <= from) return;
    const { n, gram, sums, shift } = this;
    const block = shiftedGram(data.subarray(from * n, to * n), to - from, n, shift);
    for (let k = 0; k < n * n; k++) gram[k] = (gram[k] as number) + sign * (block[k] as number);
    for (let t = from; t < to; t++) {
      for (let j = 0; j < n; j++) {
        sums[j] = (sums[j] as number) + sign * ((data[t * n + j] as number) - (shift[j] as number));
      }
    }
  }

  private result(): Matrix {
    const { n, T, gram, sums } = this;
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = ((gram[i * n + j] as number) - ((sums[i] as number) * (sums[j] as number)) / T) / (T - 1);
        out[i * n + j] = v;
        out[j * n + i] = v;
      }
    }
    return { rows: n, cols: n, data: out };
  }
}
