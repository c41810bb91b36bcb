/** Input checks shared by the covariance-based optimizers. */
import { QuantError } from '../../errors.js';
import { squareOrder, type Matrix } from '../linalg/matrix.js';

/**
 * An asset whose variance is at most this fraction of the largest variance (a volatility below 10⁻¹²
 * of the most volatile asset's) is riskless: its row and column of Σ are taken as exactly 0.
 */
export const RISKLESS_VARIANCE = 1e-24;

/** The shortcut of {@link checkCovariance}: |Σᵢⱼ| ≤ √Σᵢᵢ·√Σⱼⱼ·(1 − 1e-12), variances ≥ 1e-150. */
const INSIDE_MARGIN = 1 - 1e-12;
const TINY_VARIANCE = 1e-150;

/**
 * Check that `cov` is a square, finite, symmetric matrix with non-negative variances and return n.
 * Not square or a non-finite entry → E_INPUT_VALUE (as in every optimizer); n < 2 → E_TOO_FEW_ASSETS;
 * a negative variance, asymmetry or a covariance larger than the product of the two volatilities →
 * E_SINGULAR_COVARIANCE.
 * Zero variances are allowed (a covariance is positive semidefinite); see {@link risklessAssets}.
 */
export function checkCovariance(cov: Matrix): number {
  const n = squareOrder(cov, 'covariance');
  if (n < 2) {
    throw new QuantError('E_TOO_FEW_ASSETS', `a portfolio optimizer needs at least 2 assets, got ${n}`, {
      hint: 'add assets, or hold a single asset directly',
      details: { n },
    });
  }
  const d = cov.data;
  for (let i = 0; i < n; i++) {
    const vi = d[i * n + i] as number;
    if (!Number.isFinite(vi)) {
      throw new QuantError('E_INPUT_VALUE', `variance of asset ${i} is not finite: ${vi}`, {
        hint: 'the covariance must hold finite numbers: check the returns it was estimated from',
        details: { asset_index: i, variance: String(vi) },
      });
    }
    if (!(vi >= 0)) {
      throw new QuantError(
        'E_SINGULAR_COVARIANCE',
        `asset ${i} has variance ${vi}; a covariance matrix has non-negative, finite variances`,
        {
          hint: 'pass a covariance matrix (positive semidefinite), e.g. the sample or ledoit_wolf estimate',
          details: { asset_index: i },
        },
      );
    }
  }
  if (mirroredInside(d, n)) return n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = d[i * n + j] as number;
      const b = d[j * n + i] as number;
      const tol = 1e-10 * Math.sqrt(d[i * n + i] as number) * Math.sqrt(d[j * n + j] as number);
      if (!Number.isFinite(a) || !Number.isFinite(b)) {
        throw new QuantError(
          'E_INPUT_VALUE',
          `covariance of assets ${i} and ${j} is not finite: ${Number.isFinite(a) ? b : a}`,
          {
            hint: 'the covariance must hold finite numbers: check the returns it was estimated from',
            details: { row: i, column: j },
          },
        );
      }
      if (!(Math.abs(a - b) <= tol)) {
        throw new QuantError(
          'E_SINGULAR_COVARIANCE',
          `the covariance is not symmetric at (${i}, ${j}): ${a} vs ${b}`,
          {
            hint: 'pass a symmetric covariance matrix',
            details: { row: i, column: j },
          },
        );
      }
      // Every 2 x 2 principal minor of a positive semidefinite matrix is ≥ 0 (a cheap necessary check; the
      // solvers detect the rest as a negative pivot).
      const bound = Math.sqrt(d[i * n + i] as number) * Math.sqrt(d[j * n + j] as number);
      if (Math.abs(a) > bound * (1 + 1e-8) + 1e-300) {
        throw new QuantError(
          'E_SINGULAR_COVARIANCE',
          `the covariance matrix is not positive semidefinite: the covariance ${a} of asset ${j} and asset ${i} exceeds the product of their volatilities ${bound}`,
          {
            hint: 'pass a covariance matrix (positive semidefinite), e.g. the sample or ledoit_wolf estimate',
            details: { asset_index: j, assets: [j, i] },
          },
        );
      }
    }
  }
  return n;
}

/**
 * Whether every pair i > j of the n x n matrix d (finite variances ≥ 0, checked) is mirrored (Σᵢⱼ = Σⱼᵢ)
 * and well inside √(Σᵢᵢ·Σⱼⱼ): |Σᵢⱼ| ≤ √Σᵢᵢ·√Σⱼⱼ·(1 − 1e-12), every variance ≥ 1e-150. Such a pair
 * passes every check of {@link checkCovariance}: the margin exceeds the roundings of either product by
 * far, and those variances keep Σᵢᵢ·Σⱼⱼ a normal number. When this holds the matrix is accepted without
 * the checks' two square roots per pair; otherwise they decide, pair by pair, in order. Tiles of 32 x 32
 * keep the transposed reads in cache.
 */
function mirroredInside(d: Float64Array, n: number): boolean {
  const root = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = d[i * n + i] as number;
    if (!(v >= TINY_VARIANCE)) return false;
    root[i] = Math.sqrt(v) * INSIDE_MARGIN;
  }
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      for (let i = i0; i < i1; i++) {
        const ri = Math.sqrt(d[i * n + i] as number);
        const j1 = Math.min(i, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          const a = d[i * n + j] as number;
          if (a !== d[j * n + i] || !(Math.abs(a) <= ri * (root[j] as number))) return false;
        }
      }
    }
  }
  return true;
}

const TILE = 32;

/**
 * Relative tolerance of {@link assertPositiveSemidefinite}: a pivot of the pivoted LDLᵀ factorization
 * below −1e-10 × the largest variance is a negative eigen-direction, not rounding (which stays near
 * n · 2.2e-16 × the largest variance for a sample or shrunk estimate, also a singular one).
 */
const PSD_TOLERANCE = 1e-10;

/**
 * Refuse a checked covariance (square, finite, symmetric, variances ≥ 0) that is not positive
 * semidefinite: some portfolio would have a negative variance, though every pair passes the 2 × 2 test
 * (correlations A–B 0.9, B–C 0.9, A–C −0.9). LDLᵀ with diagonal pivoting on a copy, O(n³/3): at each
 * step the asset with the largest variance left (its Schur complement) is eliminated; a pivot below
 * −{@link PSD_TOLERANCE} × the largest variance, or, once every variance left is within the tolerance,
 * a covariance left beyond it, means Σ is not positive semidefinite.
 *
 * @throws QuantError `E_SINGULAR_COVARIANCE` naming the asset, the assets eliminated before it and the
 *   variance (or covariance) left.
 */
export function assertPositiveSemidefinite(cov: Matrix, labels?: readonly string[]): void {
  const n = cov.rows;
  const d = cov.data;
  // The lower triangle of Σ (mean of the two mirrored entries), symmetrically permuted as assets are
  // eliminated: perm[k] is the asset in position k.
  const s = new Float64Array(n * n);
  let largest = 0;
  for (let i = 0; i < n; i++) {
    largest = Math.max(largest, d[i * n + i] as number);
    for (let j = 0; j <= i; j++) s[i * n + j] = ((d[i * n + j] as number) + (d[j * n + i] as number)) / 2;
  }
  const tol = PSD_TOLERANCE * largest;
  const perm = Array.from({ length: n }, (_, i) => i);
  const col = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if ((s[i * n + i] as number) > (s[p * n + p] as number)) p = i;
    if (p !== k) swapSymmetric(s, n, k, p, perm);
    const pivot = s[k * n + k] as number;
    if (pivot <= tol) {
      // Every variance left is ≤ tol: in a positive semidefinite Σ so is every covariance left.
      for (let i = k; i < n; i++) {
        for (let j = k; j <= i; j++) {
          const v = s[i * n + j] as number;
          if (i === j ? v >= -tol : Math.abs(v) <= tol) continue;
          throw notSemidefinite(perm[i] as number, perm[j] as number, v, perm.slice(0, k), tol, labels);
        }
      }
      return;
    }
    for (let i = k + 1; i < n; i++) col[i] = s[i * n + k] as number;
    for (let i = k + 1; i < n; i++) {
      const f = (col[i] as number) / pivot;
      if (f === 0) continue;
      const row = i * n;
      for (let j = k + 1; j <= i; j++) s[row + j] = (s[row + j] as number) - f * (col[j] as number);
    }
  }
}

/** Swap positions k < p of a symmetric matrix kept in its lower triangle `s` (n × n), and of `perm`. */
function swapSymmetric(s: Float64Array, n: number, k: number, p: number, perm: number[]): void {
  const swap = (a: number, b: number): void => {
    const t = s[a] as number;
    s[a] = s[b] as number;
    s[b] = t;
  };
  for (let j = 0; j < k; j++) swap(k * n + j, p * n + j);
  swap(k * n + k, p * n + p);
  for (let j = k + 1; j < p; j++) swap(j * n + k, p * n + j);
  for (let j = p + 1; j < n; j++) swap(j * n + k, j * n + p);
  const t = perm[k] as number;
  perm[k] = perm[p] as number;
  perm[p] = t;
}

function notSemidefinite(
  i: number,
  j: number,
  v: number,
  done: readonly number[],
  tol: number,
  labels?: readonly string[],
): QuantError {
  // By name when the caller labelled the assets, else by index: #k is row (and column) k of the
  // covariance, counted from 0 as the library's other messages count rows (`covariance[2] (row 2)`).
  const name = (k: number): string => (labels === undefined ? `#${k}` : JSON.stringify(labels[k] ?? `#${k}`));
  const rows = (ks: readonly number[], all = false): string =>
    labels === undefined
      ? ` (row${ks.length === 1 ? '' : 's'} ${ks.join(ks.length === 2 && all ? ' and ' : ', ')}${all ? ' of the covariance' : ''})`
      : '';
  const list = (ks: readonly number[]): string =>
    `asset${ks.length === 1 ? '' : 's'} ${ks.map(name).join(', ')}${rows(ks)}`;
  const hedged = done.length === 0 ? '' : ` hedged with ${list(done)}`;
  const what =
    i === j
      ? `asset ${name(i)}${rows([i], true)}${hedged} has a variance of ${v}`
      : `assets ${name(j)} and ${name(i)}${rows([j, i], true)}${hedged} have a covariance of ${v} while their variances are at most ${tol}`;
  return new QuantError(
    'E_SINGULAR_COVARIANCE',
    `the covariance matrix is not positive semidefinite: ${what}, so some portfolio would have a negative variance (pivoted LDLᵀ, tolerance ${PSD_TOLERANCE} × the largest variance)`,
    {
      hint: 'pass a covariance estimated from one set of returns (sample or ledoit_wolf), not one assembled from separately chosen correlations, or repair it to the nearest positive semidefinite matrix',
      details: { asset_index: i, assets: [...done, ...(i === j ? [i] : [j, i])], value_left: v },
    },
  );
}

/**
 * The riskless assets of a checked covariance: variance ≤ {@link RISKLESS_VARIANCE} × the largest
 * variance (every asset when all variances are 0). Their covariances are then negligible too
 * (|Σ_ij| ≤ √(Σ_ii·Σ_jj), checked by {@link checkCovariance}).
 */
export function risklessAssets(cov: Matrix): number[] {
  const n = cov.rows;
  const d = cov.data;
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, d[i * n + i] as number);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if ((d[i * n + i] as number) <= RISKLESS_VARIANCE * largest) out.push(i);
  return out;
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
