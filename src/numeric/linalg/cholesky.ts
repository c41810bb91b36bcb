/**
 * Dense Cholesky factorisation A = L·Lᵀ of a symmetric positive definite matrix, row-major, and the
 * triangular solves that use it. Only the lower triangle of A is read.
 */
import { choleskyFactorSimd, SIMD_MIN_ORDER } from './_cholesky-simd.js';

/**
 * Relative pivot floor: a pivot d_j with d_j ≤ PIVOT_FLOOR · a_jj means column j is (numerically) a
 * linear combination of the previous ones (1 − R² of that regression below 1e-13), i.e. A is singular.
 */
export const PIVOT_FLOOR = 1e-13;

/**
 * Factor the k x k matrix held in `a` (row stride `ld`) into `l` (same layout; may alias `a`).
 * Returns -1 on success, else the index of the first pivot that fails {@link PIVOT_FLOOR} (rows from
 * that one on are then unspecified).
 * Cost k³/3 flops (Cholesky–Banachiewicz, row-wise dot products for contiguous access).
 *
 * Each entry l_ij = (a_ij − Σ_{p<j} l_ip·l_jp) / l_jj is summed in the order p = 0, 1, …, j − 1, as the
 * textbook loop does, so the factor is the same to the last bit. Two rows are computed at once, four
 * entries of each at a time, so that every load of l_ip or l_jp serves two or four products (about 3x
 * faster than the textbook loop at k = 500). From {@link SIMD_MIN_ORDER} on, the same arithmetic runs
 * in WebAssembly SIMD (_cholesky-simd.ts), equal to the last bit.
 */
export function choleskyFactorInPlace(a: Float64Array, l: Float64Array, k: number, ld: number = k): number {
  if (k >= SIMD_MIN_ORDER) {
    const failed = choleskyFactorSimd(a, l, k, ld, PIVOT_FLOOR);
    if (failed !== undefined) return failed;
  }
  return choleskyFactorScalar(a, l, k, ld);
}

/** {@link choleskyFactorInPlace} in plain JavaScript (below {@link SIMD_MIN_ORDER}, or without SIMD). */
function choleskyFactorScalar(a: Float64Array, l: Float64Array, k: number, ld: number = k): number {
  let i = 0;
  for (; i + 1 < k; i += 2) {
    const ri = i * ld;
    const rn = ri + ld;
    let j = 0;
    for (; j + 3 < i; j += 4) factorTwoByFour(a, l, ri, j, ld);
    for (; j < i; j++) {
      const rj = j * ld;
      let s = a[ri + j] as number;
      let t = a[rn + j] as number;
      for (let p = 0; p < j; p++) {
        const ljp = l[rj + p] as number;
        s -= (l[ri + p] as number) * ljp;
        t -= (l[rn + p] as number) * ljp;
      }
      const ljj = l[rj + j] as number;
      l[ri + j] = s / ljj;
      l[rn + j] = t / ljj;
    }
    if (!diagonal(a, l, ri, i)) return i;
    // Row i + 1, column i, then its diagonal.
    let t = a[rn + i] as number;
    for (let p = 0; p < i; p++) t -= (l[rn + p] as number) * (l[ri + p] as number);
    l[rn + i] = t / (l[ri + i] as number);
    if (!diagonal(a, l, rn, i + 1)) return i + 1;
    for (let c = i + 1; c < k; c++) l[ri + c] = 0;
    for (let c = i + 2; c < k; c++) l[rn + c] = 0;
  }
  if (i < k) {
    const ri = i * ld;
    // The last row of an odd k, once per factorisation: plain dot products.
    for (let j = 0; j < i; j++) {
      const rj = j * ld;
      let s = a[ri + j] as number;
      for (let p = 0; p < j; p++) s -= (l[ri + p] as number) * (l[rj + p] as number);
      l[ri + j] = s / (l[rj + j] as number);
    }
    if (!diagonal(a, l, ri, i)) return i;
  }
  return -1;
}

/** l_ii from the entries left of it (row starting at `ri`); false if the pivot fails the floor. */
function diagonal(a: Float64Array, l: Float64Array, ri: number, i: number): boolean {
  let s = a[ri + i] as number;
  for (let p = 0; p < i; p++) s -= (l[ri + p] as number) * (l[ri + p] as number);
  const diag = a[ri + i] as number;
  if (!(s > PIVOT_FLOOR * diag) || !(diag > 0)) return false;
  l[ri + i] = Math.sqrt(s);
  return true;
}

/**
 * l_ij … l_i,j+3 of the rows starting at `ri` and `ri + ld` (all left of the diagonal): the shared part
 * p < j of the eight dot products in one pass (the rows j … j + 3 loaded once for both), then the small
 * triangle p = j … j + 2, each sum in increasing p.
 */
function factorTwoByFour(a: Float64Array, l: Float64Array, ri: number, j: number, ld: number): void {
  const rn = ri + ld;
  const r0 = j * ld;
  const r1 = r0 + ld;
  const r2 = r1 + ld;
  const r3 = r2 + ld;
  let s0 = a[ri + j] as number;
  let s1 = a[ri + j + 1] as number;
  let s2 = a[ri + j + 2] as number;
  let s3 = a[ri + j + 3] as number;
  let t0 = a[rn + j] as number;
  let t1 = a[rn + j + 1] as number;
  let t2 = a[rn + j + 2] as number;
  let t3 = a[rn + j + 3] as number;
  for (let p = 0; p < j; p++) {
    const lip = l[ri + p] as number;
    const lnp = l[rn + p] as number;
    const l0 = l[r0 + p] as number;
    const l1 = l[r1 + p] as number;
    const l2 = l[r2 + p] as number;
    const l3 = l[r3 + p] as number;
    s0 -= lip * l0;
    s1 -= lip * l1;
    s2 -= lip * l2;
    s3 -= lip * l3;
    t0 -= lnp * l0;
    t1 -= lnp * l1;
    t2 -= lnp * l2;
    t3 -= lnp * l3;
  }
  finishFour(l, ri, j, ld, s0, s1, s2, s3);
  finishFour(l, rn, j, ld, t0, t1, t2, t3);
}

/** The terms p = j … j + 2 of l_ij … l_i,j+3, given the sums over p < j, and the divisions. */
function finishFour(
  l: Float64Array,
  ri: number,
  j: number,
  ld: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
): void {
  const r0 = j * ld;
  const r1 = r0 + ld;
  const r2 = r1 + ld;
  const r3 = r2 + ld;
  const l0 = s0 / (l[r0 + j] as number);
  l[ri + j] = l0;
  s1 -= l0 * (l[r1 + j] as number);
  const l1 = s1 / (l[r1 + j + 1] as number);
  l[ri + j + 1] = l1;
  s2 -= l0 * (l[r2 + j] as number);
  s2 -= l1 * (l[r2 + j + 1] as number);
  const l2 = s2 / (l[r2 + j + 2] as number);
  l[ri + j + 2] = l2;
  s3 -= l0 * (l[r3 + j] as number);
  s3 -= l1 * (l[r3 + j + 1] as number);
  s3 -= l2 * (l[r3 + j + 2] as number);
  l[ri + j + 3] = s3 / (l[r3 + j + 3] as number);
}

/**
 * Solve L·y = b in place (b becomes y) for the lower-triangular k x k factor `l` with stride `ld`.
 * Two rows at a time (each b_p loaded once for both), every sum in the textbook order: bit-identical.
 */
export function forwardSubstitute(l: Float64Array, b: Float64Array, k: number, ld: number = k): void {
  let i = 0;
  for (; i + 1 < k; i += 2) {
    const ri = i * ld;
    const rn = ri + ld;
    let s = b[i] as number;
    let t = b[i + 1] as number;
    for (let p = 0; p < i; p++) {
      const bp = b[p] as number;
      s -= (l[ri + p] as number) * bp;
      t -= (l[rn + p] as number) * bp;
    }
    const yi = s / (l[ri + i] as number);
    b[i] = yi;
    t -= (l[rn + i] as number) * yi;
    b[i + 1] = t / (l[rn + i + 1] as number);
  }
  if (i < k) {
    const ri = i * ld;
    let s = b[i] as number;
    for (let p = 0; p < i; p++) s -= (l[ri + p] as number) * (b[p] as number);
    b[i] = s / (l[ri + i] as number);
  }
}

/**
 * Solve Lᵀ·x = y in place (y becomes x); row-oriented so that L is read contiguously. Two rows at a time
 * (each y_p loaded and stored once for both), the updates of every y_p in the textbook order.
 */
export function backSubstituteTransposed(l: Float64Array, y: Float64Array, k: number, ld: number = k): void {
  let i = k - 1;
  for (; i >= 1; i -= 2) {
    const ri = i * ld;
    const rp = ri - ld;
    const xi = (y[i] as number) / (l[ri + i] as number);
    y[i] = xi;
    const xp = ((y[i - 1] as number) - (l[ri + i - 1] as number) * xi) / (l[rp + i - 1] as number);
    y[i - 1] = xp;
    for (let p = 0; p < i - 1; p++) {
      y[p] = (y[p] as number) - (l[ri + p] as number) * xi - (l[rp + p] as number) * xp;
    }
  }
  if (i === 0) y[0] = (y[0] as number) / (l[0] as number);
}

/** Solve A·x = b in place given the factor L of A (b becomes x). */
export function choleskySolveInPlace(l: Float64Array, b: Float64Array, k: number, ld: number = k): void {
  forwardSubstitute(l, b, k, ld);
  backSubstituteTransposed(l, b, k, ld);
}
