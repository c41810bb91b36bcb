/**
 * `quant manifest check`: validate a whole manifest — every profile, used by a run or not — and fail with
 * one `E_MANIFEST` listing every problem at once, each with its JSON path and line.
 */
import { resolve } from 'node:path';
import { assertManifestValid, isMetaProfile, readManifest } from '../manifest/index.js';

export interface ManifestCheckResult {
  /** Absolute path of the manifest checked. */
  readonly file: string;
  readonly metaProfiles: readonly string[];
  readonly sleeveProfiles: readonly string[];
}

/** Read and check the manifest at `path`; resolves only when no profile has a problem. */
export async function checkManifestFile(path: string): Promise<ManifestCheckResult> {
  const { manifest, file } = await readManifest(resolve(path));
  assertManifestValid(manifest, file);
  const profiles = Object.entries(manifest.profiles);
  return {
    file,
    metaProfiles: profiles.filter(([, p]) => isMetaProfile(p)).map(([n]) => n),
    sleeveProfiles: profiles.filter(([, p]) => !isMetaProfile(p)).map(([n]) => n),
  };
}
