/**
 * The loader of `meta.report`: reads a meta run's artifacts for every risk profile, computes the figures
 * (numeric/stats/performance) and builds the renderer's plain-data input. Required per risk profile P:
 * `meta_returns_{M}_{P}.parquet` and `meta_optimized_{M}_{P}.json`; everything else is optional and its
 * absence becomes a visible note in the report.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError, type Issue } from '../../errors.js';
import { readTable, type ReadTableResult } from '../../artifacts/index.js';
import { resolveAnnualisation } from '../_annualisation.js';
import { effectiveN, performanceMetrics } from '../../numeric/stats/performance.js';
import { tailMetrics } from '../../numeric/stats/tail-risk.js';
import {
  isOmitted,
  type BacktestSection,
  type MetaReportData,
  type NestedBranch,
  type RiskProfileReport,
  type Section,
} from '../../report/index.js';
import { metaArtifactPaths } from './_artifact-types.js';
import {
  clusterTreeDocSchema,
  flattenedDocSchema,
  manifestDocSchema,
  optimizedDocSchema,
  readJsonArtifact,
  type AnnualisationRecord,
  type ManifestDoc,
  type OptimizedDoc,
} from './_report-docs.js';
import {
  allocationSection,
  anomalySection,
  assetsSection,
  calendarSection,
  correlationSection,
  healthSection,
  optimizerRiskFree,
  portfolioSeries,
} from './_report-sections.js';
import {
  dendrogramData,
  inSampleSeries,
  performanceChart,
  rollingVolatilityChart,
} from './_report-charts.js';
import { loadBacktestView } from './_report-backtest.js';
import { dataAgeSection, loadBenchmarkView } from './_report-benchmark.js';
import { atomicStreams, recordedTradesAgeRule } from './freshness.js';
import { exposureSection, loadAttributionSection } from './_report-attribution.js';
import { loadLimitsSection } from './_report-limits.js';
import { readRunLedgerFacts, type RunLedgerFacts } from './_report-warnings.js';

/** DESIGN §3: nesting depth is at most 4. */
const MAX_NESTING = 4;

export interface ReportLoadOptions {
  readonly runDir: string;
  readonly runId: string;
  readonly metaProfile: string;
  readonly riskProfiles: readonly string[];
  readonly createdAt: string;
  readonly toolVersion: string | null;
  recordInput(path: string): void;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

function missingRequired(runDir: string, missing: readonly string[]): QuantError {
  const first = missing[0] as string;
  const issues: Issue[] = missing.map((file) => ({ path: file, message: 'not found' }));
  return new QuantError(
    'E_ARTIFACT_MISSING',
    `meta.report needs ${first}; run meta.returns and meta.optimize first`,
    {
      location: { file: join(runDir, first) },
      issues,
      hint: `${missing.length} required artifact(s) missing in ${runDir}`,
      details: { missing },
    },
  );
}

/** `E_ARTIFACT_MISSING` naming the first missing required artifact (all of them in `issues`) before any work. */
async function assertRequiredArtifacts(
  runDir: string,
  metaProfile: string,
  riskProfiles: readonly string[],
): Promise<void> {
  const missing: string[] = [];
  for (const p of riskProfiles) {
    const paths = metaArtifactPaths(metaProfile, p);
    for (const rel of [paths.returns, paths.optimized])
      if (!(await exists(join(runDir, rel)))) missing.push(rel);
  }
  if (missing.length > 0) throw missingRequired(runDir, missing);
}

/** Read every risk profile's artifacts and compute the report's figures. */
export async function loadMetaReportData(o: ReportLoadOptions): Promise<MetaReportData> {
  await assertRequiredArtifacts(o.runDir, o.metaProfile, o.riskProfiles);
  const ledger = await readRunLedgerFacts(o.runDir, o.riskProfiles);
  const { warnings } = ledger;
  const riskProfiles: RiskProfileReport[] = [];
  for (const p of o.riskProfiles) {
    const own = warnings.filter((w) => w.riskProfile === p).map((w) => `${w.stage}: ${w.message}`);
    const report = await loadRiskProfile(o, p, ledger);
    riskProfiles.push(own.length === 0 ? report : { ...report, warnings: own });
  }
  return {
    metaProfile: o.metaProfile,
    runId: o.runId,
    createdAt: o.createdAt,
    toolVersion: o.toolVersion,
    riskProfiles,
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}

async function readOptional<T>(
  o: ReportLoadOptions,
  rel: string,
  read: (file: string) => Promise<T | undefined>,
): Promise<T | undefined> {
  const file = join(o.runDir, rel);
  const doc = await read(file);
  if (doc !== undefined) o.recordInput(file);
  return doc;
}

/** A missing backtest of a run that never started meta.backtest (`--no-backtest`): said so, not "not found". */
function backtestNotRun(section: Section<BacktestSection>, ledger: RunLedgerFacts): Section<BacktestSection> {
  if (!isOmitted(section) || ledger.stagesRun === null) return section;
  if (ledger.stagesRun.has('meta.backtest')) return section;
  return { ...section, notRun: 'meta.backtest was not part of this run (`--no-backtest` skips it)' };
}

async function loadRiskProfile(
  o: ReportLoadOptions,
  p: string,
  ledger: RunLedgerFacts,
): Promise<RiskProfileReport> {
  const paths = metaArtifactPaths(o.metaProfile, p);
  const returnsFile = join(o.runDir, paths.returns);
  const table = await readTable(returnsFile, { allowMissing: false });
  o.recordInput(returnsFile);
  const optimized = await readOptional(o, paths.optimized, (f) =>
    readJsonArtifact(f, paths.optimized, optimizedDocSchema),
  );
  if (optimized === undefined) throw missingRequired(o.runDir, [paths.optimized]);
  const manifest = await readOptional(o, paths.manifest, (f) =>
    readJsonArtifact(f, paths.manifest, manifestDocSchema),
  );
  const flattened = await readOptional(o, paths.flattened, (f) =>
    readJsonArtifact(f, paths.flattened, flattenedDocSchema),
  );

  const weights = alignWeights(table, optimized, o.runDir, paths);
  const portfolio = portfolioSeries(table, weights);
  const { periodsPerYear, source, frequency } = annualisation(
    manifest,
    optimized,
    table.dates,
    paths.returns,
  );
  const bench = await loadBenchmarkView(o.runDir, o.metaProfile, p, table.dates, o.recordInput);
  const rf = bench.riskFree?.perPeriod;
  const level = `meta profile ${o.metaProfile} (${p})`;
  const metrics = {
    ...performanceMetrics(portfolio, periodsPerYear, rf, {
      subject: `${level}: the in-sample returns of the meta portfolio`,
    }),
    effectiveN: effectiveN(weights),
  };
  const backtest = await loadBacktestView(o.runDir, o.metaProfile, p, table, portfolio, o.recordInput, rf);
  const age = await dataAgeOf(o, p, manifest);
  const tree = await readOptional(o, paths.clusterTree, (f) =>
    readJsonArtifact(f, paths.clusterTree, clusterTreeDocSchema),
  );
  const inSample = inSampleSeries(table, portfolio, periodsPerYear);
  const attribution = await loadAttributionSection(o.runDir, o.metaProfile, p, o.recordInput);

  const omitted = (rel: string) => ({ omitted: rel });
  return {
    riskProfile: p,
    firstDate: table.dates[0] ?? null,
    lastDate: table.dates[table.dates.length - 1] ?? null,
    periodsPerYear,
    periodsPerYearSource: source,
    ...(frequency === null ? {} : { frequency }),
    metrics,
    allocation: allocationSection(optimized, manifest, table, periodsPerYear, rf, level),
    correlation: correlationSection(table),
    assets:
      flattened === undefined ? omitted(paths.flattened) : assetsSection(flattened, optimized.exposure_caps),
    health: manifest === undefined ? omitted(paths.manifest) : await healthWithBranches(o, p, manifest),
    anomalies: anomalySection(portfolio, table, periodsPerYear),
    calendar: manifest === undefined ? omitted(paths.manifest) : calendarSection(manifest),
    nested:
      manifest === undefined
        ? omitted(paths.manifest)
        : { branches: await nestedBranches(o, p, manifest, optimized, [], 1, new Set([o.metaProfile])) },
    tail: {
      rows: [
        {
          label: 'meta',
          sample: 'in_sample',
          observations: portfolio.length,
          figures: tailMetrics(portfolio),
        },
        ...table.columns.map((c, j) => ({
          label: c,
          sample: 'in_sample' as const,
          observations: table.dates.length,
          figures: tailMetrics(table.values[j] as Float64Array),
        })),
        ...backtest.tailRows,
      ],
    },
    backtest: backtestNotRun(backtest.section, ledger),
    attribution,
    exposure: exposureSection(flattened, paths.flattened, attribution),
    limits: await loadLimitsSection(o, p, { optimized, manifest, flattened }),
    charts: {
      inSample: performanceChart(table.dates, inSample),
      outOfSample: backtest.outOfSample,
      rollingVolatility: rollingVolatilityChart(table.dates, inSample, periodsPerYear),
      weightsHistory: backtest.weightsHistory,
      leafWeightsHistory: backtest.leafWeightsHistory,
      tree: tree === undefined ? omitted(paths.clusterTree) : dendrogramData(tree),
    },
    ...(bench.riskFree === undefined ? {} : { riskFree: bench.riskFree.label }),
    ...(bench.section === undefined ? {} : { benchmarks: bench.section }),
    ...(age === undefined ? {} : { dataAge: age }),
  };
}

/** An included sleeve's `last_date` (a meta manifest field the report's schema passes through). */
/** The Data age section: the lags per atomic sleeve, nested levels by path. */
async function dataAgeOf(o: ReportLoadOptions, p: string, manifest: ManifestDoc | undefined) {
  if (manifest === undefined) return undefined;
  const included = manifest.included.map((s) => ({ ...s, last_date: lastDateOf(s) }));
  return dataAgeSection(
    manifest.calendar.last_date,
    await atomicStreams(o.runDir, p, included),
    o.createdAt,
    await recordedTradesAgeRule(o.runDir, o.metaProfile, p),
  );
}

function lastDateOf(s: Readonly<Record<string, unknown>>): string | undefined {
  const d = s['last_date'];
  return typeof d === 'string' ? d : undefined;
}

/** The optimized weight of every returns column, in column order; both files must name the same sleeves. */
export function alignWeights(
  table: ReadTableResult,
  optimized: OptimizedDoc,
  runDir: string,
  paths: { readonly returns: string; readonly optimized: string },
): Float64Array {
  const byId = new Map(optimized.sleeves.map((s) => [s.id, s.weight]));
  const mismatch = (message: string, file: string, column: string): QuantError =>
    new QuantError('E_INPUT_COLUMN', message, {
      location: { file: join(runDir, file), column },
      hint: 'run meta.optimize again after meta.returns so that both artifacts describe the same sleeves',
    });
  const weights = Float64Array.from(table.columns, (id) => {
    const w = byId.get(id);
    if (w === undefined) {
      throw mismatch(
        `sleeve column "${id}" of ${paths.returns} has no weight in ${paths.optimized}`,
        paths.optimized,
        id,
      );
    }
    return w;
  });
  const columns = new Set(table.columns);
  const stray = optimized.sleeves.find((s) => !columns.has(s.id) && s.weight !== 0);
  if (stray !== undefined) {
    const message = `sleeve "${stray.id}" is weighted in ${paths.optimized} but has no column in ${paths.returns}`;
    throw mismatch(message, paths.returns, stray.id);
  }
  return weights;
}

/** `daily`, `weekly`, ... for "N monthly returns"; null when A matches no calendar. */
function frequencyWord(
  record: Pick<AnnualisationRecord, 'frequency'> | undefined,
  periodsPerYear: number,
): string | null {
  const frequency = record?.frequency ?? null;
  if (frequency !== null) return frequency.startsWith('daily') ? 'daily' : frequency;
  const words: Record<number, string> = {
    252: 'daily',
    365: 'daily',
    52: 'weekly',
    12: 'monthly',
    4: 'quarterly',
    1: 'annual',
  };
  return words[periodsPerYear] ?? null;
}

/**
 * A of the report: the `annualisation` record of the meta manifest or the optimization (how the meta
 * stages chose it), else their bare `periods_per_year` (artifacts written before the record existed),
 * else inferred from the returns' dates.
 */
function annualisation(
  manifest: ManifestDoc | undefined,
  optimized: OptimizedDoc,
  dates: readonly string[],
  returnsFile: string,
): { periodsPerYear: number; source: string; frequency: string | null } {
  const record = manifest?.calendar.annualisation ?? optimized.annualisation;
  if (record !== undefined) {
    const source = record.source === 'inferred' ? `inferred from the dates: ${record.rule}` : record.rule;
    return {
      periodsPerYear: record.periods_per_year,
      source,
      frequency: frequencyWord(record, record.periods_per_year),
    };
  }
  const fromManifest = manifest?.calendar.periods_per_year;
  if (fromManifest !== undefined && fromManifest > 0)
    return {
      periodsPerYear: fromManifest,
      source: 'meta manifest calendar',
      frequency: frequencyWord(undefined, fromManifest),
    };
  const fromParams = optimized.parameters['periods_per_year'];
  if (typeof fromParams === 'number' && Number.isFinite(fromParams) && fromParams > 0) {
    return {
      periodsPerYear: fromParams,
      source: 'meta optimization parameters',
      frequency: frequencyWord(undefined, fromParams),
    };
  }
  const inferred = resolveAnnualisation('auto', dates, {
    source: 'manifest',
    what: returnsFile,
    setting:
      'meta_allocation.periods_per_year of the meta profile in the manifest, then run meta.returns again',
    location: { file: returnsFile, column: 'date' },
  });
  return {
    periodsPerYear: inferred.periods_per_year,
    source: `inferred from the dates: ${inferred.rule}`,
    frequency: frequencyWord(inferred, inferred.periods_per_year),
  };
}

interface BranchHealth {
  windows: number;
  successes: number;
  sleeves: number;
  healthySleeves: number;
}

/**
 * The health of the atomic sleeves below a nested meta profile, summed over every depth from the
 * sub-metas' own manifests; the first missing manifest's file when one is missing.
 */
async function branchHealth(
  o: ReportLoadOptions,
  p: string,
  profile: string,
  seen: ReadonlySet<string>,
): Promise<BranchHealth | { omitted: string }> {
  const rel = metaArtifactPaths(profile, p).manifest;
  // Not recorded as an input here: nestedBranches reads and records the same sub-manifests.
  const manifest = await readJsonArtifact(join(o.runDir, rel), rel, manifestDocSchema);
  if (manifest === undefined) return { omitted: rel };
  const sum: BranchHealth = { windows: 0, successes: 0, sleeves: 0, healthySleeves: 0 };
  for (const inc of manifest.included) {
    if (inc.kind === 'atomic') {
      sum.windows += inc.health.windows;
      sum.successes += inc.health.successes;
      sum.sleeves += 1;
      if (inc.health.healthy) sum.healthySleeves += 1;
      continue;
    }
    // Cycles are rejected when the manifest is loaded; the guard only keeps a hand-edited artifact finite.
    if (seen.has(inc.profile) || seen.size >= MAX_NESTING) continue;
    const sub = await branchHealth(o, p, inc.profile, new Set([...seen, inc.profile]));
    if ('omitted' in sub) return sub;
    sum.windows += sub.windows;
    sum.successes += sub.successes;
    sum.sleeves += sub.sleeves;
    sum.healthySleeves += sub.healthySleeves;
  }
  return sum;
}

/** The health section, a nested branch's row carrying the figures of its atomic sleeves. */
async function healthWithBranches(o: ReportLoadOptions, p: string, manifest: ManifestDoc) {
  const section = healthSection(manifest);
  const sleeves = [];
  for (const [j, row] of section.sleeves.entries()) {
    const inc = manifest.included[j];
    if (inc?.kind !== 'meta') {
      sleeves.push(row);
      continue;
    }
    const b = await branchHealth(o, p, inc.profile, new Set([o.metaProfile, inc.profile]));
    sleeves.push(
      'omitted' in b
        ? { ...row, branch: b }
        : {
            id: row.id,
            windows: b.windows,
            successes: b.successes,
            successRate: b.windows === 0 ? null : b.successes / b.windows,
            healthy: row.healthy,
            branch: { sleeves: b.sleeves, healthySleeves: b.healthySleeves },
          },
    );
  }
  return { ...section, sleeves };
}

/**
 * The nested sub-metas below one meta level, depth first: each branch's weight in its parent and in the
 * root, and its own sleeve weights from `meta_optimized_{S}_{P}.json` (a note when that file is missing).
 */
async function nestedBranches(
  o: ReportLoadOptions,
  p: string,
  manifest: ManifestDoc,
  optimized: OptimizedDoc,
  prefix: readonly string[],
  parentWeight: number,
  seen: ReadonlySet<string>,
): Promise<NestedBranch[]> {
  const out: NestedBranch[] = [];
  const weights = new Map(optimized.sleeves.map((s) => [s.id, s.weight]));
  for (const inc of manifest.included) {
    if (inc.kind !== 'meta') continue;
    const path = [...prefix, inc.id];
    const weightInParent = weights.get(inc.id) ?? 0;
    const effective = parentWeight * weightInParent;
    const sub = metaArtifactPaths(inc.profile, p);
    const subOptimized = await readOptional(o, sub.optimized, (f) =>
      readJsonArtifact(f, sub.optimized, optimizedDocSchema),
    );
    const subManifest = await readOptional(o, sub.manifest, (f) =>
      readJsonArtifact(f, sub.manifest, manifestDocSchema),
    );
    const kinds = new Map(subManifest?.included.map((s) => [s.id, s.kind] as const) ?? []);
    const allocation: NestedBranch['allocation'] =
      subOptimized === undefined
        ? { omitted: sub.optimized }
        : {
            method: subOptimized.method,
            ...optimizerRiskFree(subOptimized),
            sleeves: subOptimized.sleeves.map((s) => ({
              id: s.id,
              kind: kinds.get(s.id) ?? null,
              weight: s.weight,
              effectiveWeight: effective * s.weight,
            })),
          };
    out.push({
      path: path.join('/'),
      profile: inc.profile,
      weightInParent,
      effectiveWeight: effective,
      branchWeights: inc.branch_weights,
      allocation,
    });
    // Cycles are rejected when the manifest is loaded; the guard only keeps a hand-edited artifact finite.
    if (
      subOptimized !== undefined &&
      subManifest !== undefined &&
      path.length < MAX_NESTING &&
      !seen.has(inc.profile)
    ) {
      out.push(
        ...(await nestedBranches(
          o,
          p,
          subManifest,
          subOptimized,
          path,
          effective,
          new Set([...seen, inc.profile]),
        )),
      );
    }
  }
  return out;
}
