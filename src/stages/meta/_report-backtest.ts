/**
 * The report's view of `meta.backtest` (optional): the comparison table from the summary JSON, plus the
 * full-history weights on the same days (computed here from the returns table), and the out-of-sample
 * chart series from the Parquet table.
 */
import { join } from 'node:path';
import { readTable, type ReadTableResult } from '../../artifacts/index.js';
import { performanceMetrics } from '../../numeric/stats/performance.js';
import { tailMetrics } from '../../numeric/stats/tail-risk.js';
import {
  isOmitted,
  type BacktestRow,
  type BacktestSection,
  type PerformanceChart,
  type PolicyRow,
  type Section,
  type TailRow,
  type WeightsHistory,
} from '../../report/index.js';
import { metaBacktestPaths } from './_artifact-types.js';
import { backtestDocSchema, readJsonArtifact, type BacktestDoc } from './_report-docs.js';
import { bestBySharpe, performanceChart, type NamedSeries } from './_report-charts.js';

export interface BacktestView {
  readonly section: Section<BacktestSection>;
  readonly outOfSample: Section<PerformanceChart> | null;
  readonly weightsHistory: Section<WeightsHistory> | null;
  readonly leafWeightsHistory: WeightsHistory | null;
  /** Tail metrics of the backtest table's series, out of sample (empty without the daily table). */
  readonly tailRows: readonly TailRow[];
}

/** The daily series behind each row of the backtest table, and its tail metrics. */
function outOfSampleTail(
  view: Section<BacktestSection>,
  daily: ReadTableResult,
  table: ReadTableResult,
  portfolio: Float64Array,
): TailRow[] {
  if (isOmitted(view)) return [];
  const row = new Map(table.dates.map((d, t) => [d, t]));
  const series = (r: BacktestRow): Float64Array | undefined => {
    if (r.kind === 'in_sample_weights') {
      if (daily.dates.some((d) => !row.has(d))) return undefined;
      return Float64Array.from(daily.dates, (d) => portfolio[row.get(d) as number] as number);
    }
    return column(daily, r.kind === 'sleeve' ? `sleeve:${r.label}` : r.kind);
  };
  return view.rows.flatMap((r) => {
    const s = series(r);
    if (s === undefined) return [];
    return [
      { label: r.label, sample: 'out_of_sample' as const, observations: s.length, figures: tailMetrics(s) },
    ];
  });
}

/** The leaf weights at each rebalance when the level has nested branches (their paths differ from its ids). */
function leafWeightsHistory(doc: BacktestDoc): WeightsHistory | null {
  const ids = doc.sleeves.map((s) => s.id);
  const leaves = doc.leaves;
  const nested = leaves.length !== ids.length || leaves.some((l, j) => l !== ids[j]);
  if (!nested || doc.windows.some((w) => w.leaf_weights === undefined)) return null;
  return {
    ids: leaves,
    dates: doc.windows.map((w) => w.date),
    weights: doc.windows.map((w) => leaves.map((path) => w.leaf_weights?.[path] ?? 0)),
  };
}

type Figures = Omit<BacktestRow, 'label' | 'kind'>;

function figures(m: BacktestDoc['metrics']['sleeves'][string]): Figures {
  return {
    observations: m.observations,
    cagr: m.cagr,
    volatility: m.volatility,
    sharpe: m.sharpe,
    sortino: m.sortino,
    maxDrawdown: m.max_drawdown,
    calmar: m.calmar,
    winRate: m.win_rate,
  };
}

/** Rows of `table` on the days `[first, last]` (the out-of-sample period is a tail of the common dates). */
function rowsBetween(table: ReadTableResult, first: string, last: string): number[] {
  const rows: number[] = [];
  table.dates.forEach((d, t) => {
    if (d >= first && d <= last) rows.push(t);
  });
  return rows;
}

function section(
  doc: BacktestDoc,
  table: ReadTableResult,
  portfolio: Float64Array,
  riskFree: Float64Array | undefined,
  level: string,
): BacktestSection {
  const A = doc.params.periods_per_year;
  const rows: BacktestRow[] = [];
  const m = doc.metrics;
  if (doc.status === 'ok' && m.meta !== null) {
    rows.push({ label: 'meta', kind: 'meta', ...figures(m.meta) });
    const first = doc.period.first_date;
    const last = doc.period.last_date;
    if (first !== null && last !== null) {
      const days = rowsBetween(table, first, last);
      const held = Float64Array.from(days, (t) => portfolio[t] as number);
      const rf = riskFree === undefined ? undefined : Float64Array.from(days, (t) => riskFree[t] as number);
      const f = performanceMetrics(held, A, rf, {
        subject: `${level}: the returns of the in-sample weights over the out-of-sample dates`,
      });
      rows.push({ label: 'in_sample_weights', kind: 'in_sample_weights', ...f });
    }
    if (m.equal_weight !== null)
      rows.push({ label: 'equal_weight', kind: 'equal_weight', ...figures(m.equal_weight) });
    for (const s of doc.sleeves) {
      const sm = m.sleeves[s.id];
      if (sm !== undefined) rows.push({ label: s.id, kind: 'sleeve', ...figures(sm) });
    }
  }
  return {
    status: doc.status,
    reason: doc.reason,
    method: doc.method,
    trainWindow: doc.params.train_window,
    rebalance: doc.params.rebalance,
    commission: doc.params.commission,
    slippage: doc.params.slippage,
    ...(doc.rebalancing?.costs_bps === undefined || Object.keys(doc.rebalancing.costs_bps).length === 0
      ? {}
      : { costsBps: doc.rebalancing.costs_bps }),
    periodsPerYear: A,
    firstDate: doc.period.first_date,
    lastDate: doc.period.last_date,
    days: doc.period.days,
    rebalances: doc.rebalances,
    turnover: {
      total: doc.turnover.total,
      initial: doc.turnover.initial,
      meanPerRebalance: doc.turnover.mean_per_rebalance,
      annualised: doc.turnover.annualised,
    },
    costs: doc.costs.total,
    effectiveNMean: m.meta?.effective_n_mean ?? null,
    fallbacks: doc.windows.flatMap((w) =>
      w.fallbacks.map((f) => ({
        date: w.date,
        level: f.level,
        text: `${f.method} failed with ${f.code}, used ${f.used}`,
      })),
    ),
    rows,
    ...(doc.rebalancing === undefined ? {} : { policies: doc.rebalancing.comparison.map(policyRow) }),
  };
}

/** `every 21 rows, band ±0.05, band ±10 % of target, max turnover 0.2`. */
function describePolicy(s: Readonly<Record<string, unknown>>): string {
  const parts = [
    s['every'] !== undefined
      ? s['every'] === 1
        ? 'every row'
        : `every ${String(s['every'])} rows`
      : s['calendar'] === 'monthly' || s['calendar'] === 'quarterly'
        ? String(s['calendar'])
        : 'at each refit',
    ...(s['band_absolute'] === undefined ? [] : [`band ±${String(s['band_absolute'])}`]),
    ...(s['band_relative'] === undefined ? [] : [`band ±${String(s['band_relative'])} × target`]),
    ...(s['max_turnover'] === undefined ? [] : [`max turnover ${String(s['max_turnover'])}`]),
  ];
  return parts.join(', ');
}

function policyRow(p: NonNullable<BacktestDoc['rebalancing']>['comparison'][number]): PolicyRow {
  return {
    name: p.name,
    settings: describePolicy(p.settings),
    totalReturn: p.total_return,
    cagr: p.cagr,
    sharpe: p.sharpe,
    turnover: p.turnover,
    costs: p.costs,
    rebalances: p.rebalances,
    partial: p.partial,
  };
}

function column(table: ReadTableResult, name: string): Float64Array | undefined {
  const j = table.columns.indexOf(name);
  return j < 0 ? undefined : table.values[j];
}

/** Out-of-sample curves: walk-forward meta, full-history weights, equal weight and the best sleeve. */
function outOfSampleChart(
  doc: BacktestDoc,
  daily: ReadTableResult,
  table: ReadTableResult,
  portfolio: Float64Array,
): PerformanceChart | null {
  const meta = column(daily, 'meta');
  const ew = column(daily, 'equal_weight');
  const row = new Map(table.dates.map((d, t) => [d, t]));
  if (meta === undefined || ew === undefined || daily.dates.some((d) => !row.has(d))) return null;
  const ids = doc.sleeves.map((s) => s.id);
  const best = ids[bestBySharpe(ids.map((id) => doc.metrics.sleeves[id]?.sharpe ?? null))];
  const bestSeries = best === undefined ? undefined : column(daily, `sleeve:${best}`);
  const series: NamedSeries[] = [
    { label: 'Meta, walk-forward', role: 'meta', returns: meta },
    {
      label: 'Meta, full-history weights',
      role: 'in_sample_weights',
      returns: Float64Array.from(daily.dates, (d) => portfolio[row.get(d) as number] as number),
    },
    { label: 'Equal weight, walk-forward', role: 'equal_weight', returns: ew },
  ];
  if (bestSeries !== undefined)
    series.push({ label: `Best sleeve: ${best}`, role: 'best_sleeve', returns: bestSeries });
  return performanceChart(daily.dates, series);
}

/**
 * Read `data/meta_backtest_{M}_{P}.json` (and its Parquet table for the charts). A missing summary
 * omits the section; a missing table omits only the out-of-sample chart.
 */
export async function loadBacktestView(
  runDir: string,
  metaProfile: string,
  p: string,
  table: ReadTableResult,
  portfolio: Float64Array,
  recordInput: (file: string) => void,
  riskFree?: Float64Array,
): Promise<BacktestView> {
  const paths = metaBacktestPaths(metaProfile, p);
  const summaryFile = join(runDir, paths.summary);
  const doc = await readJsonArtifact(summaryFile, paths.summary, backtestDocSchema);
  if (doc === undefined)
    return {
      section: { omitted: paths.summary },
      outOfSample: null,
      weightsHistory: null,
      leafWeightsHistory: null,
      tailRows: [],
    };
  recordInput(summaryFile);
  const view = section(doc, table, portfolio, riskFree, `meta profile ${metaProfile} (${p})`);
  if (doc.status !== 'ok')
    return { section: view, outOfSample: null, weightsHistory: null, leafWeightsHistory: null, tailRows: [] };
  const leafWeights = leafWeightsHistory(doc);
  const ids = doc.sleeves.map((s) => s.id);
  const weightsHistory: WeightsHistory = {
    ids,
    dates: doc.windows.map((w) => w.date),
    weights: doc.windows.map((w) => ids.map((id) => w.weights[id] ?? 0)),
  };
  const dailyFile = join(runDir, paths.returns);
  const daily = await readTable(dailyFile).catch((error: unknown) => {
    if ((error as { code?: string }).code === 'E_INPUT_NOT_FOUND') return undefined;
    throw error;
  });
  if (daily === undefined)
    return {
      section: view,
      outOfSample: { omitted: paths.returns },
      weightsHistory,
      leafWeightsHistory: leafWeights,
      tailRows: [],
    };
  recordInput(dailyFile);
  return {
    section: view,
    outOfSample: outOfSampleChart(doc, daily, table, portfolio),
    weightsHistory,
    leafWeightsHistory: leafWeights,
    tailRows: outOfSampleTail(view, daily, table, portfolio),
  };
}
