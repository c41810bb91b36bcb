/**
 * `quant manifest migrate`: read the predecessor's manifest, migrate it (`manifest/migrate-predecessor`),
 * check the result with the manifest loader and write it atomically — never over an existing file unless
 * asked to.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { QuantError } from '../errors.js';
import { writeFileAtomic, writeFileAtomicExclusive } from '../artifacts/index.js';
import {
  isMetaProfile,
  migratePredecessorManifest,
  parseJsonWithLocations,
  parseManifest,
  type ManifestProblem,
  type MigrationChange,
} from '../manifest/index.js';

export interface MigrateManifestOptions {
  /** The predecessor manifest (e.g. `configs/manifest.json`). */
  readonly input: string;
  /** Where to write the metafolio manifest. */
  readonly output: string;
  /** Replace `output` if it exists (default: refuse with `E_OUTPUT_EXISTS`). */
  readonly force?: boolean;
}

export interface MigrateManifestResult {
  readonly input: string;
  readonly output: string;
  /** Profiles written, by kind. */
  readonly metaProfiles: readonly string[];
  readonly sleeveProfiles: readonly string[];
  /** What was dropped, changed, or kept with a note (JSON paths of the input). */
  readonly changes: readonly MigrationChange[];
  /**
   * Profiles written that are still invalid (their problems located in the output file): runs that use
   * them fail until they are fixed; the others run.
   */
  readonly invalid: readonly { readonly profile: string; readonly problems: readonly ManifestProblem[] }[];
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new QuantError('E_INPUT_NOT_FOUND', `predecessor manifest ${file} does not exist`, {
        location: { file },
        hint: "pass the predecessor's configs/manifest.json",
        cause: error,
      });
    throw new QuantError('E_INPUT_FORMAT', `cannot read ${file}: ${(error as Error).message}`, {
      location: { file },
      cause: error,
    });
  }
}

/** Migrate the predecessor manifest `input` into `output` (see {@link MigrateManifestOptions}). */
export async function migrateManifestFile(options: MigrateManifestOptions): Promise<MigrateManifestResult> {
  const input = resolve(options.input);
  const output = resolve(options.output);
  const { value } = parseJsonWithLocations(await readInput(input), input);
  const migration = migratePredecessorManifest(value, input);
  const text = `${JSON.stringify(migration.manifest, null, 2)}\n`;
  // Document-level problems cannot occur (the migration writes only manifest keys); profile problems
  // are reported, and the manifest is still usable for every other profile.
  const loaded = parseManifest(text, output);
  if (options.force === true) await writeFileAtomic(output, text);
  else await writeFileAtomicExclusive(output, text);
  const profiles = Object.entries(loaded.profiles);
  return {
    input,
    output,
    metaProfiles: profiles.filter(([, p]) => isMetaProfile(p)).map(([n]) => n),
    sleeveProfiles: profiles.filter(([, p]) => !isMetaProfile(p)).map(([n]) => n),
    changes: migration.changes,
    invalid: Object.entries(loaded.invalid ?? {}).map(([profile, p]) => ({ profile, problems: p.problems })),
  };
}
