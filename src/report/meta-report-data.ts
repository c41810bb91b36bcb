/**
 * The input of the meta portfolio report: plain data (arrays, records, numbers, strings), already
 * computed. Fractions are fractions (0.12 = 12 %); `null` marks an undefined metric. A section whose
 * source artifact is optional and absent is an {@link OmittedSection} naming that file.
 */

/** Stand-in for a section whose optional source file was not found (run-relative path). */
export interface OmittedSection {
  readonly omitted: string;
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
  readonly firstDate: string | null;
  readonly lastDate: string | null;
  /** Annualisation factor A used for every figure of this risk profile. */
  readonly periodsPerYear: number;
  /** Where A came from, in words (e.g. `meta manifest calendar`). */
  readonly periodsPerYearSource: string;
  readonly metrics: PortfolioMetrics;
  readonly allocation: AllocationSection;
  /** `null` when there are fewer than 2 rows. */
  readonly correlation: CorrelationSection | null;
  readonly assets: Section<AssetsSection>;
  readonly health: Section<HealthSection>;
  readonly anomalies: AnomalySection;
  readonly calendar: Section<CalendarSection>;
  readonly nested: Section<NestedSection>;
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
  /** Sleeves that contributed no physical weights, with the reason. */
  readonly missing: readonly { readonly path: string; readonly reason: string }[];
}

export interface HealthRow {
  readonly id: string;
  readonly windows: number;
  readonly successes: number;
  readonly successRate: number | null;
  readonly healthy: boolean;
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
  readonly allocation: Section<{ readonly method: string; readonly sleeves: readonly NestedSleeve[] }>;
}

export interface NestedSection {
  /** Depth first, in manifest order. */
  readonly branches: readonly NestedBranch[];
}
