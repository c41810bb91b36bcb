/**
 * `exposure_limits` of a meta level: caps on the physical positions its flattened portfolio holds. With
 * the lower levels fixed, the flattened net weight of symbol i is Σ_j w_j E_ij, linear in the level's
 * sleeve weights w (E_ij: symbol i's net weight in sleeve j's own flattened portfolio), so each cap is an
 * exact linear constraint of the level's problem.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { assertConfined, readSleeveExposure } from '../../artifacts/index.js';
import { formatJsonPath, type MetaNode } from '../../manifest/index.js';
import type { MetaEnv } from './_level.js';
import { LIMIT_TOLERANCE, type SourcedRow } from './_level-limits.js';
import { metaArtifactPaths, type LevelLimitRow, type MetaOptimizedDoc } from './_artifact-types.js';

/** A cap as a row over the level's sleeves, with the symbols it covers. */
export interface ExposureRow extends SourcedRow {
  readonly members: readonly string[];
}

type Exposure = Map<string, number>;

/** Net weight per symbol of one unit of sleeve `id` of `node` (nested levels through their weights). */
async function sleeveExposure(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
  id: string,
): Promise<Exposure> {
  const out: Exposure = new Map();
  const sleeve = node.sleeves.find((s) => s.id === id);
  if (sleeve === undefined) return out;
  const path = [...prefix, id];
  if (sleeve.kind === 'atomic') {
    const exposure = await readSleeveExposure(env.resolved.sleeveRunPath(path), env.riskProfile);
    for (const r of exposure.rows) out.set(r.Symbol, (out.get(r.Symbol) ?? 0) + r.Net_Weight);
    return out;
  }
  const file = join(env.ctx.runDir, metaArtifactPaths(sleeve.node.profile, env.riskProfile).optimized);
  await assertConfined(file, 'read');
  const doc = JSON.parse(await readFile(file, 'utf8')) as MetaOptimizedDoc;
  for (const [child, w] of Object.entries(doc.weights)) {
    for (const [symbol, v] of await sleeveExposure(env, sleeve.node, path, child))
      out.set(symbol, (out.get(symbol) ?? 0) + w * v);
  }
  return out;
}

/**
 * The level's caps as rows over its sleeves `ids`. A per-symbol cap c is the two-sided row
 * −c ≤ Σ_j w_j E_ij ≤ c, written only where some sleeve alone holds more than c (otherwise no weights
 * summing to 1 can break it); a prefix cap bounds the summed net weight of its symbols the same way.
 */
export async function exposureRows(
  env: MetaEnv,
  node: MetaNode,
  prefix: readonly string[],
  ids: readonly string[],
): Promise<ExposureRow[]> {
  const limits = node.exposureLimits;
  if (limits === undefined) return [];
  const exposures = await Promise.all(ids.map((id) => sleeveExposure(env, node, prefix, id)));
  const symbols = [...new Set(exposures.flatMap((e) => [...e.keys()]))].sort();
  const at = (...rest: string[]): string =>
    formatJsonPath(['profiles', node.profile, 'exposure_limits', ...rest]);
  const coefficients = (members: readonly string[]): number[] =>
    exposures.map((e) => members.reduce((s, m) => s + (e.get(m) ?? 0), 0));
  const rows: ExposureRow[] = [];
  for (const symbol of symbols) {
    const own = limits.symbols?.[symbol];
    const cap = own ?? limits.maxWeight;
    if (cap === undefined) continue;
    const a = coefficients([symbol]);
    if (Math.max(...a.map(Math.abs)) <= cap) continue;
    const path = own === undefined ? at('max_weight') : at('symbols', symbol);
    rows.push({
      name: `cap ${symbol}`,
      coefficients: a,
      lower: -cap,
      upper: cap,
      members: [symbol],
      paths: { min: path, max: path },
    });
  }
  for (const [p, cap] of Object.entries(limits.prefixes ?? {})) {
    const members = symbols.filter((s) => s.startsWith(p));
    const a = coefficients(members);
    if (members.length === 0 || Math.max(...a.map(Math.abs)) <= cap) continue;
    const path = at('prefixes', p);
    rows.push({
      name: `prefix ${p}`,
      coefficients: a,
      lower: -cap,
      upper: cap,
      members,
      paths: { min: path, max: path },
    });
  }
  return rows;
}

/** The caps' rows of `meta_optimized.limits`: the flattened net weight each reaches, binding or not. */
export function exposureLimitRows(
  rows: readonly ExposureRow[],
  ids: readonly string[],
  weights: Readonly<Record<string, number>>,
): LevelLimitRow[] {
  return rows.map((r) => {
    const value = ids.reduce((s, id, j) => s + (r.coefficients[j] as number) * (weights[id] as number), 0);
    const max = r.upper as number;
    return {
      name: r.name,
      kind: 'exposure' as const,
      members: [...r.members],
      min: -max,
      max,
      value,
      binding: Math.abs(Math.abs(value) - max) <= LIMIT_TOLERANCE,
    };
  });
}

/** Every cap of the level that its flattened assets break by more than {@link LIMIT_TOLERANCE}. */
export function exposureViolations(
  node: MetaNode,
  assets: readonly { readonly Symbol: string; readonly Net_Weight: number }[],
): string[] {
  const limits = node.exposureLimits;
  if (limits === undefined) return [];
  const out: string[] = [];
  for (const a of assets) {
    const cap = limits.symbols?.[a.Symbol] ?? limits.maxWeight;
    if (cap !== undefined && Math.abs(a.Net_Weight) > cap + LIMIT_TOLERANCE)
      out.push(`${a.Symbol}: |net| ${Math.abs(a.Net_Weight)} above its cap ${cap}`);
  }
  for (const [p, cap] of Object.entries(limits.prefixes ?? {})) {
    const net = assets.filter((a) => a.Symbol.startsWith(p)).reduce((s, a) => s + a.Net_Weight, 0);
    if (Math.abs(net) > cap + LIMIT_TOLERANCE) out.push(`prefix ${p}: net ${net} beyond its cap ${cap}`);
  }
  return out;
}
