import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { QuantError } from '../../errors.js';
import type { MetaNode } from '../../manifest/index.js';
import { assertConfined, readPhysicalWeights, writeJsonAtomic } from '../../artifacts/index.js';
import type { MetaEnv } from './_level.js';
import {
  metaArtifactPaths,
  type FlatAsset,
  type FlattenedMetaDoc,
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
    return JSON.parse(await readFile(file, 'utf8')) as MetaOptimizedDoc;
  } catch (error) {
    throw new QuantError('E_INPUT_FORMAT', `${rel} is not valid JSON: ${(error as Error).message}`, {
      location: { file: `runs/${env.ctx.runId}/${rel}` },
    });
  }
}

/**
 * Physical exposure of one meta level for the risk profile: Σ over its weighted sleeves of weight × the
 * sleeve's physical net weights (nested levels recursively), per symbol, with contributors by sleeve
 * path. Writes the level's `portfolio_optimized_meta` file (nested levels too).
 */
export async function flattenLevel(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
): Promise<FlattenedMetaDoc> {
  const optimized = await readOptimized(env, node.profile);
  const exposures = new Map<string, Exposure>();
  const missing: { path: string; reason: string }[] = [];
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
      const runPath = env.resolved.sleeveRunPath(path);
      const weights = await readPhysicalWeights(runPath);
      const rows = weights?.profiles.get(env.riskProfile);
      if (weights === null || rows === undefined) {
        missing.push({
          path: label,
          reason:
            weights === null
              ? 'no data/portfolio_flattened.json'
              : `no ${env.riskProfile} weights in data/portfolio_flattened.json`,
        });
        continue;
      }
      env.ctx.recordInput(weights.file);
      for (const r of rows) add(r.Symbol, label, w * r.Net_Weight);
    } else {
      const sub = await flattenLevel(env, sleeve.node, path);
      for (const m of sub.missing) missing.push(m);
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
    missing,
  };
  const file = join(env.ctx.runDir, metaArtifactPaths(node.profile, env.riskProfile).flattened);
  await writeJsonAtomic(file, doc);
  env.ctx.recordOutput(file);
  return doc;
}
