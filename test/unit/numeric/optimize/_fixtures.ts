// Test-only helpers for the optimizer tests: a tiny sample covariance (ddof = 1, computed here so these
// tests do not depend on src/numeric/covariance), seeded factor-model problems, and portfolio algebra.
import type { Matrix } from '../../../../src/numeric/linalg/matrix.js';

/** Sample covariance with ddof = 1 of a T x n returns matrix, optionally multiplied by `factor`. */
export function sampleCov(returns: Matrix, factor = 1): Matrix {
  const { rows: T, cols: n, data } = returns;
  const mean = new Float64Array(n);
  for (let t = 0; t < T; t++) for (let j = 0; j < n; j++) mean[j]! += data[t * n + j]!;
  for (let j = 0; j < n; j++) mean[j]! /= T;
  const out = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) row[j] = data[t * n + j]! - mean[j]!;
    for (let i = 0; i < n; i++) {
      const ri = row[i]!;
      for (let j = 0; j <= i; j++) out[i * n + j]! += ri * row[j]!;
    }
  }
  const scale = factor / (T - 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = out[i * n + j]! * scale;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return { rows: n, cols: n, data: out };
}

import { seededRandom as rng } from '../../../helpers/random.js';
export { rng };

/** Seeded standard normals (Box–Muller). */
export function normals(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(u() + 1e-300)) * Math.cos(2 * Math.PI * u());
}

/** T x n daily returns of a k-factor model with idiosyncratic noise and small drifts. */
export function factorReturns(n: number, T: number, seed: number, k = 5): Matrix {
  const z = normals(seed);
  const u = rng(seed + 1);
  const loadings = Float64Array.from({ length: n * k }, () => z() * 0.5);
  const idio = Float64Array.from({ length: n }, () => 0.005 + 0.015 * u());
  const drift = Float64Array.from({ length: n }, () => 0.0002 + 0.0004 * z());
  const data = new Float64Array(T * n);
  const f = new Float64Array(k);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < k; j++) f[j] = z() * 0.01;
    for (let i = 0; i < n; i++) {
      let r = drift[i]!;
      for (let j = 0; j < k; j++) r += loadings[i * k + j]! * f[j]!;
      data[t * n + i] = r + idio[i]! * z();
    }
  }
  return { rows: T, cols: n, data };
}

/** Σ·w. */
export function matVec(cov: Matrix, w: ArrayLike<number>): Float64Array {
  const n = cov.rows;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += cov.data[i * n + j]! * w[j]!;
    out[i] = s;
  }
  return out;
}

/** wᵀΣw. */
export function quadForm(cov: Matrix, w: ArrayLike<number>): number {
  const sw = matVec(cov, w);
  let s = 0;
  for (let i = 0; i < cov.rows; i++) s += w[i]! * sw[i]!;
  return s;
}

/** Sharpe ratio (μ − r_f)ᵀw / √(wᵀΣw). */
export function sharpe(cov: Matrix, mu: ArrayLike<number>, w: ArrayLike<number>, rf = 0): number {
  let r = 0;
  for (let i = 0; i < cov.rows; i++) r += (mu[i]! - rf) * w[i]!;
  return r / Math.sqrt(quadForm(cov, w));
}

/** Risk contributions w_i(Σw)_i divided by wᵀΣw. */
export function relativeRiskContributions(cov: Matrix, w: ArrayLike<number>): Float64Array {
  const sw = matVec(cov, w);
  const rc = Float64Array.from(sw, (x, i) => x * w[i]!);
  const total = rc.reduce((a, b) => a + b, 0);
  return rc.map((x) => x / total);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** Solve A·x = b (k x k, row-major) by Gaussian elimination with partial pivoting; undefined if singular. */
export function solveLinear(a: Float64Array, b: Float64Array, k: number): Float64Array | undefined {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r * k + c]!) > Math.abs(m[p * k + c]!)) p = r;
    if (Math.abs(m[p * k + c]!) < 1e-300) return undefined;
    if (p !== c) {
      for (let j = 0; j < k; j++) [m[c * k + j], m[p * k + j]] = [m[p * k + j]!, m[c * k + j]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < k; r++) {
      const f = m[r * k + c]! / m[c * k + c]!;
      if (f === 0) continue;
      for (let j = c; j < k; j++) m[r * k + j]! -= f * m[c * k + j]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = k - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let j = c + 1; j < k; j++) s -= m[c * k + j]! * x[j]!;
    x[c] = s / m[c * k + c]!;
  }
  return x;
}

/**
 * Independent oracle for min ½wᵀΣw − qᵀw, 1ᵀw = 1, lo ≤ w ≤ hi (n ≤ 8): every assignment of the
 * assets to {lo, free, hi} (3ⁿ), the equality-constrained minimiser of each, and the feasible one with the
 * lowest objective — the global minimum is the subspace minimiser of its own active set.
 */
export function bruteForceBoxQp(
  cov: Matrix,
  q: ArrayLike<number> | undefined,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
): Float64Array {
  const n = cov.rows;
  let best: Float64Array | undefined;
  let bestValue = Infinity;
  const state = new Int8Array(n).fill(-1);
  for (let code = 0; code < 3 ** n; code++) {
    let c = code;
    for (let i = 0; i < n; i++) {
      state[i] = (c % 3) - 1;
      c = Math.floor(c / 3);
    }
    const free: number[] = [];
    const w = new Float64Array(n);
    let rest = 1;
    for (let i = 0; i < n; i++) {
      if (state[i] === 0) free.push(i);
      else {
        w[i] = state[i]! < 0 ? lo[i]! : hi[i]!;
        rest -= w[i]!;
      }
    }
    const k = free.length;
    if (k === 0) {
      if (Math.abs(rest) > 1e-12) continue;
    } else {
      // [Σ_FF 1; 1ᵀ 0]·[w_F; −γ] = [q_F − Σ_FB·w_B; rest]
      const a = new Float64Array((k + 1) * (k + 1));
      const b = new Float64Array(k + 1);
      for (let x = 0; x < k; x++) {
        const i = free[x]!;
        for (let y = 0; y < k; y++) a[x * (k + 1) + y] = cov.data[i * n + free[y]!]!;
        a[x * (k + 1) + k] = 1;
        a[k * (k + 1) + x] = 1;
        let g = q?.[i] ?? 0;
        for (let j = 0; j < n; j++) if (state[j] !== 0) g -= cov.data[i * n + j]! * w[j]!;
        b[x] = g;
      }
      b[k] = rest;
      const sol = solveLinear(a, b, k + 1);
      if (sol === undefined) continue;
      let ok = true;
      for (let x = 0; x < k; x++) {
        const i = free[x]!;
        w[i] = sol[x]!;
        if (w[i]! < lo[i]! - 1e-12 || w[i]! > hi[i]! + 1e-12) ok = false;
      }
      if (!ok) continue;
    }
    let value = 0.5 * quadForm(cov, w);
    for (let i = 0; i < n; i++) value -= (q?.[i] ?? 0) * w[i]!;
    if (value < bestValue) {
      bestValue = value;
      best = w;
    }
  }
  if (best === undefined) throw new Error('no feasible working set');
  return best;
}

/**
 * Largest violation of the KKT conditions of the budget-and-box QP at w, computed from scratch:
 * g = Σw − q; on assets strictly inside their bounds g_i = γ (γ their mean); at lo g_i ≥ γ; at hi g_i ≤ γ.
 * Relative to max_i max(|(Σw)_i|, |q_i|).
 */
export function independentKktViolation(
  cov: Matrix,
  q: ArrayLike<number> | undefined,
  w: ArrayLike<number>,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  boundTol = 1e-12,
): number {
  const n = cov.rows;
  const sw = matVec(cov, w);
  const g = Float64Array.from(sw, (v, i) => v - (q?.[i] ?? 0));
  const scale =
    Math.max(...Array.from(sw, Math.abs), ...Array.from({ length: n }, (_, i) => Math.abs(q?.[i] ?? 0))) || 1;
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (w[i]! > lo[i]! + boundTol && w[i]! < hi[i]! - boundTol) free.push(i);
  const gamma = free.length > 0 ? free.reduce((s, i) => s + g[i]!, 0) / free.length : NaN;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    if (free.includes(i)) worst = Math.max(worst, Math.abs(g[i]! - gamma) / scale);
    else if (free.length > 0 && w[i]! <= lo[i]! + boundTol) worst = Math.max(worst, (gamma - g[i]!) / scale);
    else if (free.length > 0) worst = Math.max(worst, (g[i]! - gamma) / scale);
  }
  return worst;
}

/** A random symmetric positive definite n x n matrix with heterogeneous scales (seeded). */
export function randomCovariance(n: number, seed: number): Matrix {
  const z = normals(seed);
  const u = rng(seed + 7);
  const k = n + 3;
  const a = Float64Array.from({ length: n * k }, () => z());
  const vol = Float64Array.from({ length: n }, () => 0.05 + 0.4 * u());
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * a[j * k + p]!;
      s = (s / k) * vol[i]! * vol[j]!;
      data[i * n + j] = s;
      data[j * n + i] = s;
    }
  }
  for (let i = 0; i < n; i++) data[i * n + i]! += 1e-4 * vol[i]! * vol[i]!;
  return { rows: n, cols: n, data };
}

/**
 * Optimality of w for min ½wᵀΣw − qᵀw, 1ᵀw = 1, lo ≤ w ≤ hi (Σ positive semidefinite), checked without the
 * solver's working set: moving weight from an asset that can decrease (w_a > lo_a) to one that can increase
 * (w_b < hi_b) improves the objective iff g_b < g_a (g = Σw − q), so w is optimal iff no such pair exists.
 * Returns max(0, max g_a − min g_b) over those pairs, relative to max_i max(Σ_j |Σ_ij·w_j|, |q_i|), the size
 * of the terms that cancel in g, or `floor` if larger (0 when nothing can move).
 */
export function improvingTransfer(
  cov: Matrix,
  q: ArrayLike<number> | undefined,
  w: ArrayLike<number>,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  boundTol = 1e-12,
  floor = 0,
): number {
  const n = cov.rows;
  let scale = floor;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let a = 0;
    for (let j = 0; j < n; j++) {
      s += cov.data[i * n + j]! * w[j]!;
      a += Math.abs(cov.data[i * n + j]! * w[j]!);
    }
    g[i] = s - (q?.[i] ?? 0);
    scale = Math.max(scale, a, Math.abs(q?.[i] ?? 0));
  }
  let worst = 0;
  for (let a = 0; a < n; a++) {
    if (!(w[a]! > lo[a]! + boundTol)) continue;
    for (let b = 0; b < n; b++) {
      if (b === a || !(w[b]! < hi[b]! - boundTol)) continue;
      worst = Math.max(worst, g[a]! - g[b]!);
    }
  }
  return worst / (scale > 0 ? scale : 1);
}
