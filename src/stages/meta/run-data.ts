/**
 * A finished meta run read back for a viewer (`quant serve`): the report's figures of every risk profile
 * (the same loader `meta.report` renders), the fractal tree of levels and sleeves with their weights,
 * bounds and methods, and the resolved manifest. Read only; nothing is recorded.
 */
import { join } from 'node:path';
import type { MetaReportData } from '../../report/index.js';
import { metaArtifactPaths } from './_artifact-types.js';
import { loadMetaReportData } from './_report-data.js';
import { manifestDocSchema, optimizedDocSchema, readJsonArtifact } from './_report-docs.js';
import { riskProfilesOf } from './report.js';

/** DESIGN §3: nesting depth is at most 4 (a hand-edited artifact cannot make the walk loop). */
const MAX_NESTING = 4;

/** One level of the fractal tree: a meta level (with children) or an atomic sleeve (a leaf). */
export interface MetaTreeNode {
  /** Sleeve id (the meta profile for the root). */
  readonly id: string;
  /** Sleeve ids from the root, `/`-separated (`''` for the root). */
  readonly path: string;
  readonly kind: 'meta' | 'atomic';
  /** The manifest profile behind the node (meta profile or sleeve profile). */
  readonly profile: string | null;
  /** The sleeve run an atomic node read; null for meta levels. */
  readonly run_id: string | null;
  /** Weight inside its parent level (1 for the root). */
  readonly weight: number;
  /** Weight in the root portfolio: the product of the weights along the path. */
  readonly effective_weight: number;
  /** Meta levels: the method used (after any fallback) and the one requested. */
  readonly method: string | null;
  readonly requested_method: string | null;
  /**
   * Meta levels: the box bounds of the level's optimisation, i.e. the range of each of its children's
   * weights (not of this node's own weight, which its parent's bounds limit).
   */
  readonly bounds: { readonly min_weight: number; readonly max_weight: number } | null;
  /** Meta levels: the methods that failed before `method`, with their codes. */
  readonly fallbacks: readonly { readonly method: string; readonly code: string; readonly message: string }[];
  /** A meta level whose own artifacts are missing: the run-relative file, else null. */
  readonly omitted: string | null;
  readonly children: readonly MetaTreeNode[];
}

export interface MetaRunData {
  readonly report: MetaReportData;
  /** One tree per risk profile, in the order of `report.riskProfiles`. */
  readonly trees: readonly MetaTreeNode[];
}

interface Level {
  readonly runDir: string;
  readonly riskProfile: string;
  readonly id: string;
  readonly path: string;
  readonly profile: string;
  readonly weight: number;
  readonly effective: number;
  readonly seen: ReadonlySet<string>;
}

/** A meta level and, depth first, everything below it. */
async function metaLevel(l: Level): Promise<MetaTreeNode> {
  const paths = metaArtifactPaths(l.profile, l.riskProfile);
  const optimized = await readJsonArtifact(
    join(l.runDir, paths.optimized),
    paths.optimized,
    optimizedDocSchema,
  );
  const manifest = await readJsonArtifact(join(l.runDir, paths.manifest), paths.manifest, manifestDocSchema);
  const node = {
    id: l.id,
    path: l.path,
    kind: 'meta' as const,
    profile: l.profile,
    run_id: null,
    weight: l.weight,
    effective_weight: l.effective,
  };
  if (optimized === undefined) {
    const none = { method: null, requested_method: null, bounds: null, fallbacks: [], children: [] };
    return { ...node, ...none, omitted: paths.optimized };
  }
  const included = new Map(manifest?.included.map((s) => [s.id, s] as const) ?? []);
  const children: MetaTreeNode[] = [];
  for (const s of optimized.sleeves) {
    const inc = included.get(s.id);
    const path = l.path === '' ? s.id : `${l.path}/${s.id}`;
    const effective = l.effective * s.weight;
    if (inc?.kind === 'meta' && !l.seen.has(inc.profile) && l.seen.size < MAX_NESTING) {
      const seen = new Set([...l.seen, inc.profile]);
      children.push(
        await metaLevel({ ...l, id: s.id, path, profile: inc.profile, weight: s.weight, effective, seen }),
      );
      continue;
    }
    children.push({
      id: s.id,
      path,
      kind: inc?.kind ?? 'atomic',
      profile: inc?.profile ?? null,
      run_id: inc?.run_id ?? null,
      weight: s.weight,
      effective_weight: effective,
      method: null,
      requested_method: null,
      bounds: null,
      fallbacks: [],
      omitted: inc === undefined ? paths.manifest : null,
      children: [],
    });
  }
  return {
    ...node,
    method: optimized.method,
    requested_method: optimized.requested_method,
    bounds: { min_weight: optimized.bounds.min_weight, max_weight: optimized.bounds.max_weight },
    fallbacks: optimized.fallback_chain.map((f) => ({ method: f.method, code: f.code, message: f.message })),
    omitted: manifest === undefined ? paths.manifest : null,
    children,
  };
}

/** The fractal tree of meta profile `metaProfile` in risk profile `riskProfile` of a run folder. */
function readMetaRunTree(runDir: string, metaProfile: string, riskProfile: string): Promise<MetaTreeNode> {
  return metaLevel({
    runDir,
    riskProfile,
    id: metaProfile,
    path: '',
    profile: metaProfile,
    weight: 1,
    effective: 1,
    seen: new Set([metaProfile]),
  });
}

/**
 * The report figures and the trees of a meta run, for the risk profiles of its resolved manifest. Errors
 * are the report's: `E_ARTIFACT_MISSING` (no resolved manifest, no returns or optimisation), and
 * `E_INPUT_FORMAT` for a damaged artifact.
 */
export async function readMetaRunData(
  runDir: string,
  run: {
    readonly run_id: string;
    readonly profile: string;
    readonly created_at: string;
    readonly tool_version: string;
  },
): Promise<MetaRunData> {
  const ignore = (): void => undefined;
  const riskProfiles = await riskProfilesOf(runDir, undefined, ignore);
  const report = await loadMetaReportData({
    runDir,
    runId: run.run_id,
    metaProfile: run.profile,
    riskProfiles,
    createdAt: run.created_at,
    toolVersion: run.tool_version,
    recordInput: ignore,
  });
  const trees: MetaTreeNode[] = [];
  for (const p of riskProfiles) trees.push(await readMetaRunTree(runDir, run.profile, p));
  return { report, trees };
}
