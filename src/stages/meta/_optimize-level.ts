import { join } from 'node:path';
import { writeJsonAtomic } from '../../artifacts/index.js';
import {
  optimizeWithFallback,
  resolveMethod,
  type OptimizeOptions,
} from '../../numeric/optimize/optimize-portfolio.js';
import type { MetaNode } from '../../manifest/index.js';
import type { PortfolioMethod } from '../../util/vocabulary.js';
import { assertLevelLimitsFeasible, levelLimits, limitRows } from './_level-limits.js';
import { exposureLimitRows, exposureRows, type ExposureRow } from './_exposure-limits.js';
import type { LinearConstraintRow } from '../../numeric/optimize/linear-constraints.js';
import { matrixToRows, type Matrix } from '../../numeric/linalg/matrix.js';
import type { LevelMatrix, MetaEnv } from './_level.js';
import {
  metaArtifactPaths,
  type LevelLimitRow,
  type MetaOptimizedDoc,
  type TurnoverRecord,
} from './_artifact-types.js';
import { levelTurnover, locateTurnoverError, recordTurnover, turnoverRecord } from './_turnover-level.js';

/**
 * The optimizer settings of a meta level, as the manifest gives them (`meta_allocation` and the level's
 * bounds): shared by meta.optimize, nested levels of meta.returns and meta.backtest. Without
 * `meta_allocation.covariance` the estimator is `auto` (Ledoit–Wolf below 3 observations per sleeve);
 * `ids` name the sleeves in error and fallback messages and pick the entries' `risk_budget` (read by
 * risk_parity only; budgets of excluded sleeves drop out and the rest are divided by their sum).
 */
export function levelOptimizeSettings(
  node: MetaNode,
  periodsPerYear: number,
  ids?: readonly string[],
  extra: readonly LinearConstraintRow[] = [],
): Omit<OptimizeOptions, 'method'> {
  const a = node.allocation;
  const budgets = node.riskBudget;
  return {
    periodsPerYear,
    ...levelLimits(node, ids, extra),
    covariance: a.covariance ?? 'auto',
    ...(ids === undefined ? {} : { labels: ids.map((id) => `sleeve ${id}`) }),
    ...(a.expected_returns === undefined ? {} : { expectedReturns: a.expected_returns }),
    ...(a.risk_free_rate === undefined ? {} : { riskFreeRate: a.risk_free_rate }),
    ...(a.linkage === undefined ? {} : { linkage: a.linkage }),
    ...(a.leaf_order === undefined ? {} : { leafOrder: a.leaf_order }),
    ...(a.cvar_level === undefined ? {} : { cvarLevel: a.cvar_level }),
    ...(budgets === undefined || ids === undefined
      ? {}
      : { riskBudget: ids.map((id) => budgets[id] ?? Number.NaN) }),
  };
}

/** Methods whose answer is projected onto the limits rather than optimized under them. */
const PROJECTED_METHODS = new Set<string>(['hrp', 'equal_weight', 'inverse_variance', 'barbell']);

function withCaps(
  own: { limits?: LevelLimitRow[] },
  caps: readonly LevelLimitRow[],
): { limits?: LevelLimitRow[] } {
  const all = [...(own.limits ?? []), ...caps];
  return all.length === 0 ? {} : { limits: all };
}

function exposureCaps(node: MetaNode): Pick<MetaOptimizedDoc, 'exposure_caps'> {
  const e = node.exposureLimits;
  if (e === undefined) return {};
  return {
    exposure_caps: {
      ...(e.maxWeight === undefined ? {} : { max_weight: e.maxWeight }),
      ...(e.symbols === undefined ? {} : { symbols: e.symbols }),
      ...(e.prefixes === undefined ? {} : { prefixes: e.prefixes }),
    },
  };
}

/**
 * A `meta.exposure_projection` decision: the method's weights without the exposure caps (its own limits
 * kept), the projected weights, and the caps that bind.
 */
async function recordProjection(
  env: MetaEnv,
  level: Pick<LevelMatrix, 'node' | 'ids' | 'periodsPerYear'>,
  matrix: Matrix,
  result: { readonly method: string; readonly weights: Float64Array },
  caps: readonly ExposureRow[],
): Promise<void> {
  const free = optimizeWithFallback(matrix, {
    method: resolveMethod(result.method),
    ...levelOptimizeSettings(level.node, level.periodsPerYear, level.ids),
  });
  const byId = (w: Float64Array): Record<string, number> =>
    Object.fromEntries(level.ids.map((id, i) => [id, w[i] as number]));
  const after = byId(result.weights);
  await env.ctx.decision('meta.exposure_projection', {
    meta_profile: level.node.profile,
    risk_profile: env.riskProfile,
    method: result.method,
    before: byId(free.weights),
    after,
    binding: exposureLimitRows(caps, level.ids, after)
      .filter((r) => r.binding)
      .map((r) => r.name),
  });
}

/** The level's columns as a T x n row-major matrix. */
function levelMatrix(level: Pick<LevelMatrix, 'dates' | 'columns'>): Matrix {
  const T = level.dates.length;
  const n = level.columns.length;
  const data = new Float64Array(T * n);
  level.columns.forEach((col, j) => {
    for (let t = 0; t < T; t++) data[t * n + j] = col[t] as number;
  });
  return { rows: T, cols: n, data };
}

type LevelInput = Pick<
  LevelMatrix,
  'node' | 'prefix' | 'ids' | 'dates' | 'columns' | 'periodsPerYear' | 'annualisation'
>;

/**
 * The level's weights under all its limits: the exposure caps as rows over its sleeves, the exact
 * feasibility check (E_INFEASIBLE_CONSTRAINTS naming the limits), the method with its fallback chain,
 * and the projection decision when the method's answer was projected onto the caps.
 */
async function solveLevel(
  env: MetaEnv,
  level: LevelInput,
  method: PortfolioMethod,
): Promise<{
  result: ReturnType<typeof optimizeWithFallback>;
  caps: ExposureRow[];
  turnover?: TurnoverRecord;
}> {
  const { node } = level;
  const caps = await exposureRows(env, node, level.prefix, level.ids);
  assertLevelLimitsFeasible(node, level.ids, env.resolved.doc.manifest_file, caps, env.riskProfile);
  const turnover = await levelTurnover(env, node, level.ids);
  const matrix = levelMatrix(level);
  let result: ReturnType<typeof optimizeWithFallback>;
  try {
    result = optimizeWithFallback(matrix, {
      method,
      ...levelOptimizeSettings(node, level.periodsPerYear, level.ids, caps),
      ...(turnover?.options === undefined ? {} : { turnover: turnover.options }),
    });
  } catch (error) {
    throw locateTurnoverError(error, env, node, level.ids, caps);
  }
  if (caps.length > 0 && PROJECTED_METHODS.has(result.method))
    await recordProjection(env, level, matrix, result, caps);
  if (turnover === undefined) return { result, caps };
  const record = turnoverRecord(node, turnover, level.ids, result.diagnostics);
  await recordTurnover(env, node, record);
  return { result, caps, turnover: record };
}

/**
 * Sleeve weights of one meta level by the risk profile's method with the level's own bounds and
 * allocation options, applying the declared fallback chain. Writes `meta_optimized` and
 * `meta_cluster_tree` for the level and records every fallback in the ledger.
 */
export async function optimizeLevel(env: MetaEnv, level: LevelInput): Promise<MetaOptimizedDoc> {
  const { ctx, riskProfile: P } = env;
  const { node } = level;
  const method = resolveMethod(P);
  const a = node.allocation;
  const { result, caps, turnover } = await solveLevel(env, level, method);
  const covariance = result.diagnostics['covariance'];
  if (a.covariance === undefined && covariance === 'ledoit_wolf') {
    await ctx.decision('meta.covariance_auto', {
      meta_profile: node.profile,
      risk_profile: P,
      covariance,
      rule: result.diagnostics['covariance_rule'],
    });
  }
  for (const step of result.fallbacks) {
    await ctx.decision('meta.optimize_fallback', {
      meta_profile: node.profile,
      risk_profile: P,
      failed_method: step.method,
      code: step.code,
      message: step.message,
      next: result.method,
    });
  }
  const weights: Record<string, number> = {};
  level.ids.forEach((id, i) => (weights[id] = result.weights[i] as number));
  const doc: MetaOptimizedDoc = {
    schema_version: 1,
    meta_profile: node.profile,
    risk_profile: P,
    method: result.method,
    requested_method: method,
    sleeves: level.ids.map((id) => ({ id, weight: weights[id] as number })),
    weights,
    bounds: { min_weight: node.bounds.minWeight, max_weight: node.bounds.maxWeight },
    ...withCaps(limitRows(node, level.ids, weights), exposureLimitRows(caps, level.ids, weights)),
    ...exposureCaps(node),
    ...(turnover === undefined ? {} : { turnover }),
    parameters: {
      periods_per_year: level.periodsPerYear,
      covariance,
      expected_returns: a.expected_returns ?? 'mean',
      risk_free_rate: a.risk_free_rate ?? 0,
      linkage: a.linkage ?? 'single',
      leaf_order: a.leaf_order ?? 'dendrogram',
      cvar_level: a.cvar_level ?? 0.95,
    },
    annualisation: level.annualisation,
    diagnostics: {
      ...result.diagnostics,
      observations: level.dates.length,
      first_date: level.dates[0] ?? null,
      last_date: level.dates[level.dates.length - 1] ?? null,
      weight_sum: level.ids.reduce((s, id) => s + (weights[id] as number), 0),
    },
    fallback_chain: result.fallbacks.map((f) => ({ method: f.method, code: f.code, message: f.message })),
  };
  const files = metaArtifactPaths(node.profile, P);
  const optimizedFile = join(ctx.runDir, files.optimized);
  await writeJsonAtomic(optimizedFile, doc);
  ctx.recordOutput(optimizedFile);
  const tree = result.tree;
  const treeDoc =
    tree === undefined
      ? {
          schema_version: 1,
          meta_profile: node.profile,
          risk_profile: P,
          method: result.method,
          tree: null,
          labels: level.ids,
          weights,
        }
      : {
          schema_version: 1,
          meta_profile: node.profile,
          risk_profile: P,
          method: result.method,
          linkage_method: a.linkage ?? 'single',
          leaf_order: a.leaf_order ?? 'dendrogram',
          labels: level.ids,
          order: tree.order.map((i) => level.ids[i]),
          linkage: matrixToRows(tree.linkage),
          nodes: tree.nodes.map((nd) => ({ ...nd, label: nd.left === null ? level.ids[nd.id] : null })),
          weights,
        };
  const treeFile = join(ctx.runDir, files.clusterTree);
  await writeJsonAtomic(treeFile, treeDoc);
  ctx.recordOutput(treeFile);
  return doc;
}
