/**
 * One sleeve job: produce the sleeve run `run_id` of `profile` with stage `sleeve.backtest` in the
 * workspace of the process that runs it (`ctx.settings`: a local pool's child process of the
 * coordinator, or a `quant worker --workspace W`). Loaded by module URL in those processes
 * (`SLEEVE_JOB_RUNNER`, sleeve-job-spec.ts), so it must stay free of module-level side effects.
 *
 * A job is untrusted data (a queue message). Before anything is touched it must prove that it belongs
 * here (`E_JOB_REFUSED` otherwise): its workspace id is this workspace's, its manifest hash is this
 * manifest's, its profile is a sleeve profile of it, and `runs/<run_id>/` exists — the job never
 * creates a folder — and carries the coordinator's reservation for exactly this job (nonce, profile,
 * run id, clock), and, when it carries a content key, that this workspace's inputs give that key
 * (sleeve-key.ts; the run records it as its last ledger record). The one exception to the reservation:
 * a folder without one that holds this job's finished run (a re-delivery whose completion the queue never
 * recorded) is answered with that run, read only. Then, under the run lock
 * (docs/sleeve-execution.md):
 * - a run of another kind or profile is refused untouched;
 * - a `success` run of the profile, same tool version, made from the sleeve spec the manifest has now
 *   and from unchanged other inputs (the price table: hashes in its ledger outcome), is reused;
 * - a `success` run that does not match is never overwritten (E_RUN_EXISTS);
 * - any other state (no run.json, `running`/`failed` from a killed or failed attempt) is emptied and
 *   the run starts clean — only because the reservation proves the coordinator gave it to this job.
 * A lock held by a live process of this host is waited for, with a notice within seconds; a lock from
 * another host is only broken when the queue re-delivered the job because its previous worker stopped
 * renewing its lease (`attempt > 1`).
 */
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { QuantError, isQuantError } from '../errors.js';
import {
  LOCK_FILE_NAME,
  RESERVATION_FILE,
  acquireRunLock,
  canonicalJson,
  readLedgerLoose,
  readReservation,
  readRunJsonFile,
  readWorkspaceId,
  removeReservation,
  displayPath,
  runConfined,
  runDir,
  sha256File,
  type RunLock,
} from '../artifacts/index.js';
import { readManifest, type Manifest } from '../manifest/index.js';
import type { JobContext, JobSettings } from '../exec/job.js';
import { QuantSDK } from './quant-sdk.js';
import { TOOL_VERSION } from './version.js';
import type { RunSession, StageExecution } from './run-session.js';
import { SLEEVE_KEY_STEP, sleeveKey, type SleeveKey } from './sleeve-key.js';
import {
  LOCK_NOTICE_EVERY_MS,
  LOCK_NOTICE_MS,
  LOCK_POLL_MS,
  LOCK_WAIT_MS,
  recordedKey,
} from './sleeve-reuse.js';
import {
  confinedSettings,
  parseSleeveJob,
  type SleeveJob,
  type SleeveJobResult,
  type SleeveJobSettings,
} from './sleeve-job-spec.js';

/** Releasing the reservation after the run: wait this long at most for a brief holder of the lock. */
const RELEASE_WAIT_MS = 5000;

/**
 * Run one sleeve job (see the module comment for the checks and the idempotence rules), confined to the
 * workspace when the coordinator that started this process is (`ctx.settings.confine`).
 */
export async function runSleeveJob(input: unknown, ctx: JobContext): Promise<SleeveJobResult> {
  const job = parseSleeveJob(input);
  const where = settingsOf(ctx.settings);
  return where.confine === true
    ? runConfined(where.workspace, () => runCheckedJob(job, where, ctx))
    : runCheckedJob(job, where, ctx);
}

async function runCheckedJob(
  job: SleeveJob,
  where: SleeveJobSettings,
  ctx: JobContext,
): Promise<SleeveJobResult> {
  const manifest = await assertJobBelongsHere(job, where);
  const dir = runDir(where.workspace, job.run_id);
  const key = await assertJobKey(job, where, manifest);
  const reused = await prepareRunFolder(job, where, manifest, dir, ctx);
  if (reused !== undefined) return reused;
  const result = await new QuantSDK().runStage(
    'sleeve.backtest',
    { profile: job.profile },
    {
      workspace: where.workspace,
      manifest: where.manifest,
      runId: job.run_id,
      cwd: where.workspace,
      // The folder was emptied above (or held nothing): run into it.
      fresh: false,
      // The clock comes with the job; the ledger key only from this process's own environment.
      env: {
        SOURCE_DATE_EPOCH: String(job.source_date_epoch),
        ...(process.env['QUANT_LEDGER_KEY'] === undefined
          ? {}
          : { QUANT_LEDGER_KEY: process.env['QUANT_LEDGER_KEY'] }),
      },
      onProgress: (m: string) => ctx.progress(m),
    },
    key === undefined ? {} : { completed: (session, execution) => recordSleeveKey(session, execution, key) },
  );
  // The run is complete and stands on its own: its reservation has served.
  await releaseReservation(dir, job.reservation);
  return {
    profile: job.profile,
    run_id: job.run_id,
    status: 'produced',
    summary: result.summary,
    ...(result.warnings.length === 0 ? {} : { warnings: [...result.warnings] }),
    ...(key === undefined ? {} : { sleeve_key: key.key }),
  };
}

/**
 * The job's content key, recomputed here from this workspace's manifest and prices file: it must be
 * the key of the job's pinned clock or of an unpinned one (the coordinator knows which), else the job
 * is refused — a run never records a key its inputs do not have.
 */
async function assertJobKey(
  job: SleeveJob,
  where: SleeveJobSettings,
  manifest: Manifest,
): Promise<SleeveKey | undefined> {
  if (job.sleeve_key === undefined) return undefined;
  for (const clock of [job.source_date_epoch, null]) {
    const own = await sleeveKey(where.workspace, where.manifest, manifest, job.profile, clock);
    if (own?.key === job.sleeve_key) return own;
  }
  if (manifestOutside(where)) {
    throw refused(
      `job for run ${job.run_id} carries the sleeve key ${short(job.sleeve_key)}, which the inputs of ${job.profile} here do not give: this worker's manifest ${where.manifest} is outside its workspace, and a key names such a manifest by its absolute path: only a coordinator run with --manifest ${where.manifest} plans jobs this worker can run (else the prices file changed since the coordinator planned the job)`,
      `run the coordinator with --manifest ${where.manifest}, or start the worker with the manifest the coordinator uses inside the workspace`,
    );
  }
  throw refused(
    `job for run ${job.run_id} carries the sleeve key ${short(job.sleeve_key)}, which the inputs of ${job.profile} here do not give (its prices file changed since the coordinator planned it, or differs on this machine)`,
    "serve the coordinator's workspace with the same data files, or rerun the coordinator",
  );
}

/** Whether the worker's manifest lies outside its workspace (a sleeve key then names it by its absolute path). */
function manifestOutside(where: SleeveJobSettings): boolean {
  return displayPath(where.workspace, where.manifest) === where.manifest;
}

/**
 * Record the key as the run's last ledger record, if the stage read the prices file the key hashed
 * (a file replaced while the stage ran leaves the run without a key: it is never reused).
 */
async function recordSleeveKey(
  session: RunSession,
  execution: StageExecution,
  key: SleeveKey,
): Promise<void> {
  const { prices } = key.parts;
  if (!execution.inputs.some((i) => i.path === prices.path && i.sha256 === prices.sha256)) return;
  await session.ledger.append({
    type: 'decision',
    step: SLEEVE_KEY_STEP,
    status: 'recorded',
    context: { stage: 'sleeve.backtest' },
    data: { key: key.key, parts: key.parts },
  });
}

function settingsOf(settings: JobSettings): SleeveJobSettings {
  const workspace = settings['workspace'];
  const manifest = settings['manifest'];
  if (workspace === undefined || manifest === undefined) {
    throw new QuantError('E_JOB_REFUSED', 'this process serves no workspace, so it cannot run sleeve jobs', {
      hint: 'start the worker with --workspace DIR (and --manifest FILE if it is not DIR/manifest.json)',
    });
  }
  return {
    workspace: resolve(workspace),
    manifest: resolve(manifest),
    ...(confinedSettings(settings) ? { confine: true } : {}),
  };
}

function refused(message: string, hint: string, details: Record<string, unknown> = {}): QuantError {
  return new QuantError('E_JOB_REFUSED', message, { hint, details });
}

const short = (hex: string): string => `${hex.slice(0, 12)}…`;

/** The job's workspace id and manifest hash are this workspace's, and its profile is a sleeve profile here. */
async function assertJobBelongsHere(job: SleeveJob, where: SleeveJobSettings): Promise<Manifest> {
  const own = await readWorkspaceId(where.workspace);
  if (own !== job.workspace_id) {
    throw refused(
      `job for run ${job.run_id} comes from workspace ${short(job.workspace_id)}, and this worker serves ${where.workspace} (${own === undefined ? 'which has no workspace id yet' : `workspace ${short(own)}`})`,
      'give each workspace its own queue (--queue), and start its workers with --workspace pointing at it',
      { workspace_id: job.workspace_id, own_workspace_id: own ?? null },
    );
  }
  const sha = await sha256File(where.manifest).catch(() => undefined);
  if (sha !== job.manifest_sha256) {
    throw refused(
      `job for run ${job.run_id} was planned from a manifest with SHA-256 ${short(job.manifest_sha256)}, and this worker's manifest ${where.manifest} ${sha === undefined ? 'cannot be read' : `has ${short(sha)}`}`,
      "serve the coordinator's manifest (--manifest), or rerun the coordinator after editing the manifest",
    );
  }
  const { manifest } = await readManifest(where.manifest);
  const declared = Object.hasOwn(manifest.profiles, job.profile) ? manifest.profiles[job.profile] : undefined;
  if (declared === undefined || !('sleeve' in declared)) {
    throw refused(
      `job for run ${job.run_id} names profile ${JSON.stringify(job.profile)}, which is not a sleeve profile of ${where.manifest}`,
      'sleeve jobs are sent by `quant meta run --execute-sleeves`; jobs made by hand are refused',
    );
  }
  return manifest;
}

/**
 * Under the run lock: check the reservation and what the folder holds; reuse a matching successful run,
 * refuse another one, else empty the folder (its lock and reservation stay).
 */
async function prepareRunFolder(
  job: SleeveJob,
  where: SleeveJobSettings,
  manifest: Manifest,
  dir: string,
  ctx: JobContext,
): Promise<SleeveJobResult | undefined> {
  await assertReservedFolder(job, dir);
  // A run already complete is the answer; the reservation is checked before the lock too, so that a
  // folder not given to this job does not even get a lock file.
  const finishedBefore = await reservedOrFinished(job, where, manifest, dir);
  if (finishedBefore !== undefined) return finishedBefore;
  const lock = await lockForJob(dir, job.run_id, ctx);
  try {
    // Re-delivered while its first worker still ran (its lock had lapsed): that worker may have
    // finished the run and withdrawn the reservation while this one waited for the run lock.
    const finishedMeanwhile = await reservedOrFinished(job, where, manifest, dir);
    if (finishedMeanwhile !== undefined) return finishedMeanwhile;
    const runJson = await readRunJsonFile(join(dir, 'run.json'), job.run_id);
    if (runJson !== undefined && (runJson.kind !== 'sleeve' || runJson.profile !== job.profile)) {
      throw refused(
        `run ${job.run_id} exists and is a ${runJson.kind} run of profile ${String(runJson.profile)}, not a sleeve run of ${job.profile}; it is left untouched`,
        'a job never replaces a run of another profile',
      );
    }
    if (runJson?.status === 'success') {
      const mismatch = await reuseMismatch(job, where, manifest, dir);
      if (mismatch === undefined) {
        await removeReservation(dir, job.reservation);
        return {
          profile: job.profile,
          run_id: job.run_id,
          status: 'reused',
          summary: `${job.profile}: reused run ${job.run_id} (same inputs)`,
        };
      }
      throw new QuantError(
        'E_RUN_EXISTS',
        `run ${job.run_id} already exists and cannot be reused: ${mismatch}`,
        {
          hint: 'set another SOURCE_DATE_EPOCH (the run ids derive from it), or remove the run folder',
          location: { file: dir },
        },
      );
    }
    // A half-written attempt (killed worker, failed run) in the folder reserved for this job: start clean.
    for (const name of await readdir(dir)) {
      if (name !== LOCK_FILE_NAME && name !== RESERVATION_FILE)
        await rm(join(dir, name), { recursive: true, force: true });
    }
    return undefined;
  } finally {
    await lock.release();
  }
}

/**
 * A re-delivery of a job whose run already finished: the job completed, its reservation was withdrawn,
 * and the queue never recorded the completion (the worker lost its lock, or Redis paused), so it gives
 * the job again. Its folder then carries no reservation but a `success` run of the job's profile that
 * records the job's content key: answer with that run, reused untouched (nothing is written, not even a
 * lock file). Anything else without a reservation is refused as before.
 */
async function finishedRunOfJob(
  job: SleeveJob,
  where: SleeveJobSettings,
  manifest: Manifest,
  dir: string,
): Promise<SleeveJobResult | undefined> {
  if ((await readReservation(dir)) !== undefined) return undefined;
  const runJson = await readRunJsonFile(join(dir, 'run.json'), job.run_id).catch(() => undefined);
  if (runJson?.kind !== 'sleeve' || runJson.profile !== job.profile || runJson.status !== 'success')
    return undefined;
  if (job.sleeve_key !== undefined && (await recordedKey(where.workspace, job.run_id)) !== job.sleeve_key)
    return undefined;
  if ((await reuseMismatch(job, where, manifest, dir)) !== undefined) return undefined;
  return {
    profile: job.profile,
    run_id: job.run_id,
    status: 'reused',
    summary: `${job.profile}: run ${job.run_id} was already complete (the job was delivered again), reused untouched`,
    ...(job.sleeve_key === undefined ? {} : { sleeve_key: job.sleeve_key }),
  };
}

/** `runs/<id>` must exist as a real folder: a job never creates one, nor follows a link. */
async function assertReservedFolder(job: SleeveJob, dir: string): Promise<void> {
  const stat = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stat === undefined) {
    throw refused(
      `run folder ${dir} does not exist: no coordinator of this workspace reserved run ${job.run_id}`,
      'a coordinator reserves the run folder before it sends the job; a job never creates a folder',
    );
  }
  if (!stat.isDirectory()) {
    throw refused(
      `${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; a job only enters a run folder its coordinator reserved`,
      'remove it, or choose another SOURCE_DATE_EPOCH',
    );
  }
}

/**
 * The folder's reservation is this job's (undefined), or the run is already complete (its result). A
 * first worker of a re-delivered job withdraws the reservation right after its run completes, outside
 * the run lock, so a reservation missing now may have served a moment ago: a refusal looks once more.
 */
async function reservedOrFinished(
  job: SleeveJob,
  where: SleeveJobSettings,
  manifest: Manifest,
  dir: string,
): Promise<SleeveJobResult | undefined> {
  const finished = await finishedRunOfJob(job, where, manifest, dir);
  if (finished !== undefined) return finished;
  try {
    await assertReservation(job, dir);
    return undefined;
  } catch (error) {
    const finishedNow = await finishedRunOfJob(job, where, manifest, dir);
    if (finishedNow !== undefined) return finishedNow;
    throw error;
  }
}

/** The folder's reservation must be this job's: same nonce, workspace, profile, run id and clock. */
async function assertReservation(job: SleeveJob, dir: string): Promise<void> {
  const reservation = await readReservation(dir);
  const problem =
    reservation === undefined
      ? 'carries no reservation'
      : reservation === 'unreadable'
        ? 'carries an unreadable reservation'
        : reservation.nonce !== job.reservation
          ? 'is reserved for another job'
          : reservation.workspace_id !== job.workspace_id ||
              reservation.profile !== job.profile ||
              reservation.run_id !== job.run_id ||
              reservation.source_date_epoch !== job.source_date_epoch
            ? 'is reserved for this nonce but with another profile, run id or clock'
            : undefined;
  if (problem !== undefined) {
    throw refused(
      `run folder ${dir} ${problem}: it was not given to this job, which leaves it untouched`,
      'jobs are sent by `quant meta run --execute-sleeves` of this workspace; a job made or replayed by hand is refused',
    );
  }
}

/** Take the run lock (never creating the folder), waiting for a live holder with notices. */
async function lockForJob(dir: string, runId: string, ctx: JobContext): Promise<RunLock> {
  const started = Date.now();
  let nextNotice = started + LOCK_NOTICE_MS;
  for (;;) {
    try {
      return await acquireRunLock(dir, { command: `sleeve job ${runId}`, createFolder: false });
    } catch (error) {
      if (isQuantError(error) && error.code === 'E_RUN_NOT_FOUND') {
        throw refused(`run folder ${dir} disappeared before the job could lock it`, 'rerun the coordinator');
      }
      if (!isQuantError(error) || error.code !== 'E_RUN_LOCKED') throw error;
      const holder = error.details as { hostname?: unknown };
      const foreign = typeof holder.hostname === 'string' && holder.hostname !== hostname();
      if (foreign && ctx.attempt > 1) {
        // The queue gave this job to us because the holder's lease expired: that holder is gone.
        await rm(join(dir, LOCK_FILE_NAME), { force: true });
        continue;
      }
      const now = Date.now();
      if (now - started > LOCK_WAIT_MS) throw error;
      if (now >= nextNotice) {
        ctx.notice(
          `waiting for run ${runId} (${Math.round((now - started) / 1000)} s so far, at most ${LOCK_WAIT_MS / 60_000} min): ${error.message}`,
        );
        nextNotice = now + LOCK_NOTICE_EVERY_MS;
      }
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
}

/** Remove this job's reservation under the lock; left to the coordinator if the lock stays busy. */
async function releaseReservation(dir: string, nonce: string): Promise<void> {
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (;;) {
    let lock: RunLock;
    try {
      lock = await acquireRunLock(dir, {
        command: 'release of a sleeve job reservation',
        createFolder: false,
      });
    } catch (error) {
      if (isQuantError(error) && error.code === 'E_RUN_LOCKED' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
        continue;
      }
      return;
    }
    try {
      await removeReservation(dir, nonce);
    } finally {
      await lock.release();
    }
    return;
  }
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a successful run of the job's profile cannot stand for this job, or `undefined` if it can: same
 * tool version, the same sleeve spec as the manifest has now (other profiles of the manifest may
 * change), and every other recorded input (the price table) with the hash its ledger outcome recorded.
 */
async function reuseMismatch(
  job: SleeveJob,
  where: SleeveJobSettings,
  manifest: Manifest,
  dir: string,
): Promise<string | undefined> {
  const runJson = (await readJson(join(dir, 'run.json'))) ?? {};
  if (runJson['tool_version'] !== TOOL_VERSION)
    return `it was made by version ${String(runJson['tool_version'])}, this is ${TOOL_VERSION}`;
  const resolved = await readJson(join(dir, 'config', 'resolved_manifest.json'));
  const profiles = resolved?.['profiles'];
  const recorded =
    typeof profiles === 'object' && profiles !== null && Object.hasOwn(profiles, job.profile)
      ? (profiles as Record<string, { sleeve?: unknown } | undefined>)[job.profile]?.sleeve
      : undefined;
  const current = Object.hasOwn(manifest.profiles, job.profile) ? manifest.profiles[job.profile] : undefined;
  const currentSpec = current !== undefined && 'sleeve' in current ? current.sleeve : undefined;
  if (recorded === undefined || currentSpec === undefined || !sameJson(recorded, currentSpec))
    return `the sleeve profile ${job.profile} of the manifest differs from the one the run used`;
  const records = await readLedgerLoose(join(dir, 'audit.jsonl')).catch(() => []);
  const outcome = records
    .filter((r) => r['type'] === 'outcome' && r['step'] === 'sleeve.backtest' && r['status'] === 'success')
    .at(-1);
  const inputs = (outcome?.['data'] as { inputs?: unknown } | undefined)?.inputs;
  if (!Array.isArray(inputs)) return 'its ledger has no successful sleeve.backtest outcome';
  const manifestFile = resolved?.['manifest_file'];
  for (const item of inputs as { path?: unknown; sha256?: unknown }[]) {
    if (typeof item.path !== 'string') return 'its ledger lists an input without a path';
    if (item.path === manifestFile) continue; // compared above, profile by profile
    const now = await sha256File(resolve(where.workspace, item.path)).catch(() => 'missing');
    if (now !== item.sha256) return `input ${item.path} changed since`;
  }
  return undefined;
}

/** Equal as JSON documents (key order and `undefined` members ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(JSON.parse(JSON.stringify(a))) === canonicalJson(JSON.parse(JSON.stringify(b)));
}
