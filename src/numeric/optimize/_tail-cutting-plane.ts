/**
 * The tail-risk linear programs solved exactly by constraint generation. CVaR_β and CDaR_β of a
 * portfolio are positively homogeneous, convex and piecewise linear in its weights: each is the largest
 * of finitely many linear functions gᵀw (one per choice of tail scenarios — and, for CDaR, of the peak
 * before each scenario). The Rockafellar–Uryasev LP (2000) and the Chekhlov–Uryasev–Zabarankin LP (2005)
 * hold all of them implicitly through T auxiliary variables; here the master LP
 *
 *   min θ   s.t.   θ ≥ g_jᵀw (the cuts so far),   the weight constraints,
 *
 * adds the one piece active at the current answer until it is no longer violated (Künzi-Bauer & Mayer
 * 2006, "A cutting-plane algorithm for CVaR"). There are finitely many pieces and each new cut differs
 * from the earlier ones, so the loop ends, at an optimum of the full LP: f(w*) = θ* is both the value of
 * a feasible point and the optimum of a relaxation. The master has n + 1 columns and one row per cut,
 * so 2,520 scenarios cost one sort per cut, not 2,520 LP rows.
 */
import { dividedBy } from '../linalg/matrix.js';
import type { Matrix } from '../linalg/matrix.js';
import { forEachTailWeight, tailPositions, worstScenarios } from '../stats/tail-risk.js';
import { QuantError } from '../../errors.js';
import type { DualSimplexReport } from './_dual-simplex.js';

/** A tail measure of a weight vector (scaled returns): its value, and one subgradient written to `grad`. */
export interface TailOracle {
  readonly measure: 'cvar' | 'cdar';
  evaluate(w: Float64Array, grad: Float64Array): number;
}

/** Returns divided by their largest magnitude, so that the LP works on O(1) numbers. */
export function scaledReturns(returns: Matrix): { readonly scaled: Matrix; readonly scale: number } {
  let scale = 0;
  for (let i = 0; i < returns.data.length; i++) scale = Math.max(scale, Math.abs(returns.data[i] as number));
  if (scale === 0) return { scaled: returns, scale: 1 };
  return { scaled: { ...returns, data: dividedBy(returns.data, scale) }, scale };
}

/** CVaR_β of the portfolio losses −Rw; subgradient −Rᵀq with q the tail weights. */
export function cvarOracle(returns: Matrix, beta: number): TailOracle {
  const { rows: T, cols: n, data } = returns;
  const losses = new Float64Array(T);
  const tail = tailPositions(T, beta);
  return {
    measure: 'cvar',
    evaluate(w, grad) {
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (data[t * n + i] as number) * (w[i] as number);
        losses[t] = -s;
      }
      const order = worstScenarios(losses, tail);
      grad.fill(0);
      let value = 0;
      forEachTailWeight(T, beta, (p, q) => {
        const t = order[p] as number;
        value += q * (losses[t] as number);
        for (let i = 0; i < n; i++) grad[i] = (grad[i] as number) - q * (data[t * n + i] as number);
      });
      return value;
    },
  };
}

/**
 * CDaR_β of the uncompounded cumulative portfolio return P_t = C_t w (C_t the cumulative asset returns,
 * C₀ = 0 a peak): drawdown D_t = P_{s(t)} − P_t with s(t) the first peak at or before t; subgradient
 * Σ q_t (C_{s(t)} − C_t).
 */
export function cdarOracle(returns: Matrix, beta: number): TailOracle {
  const { rows: T, cols: n, data } = returns;
  const cumulative = new Float64Array((T + 1) * n);
  for (let t = 1; t <= T; t++) {
    for (let i = 0; i < n; i++) {
      cumulative[t * n + i] = (cumulative[(t - 1) * n + i] as number) + (data[(t - 1) * n + i] as number);
    }
  }
  const drawdowns = new Float64Array(T);
  const peakAt = new Int32Array(T);
  const tail = tailPositions(T, beta);
  return {
    measure: 'cdar',
    evaluate(w, grad) {
      let peak = 0;
      let peakIndex = 0;
      for (let t = 1; t <= T; t++) {
        let p = 0;
        for (let i = 0; i < n; i++) p += (cumulative[t * n + i] as number) * (w[i] as number);
        if (p > peak) {
          peak = p;
          peakIndex = t;
        }
        drawdowns[t - 1] = peak - p;
        peakAt[t - 1] = peakIndex;
      }
      const order = worstScenarios(drawdowns, tail);
      grad.fill(0);
      let value = 0;
      forEachTailWeight(T, beta, (pos, q) => {
        const t = order[pos] as number;
        value += q * (drawdowns[t] as number);
        const s = peakAt[t] as number;
        for (let i = 0; i < n; i++) {
          grad[i] =
            (grad[i] as number) +
            q * ((cumulative[s * n + i] as number) - (cumulative[(t + 1) * n + i] as number));
        }
      });
      return value;
    },
  };
}

/** How the cutting-plane solve ended: the LP's optimality measured on the full problem. */
export interface CuttingPlaneReport {
  readonly cuts: number;
  readonly pivots: number;
  /** f(w) − θ: the value of the answer minus the master's lower bound (≥ 0 up to rounding). */
  readonly gap: number;
  readonly primalResidual: number;
  readonly dualResidual: number;
}

/**
 * The master's simplex: `DualSimplex`, or for `min_cdar` the `CutMasterSimplex` with perturbed costs,
 * which {@link solveByCuts} removes (`unperturb`) before it accepts an answer.
 */
export interface CuttingPlaneLp {
  readonly work: number;
  readonly perturbed?: boolean;
  solve(maxPivots: number): DualSimplexReport;
  solution(): Float64Array;
  addRow(coef: Float64Array, lo: number, hi: number): void;
  unperturb?(maxPivots: number): DualSimplexReport;
  perturb?(): void;
}

/** The master LP with its risk column θ and the oracle's variables (the first n columns). */
export interface CuttingPlaneMaster {
  readonly lp: CuttingPlaneLp;
  readonly columns: number;
  readonly n: number;
  readonly theta: number;
  /**
   * In-out stabilisation: the weight λ of the best answer so far in the point where the oracle is asked for
   * a cut first, λ·best + (1 − λ)·the master's answer ({@link solveByCuts}); 0 (the default): none.
   */
  readonly inOut?: number;
}

const MAX_CUTS = 20000;
/** Pivots of one re-optimisation (a guard against cycling; Bland's rule takes over well before). */
const MAX_PIVOTS = 200000;
/**
 * The whole constraint generation's work, `DualSimplex.work` or `CutMasterSimplex.work` (the
 * entries its pivots compute): about 2 minutes on the development machine.
 */
const MAX_CUT_WORK = 4e10;
/** Stop when f(w) − θ is this small relative to max(1, |f(w)|) (the data are scaled to O(1)). */
const GAP_TOL = 1e-12;

/**
 * Add cuts θ ≥ gᵀx[0..n) until the oracle's value at the master's answer meets θ. Returns the master's
 * columns at the optimum, or `null` when the master is infeasible.
 *
 * With `inOut` = λ > 0 (Ben-Ameur & Neto 2007), the cut is first taken at q = λ·c + (1 − λ)·x, c the
 * answer of the smallest value so far (a feasible point, as is q): a cut at any point is valid, and one
 * near the best answer describes f where the optimum is rather than where the master's model is
 * emptiest. It is added when it cuts off the master's answer x (c moves to q when f(q) is smaller);
 * otherwise the oracle is asked at x itself, as without stabilisation, so the loop ends exactly as it
 * does without: at an answer x of the master whose value meets θ. A master with perturbed costs
 * (`perturbed`) is re-optimised with its own costs (`unperturb`) before that test accepts an answer.
 */
export function solveByCuts(
  master: CuttingPlaneMaster,
  oracle: TailOracle,
  maxWork = MAX_CUT_WORK,
): { readonly x: Float64Array; readonly value: number; readonly report: CuttingPlaneReport } | null {
  const { lp, n, theta, columns } = master;
  const inOut = master.inOut ?? 0;
  const grad = new Float64Array(n);
  const coef = new Float64Array(columns);
  const query = new Float64Array(n);
  const seen = new Set<string>();
  const keyOf = (): string => Array.from(grad, (g) => g.toString(36)).join(',');
  let center: Float64Array | null = null;
  let centerValue = Infinity;
  for (let cuts = 0; ; cuts++) {
    let status = lp.solve(MAX_PIVOTS);
    if (status.status === 'infeasible') return null;
    let x = lp.solution();
    let gap = 0;
    let key = '';
    let separated = false;
    if (center !== null) {
      for (let i = 0; i < n; i++) query[i] = inOut * (center[i] as number) + (1 - inOut) * (x[i] as number);
      const atQuery = oracle.evaluate(query, grad);
      let cut = 0;
      for (let i = 0; i < n; i++) cut += (grad[i] as number) * (x[i] as number);
      gap = cut - (x[theta] as number);
      key = keyOf();
      separated = gap > GAP_TOL * Math.max(1, Math.abs(cut)) && !seen.has(key);
      if (separated && atQuery < centerValue) {
        center.set(query);
        centerValue = atQuery;
      }
    }
    if (!separated) {
      let value = oracle.evaluate(x.subarray(0, n), grad);
      gap = value - (x[theta] as number);
      key = keyOf();
      let done = gap <= GAP_TOL * Math.max(1, Math.abs(value)) || seen.has(key);
      if (done && lp.perturbed === true && lp.unperturb !== undefined) {
        status = lp.unperturb(MAX_PIVOTS);
        x = lp.solution();
        value = oracle.evaluate(x.subarray(0, n), grad);
        gap = value - (x[theta] as number);
        key = keyOf();
        done = gap <= GAP_TOL * Math.max(1, Math.abs(value)) || seen.has(key);
        if (!done) lp.perturb?.();
      }
      if (done) {
        return {
          x,
          value,
          report: {
            cuts,
            pivots: status.pivots,
            gap,
            primalResidual: status.primalResidual,
            dualResidual: status.dualResidual,
          },
        };
      }
      if (inOut > 0 && value < centerValue) {
        center = Float64Array.from(x.subarray(0, n));
        centerValue = value;
      }
    }
    if (cuts >= MAX_CUTS) {
      throw new QuantError('E_SOLVER', `the ${oracle.measure} LP did not converge within ${MAX_CUTS} cuts`, {
        hint: 'report the input; min_variance is an alternative without a linear program',
      });
    }
    if (lp.work > maxWork) {
      throw new QuantError(
        'E_SOLVER',
        `the ${oracle.measure} LP did not converge within its work limit (${cuts} cuts, ${status.pivots} pivots, gap ${gap.toExponential(2)})`,
        {
          hint: 'fewer assets or a shorter history; min_cvar (a faster LP) or min_variance are alternatives',
          details: { cuts, pivots: status.pivots, gap },
        },
      );
    }
    seen.add(key);
    coef.fill(0);
    for (let i = 0; i < n; i++) coef[i] = -(grad[i] as number);
    coef[theta] = 1;
    lp.addRow(coef, 0, Infinity);
  }
}
