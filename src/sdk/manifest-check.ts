/**
 * `quant manifest check`: validate a whole manifest — every profile, used by a run or not — and fail with
 * one `E_MANIFEST` listing every problem at once, each with its JSON path and line; then
 * `E_INFEASIBLE_CONSTRAINTS` when a meta level's sleeve and group limits cannot hold together.
 */
import { resolve } from 'node:path';
import {
  assertManifestValid,
  isMetaProfile,
  parseJsonWithLocations,
  readManifest,
  resolveMetaTree,
} from '../manifest/index.js';
import { assertTreeLimitsFeasible } from '../stages/index.js';

export interface ManifestCheckResult {
  /** Absolute path of the manifest checked. */
  readonly file: string;
  readonly metaProfiles: readonly string[];
  readonly sleeveProfiles: readonly string[];
}

/** Read and check the manifest at `path`; resolves only when no profile has a problem. */
export async function checkManifestFile(path: string): Promise<ManifestCheckResult> {
  const { manifest, file, text } = await readManifest(resolve(path));
  assertManifestValid(manifest, file);
  const profiles = Object.entries(manifest.profiles);
  // The tree's own errors (E_DEPTH, E_CYCLE...) carry their line, as in a run.
  const { lineOf } = parseJsonWithLocations(text, file);
  // Sleeve and group limits that can never hold together fail here, as they would before a run.
  for (const [name, p] of profiles)
    if (isMetaProfile(p)) assertTreeLimitsFeasible(resolveMetaTree(manifest, name, { file, lineOf }), file);
  return {
    file,
    metaProfiles: profiles.filter(([, p]) => isMetaProfile(p)).map(([n]) => n),
    sleeveProfiles: profiles.filter(([, p]) => !isMetaProfile(p)).map(([n]) => n),
  };
}
