/**
 * The content key of a sleeve production (`--execute-sleeves`): SHA-256 of the canonical JSON of
 * everything that determines what `sleeve.backtest` writes for a profile — the tool version, the stage
 * and its params, the profile's resolved sleeve spec (the manifest subtree the run records in
 * `config/resolved_manifest.json`), the manifest's and the prices file's paths, the prices file's bytes
 * (their SHA-256), and the clock when it is pinned (`SOURCE_DATE_EPOCH`; `null` when each run takes the
 * current second). Other profiles of the manifest are not part of it: editing them changes no byte of
 * this sleeve's returns or weights.
 *
 * A sleeve job records its key as a `sleeve.key` decision, the last record of the run's ledger (so it is
 * covered by the chain and the anchor in run.json); the coordinator finds reusable runs by it
 * (sleeve-reuse.ts).
 */
import { dirname, resolve } from 'node:path';
import { canonicalJson, displayPath, sha256File, sha256Hex } from '../artifacts/index.js';
import type { Manifest } from '../manifest/index.js';
import { TOOL_VERSION } from './version.js';
import type { Env } from '../util/env.js';

/** The ledger step of the record that stores a sleeve run's key. */
export const SLEEVE_KEY_STEP = 'sleeve.key';

/** What a sleeve key is the hash of (docs/sleeve-execution.md lists the parts). */
export interface SleeveKeyParts {
  readonly key_schema: 1;
  readonly tool_version: string;
  readonly stage: 'sleeve.backtest';
  readonly params: { readonly profile: string };
  /** The profile's sleeve spec as the manifest resolves it (defaults filled in). */
  readonly sleeve: unknown;
  /** The manifest, relative to the workspace (as the run records it). */
  readonly manifest_file: string;
  /** The prices (or returns) file: its path relative to the workspace and the SHA-256 of its bytes. */
  readonly prices: { readonly path: string; readonly sha256: string | null };
  /** `SOURCE_DATE_EPOCH` seconds when the clock is pinned, `null` otherwise. */
  readonly clock: number | null;
}

export interface SleeveKey {
  /** 64 lower-case hex digits. */
  readonly key: string;
  readonly parts: SleeveKeyParts;
}

/** The seconds of a pinned clock (`SOURCE_DATE_EPOCH`), or `null` when runs take the current time. */
export function pinnedClock(env: Env): number | null {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw.trim() === '') return null;
  const seconds = Number(raw);
  return Number.isFinite(seconds) ? Math.floor(seconds) : null;
}

/**
 * The key of producing sleeve profile `profile` of `manifest` (read from `manifestPath`) in `workspace`
 * with clock `clock` by tool version `toolVersion` (this one's by default). A prices file that cannot be read hashes as `null` (its production fails anyway).
 * `undefined` when `profile` is not a sleeve profile of the manifest.
 */
export async function sleeveKey(
  workspace: string,
  manifestPath: string,
  manifest: Manifest,
  profile: string,
  clock: number | null,
  toolVersion: string = TOOL_VERSION,
): Promise<SleeveKey | undefined> {
  const entry = Object.hasOwn(manifest.profiles, profile) ? manifest.profiles[profile] : undefined;
  if (entry === undefined || !('sleeve' in entry)) return undefined;
  const pricesFile = resolve(dirname(manifestPath), entry.sleeve.prices);
  const parts: SleeveKeyParts = {
    key_schema: 1,
    tool_version: toolVersion,
    stage: 'sleeve.backtest',
    params: { profile },
    // Through JSON: `undefined` members are dropped as they are from the run's resolved manifest.
    sleeve: JSON.parse(JSON.stringify(entry.sleeve)) as unknown,
    manifest_file: displayPath(workspace, manifestPath),
    prices: {
      path: displayPath(workspace, pricesFile),
      sha256: await sha256File(pricesFile).catch(() => null),
    },
    clock,
  };
  return { key: sha256Hex(canonicalJson(parts)), parts };
}
