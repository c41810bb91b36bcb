/**
 * JSON shapes of the workspace views the SDK assembles for `quant serve` (and any other client): a run
 * as a list row, one run in full (report figures, the fractal tree, the ledger, the artifacts), and a
 * comparison of runs. Every value is plain JSON: typed arrays become arrays, NaN and ±∞ become null.
 */
import type { MetaReportData } from '../report/index.js';
import type { MetaTreeNode } from '../stages/index.js';

/** `T` after `JSON.stringify`: a numeric `ArrayLike` (Float64Array) becomes an array, NaN → null. */
export type Jsonified<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? readonly Jsonified<U>[]
    : T extends ArrayLike<number>
      ? readonly (number | null)[]
      : { readonly [K in keyof T]: Jsonified<T[K]> };

/** The statuses a run can have in run.json (`running` only while a live process holds its lock). */
export type RunViewStatus = 'running' | 'success' | 'failed' | 'incomplete';

/** One run as the runs table shows it. */
export interface RunRow {
  readonly run_id: string;
  readonly kind: 'meta' | 'sleeve' | 'stage';
  readonly profile: string | null;
  readonly status: RunViewStatus;
  /** Why a run failed (`E_CODE: message`) or where it was interrupted; null for the others. */
  readonly reason: string | null;
  /** A failed run: the stage that failed and its error (code null when the ledger records none). */
  readonly failure: RunFailure | null;
  /** run.json `created_at` (ISO 8601, UTC). */
  readonly created: string;
  /** Sum of the stages' recorded durations; null when not recorded (`SOURCE_DATE_EPOCH` runs). */
  readonly duration_ms: number | null;
  readonly tool_version: string;
  /** The latest successful run of its profile and kind. */
  readonly latest: boolean;
}

/** Where and why a run failed, from the last error outcome of its ledger. */
export interface RunFailure {
  /** The stage id (`meta.returns`); null when the ledger records no failed stage. */
  readonly stage: string | null;
  readonly code: string | null;
  readonly message: string;
}

/** A folder under runs/ that is not a readable run, with the reason. */
export interface SkippedRunRow {
  readonly run_id: string;
  readonly reason: string;
}

export interface RunsList {
  /** Oldest first (created, then run id). */
  readonly runs: readonly RunRow[];
  readonly skipped: readonly SkippedRunRow[];
}

/** One level of the fractal tree: a meta level (with children) or an atomic sleeve (a leaf). */
export type TreeNode = MetaTreeNode;

/** One record of the audit ledger, as the timeline shows it. */
export interface LedgerEntry {
  readonly seq: number;
  readonly ts: string;
  readonly type: string;
  readonly step: string;
  readonly status: string;
  /** The outcome's summary, or the error's `code: message`. */
  readonly summary: string | null;
  /** An error outcome's code and message, else null. */
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly duration_ms: number | null;
}

/** `quant audit verify` of the run: the chain, the anchor and the recorded outputs. */
export interface AuditVerdict {
  readonly ok: boolean;
  readonly records: number;
  /** Each problem found, coded (`E_AUDIT_*`), first one first. */
  readonly problems: readonly { readonly code: string; readonly message: string }[];
  /** How the ledger compares with the anchor in run.json (`match`, `appended`, ...); null: no ledger. */
  readonly anchor: string | null;
  /** `valid`, `unsigned`, ...; null: no ledger. */
  readonly signature: string | null;
}

/** One file of a run folder. */
export interface ArtifactRow {
  /** Path inside the run folder, `/`-separated. */
  readonly path: string;
  readonly bytes: number;
  readonly mime_type: string;
}

export type ReportData = Jsonified<MetaReportData>;
export type RiskProfileData = ReportData['riskProfiles'][number];

/** One risk profile of a meta run: the report's figures and the fractal tree. */
export interface RiskProfileView {
  readonly risk_profile: string;
  readonly tree: TreeNode;
  /** Everything the report computes for this risk profile (metrics, allocation, positions, ...). */
  readonly data: RiskProfileData;
}

/** One run in full. */
export interface RunView {
  readonly run: RunRow;
  /** run.json as written. */
  readonly run_json: Readonly<Record<string, unknown>>;
  /** Meta runs whose artifacts are readable: one entry per risk profile; [] otherwise. */
  readonly risk_profiles: readonly RiskProfileView[];
  /** Why `risk_profiles` is empty for a meta run (a coded error), else null. */
  readonly report_error: { readonly code: string; readonly message: string } | null;
  /** Whether reports/meta_portfolio_report.html exists. */
  readonly has_html_report: boolean;
  readonly ledger: readonly LedgerEntry[];
  readonly audit: AuditVerdict;
  readonly artifacts: readonly ArtifactRow[];
}

/** A column of a comparison: one risk profile of one run. */
export interface CompareColumn {
  readonly run_id: string;
  readonly risk_profile: string;
}

/** A row of a weights diff: one value per column (null: absent there), and max − min over the columns. */
export interface WeightDiffRow {
  readonly key: string;
  readonly values: readonly (number | null)[];
  readonly spread: number;
}

export interface CompareView {
  readonly runs: readonly RunRow[];
  readonly columns: readonly CompareColumn[];
  /** Every node of the fractal trees by path (effective weights), root excluded. */
  readonly sleeve_weights: readonly WeightDiffRow[];
  /** Every flattened physical asset by symbol (net weights). */
  readonly physical_weights: readonly WeightDiffRow[];
  /** The in-sample portfolio metrics of each column. */
  readonly metrics: readonly Jsonified<RiskProfileData['metrics']>[];
  /** The risk-free rate of each column's Sharpe and Sortino (`r_f = 2.0 %`); null: none set (0). */
  readonly risk_free: readonly (string | null)[];
  /** In-sample equity (growth of 1) and drawdown of each column's meta portfolio. */
  readonly series: readonly {
    readonly run_id: string;
    readonly risk_profile: string;
    readonly dates: readonly string[];
    readonly equity: readonly (number | null)[];
    readonly drawdown: readonly (number | null)[];
  }[];
  /** JSON paths of config/resolved_manifest.json whose value differs between the runs (one per run, null: absent). */
  readonly manifest_diff: readonly { readonly path: string; readonly values: readonly unknown[] }[];
}

/** The workspace's name (never its full path), the tool's version and the manifest's profiles. */
export interface WorkspaceInfo {
  readonly version: string;
  readonly workspace: string;
  /** Profiles of the manifest ([] and [] without a readable manifest). */
  readonly profiles: { readonly meta: readonly string[]; readonly sleeve: readonly string[] };
  /** Why `profiles` is empty: the manifest's coded error, else null. */
  readonly manifest_error: { readonly code: string; readonly message: string } | null;
}
