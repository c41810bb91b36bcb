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
  const it = new ErcNewton(sigma, n, lo, hi, Float64Array.from(start), Int8Array.from(startState), startC);
  let released = -1;
  for (let iter = 0; iter < 300; iter++) {
    let err = it.residual(it.w, it.c);
    if (err <= 1e-13) {
      // Complementarity of the held assets; release the worst violator.
      const worst = it.worstHeld();
      if (worst < 0) return { w: it.w, state: it.state, c: it.c, iterations: iter };
      it.state[worst] = 0;
      released = worst;
      err = it.residual(it.w, it.c);
    }
    if (!it.collectFree()) return undefined;
    const step = it.newtonStep();
    if (step === undefined) return undefined;
    const cut = it.search(step, err);
    if (cut === undefined) return undefined;
    const { alpha, blocking } = cut;
    // Outside the convex regime the inequality need not point the way Newton goes: a released asset
    // that is pushed straight back would cycle.
    if (blocking >= 0 && blocking === released && alpha === 0) return undefined;
    released = -1;
    if (blocking >= 0) {
      const up = (step[it.free.indexOf(blocking)] as number) > 0;
      it.w[blocking] = up ? (hi[blocking] as number) : (lo[blocking] as number);
      it.state[blocking] = up ? 1 : -1;
    }
  }
  return undefined;
}

/** The iterate (w, c) with its held set and the products with Σ the Newton steps need. */
class ErcNewton {
  readonly sw: Float64Array;
  readonly abs: Float64Array;
  readonly trial: Float64Array;
  readonly free: number[] = [];

  constructor(
    readonly sigma: Float64Array,
    readonly n: number,
    readonly lo: Float64Array,
    readonly hi: Float64Array,
    readonly w: Float64Array,
    readonly state: Int8Array,
    public c: number,
  ) {
    this.sw = new Float64Array(n);
    this.abs = new Float64Array(n);
    this.trial = new Float64Array(n);
  }

  /** sw = Σx and abs = |Σ|·|x| (term by term). */
  multiply(x: Float64Array): void {
    const { n, sigma, sw, abs } = this;
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
  }

  /** Residual of G relative to the size of the terms it sums. */
  residual(x: Float64Array, cc: number): number {
    this.multiply(x);
    const { n, state, sw, abs } = this;
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
  }

  /** The held asset whose contribution violates its inequality most (−1 if none beyond 1e-12). */
  worstHeld(): number {
    const { n, state, w, sw, abs, c } = this;
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
    return worst;
  }

  /** The free assets; at a vertex one is freed (false when none can move towards the budget). */
  collectFree(): boolean {
    const { n, state, w, sw, free } = this;
    free.length = 0;
    for (let i = 0; i < n; i++) if (state[i] === 0) free.push(i);
    if (free.length > 0) return true;
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
    if (pick < 0) return false;
    state[pick] = 0;
    this.c = (w[pick] as number) * (sw[pick] as number);
    free.push(pick);
    return true;
  }

  /** The Newton step (d_F, d_c) of G at the current iterate, or undefined if its Jacobian is singular. */
  newtonStep(): Float64Array | undefined {
    const { n, sigma, w, sw, free, c } = this;
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
    return luSolveInPlace(jac, rhs, m) ? rhs : undefined;
  }

  /**
   * Cut the step at the first bound crossed, then backtrack until the residual falls (a cut step is
   * taken as is). Moves the iterate; undefined when no step is accepted.
   */
  search(step: Float64Array, err: number): { alpha: number; blocking: number } | undefined {
    const { w, free, lo, hi, trial } = this;
    const k = free.length;
    let alpha = 1;
    let blocking = -1;
    for (let a = 0; a < k; a++) {
      const i = free[a] as number;
      const d = step[a] as number;
      const wi = w[i] as number;
      const t = d < 0 ? ((lo[i] as number) - wi) / d : d > 0 ? ((hi[i] as number) - wi) / d : Infinity;
      if (t < alpha) {
        alpha = Math.max(t, 0);
        blocking = i;
      }
    }
    for (let ls = 0; ls < 40; ls++) {
      trial.set(w);
      for (let a = 0; a < k; a++) {
        const i = free[a] as number;
        trial[i] = Math.min(
          hi[i] as number,
          Math.max(lo[i] as number, (w[i] as number) + alpha * (step[a] as number)),
        );
      }
      const cTrial = this.c + alpha * (step[k] as number);
      if (this.residual(trial, cTrial) < (1 - 1e-4 * alpha) * err || (blocking >= 0 && ls === 0)) {
        w.set(trial);
        this.c = cTrial;
        return { alpha, blocking };
      }
      alpha *= 0.5;
      blocking = -1;
    }
    return undefined;
  }
}
