/**
 * Pure builders of the report's sections from the meta artifacts (already read and checked) and the
 * return table: the portfolio series, allocation, correlation, anomalies, assets, health, calendar.
 */
import type { ReadTableResult } from '../../artifacts/index.js';
import { concentration } from '../../numeric/stats/concentration.js';
import { anomalyWindows, correlationMatrix, performanceMetrics } from '../../numeric/stats/performance.js';
import type {
  AllocationSection,
  AnomalySection,
  AssetsSection,
  CalendarSection,
  CorrelationSection,
  HealthSection,
} from '../../report/index.js';
import type { FlattenedDoc, ManifestDoc, OptimizedDoc } from './_report-docs.js';

/** Physical assets listed per risk profile. */
const TOP_ASSETS = 20;
/** Rows per anomaly block (about one trading month). */
const ANOMALY_WINDOW = 21;

/** The meta portfolio's daily returns: `r_t = Σᵢ wᵢ·rᵢ,t` (constant weights, rebalanced daily). */
export function portfolioSeries(table: ReadTableResult, weights: Float64Array): Float64Array {
  const T = table.dates.length;
  const portfolio = new Float64Array(T);
  for (let j = 0; j < table.columns.length; j++) {
    const col = table.values[j] as Float64Array;
    const w = weights[j] as number;
    for (let t = 0; t < T; t++) portfolio[t] = (portfolio[t] as number) + w * (col[t] as number);
  }
  return portfolio;
}

/** Sleeve weights in manifest order with each sleeve's own figures on the common dates. */
/** The rate max_sharpe maximised the Sharpe ratio over (`parameters.risk_free_rate`; unset: 0). */
export function optimizerRiskFree(optimized: OptimizedDoc): { optimizerRiskFree?: number } {
  if (optimized.method !== 'max_sharpe') return {};
  const rate = optimized.parameters['risk_free_rate'];
  return { optimizerRiskFree: typeof rate === 'number' && Number.isFinite(rate) ? rate : 0 };
}

export function allocationSection(
  optimized: OptimizedDoc,
  manifest: ManifestDoc | undefined,
  table: ReadTableResult,
  periodsPerYear: number,
  riskFree: Float64Array | undefined,
  /** The level, for errors: `meta profile M (hrp)`. */
  level: string,
): AllocationSection {
  const byColumn = new Map(table.columns.map((c, j) => [c, table.values[j] as Float64Array]));
  const included = new Map(manifest?.included.map((s) => [s.id, s] as const) ?? []);
  return {
    method: optimized.method,
    requestedMethod: optimized.requested_method,
    minWeight: optimized.bounds.min_weight,
    maxWeight: optimized.bounds.max_weight,
    fallbacks: optimized.fallback_chain.map((f) => ({ method: f.method, code: f.code, message: f.message })),
    ...(optimized.turnover === undefined ? {} : { turnover: optimized.turnover.summary }),
    ...optimizerRiskFree(optimized),
    sleeves: optimized.sleeves.map((s) => {
      const series = byColumn.get(s.id);
      const m =
        series === undefined
          ? undefined
          : performanceMetrics(series, periodsPerYear, riskFree, {
              subject: `${level}: the returns of sleeve ${s.id}`,
              details: { sleeve: s.id },
            });
      const inc = included.get(s.id);
      return {
        id: s.id,
        kind: inc?.kind ?? null,
        profile: inc?.profile ?? null,
        runId: inc?.run_id ?? null,
        weight: s.weight,
        figures: {
          cagr: m?.cagr ?? null,
          volatility: m?.volatility ?? null,
          sharpe: m?.sharpe ?? null,
          maxDrawdown: m?.maxDrawdown ?? null,
        },
      };
    }),
  };
}

/** Sample correlation of the sleeve columns; `null` with fewer than 2 rows. */
export function correlationSection(table: ReadTableResult): CorrelationSection | null {
  const T = table.dates.length;
  const n = table.columns.length;
  if (T < 2 || n === 0) return null;
  const data = new Float64Array(T * n);
  for (let j = 0; j < n; j++) {
    const col = table.values[j] as Float64Array;
    for (let t = 0; t < T; t++) data[t * n + j] = col[t] as number;
  }
  const rho = correlationMatrix({ rows: T, cols: n, data });
  return {
    ids: [...table.columns],
    values: table.columns.map((_, i) => Array.from(rho.data.subarray(i * n, (i + 1) * n))),
  };
}

export function anomalySection(
  portfolio: Float64Array,
  table: ReadTableResult,
  periodsPerYear: number,
): AnomalySection {
  const series: [string, Float64Array][] = [
    ['portfolio', portfolio],
    ...table.columns.map((c, j) => [c, table.values[j] as Float64Array] as [string, Float64Array]),
  ];
  const windows = series.flatMap(([name, values]) =>
    anomalyWindows(values, table.dates, { window: ANOMALY_WINDOW, periodsPerYear }).map((w) => ({
      series: name,
      start: w.start,
      end: w.end,
      rows: w.rows,
      sharpe: w.sharpe,
      volatility: w.volatility,
      breaches: w.breaches,
    })),
  );
  return {
    window: ANOMALY_WINDOW,
    sharpeLimit: 10,
    volatilityLimit: 2,
    series: series.map(([name]) => name),
    windows,
  };
}

/** Largest flattened gross position and its cap (`exposure_limits`, else null), top-10 share and HHI. */
function concentrationFigures(
  doc: FlattenedDoc,
  caps: OptimizedDoc['exposure_caps'],
): NonNullable<AssetsSection['concentration']> {
  const c = concentration(doc.assets.map((a) => a.Weight));
  const largest = doc.assets[c.largest];
  const cap = largest === undefined ? undefined : (caps?.symbols?.[largest.Symbol] ?? caps?.max_weight);
  return {
    largest:
      largest === undefined ? null : { symbol: largest.Symbol, gross: c.largestGross, cap: cap ?? null },
    top10Share: c.topShare,
    hhi: c.hhi,
    effectiveN: c.effectiveN,
  };
}

export function assetsSection(doc: FlattenedDoc, caps?: OptimizedDoc['exposure_caps']): AssetsSection {
  const sorted = [...doc.assets].sort(
    (a, b) => b.Weight - a.Weight || (a.Symbol < b.Symbol ? -1 : a.Symbol > b.Symbol ? 1 : 0),
  );
  return {
    top: sorted.slice(0, TOP_ASSETS).map((a) => ({
      symbol: a.Symbol,
      direction: a.Direction,
      gross: a.Weight,
      net: a.Net_Weight,
      contributors: Object.entries(a.Contributors)
        .map(([path, contribution]) => ({ path, contribution }))
        .sort(
          (x, y) =>
            Math.abs(y.contribution) - Math.abs(x.contribution) ||
            (x.path < y.path ? -1 : x.path > y.path ? 1 : 0),
        ),
    })),
    limit: TOP_ASSETS,
    assetCount: doc.assets.length,
    concentration: concentrationFigures(doc, caps),
    totals: { gross: doc.totals.gross, net: doc.totals.net, long: doc.totals.long, short: doc.totals.short },
    missing: doc.missing.map((m) => ({ path: m.path, reason: m.reason })),
    fallbacks: doc.weights_fallbacks.map((f) => ({ path: f.path, reason: f.reason })),
  };
}

export function healthSection(doc: ManifestDoc): HealthSection {
  return {
    sleeves: doc.included.map((s) => ({
      id: s.id,
      windows: s.health.windows,
      successes: s.health.successes,
      successRate: s.health.success_rate,
      healthy: s.health.healthy,
    })),
    excluded: doc.excluded.map((e) => ({
      id: e.id,
      kind: e.kind,
      profile: e.profile,
      runId: e.run_id,
      reason: e.reason,
      detail: e.detail,
    })),
    warnings: [...doc.warnings],
  };
}

export function calendarSection(doc: ManifestDoc): CalendarSection {
  const c = doc.calendar;
  return {
    commonRows: c.common_rows,
    firstDate: c.first_date,
    lastDate: c.last_date,
    weekendDates: c.weekend_dates,
    periodsPerYear: c.periods_per_year,
    sleeves: c.per_sleeve.map((s) => ({
      id: s.id,
      rows: s.rows,
      kept: s.kept,
      intersectionLoss: s.intersection_loss,
    })),
  };
}
