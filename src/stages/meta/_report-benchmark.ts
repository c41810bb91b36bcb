/**
 * The report's view of `meta.benchmark` (optional): the risk-free rate (its label and per-period series
 * on the common dates), the active-risk rows and the relative-equity charts; and the data-age section
 * from the meta manifest against the run's date.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readTable, type ReadTableResult } from '../../artifacts/index.js';
import { dataAge } from '../../numeric/series/data-age.js';
import { relativeEquity } from '../../numeric/stats/active-risk.js';
import type {
  ActiveRiskRow,
  BenchmarkSection,
  DataAgeSection,
  Section,
  TimeSeriesChart,
} from '../../report/index.js';
import { metaBenchmarkPaths } from './_artifact-types.js';
import type { TradesAgeRule } from './freshness.js';
import { readJsonArtifact } from './_report-docs.js';

const figure = z.number().nullable();
const period = z.looseObject({
  calendar: z.looseObject({
    common_rows: z.number(),
    portfolio_loss: z.number(),
    benchmark_loss: z.number(),
    benchmark_loss_in_span: z.number().optional(),
  }),
  portfolio: z.looseObject({ cagr: figure }),
  benchmark: z.looseObject({ cagr: figure }),
  active_return: figure,
  tracking_error: figure,
  information_ratio: figure,
  beta: figure,
  alpha: figure,
  up_capture: figure,
  down_capture: figure,
  relative_return: figure,
});
const benchmarkDocSchema = z.looseObject({
  schema_version: z.literal(1),
  risk_free: z.looseObject({ label: z.string() }),
  benchmarks: z.array(
    z.looseObject({
      id: z.string(),
      description: z.string().nullable(),
      source: z.looseObject({ file: z.string(), column: z.string() }),
      in_sample: period,
      out_of_sample: period.nullable(),
    }),
  ),
});

/** What the report takes from `meta.benchmark`. */
export interface BenchmarkView {
  /** `undefined`: no artifact (a run made before the stage existed); figures use r_f = 0. */
  readonly riskFree?: { readonly label: string; readonly perPeriod: Float64Array };
  readonly section?: Section<BenchmarkSection>;
}

function row(id: string, p: 'in_sample' | 'out_of_sample', x: z.output<typeof period>): ActiveRiskRow {
  return {
    benchmark: id,
    period: p,
    commonRows: x.calendar.common_rows,
    portfolioLoss: x.calendar.portfolio_loss,
    benchmarkLoss: x.calendar.benchmark_loss_in_span ?? x.calendar.benchmark_loss,
    portfolioCagr: x.portfolio.cagr,
    benchmarkCagr: x.benchmark.cagr,
    activeReturn: x.active_return,
    trackingError: x.tracking_error,
    informationRatio: x.information_ratio,
    beta: x.beta,
    alpha: x.alpha,
    upCapture: x.up_capture,
    downCapture: x.down_capture,
    relativeReturn: x.relative_return,
  };
}

/** Relative equity of `portfolio` over each benchmark on their common rows (NaN elsewhere). */
function relativeChart(
  table: ReadTableResult,
  portfolioColumn: string,
  ids: readonly string[],
): TimeSeriesChart | null {
  const col = (name: string) => {
    const j = table.columns.indexOf(name);
    return j < 0 ? undefined : (table.values[j] as Float64Array);
  };
  const p = col(portfolioColumn);
  if (p === undefined) return null;
  const keepPortfolio = table.dates.map((_, t) => t).filter((t) => !Number.isNaN(p[t]));
  if (keepPortfolio.length === 0) return null;
  const first = keepPortfolio[0] as number;
  const dates = table.dates.slice(first);
  const lines = ids.flatMap((id) => {
    const b = col(`benchmark:${id}`);
    if (b === undefined) return [];
    const rows = keepPortfolio.filter((t) => !Number.isNaN(b[t]));
    const q = relativeEquity(
      Float64Array.from(rows, (t) => p[t] as number),
      Float64Array.from(rows, (t) => b[t] as number),
    );
    const values = new Float64Array(dates.length).fill(Number.NaN);
    rows.forEach((t, k) => (values[t - first] = q[k] as number));
    return [{ label: id, role: 'benchmark' as const, values }];
  });
  return lines.length === 0 ? null : { dates, lines };
}

/**
 * Read `meta_benchmark_{M}_{P}.json` and `.parquet`. The risk-free series is taken only when the table's
 * dates are the report's common dates (it was written from the same returns).
 */
export async function loadBenchmarkView(
  runDir: string,
  metaProfile: string,
  riskProfile: string,
  dates: readonly string[],
  recordInput: (path: string) => void,
): Promise<BenchmarkView> {
  const paths = metaBenchmarkPaths(metaProfile, riskProfile);
  const docFile = join(runDir, paths.summary);
  const doc = await readJsonArtifact(docFile, paths.summary, benchmarkDocSchema);
  if (doc === undefined) return {};
  recordInput(docFile);
  const tableFile = join(runDir, paths.table);
  const table = await readTable(tableFile).catch(() => undefined);
  if (table === undefined) return { section: { omitted: paths.table } };
  recordInput(tableFile);
  const rfColumn = table.values[table.columns.indexOf('risk_free')];
  const aligned =
    rfColumn !== undefined &&
    table.dates.length === dates.length &&
    table.dates.every((d, t) => d === dates[t]);
  const ids = doc.benchmarks.map((b) => b.id);
  const inSample = relativeChart(table, 'portfolio', ids);
  return {
    ...(aligned ? { riskFree: { label: doc.risk_free.label, perPeriod: rfColumn } } : {}),
    section: {
      benchmarks: doc.benchmarks.map((b) => ({
        id: b.id,
        source: `${b.source.file}:${b.source.column}`,
        description: b.description,
      })),
      rows: doc.benchmarks.flatMap((b) => [
        row(b.id, 'in_sample', b.in_sample),
        ...(b.out_of_sample === null ? [] : [row(b.id, 'out_of_sample', b.out_of_sample)]),
      ]),
      relativeEquity:
        inSample === null ? null : { inSample, outOfSample: relativeChart(table, 'portfolio_oos', ids) },
    },
  };
}

/** The data-age section from the meta manifest's dates, against the run's creation day. */
export function dataAgeSection(
  calendarLastDate: string | null,
  streams: readonly { readonly id: string; readonly lastDate: string }[],
  createdAt: string,
  rule: TradesAgeRule,
): DataAgeSection | undefined {
  const now = new Date(createdAt);
  if (calendarLastDate === null || Number.isNaN(now.getTime())) return undefined;
  const age = dataAge(calendarLastDate, streams, now);
  return {
    ...age,
    maxAgeDays: rule.maxAgeDays,
    limitSource: rule.source,
    traded: rule.traded,
    allowStale: rule.allowStale,
  };
}
