import { QuantError, isQuantError } from '../../errors.js';
import type { Matrix } from '../linalg/matrix.js';
import {
  optimizeWithFallback,
  type FallbackStep,
  type OptimizeOptions,
  type PortfolioMethod,
} from '../optimize/optimize-portfolio.js';
import { walkForwardBacktest, type BacktestCosts } from './walk-forward.js';
import type { PolicyHolding, RebalancePolicy } from './rebalance-policy.js';

/**
 * One level of a meta-portfolio tree as the walk-forward sees it: the aligned return matrix of its
 * sleeves (one column each, on the level's own common dates) and, per column, the nested level behind
 * a branch column (`null` for an atomic sleeve).
 */
export interface MetaLevel {
  /** The level's meta profile (named in fallback records). */
  readonly label: string;
  readonly ids: readonly string[];
  /** ISO days, strictly increasing. A nested level's dates include its parent's (inner join). */
  readonly dates: readonly string[];
  /** `columns[j][t]`: sleeve j on `dates[t]`. For a branch column only the child's columns are used. */
  readonly columns: readonly Float64Array[];
  readonly children: readonly (MetaLevel | null)[];
  /** How this level's weights are fitted: its own bounds, estimators and annualisation factor. */
  readonly settings: Omit<OptimizeOptions, 'method'>;
}

export interface MetaWalkForwardOptions {
  /** Method of every level (philosophy-matched: the same P at each level). */
  readonly method: PortfolioMethod;
  readonly trainWindow: number;
  /** Rows held between two rebalances. */
  readonly rebalance: number;
  readonly costs: BacktestCosts;
  /** Dates the stream is built on (default the level's own; must be a subset of them). */
  readonly dates?: readonly string[];
  /**
   * Sleeve path of the level when it is backtested as a branch of a larger tree: its own optimisation
   * failures then fall back to equal weights, as they do inside the tree (default: the level is the top).
   */
  readonly branchPath?: string;
  /** How the leaf weights are held between refits (default: traded in full at each refit). */
  readonly policy?: RebalancePolicy;
  /** Other policies held on the same targets, for comparison. */
  readonly comparePolicies?: readonly RebalancePolicy[];
}

/** A method that failed at some level of the tree at a rebalance. */
export interface LevelFallback extends FallbackStep {
  /** Sleeve path of the level from the backtested level (`""` for itself, `inner` for a branch). */
  readonly level: string;
  /** Method used instead. */
  readonly used: PortfolioMethod;
}

export interface MetaRebalance {
  readonly index: number;
  /** First and last train day (of the backtested level) and the first held day. */
  readonly trainStart: string;
  readonly trainEnd: string;
  readonly date: string;
  readonly heldDays: number;
  /** The method that produced the top-level weights. */
  readonly method: PortfolioMethod;
  /** Target weights of the level's own columns. */
  readonly weights: Float64Array;
  /** Target weights of the leaves (products along each path), as traded. */
  readonly leafWeights: Float64Array;
  /** Σ|target − drifted| over the leaves (1 when entering from cash). */
  readonly turnover: number;
  readonly cost: number;
  readonly fallbacks: readonly LevelFallback[];
}

export interface MetaWalkForwardResult {
  /** Leaf sleeve paths (`inner/alpha`), depth first in column order. */
  readonly leaves: readonly string[];
  /** Out-of-sample days (the grid from row `trainWindow` on). */
  readonly dates: string[];
  /** Daily returns net of costs, aligned with `dates`. */
  readonly returns: Float64Array;
  readonly rebalances: MetaRebalance[];
  /** With a policy: every trade of the stream. */
  readonly events?: PolicyHolding['events'];
  /** The compared policies' holdings, in order. */
  readonly comparisons?: readonly PolicyHolding[];
}

interface Fitted {
  readonly method: PortfolioMethod;
  readonly weights: Float64Array;
  readonly children: readonly (Fitted | null)[];
}

/** Row of `dates` (strictly increasing) holding the last date ≤ `day`, or −1. */
function lastRowAtOrBefore(dates: readonly string[], day: string): number {
  let lo = 0;
  let hi = dates.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((dates[mid] as string) <= day) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** For each row of `from`, the row of the same date in `to`; a date `to` lacks is an error. */
function rowMap(from: readonly string[], to: readonly string[], what: string): Int32Array {
  const map = new Int32Array(from.length);
  for (let t = 0; t < from.length; t++) {
    const day = from[t] as string;
    const row = lastRowAtOrBefore(to, day);
    if (row < 0 || to[row] !== day) {
      throw new QuantError('E_INPUT_DATES', `${what} has no row for ${day}`, {
        hint: 'a nested level must cover every date of its parent (rebuild the run with meta.returns)',
      });
    }
    map[t] = row;
  }
  return map;
}

/** Row maps of every branch column into its child's rows, per level (computed once). */
function childMaps(level: MetaLevel, cache: Map<MetaLevel, (Int32Array | null)[]>): void {
  if (cache.has(level)) return;
  cache.set(
    level,
    level.children.map((child, j) => {
      if (child === null) return null;
      childMaps(child, cache);
      return rowMap(level.dates, child.dates, `nested level ${child.label} (column ${level.ids[j]})`);
    }),
  );
}

/**
 * The return of a fitted level on its row t: Σⱼ wⱼ·xⱼ,t, where a branch column's x is its child's
 * fitted return on the same date.
 */
function levelReturn(
  level: MetaLevel,
  fitted: Fitted,
  t: number,
  maps: Map<MetaLevel, (Int32Array | null)[]>,
): number {
  const own = maps.get(level) as (Int32Array | null)[];
  let r = 0;
  for (let j = 0; j < level.ids.length; j++) {
    const child = level.children[j];
    const x =
      child === null || child === undefined
        ? ((level.columns[j] as Float64Array)[t] as number)
        : levelReturn(child, fitted.children[j] as Fitted, (own[j] as Int32Array)[t] as number, maps);
    r += (fitted.weights[j] as number) * x;
  }
  return r;
}

/**
 * Fit a level on its last `trainWindow` rows up to row `end` (inclusive): first every branch on its own
 * trailing window up to the same date, then this level on the branch streams those weights give.
 * A branch whose optimisation raises falls back to equal weights (as meta.returns does).
 */
function fitLevel(
  level: MetaLevel,
  end: number,
  options: MetaWalkForwardOptions,
  path: string,
  maps: Map<MetaLevel, (Int32Array | null)[]>,
  fallbacks: LevelFallback[],
): Fitted {
  const day = level.dates[end] as string;
  const children = level.children.map((child, j) => {
    if (child === null) return null;
    const childPath = path === '' ? (level.ids[j] as string) : `${path}/${level.ids[j]}`;
    return fitLevel(child, lastRowAtOrBefore(child.dates, day), options, childPath, maps, fallbacks);
  });
  const start = Math.max(0, end - options.trainWindow + 1);
  const rows = end - start + 1;
  const n = level.ids.length;
  const data = new Float64Array(rows * n);
  const own = maps.get(level) as (Int32Array | null)[];
  for (let j = 0; j < n; j++) {
    const child = level.children[j];
    const col = level.columns[j] as Float64Array;
    for (let t = start; t <= end; t++) {
      data[(t - start) * n + j] =
        child === null || child === undefined
          ? (col[t] as number)
          : levelReturn(child, children[j] as Fitted, (own[j] as Int32Array)[t] as number, maps);
    }
  }
  const train: Matrix = { rows, cols: n, data };
  try {
    const result = optimizeWithFallback(train, { ...level.settings, method: options.method });
    for (const f of result.fallbacks) fallbacks.push({ ...f, level: path, used: result.method });
    return { method: result.method, weights: Float64Array.from(result.weights), children };
  } catch (error) {
    if (path === '' || !isQuantError(error)) throw error;
    fallbacks.push({
      method: options.method,
      code: error.code,
      message: error.message,
      level: path,
      used: 'equal_weight',
    });
    return { method: 'equal_weight', weights: new Float64Array(n).fill(1 / n), children };
  }
}

/** Leaf sleeve paths of a level (`inner/alpha`), depth first in column order. */
export function leafPaths(level: MetaLevel): string[] {
  return leavesOf(level).map((l) => l.path);
}

/** Leaf paths and, per leaf, the chain of (level, column) steps from the top. */
function leavesOf(level: MetaLevel, prefix = ''): { path: string; steps: [MetaLevel, number][] }[] {
  return level.ids.flatMap((id, j) => {
    const path = prefix === '' ? id : `${prefix}/${id}`;
    const child = level.children[j];
    if (child === null || child === undefined) return [{ path, steps: [[level, j]] }];
    return leavesOf(child, path).map((leaf) => ({ path: leaf.path, steps: [[level, j], ...leaf.steps] }));
  });
}

function leafWeights(fitted: Fitted, leaves: { steps: [MetaLevel, number][] }[]): Float64Array {
  return Float64Array.from(leaves, (leaf) => {
    let w = 1;
    let node: Fitted | null = fitted;
    for (const [, j] of leaf.steps) {
      w *= (node as Fitted).weights[j] as number;
      node = (node as Fitted).children[j] ?? null;
    }
    return w;
  });
}

/**
 * Walk-forward backtest of a meta level (out of sample): at every rebalance, each level of the tree is
 * fitted on its own trailing `trainWindow` rows only — branches first, so that a parent sees the branch
 * streams its children would have produced with the weights known on that day — and the resulting leaf
 * weights (products along each path) are held for `rebalance` rows, drifting with the leaves' returns.
 * Turnover is counted on the leaves, where the trading happens.
 *
 * The holding arithmetic is {@link walkForwardBacktest}'s (train = the grid's trailing window, test = step
 * = `rebalance`, every leaf LONG): R_t = Σᵢ wₜ,ᵢ rₜ,ᵢ, weights drift as wₜ₊₁,ᵢ ∝ wₜ,ᵢ (1 + rₜ,ᵢ), and a
 * rebalance costs (commission + slippage) × Σᵢ |w_target,i − w_drifted,i| on its first day (entry from
 * cash counts as turnover 1).
 *
 * @param level the level to backtest, with its nested levels.
 * @returns the net out-of-sample stream from grid row `trainWindow` on, and one record per rebalance.
 * @throws QuantError `E_TOO_FEW_OBSERVATIONS` when the grid has fewer than `trainWindow + 1` rows.
 */
export function metaWalkForward(level: MetaLevel, options: MetaWalkForwardOptions): MetaWalkForwardResult {
  const grid = options.dates ?? level.dates;
  const maps = new Map<MetaLevel, (Int32Array | null)[]>();
  childMaps(level, maps);
  const toLevel = rowMap(grid, level.dates, `level ${level.label}`);
  const leaves = leavesOf(level);
  const T = grid.length;
  const L = leaves.length;
  const data = new Float64Array(T * L);
  leaves.forEach((leaf, k) => {
    for (let g = 0; g < T; g++) {
      let t = toLevel[g] as number;
      let value = 0;
      for (const [lv, j] of leaf.steps) {
        const child = lv.children[j];
        if (child === null || child === undefined) value = (lv.columns[j] as Float64Array)[t] as number;
        else t = ((maps.get(lv) as (Int32Array | null)[])[j] as Int32Array)[t] as number;
      }
      data[g * L + k] = value;
    }
  });

  const fits = new Map<number, { fitted: Fitted; fallbacks: LevelFallback[] }>();
  const result = walkForwardBacktest(
    { rows: T, cols: L, data },
    {
      dates: grid,
      directions: leaves.map(() => 'LONG' as const),
      trainWindow: options.trainWindow,
      testWindow: options.rebalance,
      step: options.rebalance,
      riskProfiles: [options.method],
      costs: options.costs,
      ...(options.policy === undefined ? {} : { policy: options.policy }),
      ...(options.comparePolicies === undefined ? {} : { comparePolicies: options.comparePolicies }),
      optimize: (_method, _train, { trainDates, window }) => {
        const end = toLevel[lastRowAtOrBefore(grid, trainDates[trainDates.length - 1] as string)] as number;
        const fallbacks: LevelFallback[] = [];
        const self = options.branchPath ?? '';
        const fitted = fitLevel(level, end, options, self, maps, fallbacks);
        fits.set(window, { fitted, fallbacks });
        const top = fallbacks.filter((f) => f.level === self);
        return { method: fitted.method, weights: leafWeights(fitted, leaves), fallbacks: top };
      },
    },
  );
  const profile = result.profiles[0];
  if (profile === undefined) throw new QuantError('E_SOLVER', 'the walk-forward produced no stream');
  return {
    leaves: leaves.map((l) => l.path),
    dates: profile.dates,
    returns: profile.returns,
    ...(profile.events === undefined ? {} : { events: profile.events }),
    ...(profile.comparisons === undefined ? {} : { comparisons: profile.comparisons }),
    rebalances: profile.windows.map((w) => {
      const fit = fits.get(w.index) as { fitted: Fitted; fallbacks: LevelFallback[] };
      return {
        index: w.index,
        trainStart: w.trainStart,
        trainEnd: w.trainEnd,
        date: w.testStart,
        heldDays: w.heldDays,
        method: fit.fitted.method,
        weights: fit.fitted.weights,
        leafWeights: w.weights,
        turnover: w.turnover,
        cost: w.cost,
        fallbacks: fit.fallbacks,
      };
    }),
  };
}
