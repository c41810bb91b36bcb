/**
 * Interrupted and existing runs. A run's status is `running` only while a process holds its lock: every
 * holder writes the final status before it releases the lock. So `running` with no live lock holder means
 * the process died (SIGKILL, power loss): the run is *incomplete*. The verdict is confirmed under the lock,
 * where it is also persisted (run.json rewritten atomically, the dead writer's temp files removed).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError, isQuantError } from '../errors.js';
import { readLedger, readLedgerLoose } from './audit-ledger.js';
import { anchorLedger, LEDGER_ANCHOR_MEMBER, type LedgerKey } from './ledger-anchor.js';
import { readRunJsonFile, runPaths, updateRunStatus, type RunJson, type RunPaths } from './run-folder.js';
import { acquireRunLock, inspectRunLock, isProcessAlive, LOCK_FILE_NAME, withRunLock } from './run-lock.js';
import { RESERVATION_FILE } from './run-reservation.js';

/** Temp files of atomic writes (`.<name>.<pid>.<hex>.tmp`) and of lock attempts (`.lock.<pid>.<hex>.tmp`). */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;
// Bookkeeping, not content: the lock, its takeover guard, and a coordinator's reservation of the folder.
const LOCK_FILES = new Set([LOCK_FILE_NAME, `${LOCK_FILE_NAME}.takeover`, RESERVATION_FILE]);
// A workspace on a read-only medium can still be listed: the verdict is then reported, not persisted.
const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Whether `error` is a refused write (raw errno, or its coded form from `fsFailure`). */
function isRefusedWrite(error: unknown): boolean {
  const errno = isQuantError(error) ? error.details['errno'] : (error as NodeJS.ErrnoException).code;
  return typeof errno === 'string' && READ_ONLY.has(errno);
}

/** Members of run.json saying where an incomplete run stopped (null: nowhere / nothing yet). */
export const INTERRUPTED_STAGE = 'interrupted_stage';
export const LAST_COMPLETED_STAGE = 'last_completed_stage';

/** Where a ledger stops: the last intent without an outcome, and the last stage that has both. */
export interface LedgerPosition {
  readonly open: string | null;
  readonly lastCompleted: string | null;
}

/** {@link LedgerPosition} of a ledger; both null when it is absent or unreadable. */
export async function ledgerPosition(auditPath: string): Promise<LedgerPosition> {
  let records: Readonly<Record<string, unknown>>[];
  try {
    records = await readLedgerLoose(auditPath);
  } catch {
    return { open: null, lastCompleted: null };
  }
  const open: string[] = [];
  let lastCompleted: string | null = null;
  for (const r of records) {
    if (typeof r['step'] !== 'string') continue;
    if (r['type'] === 'intent') open.push(r['step']);
    else if (r['type'] === 'outcome') {
      const at = open.lastIndexOf(r['step']);
      if (at < 0) continue; // per-window records of a stage have no intent of their own
      open.splice(at, 1);
      lastCompleted = r['step'];
    }
  }
  return { open: open[open.length - 1] ?? null, lastCompleted };
}

/** How an incomplete run.json says where it stopped: `during stage X`, `after stage X` or before any. */
export function describeInterruption(json: Readonly<Record<string, unknown>>): string {
  const open = json[INTERRUPTED_STAGE];
  const done = json[LAST_COMPLETED_STAGE];
  if (typeof open === 'string') return `interrupted during stage ${open}`;
  if (typeof done === 'string') return `interrupted after stage ${done}`;
  return 'interrupted before its first stage';
}

/**
 * A temp file whose writer is gone. The pid in its name says whose it is: a live process's file is in
 * flight — another process's lock attempt on this run (`.lock.<pid>.<hex>.tmp`, written, then linked to
 * `.lock`) — and removing it would make that attempt fail with ENOENT instead of `E_RUN_LOCKED`.
 */
function isOrphanTempFile(name: string): boolean {
  const pid = TEMP_FILE.exec(name)?.[1];
  return pid !== undefined && !isProcessAlive(Number(pid));
}

/** Remove the temp files of interrupted writes under `dir`, recursively. Call it only under the run lock. */
export async function removeOrphanTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) removed.push(...(await removeOrphanTempFiles(p)));
    else if (isOrphanTempFile(entry.name)) {
      await rm(p, { force: true });
      removed.push(p);
    }
  }
  return removed;
}

/**
 * Whether the run folder holds anything besides lock files, a reservation, temp files of interrupted
 * writes, empty folders and the names in `ignore` (e.g. run.json) — i.e. whether a run has produced something.
 */
export async function runFolderHasContent(dir: string, ignore: readonly string[] = []): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (LOCK_FILES.has(entry.name) || TEMP_FILE.test(entry.name) || ignore.includes(entry.name)) continue;
    if (!entry.isDirectory()) return true;
    if (await runFolderHasContent(join(dir, entry.name))) return true;
  }
  return false;
}

/**
 * Mark an open run incomplete: status `incomplete`, the interrupted stage from its ledger, the ledger's
 * anchor (signed with `key` when given), temp files of the dead writer removed. The caller holds the run
 * lock and has read run.json with status `running`.
 */
export async function markRunIncomplete(paths: RunPaths, key?: LedgerKey): Promise<RunJson> {
  const at = await ledgerPosition(paths.audit);
  await removeOrphanTempFiles(paths.path);
  return updateRunStatus(paths, 'incomplete', {
    [INTERRUPTED_STAGE]: at.open,
    [LAST_COMPLETED_STAGE]: at.lastCompleted,
    ...(await anchorOnDisk(paths, key)),
  });
}

/**
 * The anchor of the ledger a dead writer left (its writes are atomic, so the ledger is whole), signed when
 * this process has the key. A ledger that is missing or does not verify is not anchored: its run.json
 * keeps what it had, and `quant audit verify` reports the chain.
 */
async function anchorOnDisk(paths: RunPaths, key: LedgerKey | undefined): Promise<Record<string, unknown>> {
  let records;
  try {
    records = await readLedger(paths.audit);
  } catch {
    return {};
  }
  return { [LEDGER_ANCHOR_MEMBER]: anchorLedger(paths.runId, records, key) };
}

/** Whether run.json holds a signed ledger anchor (from a finished state the run was added to since). */
function isSigned(json: RunJson): boolean {
  const anchor = json[LEDGER_ANCHOR_MEMBER];
  return typeof anchor === 'object' && anchor !== null && Object.hasOwn(anchor, 'hmac');
}

/**
 * Settle a run found `running` under its lock (its writer died): marked incomplete and anchored, signed
 * with `key`. A signed run is re-anchored only with its key: without it, run.json is left as it is (an
 * unsigned anchor would drop the signature without a word) and the run is only reported `incomplete`,
 * where it stopped included; a settle with the key (`quant runs list`, `quant audit verify` explains it)
 * or a stage run into it with the key anchors and signs it.
 */
async function settleUnderLock(
  paths: RunPaths,
  current: RunJson,
  key: LedgerKey | undefined,
): Promise<RunJson> {
  if (key !== undefined || !isSigned(current)) return markRunIncomplete(paths, key);
  const at = await ledgerPosition(paths.audit);
  return {
    ...current,
    status: 'incomplete',
    [INTERRUPTED_STAGE]: at.open,
    [LAST_COMPLETED_STAGE]: at.lastCompleted,
  };
}

/**
 * The run's real status: a run.json that says `running` while no live process holds the lock is settled
 * to `incomplete` (confirmed and persisted under the lock, its anchor signed with `key`; a signed run
 * without `key` is reported incomplete and left as it is, see {@link settleUnderLock}). A live holder — or
 * a holder on another host, whose pid means nothing here — keeps `running`.
 */
export async function settleRunStatus(workspace: string, json: RunJson, key?: LedgerKey): Promise<RunJson> {
  if (json.status !== 'running') return json;
  const paths = runPaths(workspace, json.run_id);
  if ((await inspectRunLock(paths.path))?.live === true) return json;
  let lock;
  try {
    lock = await acquireRunLock(paths.path, { command: 'check of an interrupted run' });
  } catch (error) {
    if (isQuantError(error) && error.code === 'E_RUN_LOCKED') return json;
    if (isRefusedWrite(error)) return { ...json, status: 'incomplete' };
    throw error;
  }
  try {
    const current = await readRunJsonFile(paths.runJson, json.run_id);
    if (current === undefined || current.status !== 'running') return current ?? json;
    return await settleUnderLock(paths, current, key);
  } catch (error) {
    if (isRefusedWrite(error)) return { ...json, status: 'incomplete' };
    throw error;
  } finally {
    await lock.release();
  }
}

function describeStatus(json: RunJson | undefined, corrupt: boolean): string {
  if (json === undefined)
    return corrupt
      ? 'status unknown: its run.json is unreadable'
      : 'status unknown: the folder has files but no run.json';
  if (json.status !== 'incomplete') return `status ${json.status}`;
  return `status incomplete: ${describeInterruption(json)}`;
}

/**
 * `E_RUN_EXISTS` unless `runs/<runId>/` is absent or holds nothing yet (see {@link runFolderHasContent}).
 * A pipeline never resumes or overwrites a run, so old and new artifacts never mix. The check is made
 * under the run lock (`locked`: the caller holds it): a live holder is `E_RUN_LOCKED` naming it, and a
 * `running` run whose holder died is marked incomplete first.
 */
export async function assertRunIsNew(
  workspace: string,
  runId: string,
  options: { readonly locked?: boolean; readonly key?: LedgerKey } = {},
): Promise<void> {
  const paths = runPaths(workspace, runId);
  if (!(await runFolderHasContent(paths.path))) return;
  if (options.locked !== true) {
    // Decide under the lock: a live holder is named (E_RUN_LOCKED), a dead one's run is settled first.
    await withRunLock(paths.path, { command: 'check of an existing run' }, () =>
      assertRunIsNew(workspace, runId, { ...options, locked: true }),
    );
    return;
  }
  let json: RunJson | undefined;
  let corrupt = false;
  try {
    json = await readRunJsonFile(paths.runJson, runId);
  } catch (error) {
    if (!isQuantError(error)) throw error;
    corrupt = true;
  }
  // We hold the lock: its writer died.
  if (json?.status === 'running') json = await settleUnderLock(paths, json, options.key);
  const status = describeStatus(json, corrupt);
  throw new QuantError(
    'E_RUN_EXISTS',
    `run ${runId} already exists (${status}); choose another --run-id or delete runs/${runId}`,
    {
      hint: 'a run is never resumed or overwritten, so that old and new artifacts never mix',
      location: { file: paths.path },
      details: {
        run_id: runId,
        status: json?.status ?? null,
        ...(json?.[INTERRUPTED_STAGE] === undefined ? {} : { interrupted_stage: json[INTERRUPTED_STAGE] }),
      },
    },
  );
}

/**
 * Remove what a failed new run wrote when it produced nothing but its bookkeeping (run.json, the ledger,
 * empty folders): bad input leaves no trace under runs/ and the run id stays free. Returns whether it did;
 * the caller holds the lock and removes the then empty folder after releasing it.
 */
export async function discardEmptyRun(paths: RunPaths): Promise<boolean> {
  if (await runFolderHasContent(paths.path, ['run.json', 'audit.jsonl'])) return false;
  // The ledger first: interrupted here, the run stays visible (run.json says running → incomplete).
  await rm(paths.audit, { force: true });
  await rm(paths.runJson, { force: true });
  for (const dir of [paths.configDir, paths.dataDir, paths.reportsDir])
    await rm(dir, { recursive: true, force: true });
  await removeOrphanTempFiles(paths.path);
  return true;
}

/**
 * Remove everything a new run wrote but its lock files, whatever it produced: for a run that failed
 * because of the machine (a full disk, a read-only or unwritable file system), whose partial artifacts
 * say nothing about its inputs and must not block the run id. The caller holds the lock, created the run
 * and removes the then empty folder after releasing it. The ledger goes first (see `discardEmptyRun`).
 */
export async function discardNewRun(paths: RunPaths): Promise<void> {
  await rm(paths.audit, { force: true });
  await rm(paths.runJson, { force: true });
  for (const entry of await readdir(paths.path, { withFileTypes: true }).catch(() => [])) {
    if (LOCK_FILES.has(entry.name)) continue;
    await rm(join(paths.path, entry.name), { recursive: true, force: true });
  }
}
