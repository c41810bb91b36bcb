// Independent reference computations for the seam tests: written here from the textbook definitions,
// sharing no code with src/. Small problems only (n ≤ 8): the constrained optimizers enumerate every
// active set and solve its stationarity conditions by Gaussian elimination, so their answers are exact to
// rounding and do not depend on any solver's path.
//
// - sample covariance (ddof 1) and Ledoit–Wolf (2004) shrinkage to μ·I as scikit-learn computes it
//   (centred data, 1/T empirical covariance, δ and β of `ledoit_wolf_shrinkage`);
// - inverse variance w ∝ 1/Σ_ii;
// - long-only minimum variance with box bounds: among all (lower, free, upper) assignments whose free
//   weights solve (Σw)_F = γ·1, Σw = 1 and lie inside the box, the one of least variance (the optimum is
//   stationary on its own free set, so it is among them);
// - long-only maximum Sharpe without upper bounds: among all supports S with y_S = Σ_SS⁻¹(μ − r_f)_S > 0,
//   w = y / Σy of the largest ratio (the tangency portfolio is stationary on its support).

/** Rows T × columns n of numbers. */
export type Rows = readonly (readonly number[])[];

export function sampleCovariance(rows: Rows): number[][] {
  const T = rows.length;
  const n = rows[0]?.length ?? 0;
  const mean = Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + (r[j] as number), 0) / T);
  return Array.from({ length: n }, (_, i) =>
    Array.from(
      { length: n },
      (_, j) =>
        rows.reduce((s, r) => s + ((r[i] as number) - mean[i]!) * ((r[j] as number) - mean[j]!), 0) / (T - 1),
    ),
  );
}

/** Ledoit–Wolf shrunk covariance (scikit-learn's `ledoit_wolf`, assume_centered=False). */
export function ledoitWolf(rows: Rows): { covariance: number[][]; shrinkage: number } {
  const T = rows.length;
  const n = rows[0]?.length ?? 0;
  const mean = Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + (r[j] as number), 0) / T);
  const X = rows.map((r) => r.map((v, j) => v - mean[j]!));
  const emp = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => X.reduce((s, r) => s + r[i]! * r[j]!, 0) / T),
  );
  const mu = emp.reduce((s, r, i) => s + r[i]!, 0) / n;
  // β̄ = 1/(nT) · (Σ_ij Σ_t x_ti² x_tj² / T − Σ_ij (XᵀX)_ij² / T²); δ = ‖S − μI‖²_F / n.
  let beta = 0;
  let delta = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let b = 0;
      for (const r of X) b += r[i]! ** 2 * r[j]! ** 2;
      beta += b / T - emp[i]![j]! ** 2;
      delta += (emp[i]![j]! - (i === j ? mu : 0)) ** 2;
    }
  }
  beta /= n * T;
  delta /= n;
  const shrinkage = beta === 0 ? 0 : Math.min(beta, delta) / delta;
  const covariance = emp.map((r, i) => r.map((v, j) => (1 - shrinkage) * v + (i === j ? shrinkage * mu : 0)));
  return { covariance, shrinkage };
}

export function inverseVarianceWeights(cov: readonly (readonly number[])[]): number[] {
  const inv = cov.map((r, i) => 1 / r[i]!);
  const total = inv.reduce((s, v) => s + v, 0);
  return inv.map((v) => v / total);
}

/** Solve A x = b by Gaussian elimination with partial pivoting; undefined if singular. */
function solveLinear(A: readonly (readonly number[])[], b: readonly number[]): number[] | undefined {
  const m = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let k = 0; k < m; k++) {
    let p = k;
    for (let i = k + 1; i < m; i++) if (Math.abs(M[i]![k]!) > Math.abs(M[p]![k]!)) p = i;
    if (Math.abs(M[p]![k]!) < 1e-300) return undefined;
    [M[k], M[p]] = [M[p]!, M[k]!];
    for (let i = k + 1; i < m; i++) {
      const f = M[i]![k]! / M[k]![k]!;
      for (let j = k; j <= m; j++) M[i]![j]! -= f * M[k]![j]!;
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let s = M[i]![m]!;
    for (let j = i + 1; j < m; j++) s -= M[i]![j]! * x[j]!;
    x[i] = s / M[i]![i]!;
  }
  return x;
}

function variance(cov: readonly (readonly number[])[], w: readonly number[]): number {
  let v = 0;
  for (let i = 0; i < w.length; i++) for (let j = 0; j < w.length; j++) v += w[i]! * cov[i]![j]! * w[j]!;
  return v;
}

/** Long-only minimum variance, lo ≤ w ≤ hi, Σw = 1, by enumeration of the 3ⁿ active sets. */
export function minVarianceReference(cov: readonly (readonly number[])[], lo = 0, hi = 1): number[] {
  const n = cov.length;
  let best: number[] | undefined;
  let bestVariance = Infinity;
  const states = new Array<number>(n).fill(0);
  for (let code = 0; code < 3 ** n; code++) {
    let c = code;
    for (let i = 0; i < n; i++) {
      states[i] = (c % 3) - 1; // −1 at lo, 0 free, +1 at hi
      c = Math.floor(c / 3);
    }
    const free = states.flatMap((s, i) => (s === 0 ? [i] : []));
    const w = states.map((s) => (s < 0 ? lo : s > 0 ? hi : 0));
    const fixedSum = w.reduce((s, v) => s + v, 0);
    if (free.length === 0) {
      if (Math.abs(fixedSum - 1) > 1e-12) continue;
    } else {
      // [Σ_FF −1; 1ᵀ 0] [w_F; γ] = [−Σ_F,fixed w_fixed; 1 − Σ fixed]
      const k = free.length;
      const A = free.map((i) => [...free.map((j) => cov[i]![j]!), -1]);
      A.push([...new Array<number>(k).fill(1), 0]);
      const rhs = free.map((i) => -w.reduce((s, v, j) => s + cov[i]![j]! * v, 0));
      rhs.push(1 - fixedSum);
      const x = solveLinear(A, rhs);
      if (x === undefined) continue;
      free.forEach((i, a) => (w[i] = x[a]!));
      if (free.some((i) => w[i]! < lo - 1e-12 || w[i]! > hi + 1e-12)) continue;
    }
    const v = variance(cov, w);
    if (v < bestVariance) {
      bestVariance = v;
      best = w;
    }
  }
  if (best === undefined) throw new Error('no feasible portfolio');
  return best;
}

/** Long-only tangency portfolio (no upper bounds), by enumeration of the 2ⁿ − 1 supports. */
export function maxSharpeReference(
  cov: readonly (readonly number[])[],
  mu: readonly number[],
  riskFreeRate = 0,
): number[] {
  const n = cov.length;
  const m = mu.map((v) => v - riskFreeRate);
  let best: number[] | undefined;
  let bestRatio = -Infinity;
  for (let mask = 1; mask < 2 ** n; mask++) {
    const S = Array.from({ length: n }, (_, i) => i).filter((i) => (mask >> i) & 1);
    const y = solveLinear(
      S.map((i) => S.map((j) => cov[i]![j]!)),
      S.map((i) => m[i]!),
    );
    if (y === undefined || y.some((v) => !(v > 0))) continue;
    const total = y.reduce((s, v) => s + v, 0);
    const w = new Array<number>(n).fill(0);
    S.forEach((i, a) => (w[i] = y[a]! / total));
    const ratio = w.reduce((s, v, i) => s + v * m[i]!, 0) / Math.sqrt(variance(cov, w));
    if (ratio > bestRatio) {
      bestRatio = ratio;
      best = w;
    }
  }
  if (best === undefined) throw new Error('no asset above the risk-free rate');
  return best;
}

/** Arithmetic mean of each column × A. */
export function meanReturns(rows: Rows, periodsPerYear: number): number[] {
  const n = rows[0]?.length ?? 0;
  return Array.from(
    { length: n },
    (_, j) => (rows.reduce((s, r) => s + (r[j] as number), 0) / rows.length) * periodsPerYear,
  );
}

export function scaled(cov: readonly (readonly number[])[], factor: number): number[][] {
  return cov.map((r) => r.map((v) => v * factor));
}
