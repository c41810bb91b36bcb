/**
 * The coordinator's side of sleeve reuse (`--execute-sleeves`): a lock per content key (so that two
 * meta runs producing the same sleeve at once do not both produce it), the search for a successful run
 * that recorded the same key and passes a strict audit, and the run id of a new production (never an
 * existing run's folder).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError, isQuantError } from '../errors.js';
import {
  acquireRunLock,
  auditFailure,
  auditRun,
  defaultRunId,
  LedgerKey,
  readLedgerLoose,
  readRunJsonFile,
  runDir,
  runFolderHasContent,
  runsDir,
  type RunLock,
} from '../artifacts/index.js';
import { SLEEVE_KEY_STEP } from './sleeve-key.js';
import type { Env } from '../util/env.js';

/** How often a held lock (of a key, or of a sleeve job's run) is tried again, and for how long at most. */
export const LOCK_POLL_MS = 200;
export const LOCK_WAIT_MS = 60 * 60 * 1000;
/** A wait for a lock is reported after this long, then every {@link LOCK_NOTICE_EVERY_MS}. */
export const LOCK_NOTICE_MS = 2000;
export const LOCK_NOTICE_EVERY_MS = 60_000;

/** Where the lock of a sleeve key lives: `<workspace>/.quant/sleeve-keys/<key>/.lock`. */
function sleeveKeyLockDir(workspace: string, key: string): string {
  return join(workspace, '.quant', 'sleeve-keys', key);
}

/**
 * Take the locks of `keys` (each `profile → key`), in key order so that two coordinators never wait for
 * each other in a circle. A lock held by a live process is waited for, with a notice within seconds.
 */
export async function lockSleeveKeys(
  workspace: string,
  keys: ReadonlyMap<string, string>,
  options: { readonly onNotice?: (line: string) => void; readonly signal?: AbortSignal } = {},
): Promise<{ release(): Promise<void> }> {
  const held: RunLock[] = [];
  const release = async (): Promise<void> => {
    for (const lock of held.splice(0).reverse()) await lock.release();
  };
  const order = [...keys].sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
  try {
    for (const [profile, key] of order) held.push(await lockKey(workspace, profile, key, options));
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

async function lockKey(
  workspace: string,
  profile: string,
  key: string,
  options: { readonly onNotice?: (line: string) => void; readonly signal?: AbortSignal },
): Promise<RunLock> {
  const dir = sleeveKeyLockDir(workspace, key);
  const started = Date.now();
  let nextNotice = started + LOCK_NOTICE_MS;
  for (;;) {
    try {
      return await acquireRunLock(dir, { command: `quant meta run --execute-sleeves (sleeve ${profile})` });
    } catch (error) {
      if (!isQuantError(error) || error.code !== 'E_RUN_LOCKED') throw error;
      const now = Date.now();
      if (now - started > LOCK_WAIT_MS) throw error;
      if (options.signal?.aborted === true) {
        throw new QuantError(
          'E_INTERRUPTED',
          `stopped while waiting for sleeve ${profile}: ${error.message}`,
        );
      }
      if (now >= nextNotice) {
        options.onNotice?.(
          `sleeve ${profile}: waiting for another production of the same sleeve (${Math.round((now - started) / 1000)} s so far, at most ${LOCK_WAIT_MS / 60_000} min): ${error.message}`,
        );
        nextNotice = now + LOCK_NOTICE_EVERY_MS;
      }
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
}

/** The run ids `--execute-sleeves` gives sleeve `profile` (`<profile>_<YYYYMMDD-HHMMSS>[-NNN]`). */
function isSleeveRunIdOf(profile: string, id: string): boolean {
  const head = defaultRunId(profile, new Date(0)).slice(0, -'_19700101-000000'.length);
  return id.startsWith(`${head}_`) && /^_\d{8}-\d{6}(-\d{3,})?$/.test(id.slice(head.length));
}

/** The key a run's ledger records (its last `sleeve.key` record), if any. */
export async function recordedKey(workspace: string, runId: string): Promise<string | undefined> {
  const records = await readLedgerLoose(join(runDir(workspace, runId), 'audit.jsonl')).catch(() => []);
  const record = records.filter((r) => r['type'] === 'decision' && r['step'] === SLEEVE_KEY_STEP).at(-1);
  const key = (record?.['data'] as { key?: unknown } | undefined)?.key;
  return typeof key === 'string' ? key : undefined;
}

/**
 * The newest successful sleeve run of `profile` whose ledger records `key` and that passes a strict
 * audit (chain, anchor in run.json, its signature when `QUANT_LEDGER_KEY` is set in `env`, and every
 * recorded output's hash). A run with the key that fails the audit is skipped with a warning.
 */
export async function findReusableSleeveRun(
  workspace: string,
  profile: string,
  key: string,
  options: { readonly env: Env; readonly onWarning?: (line: string) => void },
): Promise<string | undefined> {
  const ledgerKey = LedgerKey.fromEnv(options.env);
  for await (const id of successfulRunsWithKey(workspace, profile, key)) {
    const problem = auditFailure(await auditRun(workspace, id, { key: ledgerKey, strict: true }));
    if (problem === undefined) return id;
    options.onWarning?.(
      `sleeve ${profile}: run ${id} has the same key but is not reused, it fails its audit (${problem.code}: ${problem.message}); producing a new run`,
    );
  }
  return undefined;
}

/** The successful runs of sleeve `profile` that recorded sleeve key `key`, newest first (not audited). */
async function* successfulRunsWithKey(
  workspace: string,
  profile: string,
  key: string,
): AsyncGenerator<string> {
  const names = await readdir(runsDir(workspace)).catch(() => [] as string[]);
  const candidates = names.filter((n) => isSleeveRunIdOf(profile, n)).sort((a, b) => (a < b ? 1 : -1));
  for (const id of candidates) {
    const json = await readRunJsonFile(join(runDir(workspace, id), 'run.json'), id).catch(() => undefined);
    if (json?.kind !== 'sleeve' || json.profile !== profile || json.status !== 'success') continue;
    if ((await recordedKey(workspace, id)) === key) yield id;
  }
}

/**
 * Whether a successful run of sleeve `profile` recorded sleeve key `key`: a read-only look ahead of
 * {@link findReusableSleeveRun}, which also audits the run (and may still refuse it).
 */
export async function mayReuseSleeveRun(workspace: string, profile: string, key: string): Promise<boolean> {
  for await (const _ of successfulRunsWithKey(workspace, profile, key)) return true;
  return false;
}

/**
 * The run id of a new production of `profile` at `clock`: the default id, or the first `-NNN` one, whose
 * folder is free — absent, empty, or a failed or interrupted attempt of the same sleeve (redone). A
 * successful run, or anything else, is never overwritten.
 */
export async function freeSleeveRunId(workspace: string, profile: string, clock: Date): Promise<string> {
  for (let sequence = 1; ; sequence++) {
    const id = defaultRunId(profile, clock, sequence);
    const json = await readRunJsonFile(join(runDir(workspace, id), 'run.json'), id).catch(() => null);
    if (json === undefined) {
      if (!(await runFolderHasContent(runDir(workspace, id)))) return id;
      continue;
    }
    if (json !== null && json.kind === 'sleeve' && json.profile === profile && json.status !== 'success')
      return id;
  }
}
