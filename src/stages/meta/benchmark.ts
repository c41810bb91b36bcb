import { join, resolve } from 'node:path';
import { QuantError } from '../../errors.js';
import { defineStage } from '../../core/stage.js';
import { readTable, writeJsonAtomic, writeParquetTable } from '../../artifacts/index.js';
import type { StageContext } from '../../core/stage.js';
import { metaStageParams } from './_params.js';
import { loadResolvedMeta, type ResolvedMeta } from './_resolve.js';
import { metaArtifactPaths, metaBacktestPaths, metaBenchmarkPaths } from './_artifact-types.js';
import { backtestDocSchema, optimizedDocSchema, readJsonArtifact } from './_report-docs.js';
import { alignWeights } from './_report-data.js';
import { portfolioSeries } from './_report-sections.js';
import { loadBenchmark, type BenchmarkSeries } from './_benchmark-input.js';
import { resolveRiskFree, type RiskFree } from './_risk-free.js';
import {
  benchmarkEntry,
  benchmarkTable,
  portfolioFigures,
  type MetaBenchmarkDoc,
  type PortfolioStream,
} from './_benchmark-doc.js';

/** What `meta.benchmark` returns, per risk profile. */
export interface MetaBenchmarkValue {
  readonly risk_profiles: readonly string[];
  readonly risk_free: string;
  readonly results: readonly {
    readonly risk_profile: string;
    readonly benchmarks: readonly {
      readonly id: string;
      readonly information_ratio: number | null;
      readonly beta: number | null;
    }[];
  }[];
}

async function loadBenchmarks(ctx: StageContext, resolved: ResolvedMeta): Promise<BenchmarkSeries[]> {
  const manifestFile = resolve(ctx.workspace, resolved.doc.manifest_file);
  const out: BenchmarkSeries[] = [];
  for (const [i, spec] of resolved.node.benchmarks.entries()) {
    const series = await loadBenchmark(ctx.workspace, manifestFile, resolved.node.profile, i, spec);
    ctx.recordInput(resolve(ctx.workspace, series.source.file));
    out.push(series);
  }
  return out;
}

/** The in-sample portfolio (optimized weights on the common dates) and its annualisation factor. */
async function inSampleStream(
  ctx: StageContext,
  metaProfile: string,
  P: string,
): Promise<{ dates: readonly string[]; returns: Float64Array; A: number }> {
  const paths = metaArtifactPaths(metaProfile, P);
  const returnsFile = join(ctx.runDir, paths.returns);
  const optimizedFile = join(ctx.runDir, paths.optimized);
  const optimized = await readJsonArtifact(optimizedFile, paths.optimized, optimizedDocSchema);
  if (optimized === undefined) {
    throw new QuantError('E_ARTIFACT_MISSING', `meta.benchmark needs ${paths.optimized}`, {
      location: { file: optimizedFile },
      hint: 'run meta.returns and meta.optimize first',
    });
  }
  const table = await readTable(returnsFile, { allowMissing: false });
  ctx.recordInput(returnsFile);
  ctx.recordInput(optimizedFile);
  const recorded = optimized.annualisation?.periods_per_year ?? optimized.parameters['periods_per_year'];
  if (typeof recorded !== 'number' || !(recorded > 0)) {
    throw new QuantError('E_INPUT_FORMAT', `${paths.optimized} records no periods_per_year`, {
      location: { file: optimizedFile },
      hint: 'run meta.optimize again',
    });
  }
  const weights = alignWeights(table, optimized, ctx.runDir, paths);
  return { dates: table.dates, returns: portfolioSeries(table, weights), A: recorded };
}

/** The walk-forward's meta returns, when `meta.backtest` completed for P. */
async function outOfSampleStream(
  ctx: StageContext,
  metaProfile: string,
  P: string,
): Promise<{ dates: readonly string[]; returns: Float64Array } | null> {
  const paths = metaBacktestPaths(metaProfile, P);
  const summaryFile = join(ctx.runDir, paths.summary);
  const doc = await readJsonArtifact(summaryFile, paths.summary, backtestDocSchema);
  if (doc === undefined || doc.status !== 'ok') return null;
  const file = join(ctx.runDir, paths.returns);
  const table = await readTable(file);
  ctx.recordInput(summaryFile);
  ctx.recordInput(file);
  const j = table.columns.indexOf('meta');
  if (j < 0) {
    throw new QuantError('E_INPUT_COLUMN', `${paths.returns} has no "meta" column`, {
      location: { file, column: 'meta' },
      hint: 'run meta.backtest again',
    });
  }
  return { dates: table.dates, returns: table.values[j] as Float64Array };
}

/** The risk-free rate on a subset of the in-sample dates (the walk-forward's are a tail of them). */
function onDates(all: readonly string[], rf: RiskFree, dates: readonly string[]): Float64Array {
  const row = new Map(all.map((d, t) => [d, t]));
  return Float64Array.from(dates, (d) => rf.perPeriod[row.get(d) ?? -1] ?? Number.NaN);
}

export const metaBenchmark = defineStage({
  id: 'meta.benchmark',
  name: 'Meta benchmarks and risk-free rate',
  description:
    "The meta portfolio against the meta profile's benchmarks, in sample and out of sample, each on the inner join of the two calendars: active return, tracking error, information ratio, CAPM beta and alpha, up/down capture, relative equity; Sharpe and Sortino over the profile's risk-free rate.",
  category: 'meta',
  tags: ['meta', 'benchmark', 'risk-free'],
  aliases: [],
  params: metaStageParams,
  output:
    'data/meta_benchmark_{M}_{P}.json (risk-free rate, figures per benchmark and period, calendar losses) and data/meta_benchmark_{M}_{P}.parquet (portfolio in and out of sample, risk-free rate per period, each benchmark, by date).',
  async run(params, ctx) {
    const M = params.meta_profile;
    const resolved = await loadResolvedMeta(ctx, M, params.risk_profiles);
    const benchmarks = await loadBenchmarks(ctx, resolved);
    const env = {
      workspace: ctx.workspace,
      manifestFile: resolved.doc.manifest_file,
      recordInput: ctx.recordInput,
    };
    const results: MetaBenchmarkValue['results'][number][] = [];
    let label = '';
    for (const P of resolved.riskProfiles) {
      ctx.progress(`${M} ${P}: ${benchmarks.length} benchmark(s)`);
      const base = await inSampleStream(ctx, M, P);
      const rf = await resolveRiskFree(env, resolved.node, base.dates, base.A);
      label = rf.record.label;
      const inSample: PortfolioStream = { ...base, riskFree: rf.perPeriod };
      const oos = await outOfSampleStream(ctx, M, P);
      const outOfSample: PortfolioStream | null =
        oos === null ? null : { ...oos, riskFree: onDates(base.dates, rf, oos.dates) };
      const doc: MetaBenchmarkDoc = {
        schema_version: 1,
        meta_profile: M,
        risk_profile: P,
        periods_per_year: base.A,
        risk_free: rf.record,
        portfolio: {
          in_sample: portfolioFigures(
            inSample,
            base.A,
            `meta profile ${M} (${P}): the in-sample returns of the meta portfolio`,
          ),
          out_of_sample:
            outOfSample === null
              ? null
              : portfolioFigures(
                  outOfSample,
                  base.A,
                  `meta profile ${M} (${P}): the out-of-sample returns of the meta portfolio`,
                ),
        },
        benchmarks: benchmarks.map((b) =>
          benchmarkEntry(b, inSample, outOfSample, base.A, `meta profile ${M} (${P})`),
        ),
      };
      const paths = metaBenchmarkPaths(M, P);
      const tableFile = join(ctx.runDir, paths.table);
      await writeParquetTable(tableFile, benchmarkTable(inSample, outOfSample, benchmarks), {
        dateType: 'date32',
      });
      ctx.recordOutput(tableFile);
      const summaryFile = join(ctx.runDir, paths.summary);
      await writeJsonAtomic(summaryFile, doc);
      ctx.recordOutput(summaryFile);
      results.push({
        risk_profile: P,
        benchmarks: doc.benchmarks.map((b) => ({
          id: b.id,
          information_ratio: b.in_sample.information_ratio,
          beta: b.in_sample.beta,
        })),
      });
    }
    const value: MetaBenchmarkValue = { risk_profiles: resolved.riskProfiles, risk_free: label, results };
    const ids = benchmarks.map((b) => b.id);
    return {
      value,
      summary: `${label}; ${ids.length === 0 ? 'no benchmark' : `benchmarks ${ids.join(', ')}`} for ${resolved.riskProfiles.join(', ')}`,
    };
  },
});
