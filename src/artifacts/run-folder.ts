/**
 * Workspace run folders (DESIGN §2): `runs/<id>/{run.json, config/, data/, reports/}`; creating, reading
 * and updating run.json. Listing and resolution live in run-listing.ts.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { QuantError } from '../errors.js';
import { writeJsonAtomic } from './atomic-write.js';
import { toIsoSeconds } from './clock.js';
import { fsFailure, makeDirectory } from './fs-failure.js';
import { assertValidRunId, defaultRunId, defaultRunIdSequence } from './run-id.js';
import { assertConfined } from './file-access.js';
import { readOnce } from './read-once.js';

export const RUN_KINDS = ['sleeve', 'meta', 'stage'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['running', 'success', 'failed', 'incomplete'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Content of `run.json`. Extra members (e.g. `error`) may follow the fixed ones. */
export interface RunJson {
  readonly schema_version: 1;
  readonly run_id: string;
  readonly kind: RunKind;
  readonly profile: string | null;
  readonly status: RunStatus;
  readonly created_at: string;
  readonly tool_version: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly [extra: string]: unknown;
}

/** The paths of one run folder. */
export interface RunPaths {
  readonly workspace: string;
  readonly runId: string;
  readonly path: string;
  readonly runJson: string;
  readonly audit: string;
  readonly configDir: string;
  readonly dataDir: string;
  readonly reportsDir: string;
}

/** An opened run: its paths, run.json as written at open, and whether the folder was new. */
export interface RunHandle extends RunPaths {
  readonly json: RunJson;
  readonly created: boolean;
}

export const RUN_JSON = 'run.json';

/** `<workspace>/runs`, absolute. */
export function runsDir(workspace: string): string {
  return join(resolve(workspace), 'runs');
}

/** `<workspace>/runs/<runId>`, absolute; `E_RUN_ID` for an invalid id, before any file is touched. */
export function runDir(workspace: string, runId: string): string {
  assertValidRunId(runId);
  return join(runsDir(workspace), runId);
}

/** All paths of a run folder (nothing is created). */
export function runPaths(workspace: string, runId: string): RunPaths {
  const path = runDir(workspace, runId);
  return {
    workspace: resolve(workspace),
    runId,
    path,
    runJson: join(path, RUN_JSON),
    audit: join(path, 'audit.jsonl'),
    configDir: join(path, 'config'),
    dataDir: join(path, 'data'),
    reportsDir: join(path, 'reports'),
  };
}

function corrupt(file: string, reason: string): QuantError {
  return new QuantError('E_RUN_CORRUPT', `${file}: ${reason}`, {
    location: { file },
    hint: 'restore run.json from a backup or delete the run folder and run again',
  });
}

/** Check a parsed run.json; `folderId` is the folder it was found in (they must agree). */
function parseRunJson(value: unknown, file: string, folderId: string): RunJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw corrupt(file, 'not a JSON object');
  const v = value as Record<string, unknown>;
  const bad = (key: string, expected: string): QuantError =>
    corrupt(file, `"${key}" must be ${expected}, found ${JSON.stringify(v[key]) ?? 'nothing'}`);
  if (v['schema_version'] !== 1) throw bad('schema_version', '1');
  if (v['run_id'] !== folderId) throw bad('run_id', `the folder name ${JSON.stringify(folderId)}`);
  if (!RUN_KINDS.includes(v['kind'] as RunKind)) throw bad('kind', `one of ${RUN_KINDS.join(', ')}`);
  if (v['profile'] !== null && typeof v['profile'] !== 'string') throw bad('profile', 'a string or null');
  if (!RUN_STATUSES.includes(v['status'] as RunStatus))
    throw bad('status', `one of ${RUN_STATUSES.join(', ')}`);
  if (typeof v['created_at'] !== 'string' || Number.isNaN(Date.parse(v['created_at']))) {
    throw bad('created_at', 'an ISO 8601 timestamp');
  }
  if (typeof v['tool_version'] !== 'string') throw bad('tool_version', 'a string');
  const params = v['params'];
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw bad('params', 'an object');
  return v as unknown as RunJson;
}

/** Read and check a run.json file; `undefined` if it does not exist, `E_RUN_CORRUPT` if malformed. */
export async function readRunJsonFile(file: string, runId: string): Promise<RunJson | undefined> {
  await assertConfined(file, 'read');
  let text: string;
  try {
    // In a run, the bytes read before when the file is unchanged (read-once.ts); parsed on every call.
    const bytes = await readOnce(file, () => readFile(file));
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsFailure(error, `read ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `not valid JSON (${(error as Error).message})`);
  }
  return parseRunJson(parsed, file, runId);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Read and check `runs/<runId>/run.json`: `E_RUN_NOT_FOUND` if the run does not exist, `E_RUN_CORRUPT` if malformed. */
export async function readRunJson(workspace: string, runId: string): Promise<RunJson> {
  const paths = runPaths(workspace, runId);
  const json = await readRunJsonFile(paths.runJson, runId);
  if (json !== undefined) return json;
  if (await isDirectory(paths.path)) throw corrupt(paths.runJson, 'the run folder has no run.json');
  throw runNotFound(workspace, `run ${runId} does not exist in ${runsDir(workspace)}`);
}

export function runNotFound(workspace: string, message: string, hint?: string): QuantError {
  return new QuantError('E_RUN_NOT_FOUND', message, {
    location: { file: runsDir(workspace) },
    ...(hint === undefined ? {} : { hint }),
  });
}

/** How many taken ids a default run id tries before giving up (only reached by a runs/ full of them). */
const MAX_DEFAULT_ID_ATTEMPTS = 10_000;

/**
 * Claim a new run folder under a default id and return the id: `defaultRunId(profile, now)`, or when a run
 * of that profile already started in that second (in this process or any other), the next free
 * `defaultRunId(profile, now, n)` after the highest one in runs/. The folder is created by an exclusive
 * mkdir(2), so two callers never get the same id, and an existing folder is never entered. The new folder
 * is empty: the caller locks it and creates the run (or removes the folder again).
 */
export async function claimDefaultRunFolder(workspace: string, profile: string, now: Date): Promise<string> {
  const runs = runsDir(workspace);
  await makeDirectory(runs).catch((error: unknown) => {
    throw fsFailure(error, `create the runs folder ${runs}`);
  });
  let next = 1;
  const names = await readdir(runs).catch((error: unknown) => {
    throw fsFailure(error, `list the runs in ${runs}`);
  });
  for (const name of names) {
    const n = defaultRunIdSequence(profile, now, name);
    if (n !== undefined && n >= next) next = n + 1;
  }
  for (let attempt = 0; attempt < MAX_DEFAULT_ID_ATTEMPTS; attempt++, next++) {
    const runId = defaultRunId(profile, now, next);
    try {
      await mkdir(join(runs, runId));
      return runId;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fsFailure(error, `create the run folder ${join(runs, runId)}`);
      }
    }
  }
  throw new QuantError(
    'E_RUN_EXISTS',
    `no free default run id for profile ${profile} at ${toIsoSeconds(now)}: ${MAX_DEFAULT_ID_ATTEMPTS} are taken in ${runs}`,
    { hint: 'choose a run id (--run-id), or set another SOURCE_DATE_EPOCH', location: { file: runs } },
  );
}

/**
 * Refuse (`E_RUN_ID`) a sleeve or meta stage run into an existing run it does not belong to: a run of
 * another kind, or a sleeve run of another profile. Its results would be recorded under the run's own
 * kind and profile, which a meta run pinning the run then reads as that profile's. A meta stage of another
 * meta profile is left to the stage: a nested meta profile of the run is legitimate, another one is
 * `E_UNKNOWN_PROFILE` there. Stages of kind `stage` (`portfolio.optimize`) write only where asked.
 */
export function assertRunAccepts(
  existing: RunJson,
  stage: {
    readonly kind: RunKind;
    readonly profile: string | null;
    readonly command: string;
    /**
     * The stage only adds to a finished run of its kind (`meta.trades`, `quant trades`): a fresh run is
     * no answer, so the hint asks for a run of that kind instead.
     */
    readonly addsToRun?: boolean | undefined;
  },
): void {
  if (stage.kind === 'stage') return;
  const own = existing.profile === null ? '' : ` of profile ${existing.profile}`;
  const fix =
    stage.addsToRun === true
      ? `${stage.command} adds to a finished ${stage.kind} run: give --run-id the id of a ${stage.kind} run (quant runs list shows each run's kind)`
      : existing.kind === stage.kind && existing.profile !== null
        ? `run the run's own profile (--param profile=${existing.profile}), or choose another --run-id (or omit it for a fresh default id)`
        : 'choose another --run-id (or omit it for a fresh default id)';
  if (existing.kind !== stage.kind) {
    throw new QuantError(
      'E_RUN_ID',
      `run ${existing.run_id} is a ${existing.kind} run${own}; ${stage.command} writes a ${stage.kind} run and cannot run into it`,
      { hint: fix, details: { run_kind: existing.kind, run_profile: existing.profile, kind: stage.kind } },
    );
  }
  if (stage.kind === 'sleeve' && stage.profile !== null && existing.profile !== null) {
    if (existing.profile !== stage.profile) {
      throw new QuantError(
        'E_RUN_ID',
        `run ${existing.run_id} is a sleeve run of profile ${existing.profile}; ${stage.command} of profile ${stage.profile} cannot run into it`,
        {
          hint: fix,
          details: { run_kind: existing.kind, run_profile: existing.profile, profile: stage.profile },
        },
      );
    }
  }
}

export interface CreateOrOpenRunOptions {
  readonly workspace: string;
  readonly runId: string;
  /** Kind of a new run; an existing run keeps its kind. */
  readonly kind: RunKind;
  /** Profile of a new run; for an existing run, a different non-null profile is `E_RUN_ID`. */
  readonly profile: string | null;
  /** Stage or pipeline params of a new run, a JSON object (`undefined` is stored as `{}`). */
  readonly params: unknown;
  readonly toolVersion: string;
  /** Becomes `created_at` of a new run (see `resolveNow`). */
  readonly now: Date;
}

/**
 * Create `runs/<id>/` with config/, data/, reports/ and run.json (status `running`), or reopen an existing
 * run: it keeps `created_at`, `kind`, `profile`, its params and tool version (a stage run into it records
 * its own params in the ledger), drops every other member (the ledger anchor is written again on close)
 * and goes back to `running`.
 * Hold the run lock (`acquireRunLock`) around this and everything written afterwards.
 */
export async function createOrOpenRun(options: CreateOrOpenRunOptions): Promise<RunHandle> {
  const paths = runPaths(options.workspace, options.runId);
  const params = options.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError('createOrOpenRun: params must be a JSON object');
  }
  const existing = await readRunJsonFile(paths.runJson, options.runId);
  if (existing !== undefined && options.profile !== null && existing.profile !== null) {
    if (existing.profile !== options.profile) {
      throw new QuantError(
        'E_RUN_ID',
        `run ${options.runId} already exists for profile ${existing.profile}, not ${options.profile}`,
        { hint: 'choose another --run-id (or omit it for a fresh default id)' },
      );
    }
  }
  await Promise.all([paths.configDir, paths.dataDir, paths.reportsDir].map((d) => makeDirectory(d))).catch(
    (error: unknown) => {
      throw fsFailure(error, `create the folders of run ${options.runId} in ${paths.path}`);
    },
  );
  // An existing run keeps what its creator recorded (its params and tool version): a stage run into it
  // records its own params in the ledger. Other members (the ledger anchor above all) go until it closes.
  const json: RunJson = {
    schema_version: 1,
    run_id: options.runId,
    kind: existing?.kind ?? options.kind,
    profile: existing?.profile ?? options.profile,
    status: 'running',
    created_at: existing?.created_at ?? toIsoSeconds(options.now),
    tool_version: existing?.tool_version ?? options.toolVersion,
    params: existing?.params ?? (params as Readonly<Record<string, unknown>>),
  };
  await writeJsonAtomic(paths.runJson, json);
  return { ...paths, json, created: existing === undefined };
}

/** The members of run.json every run has, which `updateRunStatus` does not take as extras. */
export const FIXED_RUN_MEMBERS: ReadonlySet<string> = new Set([
  'schema_version',
  'run_id',
  'kind',
  'profile',
  'created_at',
  'tool_version',
  'params',
  'status',
]);

/**
 * Set the run's status (and merge `extra` members, e.g. `{error: {code, message}}`) by atomically
 * rewriting run.json. Returns the new content. Fixed members cannot be overridden through `extra`.
 */
export async function updateRunStatus(
  run: RunPaths,
  status: RunStatus,
  extra: Readonly<Record<string, unknown>> = {},
): Promise<RunJson> {
  const current = await readRunJson(run.workspace, run.runId);
  const clash = Object.keys(extra).find((k) => FIXED_RUN_MEMBERS.has(k));
  if (clash !== undefined) throw new TypeError(`updateRunStatus: "${clash}" cannot be set through extra`);
  const next: RunJson = { ...current, ...extra, status };
  await writeJsonAtomic(run.runJson, next);
  return next;
}
