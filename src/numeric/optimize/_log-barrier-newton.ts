/**
 * Projected Newton method (Bertsekas 1982) for the box-constrained log-barrier problem
 *
 *   x(c) = argmin ½·xᵀΣx − c·Σᵢ log xᵢ   s.t.  lo ≤ x ≤ hi            (c > 0, 0 ≤ lo, hi ≤ ∞)
 *
 * of Spinu (2013) / Maillard, Roncalli & Teïletche (2010). The objective is strictly convex on x > 0, so
 * x(c) is unique; its KKT conditions read, with RC_i = x_i(Σx)_i,
 *   RC_i = c for lo_i < x_i < hi_i,   RC_i ≥ c at x_i = lo_i,   RC_i ≤ c at x_i = hi_i.
 * From a crude start, up to 40 cyclical coordinate descent sweeps (Griveau-Billion, Richard & Roncalli
 * 2013: each coordinate minimised in closed form and clipped; O(n²) per sweep, globally convergent) cut
 * the residual below 0.1. Then each step is a damped Newton step on the free variables,
 * H_FF = Σ_FF + c·diag(1/x²), while variables at (or within ε of) a bound with the gradient pushing
 * outwards are held; an Armijo search along the projection arc keeps x in the box. Convergence is
 * quadratic once the held set is identified; should Newton stall, sweeps take over for a while.
 */
import { choleskyFactorInPlace, choleskySolveInPlace } from '../linalg/cholesky.js';
import { simdSweeper } from './_coordinate-sweep-simd.js';

export interface LogBarrierSolution {
  readonly x: Float64Array;
  /** -1 held at lo, 1 held at hi, 0 free. */
  readonly state: Int8Array;
  /** max over assets not held at a bound of |RC_i − c|, relative (see kktResidual). */
  readonly residual: number;
  readonly iterations: number;
}

/** Relative target for |RC_i − c| / c. */
const TOLERANCE = 1e-14;
/** Accepted once a full Newton step from a decrement below 1e-7 has been taken (rounding floor). */
const FLOOR_TOLERANCE = 1e-11;
const WARM_SWEEPS = 40;

/**
 * Solve for x(c) from the start `x0` (projected into the box; must be positive where lo = 0).
 * Returns undefined if the iteration cap is reached or the line search stalls above a 1e-11 residual.
 */
export function solveLogBarrier(
  sigma: Float64Array,
  n: number,
  c: number,
  lo: Float64Array,
  hi: Float64Array,
  x0: Float64Array,
): LogBarrierSolution | undefined {
  const x = x0.map((v, i) => Math.min(hi[i] as number, Math.max(lo[i] as number, v)));
  const sx = new Float64Array(n);
  const g = new Float64Array(n);
  const d = new Float64Array(n);
  const trial = new Float64Array(n);
  const sTrial = new Float64Array(n);
  const state = new Int8Array(n);
  const h = new Float64Array(n * n);
  const rhs = new Float64Array(n);
  const free: number[] = [];
  let f = objective(sigma, n, c, x, sx);
  if (!Number.isFinite(f)) return undefined;
  // Coordinate sweeps are cheap (O(n²)) and cut the damped phase of Newton from a crude start. The
  // WebAssembly SIMD sweep (same bits) is set up on the first sweep: a warm start may need none.
  let simd: ReturnType<typeof simdSweeper> | null = null;
  const sweep = (): void => {
    if (simd === null) simd = simdSweeper(sigma, n, lo, hi);
    if (simd === undefined) coordinateSweep(sigma, n, c, lo, hi, x, sx);
    else simd(c, x, sx);
  };
  let sweeps = 0;
  while (sweeps < WARM_SWEEPS && kktResidual(sigma, n, c, lo, hi, x, sx, false) > 0.1) {
    sweep();
    sweeps++;
  }
  f = objective(sigma, n, c, x, sx);
  let lastLambda = Infinity;
  for (let iter = 0; iter < 200; iter++) {
    for (let i = 0; i < n; i++) g[i] = (sx[i] as number) - c / (x[i] as number);
    holdActive(sigma, n, c, lo, hi, x, g, state, free);
    // Relative RC error; a variable exactly at its bound with an outward gradient satisfies KKT.
    const residual = kktResidual(sigma, n, c, lo, hi, x, sx);
    if (residual <= TOLERANCE || (lastLambda < 1e-7 && residual <= FLOOR_TOLERANCE)) {
      return { x, state, residual, iterations: iter + sweeps };
    }
    const k = free.length;
    for (let a = 0; a < k; a++) {
      const i = free[a] as number;
      for (let b = 0; b <= a; b++) h[a * k + b] = sigma[i * n + (free[b] as number)] as number;
      h[a * k + a] = (h[a * k + a] as number) + c / ((x[i] as number) * (x[i] as number));
      rhs[a] = -(g[i] as number);
    }
    if (choleskyFactorInPlace(h, h, k) >= 0) return undefined;
    choleskySolveInPlace(h, rhs, k);
    for (let i = 0; i < n; i++) {
      // Held variables take a diagonally scaled gradient step, which the projection sends to the bound.
      const hii = (sigma[i * n + i] as number) + c / ((x[i] as number) * (x[i] as number));
      d[i] = -(g[i] as number) / hii;
    }
    for (let a = 0; a < k; a++) d[free[a] as number] = rhs[a] as number;
    // f/c is self-concordant (a convex quadratic plus the standard log barrier), so the damped step
    // 1/(1 + λ), λ² = −gᵀd/c the Newton decrement, stays inside the Dikin ellipsoid (x > 0) and
    // decreases f (Nesterov & Nemirovskii 1994; Spinu 2013); it is 1 in the quadratic phase.
    let dec = 0;
    for (let a = 0; a < k; a++) dec -= (g[free[a] as number] as number) * (rhs[a] as number);
    const lambdaN = Math.sqrt(Math.max(dec, 0) / c);
    let alpha = lambdaN > 0.25 ? 1 / (1 + lambdaN) : 1;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      let decrease = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(
          hi[i] as number,
          Math.max(lo[i] as number, (x[i] as number) + alpha * (d[i] as number)),
        );
        trial[i] = v;
        decrease += (g[i] as number) * (v - (x[i] as number));
      }
      const ft = objective(sigma, n, c, trial, sTrial);
      // Near the solution the decrease of f drowns in rounding; the residual still tells progress.
      const better =
        residual < 1e-3 && ft < Infinity && kktResidual(sigma, n, c, lo, hi, trial, sTrial) < residual;
      if ((decrease < 0 && ft <= f + 1e-4 * decrease) || better) {
        lastLambda = alpha === 1 ? lambdaN : Infinity;
        x.set(trial);
        sx.set(sTrial);
        f = ft;
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (!accepted) {
      if (residual <= 1e-11) return { x, state, residual, iterations: iter + sweeps };
      // Newton made no progress (e.g. the held set is still changing): fall back to sweeps.
      for (let k2 = 0; k2 < 10; k2++) sweep();
      sweeps += 10;
      f = objective(sigma, n, c, x, sx);
    }
  }
  return undefined;
}

/**
 * The ε-active set (Bertsekas 1982): variables within ε of a bound with the gradient pushing outwards
 * are held (state −1 at lo, 1 at hi), the others listed in `free`; ε is how far a scaled gradient step
 * would move, capped at 1e-6.
 */
function holdActive(
  sigma: Float64Array,
  n: number,
  c: number,
  lo: Float64Array,
  hi: Float64Array,
  x: Float64Array,
  g: Float64Array,
  state: Int8Array,
  free: number[],
): void {
  let eps = 0;
  for (let i = 0; i < n; i++) {
    const hii = (sigma[i * n + i] as number) + c / ((x[i] as number) * (x[i] as number));
    const p = Math.min(hi[i] as number, Math.max(lo[i] as number, (x[i] as number) - (g[i] as number) / hii));
    eps = Math.max(eps, Math.abs(p - (x[i] as number)));
  }
  eps = Math.min(eps, 1e-6);
  free.length = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const gi = g[i] as number;
    // Never near both bounds of a narrow box.
    const epsI = Math.min(eps, 0.25 * ((hi[i] as number) - (lo[i] as number)));
    const atLo = xi <= (lo[i] as number) + epsI && gi > 0;
    const atHi = xi >= (hi[i] as number) - epsI && gi < 0;
    state[i] = atLo ? -1 : atHi ? 1 : 0;
    if (!atLo && !atHi) free.push(i);
  }
}

/**
 * One cyclical coordinate descent sweep: x_i ← the minimiser of ½Σ_ii·x_i² + b_i·x_i − c·log x_i
 * (b_i = (Σx)_i − Σ_ii·x_i), i.e. the positive root 2c / (b_i + √(b_i² + 4Σ_ii·c)), clipped to the box;
 * Σx is kept current at O(n) per coordinate.
 */
export function coordinateSweep(
  sigma: Float64Array,
  n: number,
  c: number,
  lo: Float64Array,
  hi: Float64Array,
  x: Float64Array,
  sx: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const sii = sigma[ri + i] as number;
    const xi = x[i] as number;
    const b = (sx[i] as number) - sii * xi;
    const root =
      b >= 0
        ? (2 * c) / (b + Math.sqrt(b * b + 4 * sii * c))
        : (-b + Math.sqrt(b * b + 4 * sii * c)) / (2 * sii);
    const next = Math.min(hi[i] as number, Math.max(lo[i] as number, root));
    const delta = next - xi;
    if (delta === 0) continue;
    x[i] = next;
    for (let j = 0; j < n; j++) sx[j] = (sx[j] as number) + (sigma[ri + j] as number) * delta;
  }
}

/**
 * max over assets of |x_i(Σx)_i − c| / max(c, x_i·(|Σ|x)_i), skipping assets exactly at a bound with the
 * gradient pushing outwards. The second scale is the size of the terms summed in x_i(Σx)_i, so that a
 * hedging asset whose contribution cancels to near zero is judged at the precision it can have
 * (`fine = false` skips it: a cheap upper bound).
 */
function kktResidual(
  sigma: Float64Array,
  n: number,
  c: number,
  lo: Float64Array,
  hi: Float64Array,
  x: Float64Array,
  sx: Float64Array,
  fine = true,
): number {
  let r = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const gi = (sx[i] as number) - c / xi;
    if ((xi === lo[i] && gi > 0) || (xi === hi[i] && gi < 0)) continue;
    const coarse = Math.abs(xi * gi) / c;
    // The finer scale can only lower the value: compute it only when it could raise the maximum.
    if (coarse <= r) continue;
    if (!fine) {
      r = coarse;
      continue;
    }
    const ri = i * n;
    let abs = 0;
    for (let j = 0; j < n; j++) abs += Math.abs(sigma[ri + j] as number) * (x[j] as number);
    r = Math.max(r, Math.abs(xi * gi) / Math.max(c, xi * abs));
  }
  return r;
}

/** ½xᵀΣx − c·Σ log x (+∞ unless x > 0); writes Σx into `sx`. */
function objective(sigma: Float64Array, n: number, c: number, x: Float64Array, sx: Float64Array): number {
  let quad = 0;
  let logs = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    if (!(xi > 0)) return Infinity;
    const ri = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += (sigma[ri + j] as number) * (x[j] as number);
    sx[i] = s;
    quad += xi * s;
    logs += Math.log(xi);
  }
  return 0.5 * quad - c * logs;
}

/**
 * dΣx/dc at x(c) for a fixed held set: differentiating (Σx)_F = c/x_F gives H_FF·dx_F/dc = 1/x_F.
 */
export function sumDerivative(
  sigma: Float64Array,
  n: number,
  c: number,
  x: Float64Array,
  state: Int8Array,
): number {
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (state[i] === 0) free.push(i);
  const k = free.length;
  const h = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    const i = free[a] as number;
    for (let b = 0; b <= a; b++) h[a * k + b] = sigma[i * n + (free[b] as number)] as number;
    h[a * k + a] = (h[a * k + a] as number) + c / ((x[i] as number) * (x[i] as number));
    rhs[a] = 1 / (x[i] as number);
  }
  if (choleskyFactorInPlace(h, h, k) >= 0) return NaN;
  choleskySolveInPlace(h, rhs, k);
  let s = 0;
  for (let a = 0; a < k; a++) s += rhs[a] as number;
  return s;
}
