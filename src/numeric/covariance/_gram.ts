import type { Matrix } from '../linalg/matrix.js';
import { nonFiniteInput } from './_check.js';
import { centredGramSimd, jsColumnSums } from './_gram-simd.js';

/**
 * Column means of T x n row-major returns. A constant column's mean is its value exactly, so that its
 * deviations, variance and covariances are exactly 0.
 *
 * @throws QuantError `E_INPUT_VALUE` naming the first NaN/Inf cell.
 */
function columnMeans(returns: Matrix): Float64Array {
  return meansFromSums(jsColumnSums(returns.data, returns.rows, returns.cols), returns);
}

/** The column means from the column sums (summed in time order from +0), in place; see {@link columnMeans}. */
function meansFromSums(means: Float64Array, returns: Matrix): Float64Array {
  const { rows: T, cols: n, data } = returns;
  for (let j = 0; j < n; j++) {
    means[j] = (means[j] as number) / T;
    // A NaN or ±Inf anywhere in a column poisons its mean, so this also validates every value.
    if ((means[j] as number) - (means[j] as number) !== 0) throw nonFiniteInput(returns);
    // The rounded sum / T may miss a constant column's value by an ulp: take the value itself.
    const first = data[j] as number;
    let t = 1;
    while (t < T && data[t * n + j] === first) t++;
    if (t === T) means[j] = first;
  }
  return means;
}

/**
 * Column means and the centred data in column-major order (n x T): each asset's series becomes one
 * contiguous run, so the scalar Gram kernel below streams through memory. Transposed in blocks of rows
 * so that a block of the input stays in cache.
 *
 * @throws QuantError `E_INPUT_VALUE` naming the first NaN/Inf cell.
 */
function centreColumns(returns: Matrix): { means: Float64Array; centred: Float64Array } {
  const { rows: T, cols: n, data } = returns;
  const means = columnMeans(returns);
  const centred = new Float64Array(n * T);
  for (let t0 = 0; t0 < T; t0 += 64) {
    const t1 = Math.min(T, t0 + 64);
    for (let j = 0; j < n; j++) {
      const mean = means[j] as number;
      const base = j * T;
      for (let t = t0; t < t1; t++) centred[base + t] = (data[t * n + j] as number) - mean;
    }
  }
  return { means, centred };
}

/** Assets from which the SIMD kernel is used (below, its set-up costs more than it saves). */
const SIMD_MIN_ASSETS = 16;

/**
 * Column means and `XᵀX / divisor` of the centred T x n returns X (n x n, row-major, exactly
 * symmetric): the WebAssembly SIMD kernel (_gram-simd.ts) for 16 assets or more where it is available,
 * else {@link gram}. Both sum each entry's products in time order, so they agree bit for bit.
 *
 * @throws QuantError `E_INPUT_VALUE` naming the first NaN/Inf cell.
 */
export function centredGram(
  returns: Matrix,
  divisor: number,
  simd = true,
): { means: Float64Array; gram: Float64Array } {
  const { rows: T, cols: n } = returns;
  if (simd && n >= SIMD_MIN_ASSETS) {
    const fast = centredGramSimd(returns.data, T, n, (sums) => meansFromSums(sums, returns), divisor);
    if (fast !== undefined) return fast;
  }
  const { means, centred } = centreColumns(returns);
  return { means, gram: gram(centred, T, n, divisor) };
}

/**
 * `Σₜ (r_t − c)(r_t − c)ᵀ` of T x n row-major rows shifted by a given `c` (no check for non-finite
 * cells): the kernels of {@link centredGram} on a block of rows, for the rolling covariance's updates.
 */
export function shiftedGram(data: Float64Array, T: number, n: number, shift: Float64Array): Float64Array {
  if (n >= SIMD_MIN_ASSETS) {
    const fast = centredGramSimd(data, T, n, shift, 1);
    if (fast !== undefined) return fast.gram;
  }
  const x = new Float64Array(n * T);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) x[j * T + t] = (data[t * n + j] as number) - (shift[j] as number);
  }
  return gram(x, T, n, 1);
}

/**
 * `XᵀX / divisor` for column-major X (n series of length T), as a symmetric n x n row-major array.
 *
 * The work is done in 3 x 3 tiles of the output: nine running sums share six loads per time step, which
 * cuts loads and bounds checks per multiply-add about threefold against one dot product at a time (V8
 * does not vectorise). Each tile is its own small function so that V8 optimises it after a few calls
 * instead of waiting for on-stack replacement of one big loop nest: the first call in a fresh process is
 * then about as fast as later ones. Entries (i, j) and (j, i) sum the same products in the same order, so
 * the result is exactly symmetric. The one or two columns left over when n is not a multiple of 3 use
 * plain dot products.
 */
function gram(x: Float64Array, T: number, n: number, divisor: number): Float64Array {
  const out = new Float64Array(n * n);
  const tiled = n - (n % 3);
  for (let i = 0; i < tiled; i += 3) {
    for (let j = i; j < tiled; j += 3) tile3x3(x, T, i, j, out, n, divisor);
  }
  for (let j = tiled; j < n; j++) {
    for (let i = 0; i <= j; i++) {
      const v = dot(x, i * T, j * T, T) / divisor;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

function tile3x3(
  x: Float64Array,
  T: number,
  i: number,
  j: number,
  out: Float64Array,
  n: number,
  divisor: number,
): void {
  const a0 = i * T;
  const a1 = a0 + T;
  const a2 = a1 + T;
  const b0 = j * T;
  const b1 = b0 + T;
  const b2 = b1 + T;
  let p00 = 0;
  let p01 = 0;
  let p02 = 0;
  let p10 = 0;
  let p11 = 0;
  let p12 = 0;
  let p20 = 0;
  let p21 = 0;
  let p22 = 0;
  for (let t = 0; t < T; t++) {
    const x0 = x[a0 + t] as number;
    const x1 = x[a1 + t] as number;
    const x2 = x[a2 + t] as number;
    let y = x[b0 + t] as number;
    p00 += x0 * y;
    p10 += x1 * y;
    p20 += x2 * y;
    y = x[b1 + t] as number;
    p01 += x0 * y;
    p11 += x1 * y;
    p21 += x2 * y;
    y = x[b2 + t] as number;
    p02 += x0 * y;
    p12 += x1 * y;
    p22 += x2 * y;
  }
  const r0 = i * n;
  const r1 = r0 + n;
  const r2 = r1 + n;
  const c0 = j * n;
  const c1 = c0 + n;
  const c2 = c1 + n;
  out[r0 + j] = out[c0 + i] = p00 / divisor;
  out[r0 + j + 1] = out[c1 + i] = p01 / divisor;
  out[r0 + j + 2] = out[c2 + i] = p02 / divisor;
  out[r1 + j] = out[c0 + i + 1] = p10 / divisor;
  out[r1 + j + 1] = out[c1 + i + 1] = p11 / divisor;
  out[r1 + j + 2] = out[c2 + i + 1] = p12 / divisor;
  out[r2 + j] = out[c0 + i + 2] = p20 / divisor;
  out[r2 + j + 1] = out[c1 + i + 2] = p21 / divisor;
  out[r2 + j + 2] = out[c2 + i + 2] = p22 / divisor;
}

function dot(x: Float64Array, a: number, b: number, T: number): number {
  let s = 0;
  for (let t = 0; t < T; t++) s += (x[a + t] as number) * (x[b + t] as number);
  return s;
}
