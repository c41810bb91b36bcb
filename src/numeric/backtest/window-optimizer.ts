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
import { sampleCovariance } from '../covariance/sample-covariance.js';

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
  /**
   * Annualisation factor; default inferred per window from its train dates (`inferFrequency`). A set
   * value covers irregular dates, not dates that change frequency (`planWalkForward` refuses those).
   */
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
 *
 * The risk profiles of a walk-forward see the same train rows in each window, so the window's sample
 * covariance is computed once and kept for the others ({@link windowCovariances}); with
 * `incrementalMoments` the rolling estimate is used instead.
 */
export function createWindowOptimizer(settings: WindowOptimizerSettings = {}): WindowOptimizer {
  const { fallback = true, periodsPerYear, incrementalMoments, ...methodOptions } = settings;
  const rolling = incrementalMoments === undefined ? undefined : new RollingCovariance(incrementalMoments);
  const kept = rolling === undefined ? windowCovariances() : undefined;
  return (method, train, { trainDates, window }) => {
    const options: OptimizeOptions = {
      ...methodOptions,
      method,
      periodsPerYear: periodsPerYear ?? inferPeriodsPerYear(trainDates),
      sampleCovariance:
        rolling === undefined
          ? (m: Matrix) => (kept as WindowCovariances)(m, window)
          : (m: Matrix) => rolling.covariance(m, trainDates),
    };
    if (fallback) return optimizeWithFallback(train, options);
    return { ...optimizePortfolio(train, options), fallbacks: [] };
  };
}

/** The sample covariance of a window's train rows, computed once per window (see below). */
export type WindowCovariances = (train: Matrix, window: number) => Matrix;

/** Bytes of window covariances one optimiser keeps (beyond them, each profile computes its own). */
const KEPT_COVARIANCE_BYTES = 64 * 2 ** 20;

/**
 * `sampleCovariance` of a window's train rows, kept by window for the other risk profiles: the same
 * rows (the same view of the same buffer) give the same matrix, bit for bit, so computing it once changes
 * nothing but the time. The optimisers never modify it (annualising copies it). At most
 * {@link KEPT_COVARIANCE_BYTES} are kept, so a walk-forward of many large windows computes the later ones
 * for each profile, as before.
 */
export function windowCovariances(): WindowCovariances {
  interface Kept {
    readonly source: Float64Array;
    readonly rows: number;
    readonly cols: number;
    readonly cov: Matrix;
  }
  const kept = new Map<number, Kept>();
  let bytes = 0;
  return (train, window) => {
    const hit = kept.get(window);
    const same =
      hit !== undefined &&
      hit.rows === train.rows &&
      hit.cols === train.cols &&
      hit.source.buffer === train.data.buffer &&
      hit.source.byteOffset === train.data.byteOffset &&
      hit.source.length === train.data.length;
    if (same) return hit.cov;
    const cov = sampleCovariance(train);
    if (hit === undefined && bytes + cov.data.byteLength <= KEPT_COVARIANCE_BYTES) {
      kept.set(window, { source: train.data, rows: train.rows, cols: train.cols, cov });
      bytes += cov.data.byteLength;
    }
    return cov;
  };
}
