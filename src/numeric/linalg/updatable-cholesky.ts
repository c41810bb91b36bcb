import {
  PIVOT_FLOOR,
  backSubstituteTransposed,
  choleskyFactorInPlace,
  forwardSubstitute,
} from './cholesky.js';
import { simdFactorStorage } from './_triangular-simd.js';

/**
 * A Cholesky factor L·Lᵀ = A_FF of a principal submatrix of a fixed symmetric matrix A, kept up to date
 * while indices enter and leave the set F (the free set of an active-set method). Appending costs one
 * triangular solve (O(k²)); removing restores triangularity with k Givens rotations (O(k²)); a fresh
 * factorisation would cost k³/3.
 *
 * Callers may also keep *forward vectors* y = L⁻¹·b up to date at O(k) per change: after
 * {@link UpdatableCholesky.append} extend them with {@link UpdatableCholesky.extendForward}; pass them to
 * {@link UpdatableCholesky.remove}, which applies the same rotations (if L·y = b and L' = rows of L
 * without row p, times G, then L'·(Gᵀy) = b without entry p).
 */
export interface UpdatableCholesky {
  /** Number of indices in the factor. */
  readonly size: number;
  /** The indices of A in factor order. */
  readonly order: readonly number[];
  /**
   * Append index j. Returns false (and leaves the factor unchanged) when A_FF would be singular: the
   * new pivot fails the relative floor of {@link PIVOT_FLOOR}.
   */
  append(j: number): boolean;
  /**
   * The pivot index j would get if appended, A_jj − A_jFᵀ·A_FF⁻¹·A_Fj (the Schur complement), without
   * changing the factor: about 0 when A_{F∪j} is singular, clearly negative when it is indefinite.
   */
  schur(j: number): number;
  /**
   * After appends, set y[row] so that L·y = b holds in that row, given b_row and the entries of y
   * before it (rows appended in a batch are extended in order).
   */
  extendForward(y: Float64Array, row: number, bRow: number): void;
  /** Remove index j (must be present), rotating the given forward vectors along. */
  remove(j: number, forwardVectors?: readonly Float64Array[]): void;
  /** y ← L⁻¹·y (y in factor order, at least `size` entries). */
  forwardInPlace(y: Float64Array): void;
  /** x ← L⁻ᵀ·x. */
  backInPlace(x: Float64Array): void;
  /** Solve A_FF·x = b in place. */
  solveInPlace(b: Float64Array): void;
  /** Refactor from scratch (clears accumulated rounding). Returns false if A_FF is singular. */
  refactor(): boolean;
  /** Replace the index set and factor it from scratch. Returns false if A_FF is singular. */
  reset(indices: readonly number[]): boolean;
  /**
   * Hand the factor's WebAssembly memory (from 56 assets) to the next factor; the
   * factor must not be used after. Optional: an undisposed factor's memory is simply not reused.
   */
  dispose(): void;
}

/**
 * Create an empty updatable factor for principal submatrices of the n x n row-major matrix `a`.
 * Storage is one n x n buffer, allocated once.
 */
export function createUpdatableCholesky(a: Float64Array, n: number): UpdatableCholesky {
  // From SIMD_MIN_ORDER the factor lives in WebAssembly memory, where its solves run in SIMD (same bits).
  const storage = simdFactorStorage(n);
  const l = storage?.l ?? new Float64Array(n * n);
  const col = storage?.col ?? new Float64Array(n);
  const forward = (b: Float64Array, k: number): void =>
    storage === undefined ? forwardSubstitute(l, b, k, n) : storage.forward(b, k);
  const back = (x: Float64Array, k: number): void =>
    storage === undefined ? backSubstituteTransposed(l, x, k, n) : storage.back(x, k);
  // The rotations of one removal.
  const rotations = storage?.rotations ?? { cosines: new Float64Array(n), sines: new Float64Array(n) };
  const order: number[] = [];

  function append(j: number): boolean {
    const k = order.length;
    const rj = j * n;
    for (let p = 0; p < k; p++) col[p] = a[rj + (order[p] as number)] as number;
    forward(col, k);
    const diag = a[rj + j] as number;
    let d = diag;
    for (let p = 0; p < k; p++) d -= (col[p] as number) * (col[p] as number);
    if (!(d > PIVOT_FLOOR * diag) || !(diag > 0)) return false;
    const rk = k * n;
    for (let p = 0; p < k; p++) l[rk + p] = col[p] as number;
    l[rk + k] = Math.sqrt(d);
    order.push(j);
    return true;
  }

  function schur(j: number): number {
    const k = order.length;
    const rj = j * n;
    for (let p = 0; p < k; p++) col[p] = a[rj + (order[p] as number)] as number;
    forward(col, k);
    let d = a[rj + j] as number;
    for (let p = 0; p < k; p++) d -= (col[p] as number) * (col[p] as number);
    return d;
  }

  function extendForward(y: Float64Array, row: number, bRow: number): void {
    const rk = row * n;
    let s = bRow;
    for (let p = 0; p < row; p++) s -= (l[rk + p] as number) * (y[p] as number);
    y[row] = s / (l[rk + row] as number);
  }

  function remove(j: number, forwardVectors: readonly Float64Array[] = []): void {
    const pos = order.indexOf(j);
    if (pos < 0) throw new RangeError(`index ${j} is not in the factor`);
    const k = order.length;
    dropRow(l, n, k, pos, rotations, forwardVectors, storage?.rotatePair);
    order.splice(pos, 1);
  }

  function refactor(): boolean {
    // Gather A_FF into the factor's buffer and factor it in place (contiguous, k³/3).
    const k = order.length;
    for (let x = 0; x < k; x++) {
      const rx = (order[x] as number) * n;
      for (let y = 0; y <= x; y++) l[x * n + y] = a[rx + (order[y] as number)] as number;
    }
    return choleskyFactorInPlace(l, l, k, n) < 0;
  }

  function reset(indices: readonly number[]): boolean {
    order.length = 0;
    for (const j of indices) order.push(j);
    return refactor();
  }

  return {
    get size() {
      return order.length;
    },
    order,
    append,
    schur,
    extendForward,
    remove,
    forwardInPlace: (y) => forward(y, order.length),
    backInPlace: (x) => back(x, order.length),
    solveInPlace: (b) => {
      forward(b, order.length);
      back(b, order.length);
    },
    refactor,
    reset,
    dispose: () => storage?.release(),
  };
}

/**
 * Remove row `pos` of the k x k factor in `l` (stride n) and restore triangularity, rotating the
 * forward vectors along; `rotations` is scratch of n entries each. `pairs` (the WebAssembly storage's)
 * takes the shared rotations of two rows at once.
 */
function dropRow(
  l: Float64Array,
  n: number,
  k: number,
  pos: number,
  rotations: Rotations,
  forwardVectors: readonly Float64Array[],
  pairs?: (i: number, c0: number, c1: number) => Float64Array,
): void {
  const { cosines, sines } = rotations;
  // Drop row pos; rows below shift up and carry one entry right of the diagonal (Hessenberg form).
  for (let i = pos + 1; i < k; i++) l.copyWithin((i - 1) * n, i * n, i * n + i + 1);
  // Column Givens rotations (L·G·Gᵀ·Lᵀ = L·Lᵀ) zero the superdiagonal entries one by one. Rotation c
  // comes from row c once rotations pos … c − 1 have reached it, so the rows are taken one at a time,
  // each along its contiguous entries: every entry sees the same rotations in the same order as
  // rotating column pairs across all rows would (same bits), without striding through the buffer.
  // With `pairs`, rows i and i + 1 take rotations pos … i − 1 together, then row i makes rotation i,
  // which row i + 1 takes before making rotation i + 1: the same operations on every entry.
  let i = pos;
  if (pairs !== undefined) {
    for (; i + 1 < k - 1; i += 2) {
      const carried = pairs(i, pos, i);
      const next = carried[1] as number;
      finishRow(l, i * n, i, carried[0] as number, rotations);
      finishRow(l, (i + 1) * n, i + 1, rotateRow(l, (i + 1) * n, i, i + 1, next, rotations), rotations);
    }
  }
  for (; i < k - 1; i++) {
    const ri = i * n;
    finishRow(l, ri, i, rotateRow(l, ri, pos, i, l[ri + pos] as number, rotations), rotations);
  }
  for (const f of forwardVectors) {
    for (let c = pos; c < k - 1; c++) {
      const cs = cosines[c] as number;
      const sn = sines[c] as number;
      const u = f[c] as number;
      const v = f[c + 1] as number;
      f[c] = cs * u + sn * v;
      f[c + 1] = cs * v - sn * u;
    }
  }
}

type Rotations = { readonly cosines: Float64Array; readonly sines: Float64Array };

/** Rotations c0 … c1 − 1 on the row at `ri`, the carried entry starting at u; returns the last u. */
function rotateRow(
  l: Float64Array,
  ri: number,
  c0: number,
  c1: number,
  u: number,
  rotations: Rotations,
): number {
  const { cosines, sines } = rotations;
  for (let c = c0; c < c1; c++) {
    const cs = cosines[c] as number;
    const sn = sines[c] as number;
    const v = l[ri + c + 1] as number;
    l[ri + c] = cs * u + sn * v;
    u = cs * v - sn * u;
  }
  return u;
}

/** Rotation i from the carried entry x and the superdiagonal y of row i; applied to that row. */
function finishRow(l: Float64Array, ri: number, i: number, x: number, rotations: Rotations): void {
  const y = l[ri + i + 1] as number;
  const r = Math.hypot(x, y);
  const cs = x / r;
  const sn = y / r;
  rotations.cosines[i] = cs;
  rotations.sines[i] = sn;
  l[ri + i] = cs * x + sn * y;
  l[ri + i + 1] = 0;
}
