import { QuantError, isQuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import { frequencyChange } from '../series/periods-per-year.js';
import type { FallbackStep, PortfolioMethod } from '../optimize/optimize-portfolio.js';
import { syntheticReturns, type PositionDirection } from './synthetic-returns.js';
import { walkForwardWindows, type WindowSpan } from './walk-forward-windows.js';
import { createWindowOptimizer, type WindowOptimization, type WindowOptimizer } from './window-optimizer.js';
import {
  assertRebalancePolicy,
  holdWithPolicy,
  type PolicyHolding,
  type RebalancePolicy,
} from './rebalance-policy.js';

/** Trading costs as fractions of the traded value: both are paid on every unit of turnover. */
export interface BacktestCosts {
  readonly commission: number;
  readonly slippage: number;
}

export interface WalkForwardOptions {
  /** Length-T ISO dates of the return rows. */
  readonly dates: readonly string[];
  /** Length-n direction per asset column. */
  readonly directions: readonly PositionDirection[];
  readonly trainWindow: number;
  readonly testWindow: number;
  readonly step: number;
  readonly riskProfiles: readonly PortfolioMethod[];
  readonly costs: BacktestCosts;
  /** Weights of one window; default {@link createWindowOptimizer}`()` (fallback chain, inferred annualisation). */
  readonly optimize?: WindowOptimizer;
  /**
   * How the targets are held (default: traded in full on the first held day of each window, which is
   * also what {@link RebalancePolicy} `{ calendar: 'window' }` gives).
   */
  readonly policy?: RebalancePolicy;
  /** Other policies held on the same targets, for comparison (`ProfileBacktest.comparisons`). */
  readonly comparePolicies?: readonly RebalancePolicy[];
  /** Called after every window (progress only; it cannot change the result). */
  readonly onWindow?: (event: { profile: PortfolioMethod; window: number; windows: number }) => void;
}

/** What happened in one window of one risk profile. Dates are ISO days, inclusive. */
export interface WindowRecord {
  readonly index: number;
  readonly trainStart: string;
  readonly trainEnd: string;
  /** First and last day this window holds in the stitched stream. */
  readonly testStart: string;
  readonly testEnd: string;
  readonly heldDays: number;
  /** `error` when the requested method failed and a fallback's weights were used. */
  readonly status: 'success' | 'error';
  readonly methodUsed: PortfolioMethod;
  readonly fallbacks: readonly FallbackStep[];
  readonly reason?: string;
  /** Σ|w_target − w_drifted| at the rebalance (Σ|w_target| when entering from cash). */
  readonly turnover: number;
  /** (commission + slippage) × turnover, subtracted from the first held day's return. */
  readonly cost: number;
  /** Target weights of the synthetic assets (≥ 0). */
  readonly weights: Float64Array;
}

/** The out-of-sample result of one risk profile. */
export interface ProfileBacktest {
  readonly profile: PortfolioMethod;
  /** Stitched out-of-sample days, increasing. */
  readonly dates: string[];
  /** Daily portfolio returns net of costs, aligned with `dates`. */
  readonly returns: Float64Array;
  readonly windows: WindowRecord[];
  /** Target weights of the last window. */
  readonly lastWeights: Float64Array;
  /** With a policy: every trade of the stream. */
  readonly events?: PolicyHolding['events'];
  /** The `comparePolicies`, in order, held on the same targets. */
  readonly comparisons?: readonly PolicyHolding[];
}

export interface WalkForwardResult {
  /** The optimiser-input matrix (SHORT columns inverted), T x n. */
  readonly synthetic: Matrix;
  readonly spans: readonly WindowSpan[];
  /** One entry per risk profile, in the order requested. */
  readonly profiles: ProfileBacktest[];
}

/**
 * Walk-forward backtest of a sleeve for each risk profile.
 *
 * SHORT assets enter as synthetic longs `s = −min(r, 1)` (see `syntheticReturns`). For each window
 * (see `walkForwardWindows`) the optimiser sees the train rows of the synthetic matrix and returns
 * target weights w (≥ 0, Σw = 1). During the held rows the weights drift with the synthetic returns:
 *   R_t = Σᵢ w_{t,i} s_{t,i},   w_{t+1,i} = w_{t,i} (1 + s_{t,i}) / Σⱼ w_{t,j} (1 + s_{t,j}).
 * At each rebalance the turnover τ = Σᵢ |w_target,i − w_drifted,i| (from cash: Σᵢ |w_target,i|) costs
 * (commission + slippage)·τ, subtracted from that day's return. Liquidation is never charged (neither at
 * the end nor before a gap). A requested method that fails falls back along the declared chain and the
 * window is recorded with status `error`; its fallback weights are still held.
 *
 * @param returns T x n simple daily returns of the physical assets.
 * @returns per-profile stitched streams and window records; deterministic for deterministic `optimize`.
 */
export function walkForwardBacktest(returns: Matrix, options: WalkForwardOptions): WalkForwardResult {
  const plan = planWalkForward(returns, options);
  const optimize = options.optimize ?? createWindowOptimizer();
  const targets = options.riskProfiles.map((profile) =>
    plan.spans.map((span) => {
      const chosen = optimizeWindow(optimize, profile, plan.synthetic, span, options.dates);
      options.onWindow?.({ profile, window: span.index, windows: plan.spans.length });
      return chosen;
    }),
  );
  return holdTargets(plan, targets, options);
}

/** The checked result of one window's optimiser: its weights copied into a Float64Array. */
export interface WindowTarget extends WindowOptimization {
  readonly weights: Float64Array<ArrayBuffer>;
}

/** The checked inputs of a walk-forward: the optimiser-input matrix and the windows. */
export interface WalkForwardPlan {
  readonly synthetic: Matrix;
  readonly spans: readonly WindowSpan[];
  /** commission + slippage per unit of turnover. */
  readonly rate: number;
}

/**
 * Check the options against the T x n returns and build the synthetic matrix and the windows. Dates that
 * change frequency (month ends, then daily closes) are `E_FREQUENCY`, also when the optimiser was given
 * `periodsPerYear`.
 */
export function planWalkForward(returns: Matrix, options: WalkForwardOptions): WalkForwardPlan {
  const { rows: T, cols: n } = returns;
  if (options.dates.length !== T) {
    throw new QuantError('E_PARAMS', `${options.dates.length} dates given for ${T} return rows`);
  }
  // Dates that change frequency are refused whether the optimiser infers A or was given one
  // (`createWindowOptimizer({ periodsPerYear })`), as the stages refuse them with or without a set A.
  const change = frequencyChange(options.dates);
  if (change !== undefined) {
    throw new QuantError('E_FREQUENCY', `walk-forward dates: ${change.message}`, {
      ...(change.hint === undefined ? {} : { hint: change.hint }),
      details: change.details,
      cause: change,
    });
  }
  const { commission, slippage } = options.costs;
  const rate = commission + slippage;
  if (!(commission >= 0 && slippage >= 0 && Number.isFinite(rate))) {
    const why =
      commission >= 0 && slippage >= 0 && Number.isFinite(commission) && Number.isFinite(slippage)
        ? `their sum ${commission} + ${slippage} overflows to ${rate}`
        : `got ${commission} and ${slippage}`;
    throw new QuantError(
      'E_PARAMS',
      `costs: commission and slippage must be finite, ≥ 0 and sum to a finite rate; ${why}`,
    );
  }
  for (const p of [options.policy, ...(options.comparePolicies ?? [])]) {
    if (p !== undefined) assertRebalancePolicy(p, n);
  }
  const synthetic = syntheticReturns(returns, options.directions);
  const spans = walkForwardWindows(T, options.trainWindow, options.testWindow, options.step);
  return { synthetic, spans, rate };
}

/**
 * The target weights of one window of one risk profile: `optimize` on the window's train rows of
 * `synthetic`, checked (n finite values ≥ 0). Windows are independent of each other for a stateless
 * optimiser, which is what lets them run on several threads (`walkForwardBacktestThreads`).
 */
export function optimizeWindow(
  optimize: WindowOptimizer,
  profile: PortfolioMethod,
  synthetic: Matrix,
  span: WindowSpan,
  dates: readonly string[],
): WindowTarget {
  const n = synthetic.cols;
  const train: Matrix = {
    rows: span.trainEnd - span.trainStart,
    cols: n,
    data: synthetic.data.subarray(span.trainStart * n, span.trainEnd * n),
  };
  const trainDates = dates.slice(span.trainStart, span.trainEnd);
  const result = runOptimizer(optimize, profile, train, trainDates, span, dates);
  const weights = Float64Array.from(result.weights);
  if (weights.length !== n || !weights.every((x) => x >= 0 && x !== Infinity)) {
    throw new QuantError(
      'E_SOLVER',
      `${profile}, window ${span.index}: the optimiser returned invalid weights (need ${n} finite values ≥ 0)`,
    );
  }
  return { method: result.method, weights, fallbacks: result.fallbacks };
}

/**
 * Hold the target weights of every window (`targets[p][k]`: risk profile p, window k, from
 * {@link optimizeWindow}) through the test rows: the stitched streams, costs and window records.
 */
export function holdTargets(
  plan: WalkForwardPlan,
  targets: readonly (readonly WindowTarget[])[],
  options: WalkForwardOptions,
): WalkForwardResult {
  const { synthetic, spans, rate } = plan;
  const n = synthetic.cols;
  const held = spans.reduce((sum, w) => sum + (w.heldEnd - w.testStart), 0);

  const profiles = options.riskProfiles.map((profile, p): ProfileBacktest => {
    const out = new Float64Array(held);
    const dates: string[] = [];
    const windows: WindowRecord[] = [];
    const w = new Float64Array(n);
    const next = new Float64Array(n);
    let lastWeights = new Float64Array(n);
    for (const span of spans) {
      const result = targets[p]?.[span.index] as WindowTarget;
      const target = result.weights;
      let turnover = 0;
      for (let i = 0; i < n; i++) {
        const t = target[i] as number;
        turnover += Math.abs(span.continues ? t - (w[i] as number) : t);
      }
      const cost = rate * turnover;
      w.set(target);
      for (let t = span.testStart; t < span.heldEnd; t++) {
        let r = 0;
        let value = 0;
        for (let i = 0; i < n; i++) {
          const s = synthetic.data[t * n + i] as number;
          const wi = w[i] as number;
          r += wi * s;
          next[i] = wi * (1 + s);
          value += next[i] as number;
        }
        // After a total loss there is nothing left to reweight; the weights are kept as they were.
        if (value > 0) for (let i = 0; i < n; i++) w[i] = (next[i] as number) / value;
        out[dates.length] = t === span.testStart ? r - cost : r;
        dates.push(options.dates[t] as string);
      }
      lastWeights = target;
      const failed = result.fallbacks.length > 0;
      windows.push({
        index: span.index,
        trainStart: options.dates[span.trainStart] as string,
        trainEnd: options.dates[span.trainEnd - 1] as string,
        testStart: options.dates[span.testStart] as string,
        testEnd: options.dates[span.heldEnd - 1] as string,
        heldDays: span.heldEnd - span.testStart,
        status: failed ? 'error' : 'success',
        methodUsed: result.method,
        fallbacks: result.fallbacks,
        ...(failed ? { reason: describeFallbacks(profile, result.fallbacks, result.method) } : {}),
        turnover,
        cost,
        weights: target,
      });
    }
    const weights = windows.map((w) => w.weights);
    const hold = (policy: RebalancePolicy): PolicyHolding =>
      holdWithPolicy(synthetic, spans, weights, options.dates, policy, rate);
    const comparisons = options.comparePolicies?.map(hold);
    const extra = comparisons === undefined ? {} : { comparisons };
    if (options.policy === undefined) return { profile, dates, returns: out, windows, lastWeights, ...extra };
    const kept = hold(options.policy);
    const policyWindows = windows.map((w, k) => ({ ...w, ...kept.windows[k] }));
    return {
      profile,
      dates: kept.dates,
      returns: kept.returns,
      windows: policyWindows,
      lastWeights,
      events: kept.events,
      ...extra,
    };
  });
  return { synthetic, spans, profiles };
}

/** Call the optimiser; its errors keep their code and gain the window they happened in. */
function runOptimizer(
  optimize: WindowOptimizer,
  profile: PortfolioMethod,
  train: Matrix,
  trainDates: readonly string[],
  span: WindowSpan,
  dates: readonly string[],
): ReturnType<WindowOptimizer> {
  try {
    return optimize(profile, train, { trainDates, window: span.index });
  } catch (error) {
    if (!isQuantError(error)) throw error;
    const where = `${profile}, window ${span.index} (train ${dates[span.trainStart]}..${dates[span.trainEnd - 1]})`;
    throw new QuantError(error.code, `${where}: ${error.message}`, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      issues: error.issues,
      details: { ...error.details, risk_profile: profile, window: span.index },
      cause: error,
    });
  }
}

function describeFallbacks(
  requested: PortfolioMethod,
  fallbacks: readonly FallbackStep[],
  used: PortfolioMethod,
): string {
  const steps = fallbacks.map((f) => `${f.method} failed (${f.code}: ${f.message})`).join('; ');
  return `${steps}; used ${used} instead of ${requested}`;
}
