/**
 * The input of the meta portfolio report: plain data (arrays, records, numbers, strings), already
 * computed. Fractions are fractions (0.12 = 12 %); `null` marks an undefined metric. A section whose
 * source artifact is optional and absent is an {@link OmittedSection} naming that file.
 */

/** Stand-in for a section whose optional source file was not found (run-relative path). */
export interface OmittedSection {
  readonly omitted: string;
  /** Why the file is missing when its stage was not part of the run (`--no-backtest`), in words. */
  readonly notRun?: string;
}

export type Section<T> = T | OmittedSection;

/** Whether a section was dropped because its source file is missing. */
export function isOmitted<T extends object>(section: Section<T>): section is OmittedSection {
  return 'omitted' in section && typeof (section as OmittedSection).omitted === 'string';
}

export interface MetaReportData {
  readonly metaProfile: string;
  readonly runId: string;
  /** As given (e.g. run.json `created_at`); the renderer adds no clock of its own. */
  readonly createdAt: string;
  readonly toolVersion: string | null;
  readonly riskProfiles: readonly RiskProfileReport[];
  /** The warnings the run's stages gave (from its ledger), in order; absent in data built before them. */
  readonly warnings?: readonly RunWarning[];
}

/** One warning of a stage of the run. */
export interface RunWarning {
  readonly stage: string;
  readonly message: string;
  /** The risk profile the message names (it starts `<risk profile>: `); null for the run as a whole. */
  readonly riskProfile: string | null;
}

export interface PortfolioMetrics {
  readonly observations: number;
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number | null;
  readonly calmar: number | null;
  readonly winRate: number | null;
  readonly effectiveN: number | null;
}

export interface RiskProfileReport {
  readonly riskProfile: string;
  /** The run's warnings that name this risk profile (`<stage>: <message>`); absent: none. */
  readonly warnings?: readonly string[];
  readonly firstDate: string | null;
  readonly lastDate: string | null;
  /** Annualisation factor A used for every figure of this risk profile. */
  readonly periodsPerYear: number;
  /** Where A came from, in words (e.g. `inferred from the dates: median spacing 31 days, … → monthly`). */
  readonly periodsPerYearSource: string;
  /** The sampling frequency in one word (`daily`, `weekly`, `monthly`, ...), when known. */
  readonly frequency?: string;
  readonly metrics: PortfolioMetrics;
  readonly allocation: AllocationSection;
  /** `null` when there are fewer than 2 rows. */
  readonly correlation: CorrelationSection | null;
  readonly assets: Section<AssetsSection>;
  readonly health: Section<HealthSection>;
  readonly anomalies: AnomalySection;
  readonly calendar: Section<CalendarSection>;
  readonly nested: Section<NestedSection>;
  /**
   * Tail metrics of every series shown: the in-sample portfolio and sleeves, then the out-of-sample
   * walk-forward series; absent in data built before they existed.
   */
  readonly tail?: TailSection;
  /** The out-of-sample walk-forward (`meta.backtest`); absent in data built before it existed. */
  readonly backtest?: Section<BacktestSection>;
  /** Where the risk comes from (`meta.attribution`); absent in data built before it existed. */
  readonly attribution?: Section<AttributionSection>;
  /** Every physical asset's weight against its share of the risk; absent in data built before it existed. */
  readonly exposure?: Section<ExposureSection>;
  /** Every limit of every level and whether it binds; absent in data built before it existed. */
  readonly limits?: LimitsSection;
  /** Series behind the HTML charts; the Markdown report does not use them. */
  readonly charts?: RiskProfileCharts;
  /** The risk-free rate of every Sharpe and Sortino figure (`r_f = 2.0 %`); absent: 0, unlabelled. */
  readonly riskFree?: string;
  /** The meta portfolio against its benchmarks (`meta.benchmark`); absent in data built before it. */
  readonly benchmarks?: Section<BenchmarkSection>;
  /** How old the data is: the last date used and each sleeve's lag; absent without the meta manifest. */
  readonly dataAge?: DataAgeSection;
}

/** One benchmark over one period (in or out of sample) on the inner join of the two calendars. */
export interface ActiveRiskRow {
  readonly benchmark: string;
  readonly period: 'in_sample' | 'out_of_sample';
  readonly commonRows: number;
  readonly portfolioLoss: number;
  /** Within the portfolio's date span (runs made before it was recorded: over all benchmark rows). */
  readonly benchmarkLoss: number;
  readonly portfolioCagr: number | null;
  readonly benchmarkCagr: number | null;
  readonly activeReturn: number | null;
  readonly trackingError: number | null;
  readonly informationRatio: number | null;
  readonly beta: number | null;
  readonly alpha: number | null;
  readonly upCapture: number | null;
  readonly downCapture: number | null;
  readonly relativeReturn: number | null;
}

export interface BenchmarkSection {
  /** Each benchmark: its id, source (`file:column`) and description. */
  readonly benchmarks: readonly {
    readonly id: string;
    readonly source: string;
    readonly description: string | null;
  }[];
  readonly rows: readonly ActiveRiskRow[];
  /** Relative equity (portfolio / benchmark, growth of 1) per benchmark, in and out of sample. */
  readonly relativeEquity: {
    readonly inSample: TimeSeriesChart;
    readonly outOfSample: TimeSeriesChart | null;
  } | null;
}

export interface DataAgeSection {
  readonly lastDate: string;
  /** The run's day the age is measured against. */
  readonly asOf: string;
  readonly ageDays: number;
  /** The limit the manifest sets for this risk profile's trades (`null`: none). */
  readonly maxAgeDays: number | null;
  /** Where that limit is set (`profiles.M.trades.max_data_age_days`, ...); null without a limit. */
  readonly limitSource?: string | null;
  /** Whether the meta profile's `trades` block trades this risk profile after the run. */
  readonly traded?: boolean;
  /** The block's `allow_stale`: stale data traded anyway. */
  readonly allowStale?: boolean;
  /** Per atomic sleeve by path: its stream's last date, its lag, and its last refit date (null: unknown). */
  readonly streams: readonly {
    readonly id: string;
    readonly lastDate: string;
    readonly lagDays: number;
    readonly refitDate?: string | null;
  }[];
}

/**
 * Historical tail metrics of one series, per period (losses as positive numbers): VaR and CVaR at 95 %
 * and 99 %, skewness, excess kurtosis, CDaR 95 % and Ulcer index of the uncompounded drawdowns, Omega at 0.
 */
export interface TailFigures {
  readonly var95: number | null;
  readonly cvar95: number | null;
  readonly var99: number | null;
  readonly cvar99: number | null;
  readonly skewness: number | null;
  readonly excessKurtosis: number | null;
  readonly cdar95: number | null;
  readonly ulcerIndex: number | null;
  readonly omega: number | null;
}

export interface TailRow {
  readonly label: string;
  readonly sample: 'in_sample' | 'out_of_sample';
  readonly observations: number;
  readonly figures: TailFigures;
}

export interface TailSection {
  readonly rows: readonly TailRow[];
}

/** One row of the backtest table: a series with its out-of-sample figures. */
export interface BacktestRow {
  readonly label: string;
  readonly kind: 'meta' | 'in_sample_weights' | 'equal_weight' | 'sleeve';
  readonly observations: number;
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number | null;
  readonly calmar: number | null;
  readonly winRate: number | null;
}

export interface BacktestSection {
  /** `insufficient_history`: the common history is shorter than one train window (see `reason`). */
  readonly status: 'ok' | 'insufficient_history';
  readonly reason: string | null;
  readonly method: string;
  readonly trainWindow: number;
  readonly rebalance: number;
  readonly commission: number;
  readonly slippage: number;
  /**
   * `rebalancing.costs_bps` when it set any rate (basis points by sleeve or branch path): those sleeves
   * paid these rates, every other one commission + slippage.
   */
  readonly costsBps?: Readonly<Record<string, number>>;
  readonly periodsPerYear: number;
  readonly firstDate: string | null;
  readonly lastDate: string | null;
  readonly days: number;
  readonly rebalances: number;
  readonly turnover: {
    readonly total: number;
    readonly initial: number;
    readonly meanPerRebalance: number | null;
    readonly annualised: number | null;
  };
  readonly costs: number;
  readonly effectiveNMean: number | null;
  /** Methods that failed at some rebalance, at any level, with what replaced them. */
  readonly fallbacks: readonly { readonly date: string; readonly level: string; readonly text: string }[];
  /** Meta walk-forward, the full-history weights on the same days, equal weight, then each sleeve. */
  readonly rows: readonly BacktestRow[];
  /** With a rebalancing policy: each policy on the same targets, the one used first. */
  readonly policies?: readonly PolicyRow[];
}

/** One rebalancing policy of the side-by-side table (`meta_backtest` `rebalancing.comparison`). */
export interface PolicyRow {
  readonly name: string;
  /** `every 21 rows, band ±5 %, max turnover 20 %`. */
  readonly settings: string;
  readonly totalReturn: number;
  readonly cagr: number | null;
  readonly sharpe: number | null;
  readonly turnover: number;
  readonly costs: number;
  readonly rebalances: number;
  readonly partial: number;
}

/** One line of a time-series chart; `values[t]` belongs to `dates[t]`, NaN = no value. */
export interface ChartLine {
  readonly label: string;
  /** Decides colour and dash. */
  readonly role: 'meta' | 'in_sample_weights' | 'equal_weight' | 'best_sleeve' | 'benchmark';
  readonly values: ArrayLike<number>;
}

export interface TimeSeriesChart {
  readonly dates: readonly string[];
  readonly lines: readonly ChartLine[];
}

/** Equity curves (growth of 1) and drawdowns (fractions ≥ 0) of the same lines. */
export interface PerformanceChart {
  readonly equity: TimeSeriesChart;
  readonly drawdown: TimeSeriesChart;
}

/** Target weights at each rebalance of the walk-forward: `weights[k][j]` for sleeve `ids[j]`. */
export interface WeightsHistory {
  readonly ids: readonly string[];
  readonly dates: readonly string[];
  readonly weights: readonly (readonly number[])[];
}

/** A hierarchical clustering (SciPy linkage ids: leaves 0..n−1, merge k is node n + k) with leaf weights. */
export interface DendrogramData {
  readonly labels: readonly string[];
  /** Leaf indices, left to right. */
  readonly order: readonly number[];
  readonly merges: readonly { readonly left: number; readonly right: number; readonly height: number }[];
  /** By leaf index. */
  readonly weights: readonly number[];
  readonly linkage: string;
}

export interface RiskProfileCharts {
  /** Full common history with the optimized (full-history) weights. */
  readonly inSample: PerformanceChart;
  /** `null` without a completed backtest; omitted when its Parquet table is missing. */
  readonly outOfSample: Section<PerformanceChart> | null;
  /** `null` when the history is shorter than the window plus one row. */
  readonly rollingVolatility: { readonly window: number; readonly chart: TimeSeriesChart } | null;
  readonly weightsHistory: Section<WeightsHistory> | null;
  /**
   * The traded weights of the leaf (atomic) sleeves at each rebalance, ids = paths (`inner/alpha`);
   * `null` without nested branches (the top level's weights are then the leaves'), or for a backtest
   * written before leaf weights were recorded.
   */
  readonly leafWeightsHistory?: WeightsHistory | null;
  /** `null` when the method builds no tree. */
  readonly tree: Section<DendrogramData> | null;
}

export interface SleeveFigures {
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly maxDrawdown: number | null;
}

export interface AllocationSleeve {
  readonly id: string;
  /** `null` when the meta manifest is missing. */
  readonly kind: 'atomic' | 'meta' | null;
  readonly profile: string | null;
  readonly runId: string | null;
  readonly weight: number;
  readonly figures: SleeveFigures;
}

export interface FallbackStep {
  readonly method: string;
  readonly code: string;
  readonly message: string;
}

export interface AllocationSection {
  readonly method: string;
  readonly requestedMethod: string;
  readonly minWeight: number;
  readonly maxWeight: number;
  readonly fallbacks: readonly FallbackStep[];
  readonly sleeves: readonly AllocationSleeve[];
  /** The level's turnover line (reference, turnover reached, bound), when it sets `turnover`. */
  readonly turnover?: string;
  /**
   * The annual risk-free rate `max_sharpe` maximised the Sharpe ratio over (`meta_allocation.
   * risk_free_rate`, recorded in `meta_optimized_*.json`); absent for the other methods.
   */
  readonly optimizerRiskFree?: number;
}

export interface CorrelationSection {
  readonly ids: readonly string[];
  /** `values[i][j]`, symmetric with a unit diagonal. */
  readonly values: readonly (readonly number[])[];
}

export interface AssetRow {
  readonly symbol: string;
  readonly direction: string;
  readonly gross: number;
  readonly net: number;
  /** Sleeve path → signed contribution, largest |contribution| first. */
  readonly contributors: readonly { readonly path: string; readonly contribution: number }[];
}

export interface ConcentrationFigures {
  /** The largest flattened gross position, and its cap when exposure limits set one (else null). */
  readonly largest: { readonly symbol: string; readonly gross: number; readonly cap: number | null } | null;
  /** Share of the gross weight held by the 10 largest positions. */
  readonly top10Share: number | null;
  /** Herfindahl–Hirschman index Σ sᵢ² of the gross shares sᵢ = |wᵢ| / Σ|w|. */
  readonly hhi: number | null;
  /** 1 / HHI. */
  readonly effectiveN: number | null;
}

export interface AssetsSection {
  /** The largest assets by gross weight, at most `limit`. */
  readonly top: readonly AssetRow[];
  readonly limit: number;
  readonly assetCount: number;
  readonly totals: {
    readonly gross: number;
    readonly net: number;
    readonly long: number;
    readonly short: number;
  };
  /** Concentration of the flattened gross weights over every asset; absent in older data. */
  readonly concentration?: ConcentrationFigures;
  /** Sleeves that contributed no physical weights, with the reason (runs made before version 0.2). */
  readonly missing: readonly { readonly path: string; readonly reason: string }[];
  /** Sleeves whose physical weights were derived from their atoms file, with the reason. */
  readonly fallbacks: readonly { readonly path: string; readonly reason: string }[];
}

export interface HealthRow {
  readonly id: string;
  /** For a nested branch: windows and successes summed over its atomic sleeves, at every depth. */
  readonly windows: number;
  readonly successes: number;
  readonly successRate: number | null;
  readonly healthy: boolean;
  /**
   * A nested branch: how many atomic sleeves it includes (at every depth) and how many of them are
   * healthy, or the file whose absence left them unknown.
   */
  readonly branch?: { readonly sleeves: number; readonly healthySleeves: number } | OmittedSection;
}

export interface ExcludedRow {
  readonly id: string;
  readonly kind: string;
  readonly profile: string;
  readonly runId: string | null;
  readonly reason: string;
  readonly detail: string;
}

export interface HealthSection {
  readonly sleeves: readonly HealthRow[];
  readonly excluded: readonly ExcludedRow[];
  readonly warnings: readonly string[];
}

export interface AnomalyRow {
  /** `portfolio` or a sleeve id. */
  readonly series: string;
  readonly start: string;
  readonly end: string;
  readonly rows: number;
  readonly sharpe: number | null;
  readonly volatility: number;
  readonly breaches: readonly string[];
}

export interface AnomalySection {
  readonly window: number;
  readonly sharpeLimit: number;
  readonly volatilityLimit: number;
  /** The series that were checked (`portfolio` first, then the sleeves). */
  readonly series: readonly string[];
  readonly windows: readonly AnomalyRow[];
}

export interface CalendarRow {
  readonly id: string;
  readonly rows: number;
  readonly kept: number;
  /** 1 − kept / rows. */
  readonly intersectionLoss: number;
}

export interface CalendarSection {
  readonly commonRows: number;
  readonly firstDate: string | null;
  readonly lastDate: string | null;
  readonly weekendDates: boolean;
  readonly periodsPerYear: number;
  readonly sleeves: readonly CalendarRow[];
}

export interface NestedSleeve {
  readonly id: string;
  readonly kind: 'atomic' | 'meta' | null;
  /** Weight inside the branch. */
  readonly weight: number;
  /** Weight in the root meta portfolio (product of the weights along the path). */
  readonly effectiveWeight: number;
}

export interface NestedBranch {
  /** Sleeve ids from the root (`swiss` or `swiss/inner`). */
  readonly path: string;
  readonly profile: string;
  readonly weightInParent: number;
  readonly effectiveWeight: number;
  /** How the branch stream was formed in the parent (`optimized` or `equal_weight_fallback`). */
  readonly branchWeights: string | null;
  readonly allocation: Section<{
    readonly method: string;
    readonly sleeves: readonly NestedSleeve[];
    /** As {@link AllocationSection.optimizerRiskFree}. */
    readonly optimizerRiskFree?: number;
  }>;
}

export interface NestedSection {
  /** Depth first, in manifest order. */
  readonly branches: readonly NestedBranch[];
}

/** One row of an attribution table: a sleeve, an atomic sleeve by path, or a physical asset. */
export interface AttributionRowData {
  readonly name: string;
  readonly weight: number;
  readonly volContribution: number;
  readonly volShare: number;
  readonly volMarginal: number;
  readonly cvarContribution: number;
  readonly cvarShare: number;
  readonly cvarMarginal: number;
}

/** The risk attribution of a risk profile (docs/meta-pipeline.md, "Risk attribution"). */
export interface AttributionSection {
  readonly file: string;
  readonly cvarLevel: number;
  readonly volatility: number;
  readonly cvar: number;
  /** Annualised, r_f = 0 (as in the leave-one-out rows). */
  readonly sharpe: number | null;
  readonly diversificationRatio: number | null;
  readonly effectiveN: number | null;
  readonly sleeves: readonly (AttributionRowData & { readonly kind: 'atomic' | 'meta' })[];
  readonly leaves: readonly AttributionRowData[];
  /** Diversification ratio and effective N over the atomic sleeves (`leaves`). */
  readonly leafDiversificationRatio: number | null;
  readonly leafEffectiveN: number | null;
  /** Physical assets in the artifact's order (all of them; the report shows the largest). */
  readonly assets: readonly AttributionRowData[];
  /** Contributions of atomic sleeves without physical exposure in the flattened file (0 normally). */
  readonly unassigned: { readonly volContribution: number; readonly cvarContribution: number };
  readonly leaveOneOut: readonly {
    readonly name: string;
    readonly volatility: number | null;
    readonly cvar: number | null;
    readonly sharpe: number | null;
  }[];
}

/** One physical asset of the exposure table. */
export interface ExposureRow {
  readonly symbol: string;
  readonly gross: number;
  readonly net: number;
  /** Shares of the volatility and CVaR totals (`meta.attribution`); null without the attribution. */
  readonly volShare: number | null;
  readonly cvarShare: number | null;
  /** Sleeve path → signed contribution to the net weight, largest |contribution| first. */
  readonly contributors: readonly { readonly path: string; readonly contribution: number }[];
}

/** Every flattened physical asset, largest gross weight first, with its share of the risk. */
export interface ExposureSection {
  readonly rows: readonly ExposureRow[];
  readonly totalGross: number;
  /** The attribution file the risk shares come from, or null when the run has none. */
  readonly attributionFile: string | null;
}

/**
 * One limit of one meta level: `sleeve_box` (the level's `meta_allocation` box on one sleeve), `sleeve`
 * (a sleeve's own bounds), `group` (a tag's summed weight), `exposure` (a symbol's or prefix's flattened
 * net weight, `|value| ≤ max`), `exposure_rest` (the same cap on every symbol without a row of its own:
 * value = the largest |net| among them) or another kind the optimizer recorded (e.g. turnover).
 */
export interface LimitRow {
  /** The level's path in the tree (`''` for the root) and its meta profile. */
  readonly level: string;
  readonly profile: string;
  readonly kind: string;
  readonly name: string;
  readonly members: readonly string[];
  readonly min: number;
  readonly max: number;
  /** What the final weights reach. */
  readonly value: number;
  /** The value sits on a bound (within `tolerance`). */
  readonly binding: boolean;
}

/** Every limit of every level of a risk profile, root first, then the nested levels depth first. */
export interface LimitsSection {
  readonly rows: readonly LimitRow[];
  readonly tolerance: number;
  /** Nested levels whose `meta_optimized` file was missing (run-relative files). */
  readonly omitted: readonly string[];
}
