import { join, resolve } from 'node:path';
import { runDir, withRunLock, writeJsonAtomic } from '../artifacts/index.js';
import { validateMetaRun, type ValidationVerdict } from '../stages/meta/validate-run.js';
import { computeMetaResolution } from '../stages/meta/_resolve.js';
import { metaCacheHooks, metaCacheKey, type MetaCacheHooks } from './meta-cache.js';
import { readManifest, resolveMetaTree, resolveRiskProfiles } from '../manifest/index.js';
import type { PipelineRunResult, QuantSDK, RunOptions } from './quant-sdk.js';

export interface MetaRunOptions extends RunOptions {
  /** Risk profiles to run (overrides the manifest). */
  readonly riskProfiles?: readonly string[];
  /** Use the content-addressed cache under `<workspace>/.cache/` (default true). */
  readonly cache?: boolean;
  /** Runs to use for unpinned atomic sleeves, by profile (e.g. just produced by `--execute-sleeves`). */
  readonly sleeveRuns?: Readonly<Record<string, string>>;
}

export interface MetaRunResult extends PipelineRunResult {
  readonly metaProfile: string;
  readonly riskProfiles: readonly string[];
  /** Absolute path of the Markdown report. */
  readonly reportPath: string;
  readonly signTestGate: boolean;
  /** True when every stage but the report was restored from the cache. */
  readonly cacheHit: boolean;
}

/** Name of the built-in pipeline for a meta run, with or without the directional sign-test gate. */
export function metaPipelineName(gated: boolean): string {
  return gated ? 'meta.gated' : 'meta';
}

/**
 * `quant meta run`: validate the manifest and the tree of `metaProfile` before any work (so that an
 * invalid manifest, a cycle or infeasible bounds never create a run folder), then run the meta pipeline
 * — with `meta.sign_test` first when the root enables `features.directional_sign_test_gate`.
 */
export async function runMetaPipeline(
  sdk: QuantSDK,
  metaProfile: string,
  options: MetaRunOptions = {},
): Promise<MetaRunResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const workspace = resolve(cwd, options.workspace ?? env['QUANT_WORKSPACE'] ?? '.');
  const manifestPath = resolve(cwd, options.manifest ?? resolve(workspace, 'manifest.json'));
  const { manifest, file } = await readManifest(manifestPath);
  const root = resolveMetaTree(manifest, metaProfile, { file });
  if (options.riskProfiles !== undefined) resolveRiskProfiles(root, manifest, options.riskProfiles);
  const gated = root.features.directionalSignTestGate;
  const params: Record<string, unknown> = { meta_profile: metaProfile };
  if (options.riskProfiles !== undefined) params['risk_profiles'] = [...options.riskProfiles];
  if (options.sleeveRuns !== undefined) params['sleeve_runs'] = { ...options.sleeveRuns };
  const pipeline = metaPipelineName(gated);
  let hooks: MetaCacheHooks | undefined;
  if (options.cache !== false) {
    const { doc } = await computeMetaResolution(workspace, manifestPath, metaProfile, options.riskProfiles, options.sleeveRuns);
    hooks = metaCacheHooks(workspace, await metaCacheKey(workspace, doc, pipeline, params));
  }
  const result = await sdk.runPipeline(pipeline, params, { ...options, cwd, workspace, manifest: manifestPath }, hooks);
  const returns = result.stages.find((s) => s.stageId === 'meta.returns');
  const riskProfiles = ((returns?.value as { risk_profiles?: string[] } | undefined)?.risk_profiles ??
    []) as string[];
  return {
    ...result,
    metaProfile,
    riskProfiles,
    reportPath: resolve(result.runDir, 'reports', 'meta_portfolio_report.md'),
    signTestGate: gated,
    cacheHit: hooks?.hit() ?? false,
  };
}

/**
 * `quant meta validate`: check a finished meta run and write the verdict to
 * `reports/meta_validation.json` (under the run lock). Resolves with the verdict; failed checks are
 * data, not exceptions.
 */
export async function validateMetaRunAndRecord(
  workspaceDir: string,
  runId: string,
): Promise<{ verdict: ValidationVerdict; file: string }> {
  const workspace = resolve(workspaceDir);
  const verdict = await validateMetaRun(workspace, runId);
  const dir = runDir(workspace, runId);
  const file = join(dir, 'reports', 'meta_validation.json');
  await withRunLock(dir, { command: 'meta validate' }, () => writeJsonAtomic(file, verdict));
  return { verdict, file };
}
