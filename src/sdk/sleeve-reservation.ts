/**
 * The coordinator's side of run reservations (artifacts/run-reservation.ts): before any sleeve job is
 * sent, each run folder it will produce is reserved under its run lock, and each job carries the
 * reservation's nonce. The coordinator reserves only what a job may clear: a missing folder (made now),
 * an empty one, or a run of the same sleeve profile (to reuse, or to redo after a failed or killed
 * attempt). Anything else — a run of another profile or kind, files without run.json, a folder another
 * live coordinator reserved — is refused before any job exists. When the batch ends, what is left of
 * its reservations is removed, and a folder that stayed empty goes too.
 */
import { lstat, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError, isQuantError } from '../errors.js';
import {
  acquireRunLock,
  ensureWorkspaceId,
  newReservationNonce,
  readReservation,
  readRunJsonFile,
  removeReservation,
  RESERVATION_FILE,
  reservationHolderState,
  runDir,
  runFolderHasContent,
  sha256File,
  writeReservation,
  type RunLock,
} from '../artifacts/index.js';
import type { JobFailure } from '../exec/job.js';
import type { SleeveJob } from './sleeve-job-spec.js';

/** A sleeve run to produce, before its reservation. */
export interface PlannedSleeve {
  readonly profile: string;
  readonly run_id: string;
  readonly source_date_epoch: number;
  /** The content key of the production (sleeve-key.ts), passed on to the job. */
  readonly sleeve_key?: string;
}

/** The reserved jobs of a batch, and how to withdraw what is left of their reservations. */
export interface SleeveReservations {
  readonly jobs: readonly SleeveJob[];
  release(): Promise<void>;
}

const COMMAND = 'quant meta run --execute-sleeves (reservation)';

/**
 * Reserve the run folder of every planned sleeve (in the workspace `workspace`, whose manifest is
 * `manifestPath`) and return the jobs. If any cannot be reserved, those made are withdrawn and the
 * failures are returned instead, one per sleeve.
 */
export async function reserveSleeveRuns(
  workspace: string,
  manifestPath: string,
  planned: readonly PlannedSleeve[],
): Promise<
  | { readonly ok: true; readonly reservations: SleeveReservations }
  | { readonly ok: false; readonly failures: { profile: string; run_id: string; error: JobFailure }[] }
> {
  const workspaceId = await ensureWorkspaceId(workspace);
  const manifestSha = await sha256File(manifestPath);
  const made: Reserved[] = [];
  const failures: { profile: string; run_id: string; error: JobFailure }[] = [];
  for (const p of planned) {
    try {
      made.push(await reserveOne(workspace, workspaceId, p));
    } catch (error) {
      if (!isQuantError(error)) {
        await releaseAll(made);
        throw error;
      }
      failures.push({
        profile: p.profile,
        run_id: p.run_id,
        error: { code: error.code, message: error.message },
      });
    }
  }
  if (failures.length > 0) {
    await releaseAll(made);
    return { ok: false, failures };
  }
  const jobs = made.map((r): SleeveJob => ({
    workspace_id: workspaceId,
    manifest_sha256: manifestSha,
    profile: r.planned.profile,
    run_id: r.planned.run_id,
    source_date_epoch: r.planned.source_date_epoch,
    reservation: r.nonce,
    ...(r.planned.sleeve_key === undefined ? {} : { sleeve_key: r.planned.sleeve_key }),
  }));
  return { ok: true, reservations: { jobs, release: () => releaseAll(made) } };
}

interface Reserved {
  readonly planned: PlannedSleeve;
  readonly dir: string;
  readonly nonce: string;
}

async function reserveOne(workspace: string, workspaceId: string, p: PlannedSleeve): Promise<Reserved> {
  const dir = runDir(workspace, p.run_id);
  const stat = await lstat(dir).catch(() => undefined);
  if (stat !== undefined && !stat.isDirectory()) {
    throw new QuantError('E_RUN_EXISTS', `runs/${p.run_id} exists and is not a run folder`, {
      hint: 'remove it, or choose another SOURCE_DATE_EPOCH (sleeve run ids derive from it)',
      location: { file: dir },
    });
  }
  const lock: RunLock = await acquireRunLock(dir, { command: COMMAND });
  let reserved = false;
  try {
    const json = await readRunJsonFile(join(dir, 'run.json'), p.run_id);
    if (json !== undefined && (json.kind !== 'sleeve' || json.profile !== p.profile)) {
      throw new QuantError(
        'E_RUN_EXISTS',
        `run ${p.run_id} exists and is a ${json.kind} run of profile ${String(json.profile)}, not a sleeve run of ${p.profile}`,
        {
          hint: 'choose another SOURCE_DATE_EPOCH (sleeve run ids derive from it), or move that run away',
          location: { file: dir },
        },
      );
    }
    if (json === undefined && (await runFolderHasContent(dir))) {
      throw new QuantError('E_RUN_EXISTS', `runs/${p.run_id} holds files but no run.json`, {
        hint: 'it is no run this tool can reuse or redo: move it away, or choose another SOURCE_DATE_EPOCH',
        location: { file: dir },
      });
    }
    const previous = await readReservation(dir);
    if (typeof previous === 'object') {
      const holder = reservationHolderState(previous);
      if (holder !== 'dead' && holder !== 'reused') {
        throw new QuantError(
          'E_RUN_LOCKED',
          `run ${p.run_id} is reserved by another coordinator (pid ${previous.pid} on host ${previous.hostname}, since ${previous.reserved_at})`,
          {
            hint: `wait for it, or remove ${join(dir, RESERVATION_FILE)} if that process is gone`,
            location: { file: dir },
          },
        );
      }
    }
    const nonce = newReservationNonce();
    await writeReservation(dir, {
      nonce,
      workspace_id: workspaceId,
      profile: p.profile,
      run_id: p.run_id,
      source_date_epoch: p.source_date_epoch,
      command: COMMAND,
    });
    reserved = true;
    return { planned: p, dir, nonce };
  } finally {
    await lock.release();
    // Refused: a folder made just now for the lock goes again.
    if (!reserved && stat === undefined) await rmdir(dir).catch(() => undefined);
  }
}

/**
 * Withdraw what is left of the reservations: under each run lock, the reservation if it is still ours,
 * then the folder if nothing is left in it. A folder whose lock is held (a job still runs there, e.g.
 * after an interrupt) is left alone: its job removes the reservation when it completes.
 */
async function releaseAll(made: readonly Reserved[]): Promise<void> {
  for (const r of made) {
    let lock: RunLock;
    try {
      lock = await acquireRunLock(r.dir, { command: `${COMMAND} release`, createFolder: false });
    } catch {
      continue;
    }
    try {
      await removeReservation(r.dir, r.nonce);
    } finally {
      await lock.release();
    }
    const left = await readdir(r.dir).catch(() => ['?']);
    if (left.length === 0) await rmdir(r.dir).catch(() => undefined);
  }
}
