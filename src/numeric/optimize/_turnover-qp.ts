/**
 * A strictly convex QP with an L1 distance to a reference point, in the objective and as a bound:
 *
 *   min ½·xᵀGx + cᵀx + λ·Σ|g_i(x)|   s.t.   the rows of `base`,   Σ|g_i(x)| ≤ τ·a(x),
 *
 * with g_i(x) = x_i − p_i·a(x) and a(x) = 1 (weights) or 1ᵀx (the homogenised max-Sharpe variable,
 * where every row is a cone). The first row of `base` may carry the L1 term too (ρ·Σ|g_i| subtracted
 * from its normal: the max-Sharpe return net of turnover).
 *
 * Solved exactly by sign patterns: in the orthant s ∈ {−1, +1}ⁿ with s_i·g_i(x) ≥ 0 every |g_i| is the
 * linear s_i·g_i, so the problem is one QP of the dual active-set solver (orthant rows added). At its
 * optimum the orthant row i carries a multiplier μ_i; the L1 term's subgradient at g_i = 0 spans
 * ω·[−1, 1] with ω = λ + ν + ρ·η (ν the bound's multiplier, η the first row's), so the point is optimal
 * for the whole problem exactly when μ_i ≤ 2ω for every i. Otherwise moving g_i to the other sign lowers
 * the objective: the pattern flips s_i (the largest excess first) and the QP is solved again from a
 * point feasible in both orthants. Each flip strictly lowers the optimum, so no pattern repeats.
 */
import { QuantError } from '../../errors.js';
import { dualQpKktViolation, solveDualQp, type DualQpProblem } from './_dual-active-set-qp.js';

export interface TurnoverQpProblem {
  /** The QP without the L1 terms: G, c and its rows (the first `meq` equalities). */
  readonly base: DualQpProblem;
  /** p, n values. */
  readonly reference: Float64Array;
  /** a(x) = 1ᵀx instead of 1 (a homogenised problem). */
  readonly homogeneous: boolean;
  /** λ ≥ 0 on Σ|g_i| in the objective. */
  readonly penalty: number;
  /** τ, when bounded. */
  readonly maxTurnover?: number;
  /** ρ ≥ 0: the first base row's normal minus ρ·Σ s_i·∇g_i (and β·(normal)(normal)ᵀ added to G). */
  readonly rowPenalty?: { readonly rho: number; readonly beta: number };
  /** The starting pattern: +1 or −1 per coordinate (a point of the problem lies in its orthant). */
  readonly start: Int8Array;
  /** Coordinates whose sign cannot change (p at a bound of the box): +1, −1, or 0 when free. */
  readonly forced: Int8Array;
}

export interface TurnoverQpResult {
  readonly x: Float64Array;
  readonly signs: Int8Array;
  /** Sign flips after the first solve. */
  readonly flips: number;
  /** Active-set changes of every solve. */
  readonly iterations: number;
  /** The multiplier of the turnover bound (0 when slack or absent). */
  readonly boundMultiplier: number;
  /** Largest KKT violation of the final orthant QP and of the sign conditions μ_i ≤ 2ω. */
  readonly kktViolation: number;
}

interface Orthant {
  readonly problem: DualQpProblem;
  /** The row of coordinate i's orthant constraint, −1 when the box implies it (a forced sign). */
  readonly rowOf: Int32Array;
  /** The bound's row, −1 without a bound. */
  readonly boundRow: number;
}

/** ∇g_i as a row: e_i − κ·p_i·1. */
function addGradient(row: Float64Array, i: number, p: Float64Array, kappa: number, scale: number): void {
  const n = p.length;
  row[i] = (row[i] as number) + scale;
  if (kappa === 0) return;
  const pi = p[i] as number;
  for (let k = 0; k < n; k++) row[k] = (row[k] as number) - scale * pi;
}

/** The QP of the orthant `s`. */
function orthant(t: TurnoverQpProblem, s: Int8Array): Orthant {
  const { base, reference: p } = t;
  const n = base.n;
  const kappa = t.homogeneous ? 1 : 0;
  const l1 = new Float64Array(n);
  for (let i = 0; i < n; i++) addGradient(l1, i, p, kappa, s[i] as number);
  const m = base.rhs.length;
  const rowOf = new Int32Array(n).fill(-1);
  let free = 0;
  for (let i = 0; i < n; i++) if (t.forced[i] === 0) rowOf[i] = m + free++;
  const boundRow = t.maxTurnover === undefined ? -1 : m + free;
  const rows = m + free + (boundRow < 0 ? 0 : 1);
  const normals = new Float64Array(rows * n);
  const rhs = new Float64Array(rows);
  normals.set(base.normals, 0);
  rhs.set(base.rhs, 0);
  const g = Float64Array.from(base.g);
  if (t.rowPenalty !== undefined) {
    const { rho, beta } = t.rowPenalty;
    for (let k = 0; k < n; k++) normals[k] = (normals[k] as number) - rho * (l1[k] as number);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        g[i * n + j] = (g[i * n + j] as number) + beta * (normals[i] as number) * (normals[j] as number);
  }
  const pSigned = (i: number): number => (s[i] as number) * (p[i] as number);
  for (let i = 0; i < n; i++) {
    const r = rowOf[i] as number;
    if (r < 0) continue;
    addGradient(normals.subarray(r * n, (r + 1) * n), i, p, kappa, s[i] as number);
    rhs[r] = kappa === 1 ? 0 : pSigned(i);
  }
  if (t.maxTurnover !== undefined) {
    // τ·a(x) − Σ s_i·g_i(x) ≥ 0.
    const row = normals.subarray(boundRow * n, (boundRow + 1) * n);
    for (let k = 0; k < n; k++) row[k] = -(l1[k] as number) + (kappa === 1 ? t.maxTurnover : 0);
    let sp = 0;
    for (let i = 0; i < n; i++) sp += pSigned(i);
    rhs[boundRow] = kappa === 1 ? 0 : -t.maxTurnover - sp;
  }
  const c = Float64Array.from(base.c);
  for (let k = 0; k < n; k++) c[k] = (c[k] as number) + t.penalty * (l1[k] as number);
  return { problem: { n, g, c, normals, rhs, meq: base.meq }, rowOf, boundRow };
}

/** Solve the problem (see the module comment); E_SOLVER if an orthant QP is infeasible. */
export function solveTurnoverQp(t: TurnoverQpProblem): TurnoverQpResult {
  const n = t.base.n;
  const s = Int8Array.from(t.start);
  const seen = new Set<string>();
  let flips = 0;
  let iterations = 0;
  for (;;) {
    seen.add(s.join(','));
    const { problem, rowOf, boundRow } = orthant(t, s);
    const r = solveDualQp(problem);
    if (r.status === 'infeasible') {
      throw new QuantError(
        'E_SOLVER',
        'the turnover-constrained problem has no point in the orthant searched',
        {
          hint: 'loosen max_turnover or the limits',
        },
      );
    }
    iterations += r.iterations;
    const y = r.multipliers;
    const nu = boundRow < 0 ? 0 : (y[boundRow] as number);
    const eta = t.rowPenalty === undefined ? 0 : (y[0] as number) * t.rowPenalty.rho;
    const omega = t.penalty + nu + eta;
    let worst = 0;
    let flip = -1;
    for (let i = 0; i < n; i++) {
      const r = rowOf[i] as number;
      if (r < 0) continue;
      const excess = (y[r] as number) - 2 * omega;
      if (excess > worst) {
        worst = excess;
        flip = i;
      }
    }
    const scale = 1 + 2 * Math.abs(omega);
    const kkt = Math.max(dualQpKktViolation(problem, r.x, y), worst / scale);
    const done = { x: r.x, signs: s, flips, iterations, boundMultiplier: nu, kktViolation: kkt };
    if (flip < 0 || worst <= 1e-12 * scale) return done;
    s[flip] = -(s[flip] as number);
    // A repeated pattern can only come from degenerate multipliers: the optimum did not change.
    if (seen.has(s.join(','))) {
      s[flip] = -(s[flip] as number);
      return done;
    }
    flips++;
    if (flips > 4 * n + 20) {
      throw new QuantError('E_SOLVER', `the turnover sign pattern did not settle in ${flips} flips`, {
        hint: 'loosen max_turnover or the limits',
      });
    }
  }
}
