/**
 * Chart series of the HTML report, computed from the same table and weights as the report's figures:
 * equity curves and drawdowns, rolling volatility, and the HRP dendrogram from the cluster-tree artifact.
 */
import type { ReadTableResult } from '../../artifacts/index.js';
import { drawdownSeries, equityCurve, sharpe } from '../../numeric/stats/performance.js';
import { rollingVolatility } from '../../numeric/stats/rolling-volatility.js';
import type { ChartLine, DendrogramData, PerformanceChart, TimeSeriesChart } from '../../report/index.js';
import type { ClusterTreeDoc } from './_report-docs.js';

/** Rows of the rolling-volatility window (about one quarter of trading days). */
const ROLLING_WINDOW = 63;

/** A return series to chart with its role. */
export interface NamedSeries {
  readonly label: string;
  readonly role: ChartLine['role'];
  readonly returns: Float64Array;
}

/** Equity (growth of 1) and drawdown curves of the given series on the same dates. */
export function performanceChart(dates: readonly string[], series: readonly NamedSeries[]): PerformanceChart {
  const line = (s: NamedSeries, values: Float64Array): ChartLine => ({
    label: s.label,
    role: s.role,
    values,
  });
  return {
    equity: { dates, lines: series.map((s) => line(s, equityCurve(s.returns))) },
    drawdown: { dates, lines: series.map((s) => line(s, drawdownSeries(s.returns))) },
  };
}

/** Index of the series with the highest Sharpe ratio (undefined Sharpe ranks last; ties: the first). */
export function bestBySharpe(sharpes: readonly (number | null)[]): number {
  let best = 0;
  sharpes.forEach((s, j) => {
    const b = sharpes[best] ?? null;
    if (s !== null && (b === null || s > b)) best = j;
  });
  return best;
}

/** `r_t = (1/n) Σᵢ rᵢ,t`: equal weights, rebalanced daily like the meta series. */
function equalWeightSeries(table: ReadTableResult): Float64Array {
  const T = table.dates.length;
  const n = table.columns.length;
  const out = new Float64Array(T);
  for (const col of table.values)
    for (let t = 0; t < T; t++) out[t] = (out[t] as number) + (col[t] as number) / n;
  return out;
}

/** The full-history series: the meta portfolio, equal weight and the best sleeve by Sharpe. */
export function inSampleSeries(
  table: ReadTableResult,
  portfolio: Float64Array,
  periodsPerYear: number,
): NamedSeries[] {
  const T = table.dates.length;
  const sharpes = table.values.map((col) => (T < 2 ? null : sharpe(col, periodsPerYear)));
  const best = bestBySharpe(sharpes);
  return [
    { label: 'Meta (optimized weights)', role: 'meta', returns: portfolio },
    { label: 'Equal weight', role: 'equal_weight', returns: equalWeightSeries(table) },
    {
      label: `Best sleeve: ${table.columns[best] ?? ''}`,
      role: 'best_sleeve',
      returns: table.values[best] ?? new Float64Array(T),
    },
  ];
}

/** Rolling annualised volatility of each series; `null` with fewer than window + 1 rows. */
export function rollingVolatilityChart(
  dates: readonly string[],
  series: readonly NamedSeries[],
  periodsPerYear: number,
): { window: number; chart: TimeSeriesChart } | null {
  if (dates.length < ROLLING_WINDOW + 1) return null;
  return {
    window: ROLLING_WINDOW,
    chart: {
      dates,
      lines: series.map((s) => ({
        label: s.label,
        role: s.role,
        values: rollingVolatility(s.returns, ROLLING_WINDOW, periodsPerYear),
      })),
    },
  };
}

/** The dendrogram of a cluster-tree artifact, or `null` when the method builds no tree. */
export function dendrogramData(doc: ClusterTreeDoc): DendrogramData | null {
  if (doc.linkage === undefined || doc.order === undefined || doc.labels.length < 2) return null;
  const index = new Map(doc.labels.map((l, i) => [l, i]));
  const order = doc.order.map((l) => index.get(l));
  const n = doc.labels.length;
  const merges = doc.linkage.map((row) => ({
    left: row[0] as number,
    right: row[1] as number,
    height: row[2] as number,
  }));
  const valid =
    order.length === n &&
    order.every((i) => i !== undefined) &&
    new Set(order).size === n &&
    merges.length === n - 1 &&
    merges.every((m, k) => [m.left, m.right].every((c) => Number.isInteger(c) && c >= 0 && c < n + k));
  // A malformed tree is not worth failing the report for: its chart is skipped, the weights remain.
  if (!valid) return null;
  return {
    labels: doc.labels,
    order: order as number[],
    merges,
    weights: doc.labels.map((l) => doc.weights[l] ?? 0),
    linkage: doc.linkage_method ?? 'single',
  };
}
