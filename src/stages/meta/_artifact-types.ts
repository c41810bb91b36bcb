/**
 * Shapes of the meta run's JSON artifacts (DESIGN §5). Every document carries `schema_version`.
 * File names: see {@link metaArtifactPaths}.
 */

import type { Annualisation } from '../_annualisation.js';

export type ExclusionReason = 'missing_stream' | 'health' | 'branch_failed' | 'no_run';

/** `data/meta_manifest_{M}_{P}.json` */
export interface MetaManifestDoc {
  readonly schema_version: 1;
  readonly meta_profile: string;
  readonly risk_profile: string;
  /** Profile names from the root meta profile to this one. */
  readonly path: readonly string[];
  readonly included: readonly IncludedSleeve[];
  readonly excluded: readonly ExcludedSleeve[];
  readonly calendar: CalendarStats;
  readonly warnings: readonly string[];
}

export interface IncludedSleeve {
  readonly id: string;
  readonly kind: 'atomic' | 'meta';
  /** Sleeve profile (atomic) or meta profile (nested). */
  readonly profile: string;
  /** Atomic: the resolved sleeve run id. */
  readonly run_id: string | null;
  /** Atomic: the return stream file, relative to the workspace; nested: the sub-meta's returns artifact. */
  readonly source_file: string;
  /** Other files that matched the profile (predecessor layout), in the order considered. */
  readonly candidates: readonly string[];
  readonly rows: number;
  readonly first_date: string;
  readonly last_date: string;
  readonly health: SleeveHealth;
  /** Nested: `optimized` or `equal_weight_fallback`. */
  readonly branch_weights: 'optimized' | 'equal_weight_fallback' | null;
}

export interface ExcludedSleeve {
  readonly id: string;
  readonly kind: 'atomic' | 'meta';
  readonly profile: string;
  readonly run_id: string | null;
  readonly reason: ExclusionReason;
  readonly detail: string;
  readonly health?: SleeveHealth;
}

export interface SleeveHealth {
  /** `backtest_optimize` windows counted (0 = no records: healthy with a warning). */
  readonly windows: number;
  readonly successes: number;
  /** successes / windows, or null without records. */
  readonly success_rate: number | null;
  readonly healthy: boolean;
  /** Predecessor streams: only this engine's records were counted (the engine of the stream read). */
  readonly engine?: string;
}

export interface CalendarStats {
  readonly common_rows: number;
  readonly first_date: string | null;
  readonly last_date: string | null;
  readonly weekend_dates: boolean;
  readonly periods_per_year: number;
  /** How `periods_per_year` was chosen: inferred from the common dates or set in the manifest. */
  readonly annualisation: Annualisation;
  readonly per_sleeve: readonly {
    readonly id: string;
    readonly rows: number;
    readonly kept: number;
    readonly intersection_loss: number;
  }[];
}

/** One limit of a meta level and its realised value (`binding`: the value sits at min or max, 1e-9). */
export interface LevelLimitRow {
  readonly name: string;
  readonly kind: 'sleeve' | 'group' | 'exposure';
  readonly members: readonly string[];
  readonly min: number;
  readonly max: number;
  readonly value: number;
  readonly binding: boolean;
}

/** `data/meta_optimized_{M}_{P}.json` */
export interface MetaOptimizedDoc {
  readonly schema_version: 1;
  readonly meta_profile: string;
  readonly risk_profile: string;
  /** The method that produced the weights (after any fallback). */
  readonly method: string;
  readonly requested_method: string;
  /** Sleeve ids in manifest order with their weights. */
  readonly sleeves: readonly { readonly id: string; readonly weight: number }[];
  readonly weights: Readonly<Record<string, number>>;
  readonly bounds: { readonly min_weight: number; readonly max_weight: number };
  /**
   * Every limit of the level beyond the uniform box: a sleeve's own bounds (`sleeve <id>`), each group
   * limit (`group <tag>`) and each exposure cap that could bind (`cap <symbol>`, `prefix <p>`: members
   * are symbols, value the flattened net weight), with the realised value and whether it binds.
   */
  readonly limits?: readonly LevelLimitRow[];
  /** The level's `exposure_limits` caps as declared (per symbol over the default), when it sets any. */
  readonly exposure_caps?: {
    readonly max_weight?: number;
    readonly symbols?: Readonly<Record<string, number>>;
    readonly prefixes?: Readonly<Record<string, number>>;
  };
  /** The level's `turnover`: where the reference came from, the turnover reached, the bound, binding. */
  readonly turnover?: TurnoverRecord;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** How `parameters.periods_per_year` was chosen (absent on an equal-weight branch fallback). */
  readonly annualisation?: Annualisation;
  readonly diagnostics: Readonly<Record<string, unknown>>;
  readonly fallback_chain: readonly {
    readonly method: string;
    readonly code: string;
    readonly message: string;
  }[];
}

/**
 * `meta_optimized.turnover`: inactive (with the reason: first run, ...) or the reference (previous run
 * or holdings file, by sleeve), the turnover Σ|w − w_ref| reached (sold sleeves included), the least
 * the limits allow, the bound and whether it binds, the penalty, the solver, the method's answer without
 * the turnover terms, and the report's `summary` line.
 */
export type TurnoverRecord = {
  readonly max_turnover: number | null;
  readonly penalty: number;
  readonly summary: string;
} & (
  | { readonly active: false; readonly reason: string }
  | {
      readonly active: true;
      readonly source: 'previous_run' | 'holdings';
      readonly reference_run_id?: string;
      readonly holdings_file?: string;
      readonly reference: Readonly<Record<string, number>>;
      readonly dropped?: Readonly<Record<string, number>>;
      readonly achieved: number;
      readonly minimum: number;
      readonly binding: boolean;
      readonly solver: 'exact_sign_pattern' | 'projection';
      readonly before: { readonly weights: Readonly<Record<string, number>>; readonly turnover: number };
      readonly kkt_max_violation: number;
    }
);

/** One physical asset of `data/portfolio_optimized_meta_{M}_{P}.json`. */
export interface FlatAsset {
  readonly Symbol: string;
  readonly Weight: number;
  readonly Net_Weight: number;
  readonly Direction: 'LONG' | 'SHORT';
  /** Sleeve path (`swiss/sectors`) → signed contribution. */
  readonly Contributors: Readonly<Record<string, number>>;
}

/** `data/portfolio_optimized_meta_{M}_{P}.json` */
export interface FlattenedMetaDoc {
  readonly schema_version: 1;
  readonly meta_profile: string;
  readonly risk_profile: string;
  readonly assets: readonly FlatAsset[];
  readonly totals: {
    readonly gross: number;
    readonly net: number;
    readonly long: number;
    readonly short: number;
    readonly assets: number;
  };
  /**
   * Sleeves (this level's and nested levels') whose physical weights for this profile came from their
   * atoms file because their flattened file lacks the profile; each is also a ledger decision.
   */
  readonly weights_fallbacks: readonly WeightsFallback[];
}

/** A sleeve flattened from its atoms file (`meta.flatten_fallback`). */
export interface WeightsFallback {
  /** Sleeve path from the level's root (`swiss/sectors`). */
  readonly path: string;
  readonly run_id: string;
  /** The file that lacked the profile and the file used instead, relative to the sleeve run. */
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  /** Physical symbols derived. */
  readonly symbols: number;
}

/** Paths of a meta profile's artifacts inside a run folder (relative to the run folder). */
export function metaArtifactPaths(metaProfile: string, riskProfile: string) {
  const s = `${metaProfile}_${riskProfile}`;
  return {
    returns: `data/meta_returns_${s}.parquet`,
    manifest: `data/meta_manifest_${s}.json`,
    optimized: `data/meta_optimized_${s}.json`,
    clusterTree: `data/meta_cluster_tree_${s}.json`,
    flattened: `data/portfolio_optimized_meta_${s}.json`,
  } as const;
}

/** Paths of `meta.benchmark`'s artifacts (relative to the run folder). */
export function metaBenchmarkPaths(metaProfile: string, riskProfile: string) {
  const s = `${metaProfile}_${riskProfile}`;
  return {
    table: `data/meta_benchmark_${s}.parquet`,
    summary: `data/meta_benchmark_${s}.json`,
  } as const;
}

export const SIGN_TEST_FILE = 'data/directional_sign_test.json';
export const REPORT_MD = 'reports/meta_portfolio_report.md';
export const REPORT_HTML = 'reports/meta_portfolio_report.html';
export const RESOLVED_MANIFEST = 'config/resolved_manifest.json';

/** One atomic sleeve of the tree with its resolved run. */
export interface ResolvedSleeve {
  /** Sleeve ids from the root (`["swiss", "sectors"]`). */
  readonly path: readonly string[];
  readonly id: string;
  readonly profile: string;
  readonly run_id: string;
  readonly pinned: boolean;
  /** `native` (run.json) or `legacy` (the predecessor's layout). */
  readonly layout: 'native' | 'legacy';
  /**
   * Only when the manifest's pin (`allow_unsuccessful: true`) let a run that did not succeed through: its
   * status, why, and the pin's JSON path. Recorded as a `meta.pin_unsuccessful` decision in the ledger.
   */
  readonly unsuccessful?: {
    readonly status: 'failed' | 'incomplete';
    readonly detail: string;
    readonly pin: string;
  };
}

/** `config/resolved_manifest.json`: the manifest subtree used, with every sleeve's run id resolved. */
export interface ResolvedManifestDoc {
  readonly schema_version: 1;
  readonly root: string;
  /** The manifest file, relative to the workspace when inside it. */
  readonly manifest_file: string;
  readonly manifest_sha256: string;
  readonly risk_profiles: readonly string[];
  readonly risk_profiles_source: 'override' | 'declared' | 'intersection' | 'streams';
  /** The profiles of the tree (meta and declared sleeve profiles), as parsed with defaults. */
  readonly profiles: Readonly<Record<string, unknown>>;
  readonly sleeves: readonly ResolvedSleeve[];
}

/** One finding of the directional sign test. `symbol`: the atom or physical asset, null for a whole run. */
export interface SignTestFinding {
  readonly level: 'ERROR' | 'WARNING';
  readonly code: string;
  readonly run_id: string;
  readonly symbol: string | null;
  readonly message: string;
}

/** `data/directional_sign_test.json` */
export interface SignTestDoc {
  readonly schema_version: 1;
  readonly errors: number;
  readonly warnings: number;
  readonly findings: readonly SignTestFinding[];
}

/** Paths of the out-of-sample backtest of `meta.backtest` (relative to the run folder). */
export function metaBacktestPaths(metaProfile: string, riskProfile: string) {
  const s = `${metaProfile}_${riskProfile}`;
  return {
    returns: `data/meta_backtest_${s}.parquet`,
    summary: `data/meta_backtest_${s}.json`,
  } as const;
}

/** Out-of-sample figures of one series (DESIGN §8 metrics, `null` where undefined). */
export interface BacktestMetrics {
  readonly observations: number;
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly max_drawdown: number | null;
  readonly calmar: number | null;
  readonly win_rate: number | null;
}

/** One rebalance of the meta walk-forward. */
export interface BacktestWindow {
  readonly index: number;
  /** First held day. */
  readonly date: string;
  readonly train_start: string;
  readonly train_end: string;
  readonly held_days: number;
  readonly method: string;
  /** Target weights of the level's sleeves. */
  readonly weights: Readonly<Record<string, number>>;
  /**
   * Target weights of the leaf (atomic) sleeves by path (`inner/alpha`): products of the weights along
   * each path, as traded. Equal to `weights` without nested branches.
   */
  readonly leaf_weights: Readonly<Record<string, number>>;
  readonly turnover: number;
  readonly cost: number;
  readonly fallbacks: readonly {
    readonly level: string;
    readonly method: string;
    readonly code: string;
    readonly message: string;
    readonly used: string;
  }[];
}

/** `data/meta_backtest_{M}_{P}.json` */
export interface MetaBacktestDoc {
  readonly schema_version: 1;
  readonly meta_profile: string;
  readonly risk_profile: string;
  /** `insufficient_history`: fewer than train_window + 1 common dates; nothing else was computed. */
  readonly status: 'ok' | 'insufficient_history';
  readonly reason: string | null;
  readonly method: string;
  /** The risk-free rate of the Sharpe and Sortino figures (absent in summaries written before it). */
  readonly risk_free?: { readonly label: string; readonly annual_rate: number };
  readonly params: {
    readonly train_window: number;
    readonly rebalance: number;
    readonly commission: number;
    readonly slippage: number;
    readonly periods_per_year: number;
  };
  /** How `params.periods_per_year` was chosen for this level. */
  readonly annualisation: Annualisation;
  /** How nested branches enter (see the stage description). */
  readonly nesting: 'walk_forward';
  readonly returns_file: string | null;
  readonly sleeves: readonly { readonly id: string; readonly kind: 'atomic' | 'meta' }[];
  /** Leaf sleeve paths the turnover is counted on. */
  readonly leaves: readonly string[];
  readonly period: {
    readonly rows_available: number;
    readonly first_date: string | null;
    readonly last_date: string | null;
    readonly days: number;
  };
  readonly rebalances: number;
  readonly turnover: {
    /** Σ turnover, the initial purchase included. */
    readonly total: number;
    readonly initial: number;
    /** Mean turnover of the rebalances after the first. */
    readonly mean_per_rebalance: number | null;
    /** Turnover after the initial purchase per year (Σ / (days / A)). */
    readonly annualised: number | null;
  };
  readonly costs: { readonly total: number };
  readonly metrics: {
    readonly meta: (BacktestMetrics & { readonly effective_n_mean: number | null }) | null;
    readonly equal_weight: BacktestMetrics | null;
    readonly sleeves: Readonly<Record<string, BacktestMetrics>>;
  };
  readonly windows: readonly BacktestWindow[];
  /**
   * Only with the meta profile's `rebalancing`: the policy the `meta` stream was held with, costs in
   * basis points by sleeve, and every policy's figures on the same targets (the used one first, then
   * `compare`, then `at_refit`, the default).
   */
  readonly rebalancing?: {
    readonly policy: Readonly<Record<string, unknown>>;
    readonly costs_bps: Readonly<Record<string, number>>;
    readonly comparison: readonly {
      readonly name: string;
      readonly settings: Readonly<Record<string, unknown>>;
      readonly total_return: number;
      readonly cagr: number | null;
      readonly sharpe: number | null;
      readonly max_drawdown: number | null;
      readonly turnover: number;
      readonly costs: number;
      readonly rebalances: number;
      readonly partial: number;
    }[];
  };
}
