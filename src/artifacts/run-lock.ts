/**
 * The per-run lock file `runs/<id>/.lock`, so two processes never write one run concurrently.
 *
 * Creation is exclusive and complete at once: the lock's JSON is written to a temp file and hard-linked to
 * `.lock`; link(2) fails with EEXIST like O_EXCL, but other processes never see a half-written lock.
 *
 * A lock whose pid is dead on this host is stale and is taken over. The takeover is serialised by a second
 * exclusive file `.lock.takeover`: its holder re-reads `.lock`, removes it only if it still holds the very
 * bytes judged stale (each lock carries a random token), then creates its own lock exclusively. Because
 * both the normal path and the takeover end in an exclusive link, at most one process holds the lock. Locks
 * from other hosts are never considered stale (their pids mean nothing here).
 *
 * A pid alone does not name a process for long: after a crash the kernel may give the dead holder's pid
 * to any new process, which would then keep the lock "alive" for ever. Where /proc is readable (Linux),
 * a lock also records its holder's start (`pid_start`: boot id and start time in clock ticks); a live
 * pid whose start differs is another process, and the lock is stale like a dead one.
 */
import { randomBytes } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { QuantError } from '../errors.js';
import { toIsoSeconds } from './clock.js';
import { fsFailure, makeDirectory } from './fs-failure.js';

/** Content of a lock file. */
export interface RunLockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly command: string;
  readonly acquired_at: string;
  readonly token: string;
  /**
   * The holder's identity beyond its pid (`<boot id>:<start ticks>` from /proc), so that a pid reused by
   * another process is not taken for the holder. Absent where /proc cannot be read.
   */
  readonly pid_start?: string;
}

/** A held run lock. `release` is idempotent and never removes a lock that is no longer ours. */
export interface RunLock {
  readonly path: string;
  readonly info: RunLockInfo;
  release(): Promise<void>;
  /** For exit handlers, where no event-loop turn is left. */
  releaseSync(): void;
}

export interface AcquireRunLockOptions {
  /** What holds the lock, shown to whoever is refused (e.g. `quant meta run --profile X`). */
  readonly command: string;
  /** Timestamp recorded in the lock (default: the current time). */
  readonly now?: Date;
  /**
   * Create the run folder when it is missing (default true). `false`: a missing folder is
   * `E_RUN_NOT_FOUND` and nothing is created (a queue worker only enters folders a coordinator made).
   */
  readonly createFolder?: boolean;
}

export const LOCK_FILE_NAME = '.lock';
const MAX_ATTEMPTS = 50;

/**
 * The lock's life on the `metafolio:run-lock` diagnostics channel, for observers in the same process (a
 * `--import` preload, an APM agent): `acquiring` before the first attempt, `acquired` once the lock is
 * ours, `releasing` while it still is, just before it is removed. Subscribers run synchronously, so an
 * observer sees a hold interval that lies inside the real one. Nothing is published without a subscriber.
 */
const lockEvents = channel('metafolio:run-lock');

function publishLockEvent(event: 'acquiring' | 'acquired' | 'releasing', path: string): void {
  if (!lockEvents.hasSubscribers) return;
  lockEvents.publish({ event, run_id: basename(dirname(path)), path, pid: process.pid });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Whether a process with this pid exists on this host (EPERM means it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isErrno(error, 'ESRCH');
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

type Existing = { readonly raw: string; readonly info: RunLockInfo | undefined; readonly problem: string };

async function readExisting(path: string): Promise<Existing | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const v = JSON.parse(raw) as Partial<RunLockInfo>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.command === 'string') {
      return { raw, info: v as RunLockInfo, problem: '' };
    }
    return { raw, info: undefined, problem: 'it lacks pid, hostname or command' };
  } catch (error) {
    return { raw, info: undefined, problem: `it is not JSON (${(error as Error).message})` };
  }
}

/**
 * `<boot id>:<start time in clock ticks>` of a process of this host, read from /proc; `undefined` where
 * /proc is not available (not Linux) or the process is gone. Two processes never share it.
 */
export function processStartMarker(pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22, starttime
    if (start === undefined || !/^\d+$/.test(start)) return undefined;
    return `${bootId()}:${start}`;
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown-boot';
    }
  }
  return cachedBootId;
}

/** What a process of this host runs now (its command line from /proc, shortened), if readable. */
function processCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const line = raw
      .split('\0')
      .filter((a) => a !== '')
      .join(' ')
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    if (line === '') return undefined;
    return line.length > 120 ? `${line.slice(0, 117)}...` : line;
  } catch {
    return undefined;
  }
}

/**
 * Who holds a lock, as seen from this host: `foreign` (another host: never judged), `dead` (no such
 * pid), `reused` (the pid is alive but belongs to another process than the one that took the lock),
 * `unverified` (alive, but the lock records no start to compare: an older lock, or no /proc), `live`.
 */
export type LockHolderState = 'foreign' | 'dead' | 'reused' | 'unverified' | 'live';

export function lockHolderState(info: RunLockInfo): LockHolderState {
  if (info.hostname !== hostname()) return 'foreign';
  if (!isProcessAlive(info.pid)) return 'dead';
  const recorded = typeof info.pid_start === 'string' ? info.pid_start : undefined;
  const current = processStartMarker(info.pid);
  if (recorded === undefined || current === undefined) return 'unverified';
  return recorded === current ? 'live' : 'reused';
}

function isStale(info: RunLockInfo | undefined): boolean {
  if (info === undefined) return false;
  const state = lockHolderState(info);
  return state === 'dead' || state === 'reused';
}

function lockedError(runId: string, path: string, existing: Existing | undefined): QuantError {
  const info = existing?.info;
  const message =
    info === undefined
      ? `run ${runId} is locked by ${path}, which cannot be read (${existing?.problem ?? 'it vanished and reappeared'}); remove it if no process is using the run`
      : `run ${runId} is locked by pid ${info.pid} on host ${info.hostname} (command ${info.command})${unverifiedHolder(info)}; wait for it or remove ${path} if that process is gone`;
  return new QuantError('E_RUN_LOCKED', message, {
    location: { file: path },
    details: info === undefined ? {} : { ...info },
  });
}

/** For a holder that cannot be verified: what its pid runs now, so that a reader can judge. */
function unverifiedHolder(info: RunLockInfo): string {
  if (lockHolderState(info) !== 'unverified') return '';
  const now = processCommandLine(info.pid);
  return `; the lock does not record its holder's start, and pid ${info.pid} now runs ${now === undefined ? 'an unknown command' : JSON.stringify(now)} (since ${info.acquired_at === '' ? '?' : info.acquired_at})`;
}

type TakeoverResult = 'acquired' | 'retry';

async function takeOver(
  runId: string,
  lockPath: string,
  staleRaw: string,
  content: string,
): Promise<TakeoverResult> {
  const guard = `${lockPath}.takeover`;
  if (!(await createExclusive(guard, content))) {
    const other = await readExisting(guard);
    // A takeover lasts a few syscalls; a guard whose owner died means a crash inside one: needs a human.
    if (other !== undefined && isStale(other.info)) throw lockedError(runId, guard, other);
    await sleep(5 + Math.random() * 10);
    return 'retry';
  }
  try {
    let current: string;
    try {
      current = await readFile(lockPath, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return 'retry';
      throw error;
    }
    if (current !== staleRaw) return 'retry';
    await unlink(lockPath);
    return (await createExclusive(lockPath, content)) ? 'acquired' : 'retry';
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function makeLock(path: string, info: RunLockInfo): RunLock {
  publishLockEvent('acquired', path);
  const ours = (raw: string): boolean => {
    try {
      return (JSON.parse(raw) as Partial<RunLockInfo>).token === info.token;
    } catch {
      return false;
    }
  };
  return {
    path,
    info,
    async release() {
      const raw = await readFile(path, 'utf8').catch(() => undefined);
      if (raw === undefined || !ours(raw)) return;
      publishLockEvent('releasing', path);
      await unlink(path).catch(() => undefined);
    },
    releaseSync() {
      let raw: string | undefined;
      try {
        raw = readFileSync(path, 'utf8');
      } catch {
        return;
      }
      if (ours(raw)) {
        publishLockEvent('releasing', path);
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * Acquire the lock of the run folder `runPath` (created if missing). Refused with `E_RUN_LOCKED` naming the
 * holder's pid, host and command while another live process holds it; a stale lock (dead pid, same host)
 * is taken over.
 */
export async function acquireRunLock(runPath: string, options: AcquireRunLockOptions): Promise<RunLock> {
  try {
    return await acquire(runPath, options);
  } catch (error) {
    throw fsFailure(error, `create the lock of the run folder ${resolve(runPath)}`);
  }
}

async function acquire(runPath: string, options: AcquireRunLockOptions): Promise<RunLock> {
  const dir = resolve(runPath);
  const runId = basename(dir);
  const path = join(dir, LOCK_FILE_NAME);
  const create = options.createFolder !== false;
  if (create) await makeDirectory(dir);
  const start = processStartMarker(process.pid);
  const info: RunLockInfo = {
    pid: process.pid,
    hostname: hostname(),
    command: options.command,
    acquired_at: toIsoSeconds(options.now ?? new Date()),
    token: randomBytes(16).toString('hex'),
    ...(start === undefined ? {} : { pid_start: start }),
  };
  const content = `${JSON.stringify(info)}\n`;
  publishLockEvent('acquiring', path);
  let last: Existing | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusiveIn(dir, runId, path, content, create)) return makeLock(path, info);
    last = await readExisting(path);
    if (last === undefined) {
      // Released between our attempt and the read; a discarded run also took its folder with it.
      if (create) await makeDirectory(dir);
      continue;
    }
    if (!isStale(last.info)) throw lockedError(runId, path, last);
    if ((await takeOver(runId, path, last.raw, content)) === 'acquired') return makeLock(path, info);
  }
  throw lockedError(runId, path, last);
}

/** {@link createExclusive} in a run folder; a missing folder is E_RUN_NOT_FOUND when it may not be created. */
async function createExclusiveIn(
  dir: string,
  runId: string,
  path: string,
  content: string,
  create: boolean,
): Promise<boolean> {
  try {
    return await createExclusive(path, content);
  } catch (error) {
    if (create || !isErrno(error, 'ENOENT')) throw error;
    throw new QuantError('E_RUN_NOT_FOUND', `run folder ${dir} does not exist`, {
      location: { file: dir },
      details: { run_id: runId },
    });
  }
}

/**
 * Who holds the lock of the run folder `runPath`, without taking it: `undefined` when nobody does; `live`
 * is false only for a lock of a dead process on this host (an unreadable lock counts as live).
 */
export async function inspectRunLock(
  runPath: string,
): Promise<{ readonly info: RunLockInfo | undefined; readonly live: boolean } | undefined> {
  const existing = await readExisting(join(resolve(runPath), LOCK_FILE_NAME));
  return existing === undefined ? undefined : { info: existing.info, live: !isStale(existing.info) };
}

/** Run `fn` while holding the run lock; the lock is released however `fn` ends. */
export async function withRunLock<T>(
  runPath: string,
  options: AcquireRunLockOptions,
  fn: (lock: RunLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireRunLock(runPath, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
