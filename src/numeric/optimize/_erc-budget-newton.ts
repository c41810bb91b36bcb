/**
 * Bounded equal-risk-contribution conditions solved directly, for the regime where the common risk
 * contribution c is not positive (see risk-parity.ts): find w with Σw = 1, lo ≤ w ≤ hi and
 *   w_i(Σw)_i = c on the free assets,  ≥ c at lo,  ≤ c at hi,
 * by Newton's method on G(w_F, c) = [w_F ∘ (Σw)_F − c·1 ; 1ᵀw − 1] with the held assets fixed, steps cut
 * at the first bound they cross (that asset is then held), and a held asset released when its
 * contribution violates its inequality. Used when the convex log-barrier path (c > 0) cannot reach the
 * budget; returns undefined if it does not converge.
 */
import { luSolveInPlace } from '../linalg/lu.js';

export interface ErcBudgetSolution {
  readonly w: Float64Array;
  readonly state: Int8Array;
  readonly c: number;
  readonly iterations: number;
}

export function solveErcBudgetNewton(
  sigma: Float64Array,
  n: number,
  lo: Float64Array,
  hi: Float64Array,
  start: Float64Array,
  startState: Int8Array,
  startC: number,
): ErcBudgetSolution | undefined {
  const w = Float64Array.from(start);
  const state = Int8Array.from(startState);
  let c = startC;
  const sw = new Float64Array(n);
  const abs = new Float64Array(n);
  const trial = new Float64Array(n);
  const free: number[] = [];
  let released = -1;
  const multiply = (x: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      let a = 0;
      for (let j = 0; j < n; j++) {
        const v = (sigma[i * n + j] as number) * (x[j] as number);
        s += v;
        a += Math.abs(v);
      }
      sw[i] = s;
      abs[i] = a;
    }
  };
  // Residual of G relative to the size of the terms it sums.
  const residual = (x: Float64Array, cc: number): number => {
    multiply(x);
    let total = 0;
    let r = 0;
    for (let i = 0; i < n; i++) {
      total += x[i] as number;
      if (state[i] !== 0) continue;
      const xi = x[i] as number;
      r = Math.max(
        r,
        Math.abs(xi * (sw[i] as number) - cc) / Math.max(xi * (abs[i] as number), Math.abs(cc), 1e-300),
      );
    }
    return Math.max(r, Math.abs(total - 1));
  };
  for (let iter = 0; iter < 300; iter++) {
    let err = residual(w, c);
    if (err <= 1e-13) {
      // Complementarity of the held assets; release the worst violator.
      let worst = -1;
      let worstViolation = 1e-12;
      for (let i = 0; i < n; i++) {
        const st = state[i] as number;
        if (st === 0) continue;
        const rc = (w[i] as number) * (sw[i] as number);
        const scale = Math.max((w[i] as number) * (abs[i] as number), Math.abs(c), 1e-300);
        const v = (st < 0 ? c - rc : rc - c) / scale;
        if (v > worstViolation) {
          worstViolation = v;
          worst = i;
        }
      }
      if (worst < 0) return { w, state, c, iterations: iter };
      state[worst] = 0;
      released = worst;
      err = residual(w, c);
    }
    free.length = 0;
    for (let i = 0; i < n; i++) if (state[i] === 0) free.push(i);
    if (free.length === 0) {
      // A vertex whose weights miss the budget: free the asset that can move towards it with the most
      // extreme contribution (the highest capped one to go down, the lowest floored one to go up).
      let total = 0;
      for (let i = 0; i < n; i++) total += w[i] as number;
      const down = total > 1;
      let pick = -1;
      for (let i = 0; i < n; i++) {
        if ((state[i] as number) !== (down ? 1 : -1)) continue;
        const rc = (w[i] as number) * (sw[i] as number);
        if (
          pick < 0 ||
          (down
            ? rc > (w[pick] as number) * (sw[pick] as number)
            : rc < (w[pick] as number) * (sw[pick] as number))
        )
          pick = i;
      }
      if (pick < 0) return undefined;
      state[pick] = 0;
      c = (w[pick] as number) * (sw[pick] as number);
      free.push(pick);
    }
    const k = free.length;
    const m = k + 1;
    const jac = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i] as number;
    for (let a = 0; a < k; a++) {
      const i = free[a] as number;
      const wi = w[i] as number;
      for (let b = 0; b < k; b++) jac[a * m + b] = wi * (sigma[i * n + (free[b] as number)] as number);
      jac[a * m + a] = (jac[a * m + a] as number) + (sw[i] as number);
      jac[a * m + k] = -1;
      jac[k * m + a] = 1;
      rhs[a] = -(wi * (sw[i] as number) - c);
    }
    rhs[k] = -(total - 1);
    if (!luSolveInPlace(jac, rhs, m)) return undefined;
    // Cut the step at the first bound crossed.
    let alpha = 1;
    let blocking = -1;
    for (let a = 0; a < k; a++) {
      const i = free[a] as number;
      const d = rhs[a] as number;
      const wi = w[i] as number;
      const t = d < 0 ? ((lo[i] as number) - wi) / d : d > 0 ? ((hi[i] as number) - wi) / d : Infinity;
      if (t < alpha) {
        alpha = Math.max(t, 0);
        blocking = i;
      }
    }
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      trial.set(w);
      for (let a = 0; a < k; a++) {
        const i = free[a] as number;
        trial[i] = Math.min(
          hi[i] as number,
          Math.max(lo[i] as number, (w[i] as number) + alpha * (rhs[a] as number)),
        );
      }
      const cTrial = c + alpha * (rhs[k] as number);
      if (residual(trial, cTrial) < (1 - 1e-4 * alpha) * err || (blocking >= 0 && ls === 0)) {
        w.set(trial);
        c = cTrial;
        accepted = true;
        break;
      }
      alpha *= 0.5;
      blocking = -1;
    }
    if (!accepted) return undefined;
    // Outside the convex regime the inequality need not point the way Newton goes: a released asset
    // that is pushed straight back would cycle.
    if (blocking >= 0 && blocking === released && alpha === 0) return undefined;
    released = -1;
    if (blocking >= 0) {
      const up = (rhs[free.indexOf(blocking)] as number) > 0;
      w[blocking] = up ? (hi[blocking] as number) : (lo[blocking] as number);
      state[blocking] = up ? 1 : -1;
    }
  }
  return undefined;
}
