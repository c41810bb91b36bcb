/**
 * Solve a dense square system A·x = b by LU factorisation with partial pivoting (row-major, k x k).
 * For the small non-symmetric Newton systems of the optimizers; symmetric positive definite systems
 * should use the Cholesky routines instead.
 */

/**
 * Solve A·x = b. `a` and `b` are overwritten (a by its LU factors, b by x). Returns false when a pivot
 * is zero or below 1e-14 times the largest entry of its column, i.e. A is numerically singular.
 */
export function luSolveInPlace(a: Float64Array, b: Float64Array, k: number): boolean {
  for (let c = 0; c < k; c++) {
    let p = c;
    let best = Math.abs(a[c * k + c] as number);
    for (let r = c + 1; r < k; r++) {
      const v = Math.abs(a[r * k + c] as number);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    let colMax = 0;
    for (let r = 0; r < k; r++) colMax = Math.max(colMax, Math.abs(a[r * k + c] as number));
    if (!(best > 1e-14 * colMax) || best === 0) return false;
    if (p !== c) {
      for (let j = 0; j < k; j++) {
        const t = a[c * k + j] as number;
        a[c * k + j] = a[p * k + j] as number;
        a[p * k + j] = t;
      }
      const t = b[c] as number;
      b[c] = b[p] as number;
      b[p] = t;
    }
    const pivot = a[c * k + c] as number;
    for (let r = c + 1; r < k; r++) {
      const f = (a[r * k + c] as number) / pivot;
      if (f === 0) continue;
      a[r * k + c] = f;
      for (let j = c + 1; j < k; j++) a[r * k + j] = (a[r * k + j] as number) - f * (a[c * k + j] as number);
      b[r] = (b[r] as number) - f * (b[c] as number);
    }
  }
  for (let c = k - 1; c >= 0; c--) {
    let s = b[c] as number;
    for (let j = c + 1; j < k; j++) s -= (a[c * k + j] as number) * (b[j] as number);
    b[c] = s / (a[c * k + c] as number);
  }
  return true;
}
