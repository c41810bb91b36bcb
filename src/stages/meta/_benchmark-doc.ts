/**
 * The figures of `meta.benchmark` for one risk profile: the meta portfolio against each benchmark, in
 * sample (the optimized weights on the common dates) and out of sample (the walk-forward's returns),
 * each on the inner join of the two calendars, with the loss of each side recorded.
 */
import type { NumericTable } from '../../artifacts/index.js';
import { innerJoin } from '../../numeric/series/inner-join.js';
import { activeRisk, type ActiveRisk } from '../../numeric/stats/active-risk.js';
import { performanceMetrics } from '../../numeric/stats/performance.js';
import type { BenchmarkSeries } from './_benchmark-input.js';
import type { RiskFreeRecord } from './_risk-free.js';

/** A dated return series (the meta portfolio in or out of sample). */
export interface PortfolioStream {
  readonly dates: readonly string[];
  readonly returns: Float64Array;
  /** Per-period risk-free rate on `dates`. */
  readonly riskFree: Float64Array;
}

/** Headline figures of one series on the joined dates. */
export interface SeriesFigures {
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly max_drawdown: number | null;
}

/** One benchmark over one period. */
export interface BenchmarkPeriod {
  readonly calendar: {
    readonly portfolio_rows: number;
    readonly benchmark_rows: number;
    readonly common_rows: number;
    /** 1 − common / rows, per side (as the sleeves' intersection loss). */
    readonly portfolio_loss: number;
    readonly benchmark_loss: number;
    /**
     * The benchmark's rows from the portfolio's first to its last date, and the share of them without a
     * match: a benchmark history longer than the portfolio's is not a calendar mismatch.
     */
    readonly benchmark_rows_in_span: number;
    readonly benchmark_loss_in_span: number;
    readonly first_date: string | null;
    readonly last_date: string | null;
  };
  readonly portfolio: SeriesFigures;
  readonly benchmark: SeriesFigures;
  readonly active_return: number | null;
  readonly tracking_error: number | null;
  readonly information_ratio: number | null;
  readonly beta: number | null;
  readonly alpha: number | null;
  readonly correlation: number | null;
  readonly up_capture: number | null;
  readonly down_capture: number | null;
  /** Relative equity at the end minus 1: how far the portfolio's growth is ahead of the benchmark's. */
  readonly relative_return: number | null;
}

/** One benchmark of `meta_benchmark_{M}_{P}.json`. */
export interface BenchmarkEntry {
  readonly id: string;
  readonly description: string | null;
  readonly source: {
    readonly file: string;
    readonly sha256: string;
    readonly column: string;
    readonly input_kind: string;
  };
  readonly rows: number;
  readonly first_date: string | null;
  readonly last_date: string | null;
  /** Table rows dropped for a missing value in the column. */
  readonly dropped_rows: number;
  readonly in_sample: BenchmarkPeriod;
  /** `null` without a completed walk-forward. */
  readonly out_of_sample: BenchmarkPeriod | null;
}

/** `data/meta_benchmark_{M}_{P}.json` */
export interface MetaBenchmarkDoc {
  readonly schema_version: 1;
  readonly meta_profile: string;
  readonly risk_profile: string;
  readonly periods_per_year: number;
  readonly risk_free: RiskFreeRecord;
  readonly portfolio: { readonly in_sample: SeriesFigures; readonly out_of_sample: SeriesFigures | null };
  readonly benchmarks: readonly BenchmarkEntry[];
}

/** `subject` names the series in the error of a figure beyond the double range. */
function figures(returns: Float64Array, A: number, riskFree: Float64Array, subject: string): SeriesFigures {
  const m = performanceMetrics(returns, A, riskFree, { subject });
  return {
    cagr: m.cagr,
    volatility: m.volatility,
    sharpe: m.sharpe,
    sortino: m.sortino,
    max_drawdown: m.maxDrawdown,
  };
}

/**
 * The portfolio's figures on its own dates (the numbers the report's tables show); `subject` names it
 * (`meta profile M (hrp): the in-sample returns of the meta portfolio`).
 */
export function portfolioFigures(stream: PortfolioStream, A: number, subject: string): SeriesFigures {
  return figures(stream.returns, A, stream.riskFree, subject);
}

const loss = (kept: number, rows: number): number => (rows === 0 ? 0 : 1 - kept / rows);

function snake(m: ActiveRisk): Omit<BenchmarkPeriod, 'calendar' | 'portfolio' | 'benchmark'> {
  return {
    active_return: m.activeReturn,
    tracking_error: m.trackingError,
    information_ratio: m.informationRatio,
    beta: m.beta,
    alpha: m.alpha,
    correlation: m.correlation,
    up_capture: m.upCapture,
    down_capture: m.downCapture,
    relative_return: m.relativeReturn,
  };
}

/** The portfolio against one benchmark on the inner join of their dates. */
function benchmarkPeriod(
  portfolio: PortfolioStream,
  benchmark: BenchmarkSeries,
  A: number,
  subject: string,
): BenchmarkPeriod {
  const joined = innerJoin([
    { dates: portfolio.dates, values: portfolio.returns },
    { dates: benchmark.dates, values: benchmark.returns },
    { dates: portfolio.dates, values: portfolio.riskFree },
  ]);
  const [p, b, rf] = joined.columns as [Float64Array, Float64Array, Float64Array];
  const T = joined.dates.length;
  const first = portfolio.dates[0];
  const last = portfolio.dates[portfolio.dates.length - 1];
  const inSpan =
    first === undefined || last === undefined
      ? 0
      : benchmark.dates.reduce((k, d) => (d >= first && d <= last ? k + 1 : k), 0);
  return {
    calendar: {
      portfolio_rows: portfolio.dates.length,
      benchmark_rows: benchmark.dates.length,
      common_rows: T,
      portfolio_loss: loss(T, portfolio.dates.length),
      benchmark_loss: loss(T, benchmark.dates.length),
      benchmark_rows_in_span: inSpan,
      benchmark_loss_in_span: loss(T, inSpan),
      first_date: joined.dates[0] ?? null,
      last_date: joined.dates[T - 1] ?? null,
    },
    portfolio: figures(
      p,
      A,
      rf,
      `${subject}: the meta portfolio's returns on the dates of benchmark ${benchmark.id}`,
    ),
    benchmark: figures(b, A, rf, `${subject}: the returns of benchmark ${benchmark.id}`),
    ...snake(activeRisk(p, b, A, rf)),
  };
}

/** The benchmark's entry: its source and both periods. */
export function benchmarkEntry(
  series: BenchmarkSeries,
  inSample: PortfolioStream,
  outOfSample: PortfolioStream | null,
  A: number,
  /** The level, for errors: `meta profile M (hrp)`. */
  level: string,
): BenchmarkEntry {
  return {
    id: series.id,
    description: series.spec.description ?? null,
    source: {
      file: series.source.file,
      sha256: series.source.sha256,
      column: series.spec.column,
      input_kind: series.spec.input_kind,
    },
    rows: series.dates.length,
    first_date: series.dates[0] ?? null,
    last_date: series.dates[series.dates.length - 1] ?? null,
    dropped_rows: series.droppedRows,
    in_sample: benchmarkPeriod(inSample, series, A, `${level} (in sample)`),
    out_of_sample:
      outOfSample === null ? null : benchmarkPeriod(outOfSample, series, A, `${level} (out of sample)`),
  };
}

/**
 * `data/meta_benchmark_{M}_{P}.parquet`: one row per in-sample date — the portfolio in sample, out of
 * sample (NaN before the walk-forward starts), the risk-free rate per period, and each benchmark's
 * return (`benchmark:<id>`, NaN on a date it lacks). The report draws the relative equity from it.
 */
export function benchmarkTable(
  inSample: PortfolioStream,
  outOfSample: PortfolioStream | null,
  benchmarks: readonly BenchmarkSeries[],
): NumericTable {
  const T = inSample.dates.length;
  const row = new Map(inSample.dates.map((d, t) => [d, t]));
  const onDates = (dates: readonly string[], values: Float64Array): Float64Array => {
    const col = new Float64Array(T).fill(Number.NaN);
    dates.forEach((d, k) => {
      const t = row.get(d);
      if (t !== undefined) col[t] = values[k] as number;
    });
    return col;
  };
  const oos =
    outOfSample === null
      ? new Float64Array(T).fill(Number.NaN)
      : onDates(outOfSample.dates, outOfSample.returns);
  return {
    dates: [...inSample.dates],
    columns: ['portfolio', 'portfolio_oos', 'risk_free', ...benchmarks.map((b) => `benchmark:${b.id}`)],
    values: [inSample.returns, oos, inSample.riskFree, ...benchmarks.map((b) => onDates(b.dates, b.returns))],
  };
}
