/**
 * Risk budgeting (Roncalli 2013, ch. 2; Spinu 2013): the long-only portfolio whose relative risk
 * contributions w_i(Σw)_i / wᵀΣw equal given budgets b_i > 0 (Σb = 1). With
 *
 *   x = argmin_{x > 0} ½xᵀΣx − Σᵢ bᵢ·log xᵢ,
 *
 * strictly convex when no long-only portfolio has zero variance, the optimality conditions read
 * xᵢ(Σx)ᵢ = bᵢ, so w = x / Σx has exactly the budgets as its relative contributions (Σᵢ xᵢ(Σx)ᵢ = Σb = 1
 * = xᵀΣx). Solved by cyclical coordinate descent sweeps from a crude start, then Newton steps with an
 * Armijo line search kept inside x > 0.
 */
import { QuantError } from '../../errors.js';
import { choleskyFactorInPlace, choleskySolveInPlace } from '../linalg/cholesky.js';

/** Relative target for |xᵢ(Σx)ᵢ − bᵢ|. */
const TOLERANCE = 1e-14;
/** Accepted after a full Newton step from a decrement below 1e-7 (the rounding floor). */
const FLOOR_TOLERANCE = 1e-11;

/**
 * Budgets as given (length n, each positive and finite), divided by their sum; E_PARAMS naming the
 * first bad entry otherwise. `labels` name the entries in the message (default `asset i`).
 */
export function normaliseRiskBudget(
  budget: ArrayLike<number>,
  n: number,
  labels?: readonly string[],
): Float64Array {
  if (budget.length !== n) {
    throw new QuantError('E_PARAMS', `the risk budget has ${budget.length} entries for ${n} assets`, {
      hint: 'give one positive budget per asset, in the order of the columns',
      details: { entries: budget.length, assets: n },
    });
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const b = budget[i] as number;
    if (!(b > 0) || !Number.isFinite(b)) {
      const name = labels?.[i] ?? `asset ${i}`;
      throw new QuantError(
        'E_PARAMS',
        `the risk budget of ${name} is ${b}; budgets must be positive and finite`,
        {
          hint: 'give every asset a positive share of the risk (leave an asset out to give it none)',
          details: { asset_index: i, budget: b },
        },
      );
    }
    sum += b;
  }
  return Float64Array.from({ length: n }, (_, i) => (budget[i] as number) / sum);
}

/**
 * x with xᵢ(Σx)ᵢ = bᵢ (see the file comment), or undefined if the iteration cap is reached (the
 * objective is unbounded below: a long-only zero-variance combination).
 */
export function solveRiskBudget(
  sigma: Float64Array,
  n: number,
  budget: Float64Array,
): { readonly x: Float64Array; readonly iterations: number } | undefined {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(budget[i] as number) / Math.sqrt(sigma[i * n + i] as number);
  const sx = new Float64Array(n);
  multiply(sigma, n, x, sx);
  let q = 0;
  for (let i = 0; i < n; i++) q += (x[i] as number) * (sx[i] as number);
  const scale = 1 / Math.sqrt(q);
  for (let i = 0; i < n; i++) x[i] = (x[i] as number) * scale;
  multiply(sigma, n, x, sx);
  let sweeps = 0;
  while (sweeps < 40 && residual(sigma, n, budget, x, sx) > 0.1) {
    sweep(sigma, n, budget, x, sx);
    sweeps++;
  }
  const bMin = Math.min(...budget);
  const h = new Float64Array(n * n);
  const d = new Float64Array(n);
  const trial = new Float64Array(n);
  const sTrial = new Float64Array(n);
  let lastLambda = Infinity;
  for (let iter = 0; iter < 500; iter++) {
    const r = residual(sigma, n, budget, x, sx);
    if (r <= TOLERANCE || (lastLambda < 1e-7 && r <= FLOOR_TOLERANCE))
      return { x, iterations: iter + sweeps };
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      for (let j = 0; j <= i; j++) h[i * n + j] = sigma[i * n + j] as number;
      h[i * n + i] = (h[i * n + i] as number) + (budget[i] as number) / (xi * xi);
      d[i] = (budget[i] as number) / xi - (sx[i] as number);
    }
    let decrement = 0;
    const g = d.map((v) => -v);
    if (choleskyFactorInPlace(h, h, n) >= 0) return undefined;
    choleskySolveInPlace(h, d, n);
    for (let i = 0; i < n; i++) decrement -= (g[i] as number) * (d[i] as number);
    const lambda = Math.sqrt(Math.max(decrement, 0) / bMin);
    // From the full step, or the largest step keeping x > 0 shortened by 1 %, Armijo backtracking: f is
    // strictly convex, so Newton with a line search converges globally, quadratically at the end.
    let reach = 1;
    for (let i = 0; i < n; i++) {
      const di = d[i] as number;
      if (di < 0) reach = Math.min(reach, (-0.99 * (x[i] as number)) / di);
    }
    const f0 = objective(budget, x, sx);
    let accepted = false;
    for (let step = reach, ls = 0; ls < 60; ls++, step *= 0.5) {
      for (let i = 0; i < n; i++) trial[i] = (x[i] as number) + step * (d[i] as number);
      if (trial.some((v) => !(v > 0))) continue;
      multiply(sigma, n, trial, sTrial);
      const ft = objective(budget, trial, sTrial);
      // Near the solution the decrease of f drowns in rounding; the residual still tells progress.
      if (ft <= f0 - 1e-4 * step * decrement || (r < 1e-3 && residual(sigma, n, budget, trial, sTrial) < r)) {
        x.set(trial);
        sx.set(sTrial);
        lastLambda = step === 1 ? lambda : Infinity;
        accepted = true;
        break;
      }
    }
    if (!accepted) return r <= FLOOR_TOLERANCE ? { x, iterations: iter + sweeps } : undefined;
  }
  return undefined;
}

function multiply(sigma: Float64Array, n: number, x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (sigma[i * n + j] as number) * (x[j] as number);
    out[i] = s;
  }
}

function objective(budget: Float64Array, x: Float64Array, sx: Float64Array): number {
  let v = 0;
  for (let i = 0; i < x.length; i++) {
    v += 0.5 * (x[i] as number) * (sx[i] as number) - (budget[i] as number) * Math.log(x[i] as number);
  }
  return v;
}

/** max |xᵢ(Σx)ᵢ − bᵢ| / max(bᵢ, xᵢ(|Σ|x)ᵢ): relative to the size of the terms summed. */
function residual(
  sigma: Float64Array,
  n: number,
  budget: Float64Array,
  x: Float64Array,
  sx: Float64Array,
): number {
  let r = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const bi = budget[i] as number;
    let abs = 0;
    for (let j = 0; j < n; j++) abs += Math.abs(sigma[i * n + j] as number) * (x[j] as number);
    r = Math.max(r, Math.abs(xi * (sx[i] as number) - bi) / Math.max(bi, xi * abs));
  }
  return r;
}

/** One sweep: xᵢ ← the positive root of Σᵢᵢxᵢ² + aᵢxᵢ − bᵢ = 0, aᵢ = (Σx)ᵢ − Σᵢᵢxᵢ. */
function sweep(
  sigma: Float64Array,
  n: number,
  budget: Float64Array,
  x: Float64Array,
  sx: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const sii = sigma[i * n + i] as number;
    const xi = x[i] as number;
    const a = (sx[i] as number) - sii * xi;
    const b = budget[i] as number;
    const root =
      a >= 0
        ? (2 * b) / (a + Math.sqrt(a * a + 4 * sii * b))
        : (-a + Math.sqrt(a * a + 4 * sii * b)) / (2 * sii);
    const delta = root - xi;
    x[i] = root;
    for (let j = 0; j < n; j++) sx[j] = (sx[j] as number) + (sigma[i * n + j] as number) * delta;
  }
}
