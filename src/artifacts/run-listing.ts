/**
 * Listing runs and resolving which run a sleeve entry means (DESIGN §2): "latest successful run of profile
 * X", or a pinned run id, which is always honoured and never silently replaced.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { resolveInside } from './resolve-inside.js';
import { QuantError } from '../errors.js';
import { fsFailure } from './fs-failure.js';
import { isValidRunId } from './run-id.js';
import { RUN_JSON, readRunJsonFile, runDir, runNotFound, runsDir, type RunJson } from './run-folder.js';
import { settleRunStatus } from './run-state.js';
import type { LedgerKey } from './ledger-anchor.js';
import { assertConfined } from './file-access.js';
import { instantMicros, listPredecessorRuns } from './predecessor-runs.js';

/** A folder under runs/ that is not a readable run. */
export interface SkippedRun {
  readonly run_id: string;
  readonly reason: string;
}

export interface RunListing {
  /** Valid runs, sorted by created_at, then run id (code-unit order, locale-independent). */
  readonly runs: RunJson[];
  /** Folders that are not readable runs (bad name, no or corrupt run.json), sorted by name. */
  readonly skipped: SkippedRun[];
}

function compareRuns(a: RunJson, b: RunJson): number {
  const t = Date.parse(a.created_at) - Date.parse(b.created_at);
  if (t !== 0) return t;
  return a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0;
}

export interface ListRunsOptions {
  /** Only runs whose run.json has this profile. */
  readonly profile?: string;
  /**
   * Settle a dead `running` run as `incomplete` (and persist it), as listing for use does; false for a
   * read-only look (`quant manifest check`), which reports the status as recorded. Default true.
   */
  readonly settle?: boolean;
  /** Signs the anchor of a run settled as incomplete; without it a signed run is not settled on disk. */
  readonly key?: LedgerKey;
}

/** Valid runs of the workspace (optionally only those of `profile`), sorted by created_at, then run id. */
export async function listRuns(workspace: string, options: ListRunsOptions = {}): Promise<RunJson[]> {
  return (await listRunsDetailed(workspace, options)).runs;
}

/**
 * {@link listRuns}, plus the folders under runs/ that were skipped and why (for `quant runs list`). A run
 * that says `running` while no live process holds its lock is reported — and persisted — as `incomplete`.
 */
export async function listRunsDetailed(
  workspace: string,
  options: ListRunsOptions = {},
): Promise<RunListing> {
  let names: string[];
  await assertConfined(runsDir(workspace), 'read');
  try {
    const entries = await readdir(runsDir(workspace), { withFileTypes: true });
    names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], skipped: [] };
    throw fsFailure(error, `list the runs in ${runsDir(workspace)}`);
  }
  names.sort();
  const runs: RunJson[] = [];
  const skipped: SkippedRun[] = [];
  for (const name of names) {
    if (!isValidRunId(name)) {
      skipped.push({ run_id: name, reason: 'the folder name is not a valid run id' });
      continue;
    }
    try {
      const json = await readRunJsonFile(join(runsDir(workspace), name, RUN_JSON), name);
      if (json === undefined) skipped.push({ run_id: name, reason: 'no run.json' });
      else if (options.profile === undefined || json.profile === options.profile)
        runs.push(options.settle === false ? json : await settleRunStatus(workspace, json, options.key));
    } catch (error) {
      if (!(error instanceof QuantError)) throw error;
      skipped.push({ run_id: name, reason: error.message });
    }
  }
  runs.sort(compareRuns);
  return { runs, skipped };
}

/**
 * A resolved run. `layout` is `predecessor` for a folder written by the Python predecessor: no run.json,
 * but a `config/resolved_manifest.json` (whose `profile`, if a string, is reported).
 */
export type ResolvedRun =
  | {
      readonly layout: 'native';
      readonly runId: string;
      readonly path: string;
      readonly profile: string | null;
      readonly json: RunJson;
    }
  | {
      readonly layout: 'predecessor';
      readonly runId: string;
      readonly path: string;
      readonly profile: string | null;
      readonly json: null;
    };

/**
 * The latest successful run of `profile`, among native runs (run.json with status `success`, by
 * `created_at`) and predecessor runs (no run.json; by `replay_context.timestamp` of their resolved
 * manifest, read as UTC, when they hold a weights file and a stream — see `predecessor-runs.ts`): the
 * greatest instant, ties broken by the greatest run id. None is `E_RUN_NOT_FOUND`, naming the
 * predecessor folders of the profile that could not be ordered and why, and `fix` (default: run
 * `quant sleeve run --profile <profile>` or pin a run_id). A run whose process died is settled as
 * `quant runs list` settles it, signed with `key` when given.
 */
export async function resolveLatestRun(
  workspace: string,
  profile: string,
  fix = `run \`quant sleeve run --profile ${profile}\` or pin a run_id`,
  key?: LedgerKey,
): Promise<ResolvedRun> {
  const runs = await listRuns(workspace, { profile, ...(key === undefined ? {} : { key }) });
  const predecessors = await listPredecessorRuns(workspace, profile);
  type Candidate = { instant: number; runId: string; resolved: ResolvedRun };
  const candidates: Candidate[] = [];
  for (const r of runs) {
    const instant = instantMicros(r.created_at);
    if (r.status !== 'success' || instant === null) continue;
    const path = runDir(workspace, r.run_id);
    candidates.push({
      instant,
      runId: r.run_id,
      resolved: { layout: 'native', runId: r.run_id, path, profile, json: r },
    });
  }
  for (const p of predecessors) {
    if (p.unusable !== null || p.instant === null) continue;
    const resolved: ResolvedRun = {
      layout: 'predecessor',
      runId: p.runId,
      path: p.path,
      profile,
      json: null,
    };
    candidates.push({ instant: p.instant, runId: p.runId, resolved });
  }
  candidates.sort((a, b) => a.instant - b.instant || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  const latest = candidates[candidates.length - 1];
  if (latest === undefined) {
    const skipped = predecessors.filter((p) => p.unusable !== null);
    const note =
      skipped.length === 0
        ? ''
        : ` (predecessor folders of ${profile} that cannot be the latest run: ${skipped.map((p) => `${p.runId}: ${p.unusable}`).join('; ')})`;
    throw runNotFound(
      workspace,
      `no successful run of profile ${profile} in ${runsDir(workspace)}${note}; ${fix}`,
    );
  }
  return latest.resolved;
}

async function readPredecessorProfile(path: string): Promise<string | null | undefined> {
  const file = join(path, 'config', 'resolved_manifest.json');
  await assertConfined(file, 'read');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    const profile = (JSON.parse(text) as { profile?: unknown } | null)?.profile;
    return typeof profile === 'string' ? profile : null;
  } catch (error) {
    throw new QuantError('E_RUN_CORRUPT', `${file}: not valid JSON (${(error as Error).message})`, {
      location: { file },
    });
  }
}

/**
 * A pinned run id, always honoured: `E_RUN_ID` if the id is invalid, `E_RUN_NOT_FOUND` if the folder does
 * not exist, `E_RUN_CORRUPT` if it is neither a native run nor a predecessor run.
 */
export async function resolvePinnedRun(workspace: string, runId: string): Promise<ResolvedRun> {
  const path = runDir(workspace, runId);
  // A run folder that is a symlink out of the workspace is never read (E_PATH_ESCAPE).
  await resolveInside(workspace, relative(resolve(workspace), path));
  const json = await readRunJsonFile(join(path, RUN_JSON), runId);
  if (json !== undefined) return { layout: 'native', runId, path, profile: json.profile, json };
  const profile = await readPredecessorProfile(path);
  if (profile !== undefined) return { layout: 'predecessor', runId, path, profile, json: null };
  const exists = await readdir(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    throw runNotFound(
      workspace,
      `pinned run ${runId} does not exist in ${runsDir(workspace)}`,
      'check the run_id in the manifest (`quant runs list`)',
    );
  }
  throw new QuantError('E_RUN_CORRUPT', `${join(path, RUN_JSON)}: the run folder has no run.json`, {
    location: { file: join(path, RUN_JSON) },
    hint: 'restore run.json or unpin this run',
  });
}
