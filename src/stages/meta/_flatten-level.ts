import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { QuantError } from '../../errors.js';
import type { MetaNode } from '../../manifest/index.js';
import {
  ATOM_WEIGHTS_FILE,
  PHYSICAL_WEIGHTS_FILE,
  assertConfined,
  displayPath,
  readSleeveExposure,
  writeJsonAtomic,
  type PhysicalWeight,
} from '../../artifacts/index.js';
import type { MetaEnv } from './_level.js';
import {
  metaArtifactPaths,
  type FlatAsset,
  type FlattenedMetaDoc,
  type WeightsFallback,
  type MetaOptimizedDoc,
} from './_artifact-types.js';

/** Rows whose |net| is below this are dropped (DESIGN §6). */
export const NET_EPSILON = 1e-9;

interface Exposure {
  net: number;
  contributors: Map<string, number>;
}

async function readOptimized(env: MetaEnv, profile: string): Promise<MetaOptimizedDoc> {
  const rel = metaArtifactPaths(profile, env.riskProfile).optimized;
  const file = join(env.ctx.runDir, rel);
  if (!existsSync(file)) {
    throw new QuantError('E_ARTIFACT_MISSING', `meta.flatten needs ${rel} in run ${env.ctx.runId}`, {
      location: { file: `runs/${env.ctx.runId}/${rel}` },
      hint: 'run meta.returns and meta.optimize first',
    });
  }
  env.ctx.recordInput(file);
  await assertConfined(file, 'read');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as MetaOptimizedDoc;
  } catch (error) {
    throw new QuantError('E_INPUT_FORMAT', `${rel} is not valid JSON: ${(error as Error).message}`, {
      location: { file: `runs/${env.ctx.runId}/${rel}` },
    });
  }
}

/**
 * The physical net weights of an atomic sleeve for the level's risk profile (see `readSleeveExposure`):
 * its flattened file's rows, or — when that file lacks the profile — its atoms summed per physical symbol
 * with the suffix rule, recorded as a `meta.flatten_fallback` decision and in the level's artifact.
 * A risk profile in neither file is `E_WEIGHTS_PROFILE_MISSING` naming the sleeve, the file and the fix.
 */
async function sleeveRows(
  env: MetaEnv,
  node: MetaNode,
  path: readonly string[],
  fallbacks: WeightsFallback[],
): Promise<readonly PhysicalWeight[]> {
  const label = path.join('/');
  const runId = env.resolved.sleeve(path).run_id;
  const runPath = env.resolved.sleeveRunPath(path);
  let exposure;
  try {
    exposure = await readSleeveExposure(runPath, env.riskProfile);
  } catch (error) {
    if (!(error instanceof QuantError)) throw error;
    throw new QuantError(error.code, `sleeve ${label} (run ${runId}): ${error.message}`, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.location === undefined ? {} : { location: error.location }),
      details: { ...error.details, sleeve: label, run_id: runId },
      cause: error,
    });
  }
  for (const f of exposure.files) env.ctx.recordInput(f);
  if (exposure.source === 'atoms') {
    const fallback: WeightsFallback = {
      path: label,
      run_id: runId,
      from: PHYSICAL_WEIGHTS_FILE,
      to: ATOM_WEIGHTS_FILE,
      reason: `${PHYSICAL_WEIGHTS_FILE} has no ${env.riskProfile} weights (it has ${exposure.flattenedProfiles.join(', ') || 'none'}); the ${env.riskProfile} atoms of ${ATOM_WEIGHTS_FILE} were summed per physical symbol, SHORT by their _SHORT suffix`,
      symbols: exposure.rows.length,
    };
    fallbacks.push(fallback);
    await env.ctx.decision('meta.flatten_fallback', {
      meta_profile: node.profile,
      risk_profile: env.riskProfile,
      sleeve: label,
      run_id: runId,
      from: displayPath(env.ctx.workspace, exposure.files[0] as string),
      to: displayPath(env.ctx.workspace, exposure.files[1] as string),
      reason: fallback.reason,
      symbols: fallback.symbols,
    });
  }
  return exposure.rows;
}

/**
 * Physical exposure of one meta level for the risk profile: Σ over its weighted sleeves of weight × the
 * sleeve's physical net weights (nested levels recursively), per symbol, with contributors by sleeve
 * path. Writes the level's `portfolio_optimized_meta` file (nested levels too). Every weighted sleeve
 * contributes: weights taken from another file than the flattened one are listed in `weights_fallbacks`
 * (and in the ledger); weights found nowhere are an error, never a silently smaller portfolio.
 */
export async function flattenLevel(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
): Promise<FlattenedMetaDoc> {
  const optimized = await readOptimized(env, node.profile);
  const exposures = new Map<string, Exposure>();
  const fallbacks: WeightsFallback[] = [];
  const add = (symbol: string, contributor: string, amount: number): void => {
    let e = exposures.get(symbol);
    if (e === undefined) exposures.set(symbol, (e = { net: 0, contributors: new Map() }));
    e.net += amount;
    e.contributors.set(contributor, (e.contributors.get(contributor) ?? 0) + amount);
  };
  for (const sleeve of node.sleeves) {
    const w = optimized.weights[sleeve.id];
    if (w === undefined) continue; // excluded at this level
    const path = [...prefix, sleeve.id];
    const label = path.join('/');
    if (sleeve.kind === 'atomic') {
      for (const r of await sleeveRows(env, node, path, fallbacks)) add(r.Symbol, label, w * r.Net_Weight);
    } else {
      const sub = await flattenLevel(env, sleeve.node, path);
      for (const f of sub.weights_fallbacks) fallbacks.push(f);
      for (const a of sub.assets) {
        for (const [c, v] of Object.entries(a.Contributors)) add(a.Symbol, c, w * v);
      }
    }
  }
  const assets: FlatAsset[] = [...exposures.entries()]
    .filter(([, e]) => Math.abs(e.net) >= NET_EPSILON)
    .map(([symbol, e]) => ({
      Symbol: symbol,
      Weight: Math.abs(e.net),
      Net_Weight: e.net,
      Direction: e.net < 0 ? ('SHORT' as const) : ('LONG' as const),
      Contributors: Object.fromEntries(
        [...e.contributors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
    }))
    .sort((a, b) => b.Weight - a.Weight || (a.Symbol < b.Symbol ? -1 : a.Symbol > b.Symbol ? 1 : 0));
  let long = 0;
  let short = 0;
  for (const a of assets) {
    if (a.Net_Weight > 0) long += a.Net_Weight;
    else short += a.Net_Weight;
  }
  const doc: FlattenedMetaDoc = {
    schema_version: 1,
    meta_profile: node.profile,
    risk_profile: env.riskProfile,
    assets,
    totals: { gross: long - short, net: long + short, long, short, assets: assets.length },
    weights_fallbacks: fallbacks,
  };
  const file = join(env.ctx.runDir, metaArtifactPaths(node.profile, env.riskProfile).flattened);
  await writeJsonAtomic(file, doc);
  env.ctx.recordOutput(file);
  return doc;
}
