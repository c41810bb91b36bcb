/**
 * One segment of the parametric frontier w(t) = argmin {½wᵀΣw − t·mᵀw : 1ᵀw = 1, lo ≤ w ≤ hi}.
 * For a fixed working set (free set F, held assets B at their bounds) the solution is affine in t,
 * w(t) = a + t·b, and so are the budget multiplier γ(t) and the bound multipliers
 * λ_i(t) = (Σw)_i − t·m_i − γ(t). The working set is optimal exactly on the interval of t where the
 * free weights stay within their bounds and every λ_i keeps its sign (the critical line of Markowitz 1956).
 *
 * When Σ_FF is singular (riskless or collinear assets) the same pieces are computed from
 * Σ' = Σ + ρ·11ᵀ, which the active-set solver keeps positive definite on F (see _box-qp.ts): w(t) and
 * the bound multipliers are unchanged, γ and h shift by the constant ρ, which is taken off h.
 */
import { choleskyFactorInPlace, choleskySolveInPlace } from '../linalg/cholesky.js';
import { AT_LOWER, FREE, shiftFor } from './_box-qp.js';

export interface FrontierSegment {
  /** w(t) = a + t·b (b = 0 on held assets). */
  readonly a: Float64Array;
  readonly b: Float64Array;
  /** h(t) = wᵀΣw − t·mᵀw = h0 + h1·t on the segment (see {@link frontierSegment}). */
  readonly h0: number;
  readonly h1: number;
  /** The interval of t on which this working set is optimal. */
  readonly tMin: number;
  readonly tMax: number;
}

/**
 * The affine pieces of the frontier for the working set `state` (held weights taken from `w`).
 * Returns undefined when Σ_FF + ρ·11ᵀ is singular too.
 *
 * Also h(t) = wᵀΣw − t·mᵀw, which is affine too: from Σw = t·m + γ·1 + λ, wᵀΣw = t·mᵀw + γ + Σ_B λ_i·w_i.
 */
export function frontierSegment(
  sigma: Float64Array,
  n: number,
  m: Float64Array,
  lo: Float64Array,
  hi: Float64Array,
  state: Int8Array,
  w: Float64Array,
): FrontierSegment | undefined {
  const free: number[] = [];
  let held = 0;
  for (let i = 0; i < n; i++) {
    if (state[i] === FREE) free.push(i);
    else held += w[i] as number;
  }
  const k = free.length;
  const sub = new Float64Array(k * k);
  const gather = (shift: number): void => {
    for (let x = 0; x < k; x++) {
      const rx = (free[x] as number) * n;
      for (let y = 0; y <= x; y++) sub[x * k + y] = (sigma[rx + (free[y] as number)] as number) + shift;
    }
  };
  gather(0);
  let rho = 0;
  if (choleskyFactorInPlace(sub, sub, k) >= 0) {
    rho = shiftFor(sigma, n);
    gather(rho);
    if (choleskyFactorInPlace(sub, sub, k) >= 0) return undefined;
  }
  const u = new Float64Array(k).fill(1);
  const vm = new Float64Array(k);
  const vg = new Float64Array(k);
  for (let x = 0; x < k; x++) {
    const i = free[x] as number;
    vm[x] = m[i] as number;
    let g = 0;
    for (let j = 0; j < n; j++)
      if (state[j] !== FREE) g += ((sigma[i * n + j] as number) + rho) * (w[j] as number);
    vg[x] = g;
  }
  choleskySolveInPlace(sub, u, k);
  choleskySolveInPlace(sub, vm, k);
  choleskySolveInPlace(sub, vg, k);
  let su = 0;
  let sm = 0;
  let sg = 0;
  for (let x = 0; x < k; x++) {
    su += u[x] as number;
    sm += vm[x] as number;
    sg += vg[x] as number;
  }
  // 1ᵀw_F = 1 − Σ_B w_B fixes γ(t) = γa + t·γb.
  const gammaA = (1 - held + sg) / su;
  const gammaB = -sm / su;
  const a = Float64Array.from(w);
  const b = new Float64Array(n);
  for (let x = 0; x < k; x++) {
    const i = free[x] as number;
    a[i] = -(vg[x] as number) + gammaA * (u[x] as number);
    b[i] = (vm[x] as number) + gammaB * (u[x] as number);
  }
  let tMin = -Infinity;
  let tMax = Infinity;
  // Keeps c0 + c1·t ≥ 0.
  const require = (c0: number, c1: number): void => {
    if (c1 > 0) tMin = Math.max(tMin, -c0 / c1);
    else if (c1 < 0) tMax = Math.min(tMax, -c0 / c1);
    else if (c0 < 0) tMax = -Infinity;
  };
  for (const i of free) {
    require((a[i] as number) - (lo[i] as number), b[i] as number);
    require((hi[i] as number) - (a[i] as number), -(b[i] as number));
  }
  let h0 = gammaA;
  let h1 = gammaB;
  for (let i = 0; i < n; i++) {
    if (state[i] === FREE) continue;
    const ri = i * n;
    let sa = 0;
    let sb = 0;
    for (const j of free) {
      sa += ((sigma[ri + j] as number) + rho) * (a[j] as number);
      sb += ((sigma[ri + j] as number) + rho) * (b[j] as number);
    }
    for (let j = 0; j < n; j++) {
      if (state[j] !== FREE) sa += ((sigma[ri + j] as number) + rho) * (w[j] as number);
    }
    const la = sa - gammaA;
    const lb = sb - (m[i] as number) - gammaB;
    h0 += la * (w[i] as number);
    h1 += lb * (w[i] as number);
    if (state[i] === AT_LOWER) require(la, lb);
    else require(-la, -lb);
  }
  return { a, b, h0: h0 - rho, h1, tMin, tMax };
}
