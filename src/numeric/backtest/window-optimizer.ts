import type { Matrix } from '../linalg/matrix.js';
import {
  optimizePortfolio,
  optimizeWithFallback,
  type FallbackStep,
  type OptimizeOptions,
  type PortfolioMethod,
} from '../optimize/optimize-portfolio.js';
import { inferPeriodsPerYear } from '../series/periods-per-year.js';
import { RollingCovariance } from '../covariance/rolling-moments.js';

/** The weights one walk-forward window holds: the method that produced them and the failures before it. */
export interface WindowOptimization {
  readonly method: PortfolioMethod;
  /** Length-n weights of the synthetic assets, ≥ 0, summing to 1. */
  readonly weights: ArrayLike<number>;
  readonly fallbacks: readonly FallbackStep[];
}

/** Weights of risk profile `method` estimated on a window's train rows (n columns, synthetic returns). */
export type WindowOptimizer = (
  method: PortfolioMethod,
  train: Matrix,
  context: { readonly trainDates: readonly string[]; readonly window: number },
) => WindowOptimization;

/** Settings of {@link createWindowOptimizer}: the method options of a sleeve profile. */
export interface WindowOptimizerSettings extends Omit<OptimizeOptions, 'method' | 'periodsPerYear'> {
  /** Annualisation factor; default inferred per window from its train dates (`inferFrequency`). */
  readonly periodsPerYear?: number;
  /** Apply the declared fallback chain on numeric failures (default true); false lets them throw. */
  readonly fallback?: boolean;
  /**
   * Update the sample covariance from window to window instead of recomputing it, with a full
   * computation every this many windows (`RollingCovariance`); default off: the two-pass estimate of
   * each window, bit for bit as before. The updated estimate differs by rounding (about 1e-15 relative).
   */
  readonly incrementalMoments?: number;
}

/**
 * The default window optimiser: `optimizeWithFallback` (inverse variance, then equal weight after a
 * numeric failure) with the sleeve's method options, or `optimizePortfolio` when `fallback` is false.
 */
export function createWindowOptimizer(settings: WindowOptimizerSettings = {}): WindowOptimizer {
  const { fallback = true, periodsPerYear, incrementalMoments, ...methodOptions } = settings;
  const rolling = incrementalMoments === undefined ? undefined : new RollingCovariance(incrementalMoments);
  return (method, train, { trainDates }) => {
    const options: OptimizeOptions = {
      ...methodOptions,
      method,
      periodsPerYear: periodsPerYear ?? inferPeriodsPerYear(trainDates),
      ...(rolling === undefined
        ? {}
        : { sampleCovariance: (m: Matrix) => rolling.covariance(m, trainDates) }),
    };
    if (fallback) return optimizeWithFallback(train, options);
    return { ...optimizePortfolio(train, options), fallbacks: [] };
  };
}
