/**
 * Run reservations: `runs/<id>/.reservation.json`, written by the coordinator of a batch of sleeve jobs
 * under the run lock before any job is sent. It binds the run folder to one job — a random nonce the
 * job carries, the workspace id, the profile, the run id and the clock — so that whoever runs the job
 * (a local child process or a `quant worker`) may clear and fill that folder, and no other. A queue
 * message naming a folder that carries no reservation, or another one, is refused.
 *
 * The worker removes the reservation once the run is complete; the coordinator removes what is left
 * when its batch ends (and the folder too if it made it and it stayed empty).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic-write.js';
import { toIsoSeconds } from './clock.js';
import { lockHolderState, processStartMarker, type LockHolderState } from './run-lock.js';

export const RESERVATION_FILE = '.reservation.json';

/** Content of a reservation file. */
export interface RunReservation {
  readonly nonce: string;
  readonly workspace_id: string;
  readonly profile: string;
  readonly run_id: string;
  readonly source_date_epoch: number;
  /** The coordinator that reserved the folder (judged like a lock holder). */
  readonly pid: number;
  readonly hostname: string;
  readonly pid_start?: string;
  readonly command: string;
  readonly reserved_at: string;
}

/** A new nonce. */
export function newReservationNonce(): string {
  return randomBytes(16).toString('hex');
}

/** The reservation of a run folder; `undefined` if there is none, `'unreadable'` if it is damaged. */
export async function readReservation(runPath: string): Promise<RunReservation | 'unreadable' | undefined> {
  let text: string;
  try {
    text = await readFile(join(runPath, RESERVATION_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') return 'unreadable';
    throw error;
  }
  try {
    const v = JSON.parse(text) as Partial<RunReservation> | null;
    const ok =
      v !== null &&
      typeof v === 'object' &&
      typeof v.nonce === 'string' &&
      typeof v.workspace_id === 'string' &&
      typeof v.profile === 'string' &&
      typeof v.run_id === 'string' &&
      typeof v.source_date_epoch === 'number' &&
      typeof v.pid === 'number' &&
      typeof v.hostname === 'string';
    return ok ? (v as RunReservation) : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Write the reservation of a run folder (atomically). The caller holds the run lock. */
export async function writeReservation(
  runPath: string,
  fields: Pick<
    RunReservation,
    'nonce' | 'workspace_id' | 'profile' | 'run_id' | 'source_date_epoch' | 'command'
  >,
): Promise<RunReservation> {
  const start = processStartMarker(process.pid);
  const reservation: RunReservation = {
    ...fields,
    pid: process.pid,
    hostname: hostname(),
    ...(start === undefined ? {} : { pid_start: start }),
    reserved_at: toIsoSeconds(new Date()),
  };
  await writeJsonAtomic(join(runPath, RESERVATION_FILE), reservation);
  return reservation;
}

/** Remove the reservation if it is the one with `nonce`; returns whether it did. The caller holds the lock. */
export async function removeReservation(runPath: string, nonce: string): Promise<boolean> {
  const current = await readReservation(runPath);
  if (current === undefined || current === 'unreadable' || current.nonce !== nonce) return false;
  await rm(join(runPath, RESERVATION_FILE), { force: true });
  return true;
}

/** Whether the coordinator that made a reservation still runs (as for a lock holder). */
export function reservationHolderState(reservation: RunReservation): LockHolderState {
  return lockHolderState({
    pid: reservation.pid,
    hostname: reservation.hostname,
    command: reservation.command,
    acquired_at: reservation.reserved_at,
    token: '',
    ...(reservation.pid_start === undefined ? {} : { pid_start: reservation.pid_start }),
  });
}
