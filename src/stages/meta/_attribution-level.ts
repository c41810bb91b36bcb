/**
 * Risk attribution of one meta level for one risk profile (`meta.attribution`): reads the level's and its
 * nested levels' `meta_returns` and `meta_optimized` files and the level's flattened portfolio, computes
 * the Euler decompositions (numeric/stats/risk-attribution.ts) at three depths — the level's own
 * sleeves and branches, the atomic sleeves by path, the physical assets by look-through — and the
 * leave-one-sleeve-out table, and writes them as JSON and Parquet.
 */
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { QuantError } from '../../errors.js';
import type { MetaNode } from '../../manifest/index.js';
import {
  assertConfined,
  readTable,
  writeJsonAtomic,
  writeParquetRecords,
  type RecordColumn,
} from '../../artifacts/index.js';
import {
  leaveOneOut,
  lookThrough,
  portfolioReturns,
  riskAttribution,
  type EulerDecomposition,
  type RiskAttribution,
} from '../../numeric/stats/risk-attribution.js';
import { sharpe } from '../../numeric/stats/performance.js';
import type { Matrix } from '../../numeric/linalg/matrix.js';
import type { MetaEnv } from './_level.js';
import { metaArtifactPaths, type FlattenedMetaDoc, type MetaOptimizedDoc } from './_artifact-types.js';

/** The CVaR level of the attribution (historical, per period). */
const ATTRIBUTION_CVAR_LEVEL = 0.95;

/** Files of the attribution of meta profile M under risk profile P, relative to the run folder. */
export function attributionPaths(metaProfile: string, riskProfile: string) {
  const s = `${metaProfile}_${riskProfile}`;
  return { json: `data/meta_attribution_${s}.json`, parquet: `data/meta_attribution_${s}.parquet` } as const;
}

/** One row of a contribution table. */
export interface AttributionRow {
  readonly name: string;
  readonly weight: number;
  readonly vol_contribution: number;
  readonly vol_share: number;
  readonly vol_marginal: number;
  readonly cvar_contribution: number;
  readonly cvar_share: number;
  readonly cvar_marginal: number;
}

/** `data/meta_attribution_{M}_{P}.json` */
export interface MetaAttributionDoc {
  readonly schema_version: 1;
  readonly meta_profile: string;
  readonly risk_profile: string;
  readonly method: string;
  readonly periods_per_year: number;
  readonly cvar_level: number;
  readonly observations: number;
  readonly first_date: string | null;
  readonly last_date: string | null;
  readonly totals: {
    readonly volatility: number;
    readonly cvar: number;
    readonly sharpe: number | null;
    readonly diversification_ratio: number | null;
    readonly effective_n: number | null;
    readonly leaf_diversification_ratio: number | null;
    readonly leaf_effective_n: number | null;
  };
  /** The level's own sleeves and branches (`kind` atomic or meta). */
  readonly sleeves: readonly (AttributionRow & { readonly kind: 'atomic' | 'meta' })[];
  /** Atomic sleeves at every depth, by path (`swiss/sectors`); weight = product along the path. */
  readonly leaves: readonly AttributionRow[];
  /** Physical assets: each leaf's contribution split by its gross exposure; weight = net weight. */
  readonly assets: readonly (AttributionRow & { readonly gross_weight: number })[];
  /** Contributions of leaves without physical exposure in the flattened file (0 when every leaf has). */
  readonly unassigned: { readonly vol_contribution: number; readonly cvar_contribution: number };
  readonly leave_one_out: readonly {
    readonly name: string;
    readonly remaining_weight: number;
    readonly volatility: number | null;
    readonly cvar: number | null;
    readonly sharpe: number | null;
  }[];
  readonly definitions: Readonly<Record<string, string>>;
}

const DEFINITIONS = {
  volatility:
    'annualised: sample covariance (ddof 1) of the level’s returns × periods_per_year; contribution w_i(Σw)_i/σ_p, marginal (Σw)_i/σ_p, share contribution/σ_p',
  cvar: 'historical, per period, positive for a loss: mean of the worst (1 − level)·T returns (fractional last scenario); contribution −w_i·Σ_j θ_j r_i(j), θ the tail weights',
  diversification_ratio: 'Σ w_i σ_i / σ_p',
  effective_n: '1 / Σ share_i² over the volatility shares (n when every holding contributes equally)',
  assets:
    'look-through: each atomic sleeve’s contribution split over its physical assets in proportion to its gross exposure |net| in the flattened portfolio; marginal = contribution / gross weight',
  leave_one_out:
    'the level without one sleeve, the other weights divided by their sum (not re-optimised); volatility and Sharpe annualised (r_f = 0), CVaR as above',
} as const;

interface Leaves {
  readonly paths: string[];
  readonly weights: number[];
  readonly columns: Float64Array[];
}

async function readJson<T>(env: MetaEnv, rel: string): Promise<T> {
  const file = join(env.ctx.runDir, rel);
  if (!existsSync(file)) {
    throw new QuantError('E_ARTIFACT_MISSING', `meta.attribution needs ${rel} in run ${env.ctx.runId}`, {
      location: { file: `runs/${env.ctx.runId}/${rel}` },
      hint: 'run meta.returns, meta.optimize and meta.flatten first',
    });
  }
  env.ctx.recordInput(file);
  await assertConfined(file, 'read');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new QuantError('E_INPUT_FORMAT', `${rel} is not valid JSON: ${(error as Error).message}`, {
      location: { file: `runs/${env.ctx.runId}/${rel}` },
    });
  }
}

async function readLevelTable(env: MetaEnv, profile: string) {
  const rel = metaArtifactPaths(profile, env.riskProfile).returns;
  const file = join(env.ctx.runDir, rel);
  if (!existsSync(file)) {
    throw new QuantError('E_ARTIFACT_MISSING', `meta.attribution needs ${rel} in run ${env.ctx.runId}`, {
      location: { file: `runs/${env.ctx.runId}/${rel}` },
      hint: 'run meta.returns first',
    });
  }
  env.ctx.recordInput(file);
  return readTable(file);
}

/** The atomic sleeves under `node` as columns on `dates` (a subset of each level's dates). */
async function collectLeaves(
  env: MetaEnv,
  node: MetaNode,
  prefix: string,
  scale: number,
  dates: readonly string[],
  out: Leaves,
): Promise<void> {
  const table = await readLevelTable(env, node.profile);
  const doc = await readJson<MetaOptimizedDoc>(
    env,
    metaArtifactPaths(node.profile, env.riskProfile).optimized,
  );
  const row = new Map(table.dates.map((d, t) => [d, t]));
  const rowOf = Int32Array.from(dates, (d) => row.get(d) ?? -1);
  for (const [j, id] of table.columns.entries()) {
    const w = scale * (doc.weights[id] ?? 0);
    const entry = node.sleeves.find((s) => s.id === id);
    if (entry?.kind === 'meta') {
      await collectLeaves(env, entry.node, `${prefix}${id}/`, w, dates, out);
      continue;
    }
    const source = table.values[j] as Float64Array;
    out.paths.push(`${prefix}${id}`);
    out.weights.push(w);
    out.columns.push(Float64Array.from(rowOf, (t) => source[t] ?? Number.NaN));
  }
}

function matrixOf(columns: readonly Float64Array[], T: number): Matrix {
  const n = columns.length;
  const data = new Float64Array(T * n);
  columns.forEach((col, j) => {
    for (let t = 0; t < T; t++) data[t * n + j] = col[t] as number;
  });
  return { rows: T, cols: n, data };
}

function rows(names: readonly string[], weights: ArrayLike<number>, a: RiskAttribution): AttributionRow[] {
  return names.map((name, i) => row(name, weights[i] as number, a.volatility, a.cvar, i));
}

function row(
  name: string,
  weight: number,
  vol: EulerDecomposition,
  cvar: EulerDecomposition,
  i: number,
): AttributionRow {
  return {
    name,
    weight,
    vol_contribution: vol.absolute[i] as number,
    vol_share: vol.percent[i] as number,
    vol_marginal: vol.marginal[i] as number,
    cvar_contribution: cvar.absolute[i] as number,
    cvar_share: cvar.percent[i] as number,
    cvar_marginal: cvar.marginal[i] as number,
  };
}

/** Physical assets by look-through of the leaves' contributions. */
function assetRows(
  flat: FlattenedMetaDoc,
  leaves: Leaves,
  leafAttribution: RiskAttribution,
): { assets: MetaAttributionDoc['assets']; unassigned: MetaAttributionDoc['unassigned'] } {
  const symbols = flat.assets.map((a) => a.Symbol);
  const exposures = new Float64Array(leaves.paths.length * symbols.length);
  leaves.paths.forEach((path, s) => {
    flat.assets.forEach((a, j) => (exposures[s * symbols.length + j] = a.Contributors[path] ?? 0));
  });
  const m = { rows: leaves.paths.length, cols: symbols.length, data: exposures };
  const vol = lookThrough(leafAttribution.volatility.absolute, m);
  const cvar = lookThrough(leafAttribution.cvar.absolute, m);
  const vt = leafAttribution.volatility.total;
  const ct = leafAttribution.cvar.total;
  const assets = flat.assets.map((a, j) => {
    const v = vol.assets[j] as number;
    const c = cvar.assets[j] as number;
    return {
      name: a.Symbol,
      weight: a.Net_Weight,
      gross_weight: a.Weight,
      vol_contribution: v,
      vol_share: vt !== 0 ? v / vt : 0,
      vol_marginal: a.Weight > 0 ? v / a.Weight : 0,
      cvar_contribution: c,
      cvar_share: ct !== 0 ? c / ct : 0,
      cvar_marginal: a.Weight > 0 ? c / a.Weight : 0,
    };
  });
  return { assets, unassigned: { vol_contribution: vol.unassigned, cvar_contribution: cvar.unassigned } };
}

/**
 * Compute the attribution of `node` for the env's risk profile (reads artifacts, writes nothing). Leaf
 * paths start with `prefix` (the sleeve ids from the root to `node`), as the flattened file's contributors.
 */
async function computeAttribution(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
): Promise<MetaAttributionDoc> {
  const P = env.riskProfile;
  const paths = metaArtifactPaths(node.profile, P);
  const table = await readLevelTable(env, node.profile);
  const optimized = await readJson<MetaOptimizedDoc>(env, paths.optimized);
  const flat = await readJson<FlattenedMetaDoc>(env, paths.flattened);
  const A = optimized.parameters['periods_per_year'];
  if (typeof A !== 'number' || !(A > 0)) {
    throw new QuantError('E_INPUT_FORMAT', `${paths.optimized} has no positive parameters.periods_per_year`, {
      location: { file: `runs/${env.ctx.runId}/${paths.optimized}` },
      hint: 'run meta.optimize again',
    });
  }
  const T = table.dates.length;
  const ids = [...table.columns];
  const weights = ids.map((id) => optimized.weights[id] ?? 0);
  const level = matrixOf(table.values, T);
  const options = { periodsPerYear: A, cvarLevel: ATTRIBUTION_CVAR_LEVEL };
  const top = riskAttribution(level, weights, options);
  const leaves: Leaves = { paths: [], weights: [], columns: [] };
  await collectLeaves(env, node, prefix.map((id) => `${id}/`).join(''), 1, table.dates, leaves);
  const leafAttribution = riskAttribution(matrixOf(leaves.columns, T), leaves.weights, options);
  const kinds = new Map(node.sleeves.map((s) => [s.id, s.kind]));
  const { assets, unassigned } = assetRows(flat, leaves, leafAttribution);
  return {
    schema_version: 1,
    meta_profile: node.profile,
    risk_profile: P,
    method: optimized.method,
    periods_per_year: A,
    cvar_level: ATTRIBUTION_CVAR_LEVEL,
    observations: T,
    first_date: table.dates[0] ?? null,
    last_date: table.dates[T - 1] ?? null,
    totals: {
      volatility: top.volatility.total,
      cvar: top.cvar.total,
      sharpe: sharpe(portfolioReturns(level, weights), A),
      diversification_ratio: top.diversificationRatio,
      effective_n: top.effectiveN,
      leaf_diversification_ratio: leafAttribution.diversificationRatio,
      leaf_effective_n: leafAttribution.effectiveN,
    },
    sleeves: rows(ids, weights, top).map((r) => ({ ...r, kind: kinds.get(r.name) ?? 'atomic' })),
    leaves: rows(leaves.paths, leaves.weights, leafAttribution),
    assets,
    unassigned,
    leave_one_out: leaveOneOut(level, weights, options).map((r) => ({
      name: ids[r.index] as string,
      remaining_weight: r.remainingWeight,
      volatility: r.volatility,
      cvar: r.cvar,
      sharpe: r.sharpe,
    })),
    definitions: DEFINITIONS,
  };
}

/** The contribution tables as one long Parquet table: level (sleeve, leaf, asset), name, figures. */
function recordColumns(doc: MetaAttributionDoc): RecordColumn[] {
  const all = [
    ...doc.sleeves.map((r) => ['sleeve', r] as const),
    ...doc.leaves.map((r) => ['leaf', r] as const),
    ...doc.assets.map((r) => ['asset', r] as const),
  ];
  const num = (name: keyof AttributionRow): RecordColumn => ({
    name,
    type: 'double',
    values: all.map(([, r]) => r[name] as number),
  });
  return [
    { name: 'level', type: 'string', values: all.map(([l]) => l) },
    { name: 'name', type: 'string', values: all.map(([, r]) => r.name) },
    num('weight'),
    num('vol_contribution'),
    num('vol_share'),
    num('vol_marginal'),
    num('cvar_contribution'),
    num('cvar_share'),
    num('cvar_marginal'),
  ];
}

/** Compute and write `meta_attribution_{M}_{P}.json` and `.parquet`; both are recorded outputs. */
export async function writeAttribution(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
): Promise<MetaAttributionDoc> {
  const doc = await computeAttribution(env, node, prefix);
  const files = attributionPaths(node.profile, env.riskProfile);
  const json = join(env.ctx.runDir, files.json);
  await writeJsonAtomic(json, doc);
  env.ctx.recordOutput(json);
  const parquet = join(env.ctx.runDir, files.parquet);
  await writeParquetRecords(parquet, recordColumns(doc));
  env.ctx.recordOutput(parquet);
  return doc;
}
