import { join } from 'node:path';
import { QuantError, isQuantError } from '../../errors.js';
import type { StageContext } from '../../core/stage.js';
import type { MetaNode } from '../../manifest/index.js';
import {
  HEALTH_THRESHOLD,
  displayPath,
  findReturnStream,
  readSleeveHealth,
  readSleeveStream,
  writeJsonAtomic,
  writeParquetTable,
} from '../../artifacts/index.js';
import { innerJoin, weightedSum, type DatedSeries } from '../../numeric/series/inner-join.js';
import { INTERSECTION_LOSS_WARNING } from '../../report/index.js';
import { resolveAnnualisation, type Annualisation } from '../_annualisation.js';
import {
  inferFrequency,
  type Frequency,
  type FrequencyInference,
} from '../../numeric/series/periods-per-year.js';
import { assertStreamScale, type ResolvedMeta } from './_resolve.js';
import { optimizeLevel } from './_optimize-level.js';
import {
  metaArtifactPaths,
  type ExcludedSleeve,
  type IncludedSleeve,
  type MetaManifestDoc,
  type MetaOptimizedDoc,
} from './_artifact-types.js';

/** Minimum common dates of a meta level (DESIGN §6). */
export const MIN_COMMON_DATES = 30;

export interface MetaEnv {
  readonly ctx: StageContext;
  readonly resolved: ResolvedMeta;
  readonly riskProfile: string;
}

/** The aligned return matrix of one meta level: one column per included sleeve, manifest order. */
export interface LevelMatrix {
  readonly node: MetaNode;
  /** Sleeve ids from the root to this level. */
  readonly prefix: readonly string[];
  readonly ids: string[];
  readonly dates: string[];
  readonly columns: Float64Array[];
  readonly periodsPerYear: number;
  /** How {@link LevelMatrix.periodsPerYear} was chosen (recorded in the level's artifacts). */
  readonly annualisation: Annualisation;
  readonly manifest: MetaManifestDoc;
}

const BRANCH_FAILURES = new Set(['E_TOO_FEW_SLEEVES', 'E_TOO_FEW_DATES']);

/**
 * Build the return matrix of `node` for the risk profile: each atomic sleeve's own P stream, each nested
 * meta profile's branch stream (built and optimized for the same P, recursively), inner-joined on dates.
 * Writes the level's `meta_returns` Parquet and `meta_manifest` JSON; nested levels also get their
 * `meta_optimized` and `meta_cluster_tree` files.
 */
export async function buildLevelReturns(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
): Promise<LevelMatrix> {
  const { ctx, riskProfile: P } = env;
  const sources = await collectLevelSources(env, node, prefix);
  const { included, excluded, series } = sources;
  const where = `meta profile ${node.profile} (${P})`;
  if (series.length < 2) {
    const reasons = excluded.map((e) => `${e.id}: ${e.reason}`).join(', ');
    throw new QuantError(
      'E_TOO_FEW_SLEEVES',
      `${where}: ${series.length} usable sleeve(s) (${included.map((s) => s.id).join(', ') || 'none'}); at least 2 are needed${reasons === '' ? '' : `; excluded ${reasons}`}`,
      {
        hint: 'add sleeves, produce the missing streams, or choose other risk profiles with --profiles',
        details: {
          meta_profile: node.profile,
          risk_profile: P,
          included: included.map((s) => s.id),
          excluded: excluded.map((e) => ({ id: e.id, reason: e.reason })),
        },
      },
    );
  }
  const joined = innerJoin(series);
  if (joined.dates.length < MIN_COMMON_DATES) {
    throw new QuantError(
      'E_TOO_FEW_DATES',
      `${where}: only ${joined.dates.length} common date(s) across ${included.map((s) => `${s.id} (${s.rows} rows)`).join(', ')}; at least ${MIN_COMMON_DATES} are needed`,
      {
        hint: 'the sleeves barely overlap in time: check their date ranges and calendars',
        details: {
          meta_profile: node.profile,
          risk_profile: P,
          common_dates: joined.dates.length,
          rows: Object.fromEntries(included.map((s) => [s.id, s.rows])),
        },
      },
    );
  }
  assertOneFrequency(where, node, env, included, series, joined.dates);
  const annualisation = levelAnnualisation(
    env,
    node,
    joined.dates,
    included.map((s) => s.id),
  );
  const manifest = levelManifestDoc(env, node, sources, joined.dates, annualisation);
  const ids = included.map((s) => s.id);
  await writeLevelArtifacts(ctx, metaArtifactPaths(node.profile, P), ids, joined, manifest);
  return {
    node,
    prefix,
    ids,
    dates: joined.dates,
    columns: joined.columns,
    periodsPerYear: annualisation.periods_per_year,
    annualisation,
    manifest,
  };
}

/** Calendars from finest to coarsest: a sleeve finer than the common dates lost rows to the join. */
const FREQUENCY_ORDER: Record<Frequency, number> = {
  daily_business: 0,
  daily_calendar: 0,
  weekly: 1,
  monthly: 2,
  quarterly: 3,
  annual: 4,
};

/** The frequency of dates, or undefined when they are irregular (the level's own inference says so). */
function frequencyOf(dates: readonly string[]): FrequencyInference | undefined {
  try {
    return inferFrequency(dates);
  } catch (error) {
    if (isQuantError(error)) return undefined;
    throw error;
  }
}

/**
 * The inner join keeps only the dates every sleeve has: a daily sleeve joined with a weekly one keeps one
 * daily return a week, which is not that week's return (the other days' returns are dropped, not
 * compounded), and annualising it as weekly understates its risk. So a sleeve whose own dates are finer
 * than the common dates is `E_FREQUENCY`, naming both calendars.
 */
function assertOneFrequency(
  where: string,
  node: MetaNode,
  env: Pick<MetaEnv, 'resolved'>,
  included: readonly { readonly id: string }[],
  series: readonly DatedSeries[],
  common: readonly string[],
): void {
  const level = frequencyOf(common);
  if (level === undefined) return;
  series.forEach((one, i) => {
    const own = frequencyOf(one.dates);
    if (own === undefined || FREQUENCY_ORDER[own.frequency] >= FREQUENCY_ORDER[level.frequency]) return;
    const id = included[i]?.id ?? String(i);
    throw new QuantError(
      'E_FREQUENCY',
      `${where}: sleeve ${id} is ${own.frequency} (${own.rule}), but the dates common to the level's sleeves are ${level.frequency} (${level.rule}): aligning them would keep one ${own.frequency} return per period instead of the period's return`,
      {
        hint: `give the sleeves of profiles.${node.profile} one frequency: produce ${id} from ${level.frequency} prices, or its partners from ${own.frequency} ones`,
        location: { file: env.resolved.doc.manifest_file, jsonPath: `profiles.${node.profile}.sleeves` },
        details: { sleeve: id, sleeve_frequency: own.frequency, level_frequency: level.frequency },
      },
    );
  });
}

/** What a level's sleeves give: the included ones with their series, the excluded ones, and warnings. */
interface LevelSources {
  readonly included: IncludedSleeve[];
  readonly excluded: ExcludedSleeve[];
  readonly series: DatedSeries[];
  readonly warnings: string[];
}

/**
 * Read each sleeve of the level, in manifest order: an atomic sleeve's stream (if it has one and is
 * healthy), a nested meta profile's branch stream. Each exclusion is a ledger decision.
 */
async function collectLevelSources(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
): Promise<LevelSources> {
  const sources: LevelSources = { included: [], excluded: [], series: [], warnings: [] };
  const exclude = async (entry: ExcludedSleeve): Promise<void> => {
    sources.excluded.push(entry);
    await env.ctx.decision('meta.exclude_sleeve', {
      meta_profile: node.profile,
      risk_profile: env.riskProfile,
      sleeve: entry.id,
      reason: entry.reason,
      detail: entry.detail,
    });
  };
  for (const sleeve of node.sleeves) {
    const path = [...prefix, sleeve.id];
    if (sleeve.kind === 'atomic') await addAtomicSleeve(env, sleeve, path, sources, exclude);
    else await addBranchSleeve(env, sleeve, path, sources, exclude);
  }
  return sources;
}

type AtomicEntry = Extract<MetaNode['sleeves'][number], { kind: 'atomic' }>;
type BranchEntry = Extract<MetaNode['sleeves'][number], { kind: 'meta' }>;

/** An atomic sleeve: its run's stream for the risk profile, unless missing or unhealthy. */
async function addAtomicSleeve(
  env: MetaEnv,
  sleeve: AtomicEntry,
  path: readonly string[],
  sources: LevelSources,
  exclude: (entry: ExcludedSleeve) => Promise<void>,
): Promise<void> {
  const { ctx, resolved, riskProfile: P } = env;
  const rs = resolved.sleeve(path);
  const runPath = join(ctx.workspace, 'runs', rs.run_id);
  const stream = await findReturnStream(runPath, P);
  if (stream === null) {
    await exclude({
      id: sleeve.id,
      kind: 'atomic',
      profile: sleeve.profile,
      run_id: rs.run_id,
      reason: 'missing_stream',
      detail: `run ${rs.run_id} has no ${P} return stream`,
    });
    return;
  }
  const health = await readSleeveHealth(
    runPath,
    P,
    stream.engine === undefined ? {} : { engine: stream.engine },
  );
  const ofEngine = health.engine === undefined ? '' : ` of engine ${health.engine}`;
  if (!health.healthy) {
    const rate = ((health.success_rate ?? 0) * 100).toFixed(1);
    await exclude({
      id: sleeve.id,
      kind: 'atomic',
      profile: sleeve.profile,
      run_id: rs.run_id,
      reason: 'health',
      detail: `${health.successes}/${health.windows} backtest_optimize windows${ofEngine} succeeded (${rate} % < ${HEALTH_THRESHOLD * 100} %)`,
      health,
    });
    return;
  }
  if (health.windows === 0)
    sources.warnings.push(
      `sleeve ${sleeve.id} (run ${rs.run_id}) has no backtest_optimize records${ofEngine}: counted as healthy`,
    );
  const data = await readSleeveStream(stream.file);
  assertStreamScale(ctx.workspace, rs, P, data);
  ctx.recordInput(stream.file);
  sources.series.push(data);
  sources.included.push({
    id: sleeve.id,
    kind: 'atomic',
    profile: sleeve.profile,
    run_id: rs.run_id,
    source_file: displayPath(ctx.workspace, stream.file),
    candidates: stream.candidates.map((c) => displayPath(ctx.workspace, c)),
    rows: data.dates.length,
    first_date: data.dates[0] ?? '',
    last_date: data.dates[data.dates.length - 1] ?? '',
    health,
    branch_weights: null,
  });
}

/** A nested meta profile: its level built and weighted for the same risk profile, unless it fails. */
async function addBranchSleeve(
  env: MetaEnv,
  sleeve: BranchEntry,
  path: readonly string[],
  sources: LevelSources,
  exclude: (entry: ExcludedSleeve) => Promise<void>,
): Promise<void> {
  let sub: LevelMatrix;
  try {
    sub = await buildLevelReturns(env, sleeve.node, path);
  } catch (error) {
    if (!isQuantError(error) || !BRANCH_FAILURES.has(error.code)) throw error;
    await exclude({
      id: sleeve.id,
      kind: 'meta',
      profile: sleeve.node.profile,
      run_id: null,
      reason: 'branch_failed',
      detail: `${error.code}: ${error.message}`,
    });
    return;
  }
  const { weights, branch } = await branchWeights(env, sub);
  const values = weightedSum(sub.columns, weights);
  sources.series.push({ dates: sub.dates, values });
  sources.included.push({
    id: sleeve.id,
    kind: 'meta',
    profile: sleeve.node.profile,
    run_id: null,
    source_file: metaArtifactPaths(sleeve.node.profile, env.riskProfile).returns,
    candidates: [],
    rows: sub.dates.length,
    first_date: sub.dates[0] ?? '',
    last_date: sub.dates[sub.dates.length - 1] ?? '',
    health: { windows: 0, successes: 0, success_rate: null, healthy: true },
    branch_weights: branch,
  });
}

/** The level's `meta_manifest` document: its sleeves, the common calendar, the intersection losses. */
function levelManifestDoc(
  env: MetaEnv,
  node: MetaNode,
  sources: LevelSources,
  dates: readonly string[],
  annualisation: Annualisation,
): MetaManifestDoc {
  const { included, excluded, warnings } = sources;
  const perSleeve = included.map((s) => {
    const loss = s.rows === 0 ? 0 : 1 - dates.length / s.rows;
    if (loss > INTERSECTION_LOSS_WARNING)
      warnings.push(`sleeve ${s.id} loses ${(loss * 100).toFixed(1)} % of its dates in the inner join`);
    return { id: s.id, rows: s.rows, kept: dates.length, intersection_loss: loss };
  });
  return {
    schema_version: 1,
    meta_profile: node.profile,
    risk_profile: env.riskProfile,
    path: node.path,
    included,
    excluded,
    calendar: {
      common_rows: dates.length,
      first_date: dates[0] ?? null,
      last_date: dates[dates.length - 1] ?? null,
      weekend_dates: dates.some((d) => {
        const day = new Date(`${d}T00:00:00Z`).getUTCDay();
        return day === 0 || day === 6;
      }),
      periods_per_year: annualisation.periods_per_year,
      annualisation,
      per_sleeve: perSleeve,
    },
    warnings,
  };
}

/** Write the level's `meta_returns` Parquet and `meta_manifest` JSON, recorded as outputs. */
async function writeLevelArtifacts(
  ctx: StageContext,
  files: { readonly returns: string; readonly manifest: string },
  ids: readonly string[],
  joined: { readonly dates: string[]; readonly columns: Float64Array[] },
  manifest: MetaManifestDoc,
): Promise<void> {
  const returnsFile = join(ctx.runDir, files.returns);
  await writeParquetTable(
    returnsFile,
    { dates: joined.dates, columns: [...ids], values: joined.columns },
    { dateType: 'date32' },
  );
  ctx.recordOutput(returnsFile);
  const manifestFile = join(ctx.runDir, files.manifest);
  await writeJsonAtomic(manifestFile, manifest);
  ctx.recordOutput(manifestFile);
}

/**
 * The annualisation factor of a meta level: `meta_allocation.periods_per_year` of its meta profile, or
 * inferred from the level's common dates (E_FREQUENCY naming the profile, the sleeves and the setting).
 */
export function levelAnnualisation(
  env: Pick<MetaEnv, 'resolved' | 'riskProfile'>,
  node: MetaNode,
  dates: readonly string[],
  sleeves: readonly string[],
): Annualisation {
  const jsonPath = `profiles.${node.profile}.meta_allocation.periods_per_year`;
  return resolveAnnualisation(node.allocation.periods_per_year, dates, {
    source: 'manifest',
    what: `meta profile ${node.profile} (${env.riskProfile}): the ${dates.length} common dates of sleeves ${sleeves.join(', ')}`,
    setting: `${jsonPath} in ${env.resolved.doc.manifest_file}`,
    location: { file: env.resolved.doc.manifest_file, jsonPath },
  });
}

/**
 * Weights of a nested level: its optimization (with the declared fallback chain), or, if that raises,
 * the equal-weight mean — recorded in its `meta_optimized` file and the ledger.
 */
async function branchWeights(
  env: MetaEnv,
  sub: LevelMatrix,
): Promise<{ weights: Float64Array; branch: 'optimized' | 'equal_weight_fallback' }> {
  try {
    const doc = await optimizeLevel(env, sub);
    return {
      weights: Float64Array.from(sub.ids.map((id) => doc.weights[id] as number)),
      branch: 'optimized',
    };
  } catch (error) {
    if (!isQuantError(error)) throw error;
    const n = sub.ids.length;
    const weights = new Float64Array(n).fill(1 / n);
    const doc: MetaOptimizedDoc = {
      schema_version: 1,
      meta_profile: sub.node.profile,
      risk_profile: env.riskProfile,
      method: 'equal_weight',
      requested_method: env.riskProfile,
      sleeves: sub.ids.map((id) => ({ id, weight: 1 / n })),
      weights: Object.fromEntries(sub.ids.map((id) => [id, 1 / n])),
      bounds: { min_weight: sub.node.bounds.minWeight, max_weight: sub.node.bounds.maxWeight },
      parameters: { branch_fallback: true },
      diagnostics: { observations: sub.dates.length },
      fallback_chain: [{ method: env.riskProfile, code: error.code, message: error.message }],
    };
    const file = join(env.ctx.runDir, metaArtifactPaths(sub.node.profile, env.riskProfile).optimized);
    await writeJsonAtomic(file, doc);
    env.ctx.recordOutput(file);
    await env.ctx.decision('meta.branch_fallback', {
      meta_profile: sub.node.profile,
      risk_profile: env.riskProfile,
      fallback: 'equal_weight_mean',
      code: error.code,
      message: error.message,
    });
    return { weights, branch: 'equal_weight_fallback' };
  }
}
