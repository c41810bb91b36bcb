/**
 * Dense Cholesky factorisation A = L·Lᵀ of a symmetric positive definite matrix, row-major, and the
 * triangular solves that use it. Only the lower triangle of A is read.
 */

/**
 * Relative pivot floor: a pivot d_j with d_j ≤ PIVOT_FLOOR · a_jj means column j is (numerically) a
 * linear combination of the previous ones (1 − R² of that regression below 1e-13), i.e. A is singular.
 */
export const PIVOT_FLOOR = 1e-13;

/**
 * Factor the k x k matrix held in `a` (row stride `ld`) into `l` (same layout; may alias `a`).
 * Returns -1 on success, else the index of the first pivot that fails {@link PIVOT_FLOOR}.
 * Cost k³/3 flops (Cholesky–Banachiewicz, row-wise dot products for contiguous access).
 */
export function choleskyFactorInPlace(a: Float64Array, l: Float64Array, k: number, ld: number = k): number {
  for (let i = 0; i < k; i++) {
    const ri = i * ld;
    for (let j = 0; j <= i; j++) {
      const rj = j * ld;
      let s = a[ri + j] as number;
      for (let p = 0; p < j; p++) s -= (l[ri + p] as number) * (l[rj + p] as number);
      if (j === i) {
        const diag = a[ri + i] as number;
        if (!(s > PIVOT_FLOOR * diag) || !(diag > 0)) return i;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / (l[rj + j] as number);
      }
    }
    for (let j = i + 1; j < k; j++) l[ri + j] = 0;
  }
  return -1;
}

/** Solve L·y = b in place (b becomes y) for the lower-triangular k x k factor `l` with stride `ld`. */
export function forwardSubstitute(l: Float64Array, b: Float64Array, k: number, ld: number = k): void {
  for (let i = 0; i < k; i++) {
    const ri = i * ld;
    let s = b[i] as number;
    for (let p = 0; p < i; p++) s -= (l[ri + p] as number) * (b[p] as number);
    b[i] = s / (l[ri + i] as number);
  }
}

/** Solve Lᵀ·x = y in place (y becomes x); row-oriented so that L is read contiguously. */
export function backSubstituteTransposed(l: Float64Array, y: Float64Array, k: number, ld: number = k): void {
  for (let i = k - 1; i >= 0; i--) {
    const ri = i * ld;
    const xi = (y[i] as number) / (l[ri + i] as number);
    y[i] = xi;
    for (let p = 0; p < i; p++) y[p] = (y[p] as number) - (l[ri + p] as number) * xi;
  }
}

/** Solve A·x = b in place given the factor L of A (b becomes x). */
export function choleskySolveInPlace(l: Float64Array, b: Float64Array, k: number, ld: number = k): void {
  forwardSubstitute(l, b, k, ld);
  backSubstituteTransposed(l, b, k, ld);
}
