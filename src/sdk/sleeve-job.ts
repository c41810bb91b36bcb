/**
 * One sleeve job: produce the sleeve run `run_id` of `profile` with stage `sleeve.backtest`, wherever
 * it runs (a local pool's child process or a `quant worker`). Loaded by module URL in those processes
 * (`SLEEVE_JOB_RUNNER`, sleeve-job-spec.ts), so it must stay free of module-level side effects.
 *
 * Idempotent for its run id (docs/sleeve-execution.md):
 * - a `success` run of the same profile and tool version, made from the sleeve spec the manifest has
 *   now and from unchanged other inputs (the price table: hashes in its ledger outcome), is reused;
 * - a `success` run that does not match is never overwritten (E_RUN_EXISTS);
 * - any other state (no run.json, `running`/`failed` from a killed or failed attempt) is removed and
 *   the run starts clean — but only while holding the run lock: a lock held by a live process on this
 *   host is waited for; a lock from another host is only broken when the queue re-delivered the job
 *   because its previous worker stopped renewing its lease (`attempt > 1`).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { QuantError, isQuantError } from '../errors.js';
import {
  LOCK_FILE_NAME,
  acquireRunLock,
  assertValidRunId,
  canonicalJson,
  readLedgerLoose,
  runDir,
  sha256File,
  type RunLock,
} from '../artifacts/index.js';
import { readManifest } from '../manifest/index.js';
import type { JobContext } from '../exec/job.js';
import { QuantSDK } from './quant-sdk.js';
import { TOOL_VERSION } from './version.js';
import { SleeveJobSchema, type SleeveJob, type SleeveJobResult } from './sleeve-job-spec.js';

const LOCK_POLL_MS = 200;
const LOCK_WAIT_MS = 60 * 60 * 1000;

/** Run one sleeve job (see the module comment for the idempotence rules). */
export async function runSleeveJob(input: unknown, ctx?: JobContext): Promise<SleeveJobResult> {
  const parsed = SleeveJobSchema.safeParse(input);
  if (!parsed.success) {
    throw new QuantError(
      'E_PARAMS',
      `malformed sleeve job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const job = parsed.data;
  assertValidRunId(job.run_id);
  const attempt = ctx?.attempt ?? 1;
  const reused = await prepareRunFolder(job, attempt);
  if (reused !== undefined) return reused;
  const result = await QuantSDK.runStage(
    'sleeve.backtest',
    { profile: job.profile },
    {
      workspace: job.workspace,
      manifest: job.manifest,
      runId: job.run_id,
      cwd: job.workspace,
      // The folder was emptied above (or never existed): run into it.
      fresh: false,
      env: { SOURCE_DATE_EPOCH: String(job.source_date_epoch) },
      ...(ctx === undefined ? {} : { onProgress: (m: string) => ctx.progress(m) }),
    },
  );
  return {
    profile: job.profile,
    run_id: job.run_id,
    status: 'produced',
    summary: result.summary,
    ...(result.warnings.length === 0 ? {} : { warnings: [...result.warnings] }),
  };
}

/** Under the run lock: reuse a matching successful run, refuse another one, else empty the folder. */
async function prepareRunFolder(job: SleeveJob, attempt: number): Promise<SleeveJobResult | undefined> {
  const dir = runDir(job.workspace, job.run_id);
  const lock = await lockForCleanup(dir, job.run_id, attempt);
  try {
    const runJson = await readJson(join(dir, 'run.json'));
    if (runJson?.['status'] === 'success') {
      const mismatch = await reuseMismatch(job, dir, runJson);
      if (mismatch === undefined) {
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
    // A half-written attempt (killed worker, failed run): start clean.
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name !== LOCK_FILE_NAME) await rm(join(dir, name), { recursive: true, force: true });
    }
    return undefined;
  } finally {
    await lock.release();
  }
}

/** Take the run lock, waiting for a live holder; break a foreign lock only for a re-delivered job. */
async function lockForCleanup(dir: string, runId: string, attempt: number): Promise<RunLock> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await acquireRunLock(dir, { command: `sleeve job ${runId}` });
    } catch (error) {
      if (!isQuantError(error) || error.code !== 'E_RUN_LOCKED') throw error;
      const holder = error.details as { hostname?: unknown };
      const foreign = typeof holder.hostname === 'string' && holder.hostname !== hostname();
      if (foreign && attempt > 1) {
        // The queue gave this job to us because the holder's lease expired: that holder is gone.
        await rm(join(dir, LOCK_FILE_NAME), { force: true });
        continue;
      }
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
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
 * Why a successful run cannot stand for this job, or `undefined` if it can: same kind, profile and tool
 * version, the same sleeve spec as the manifest has now (other profiles of the manifest may change),
 * and every other recorded input (the price table) with the hash its ledger outcome recorded.
 */
async function reuseMismatch(
  job: SleeveJob,
  dir: string,
  runJson: Record<string, unknown>,
): Promise<string | undefined> {
  if (runJson['kind'] !== 'sleeve' || runJson['profile'] !== job.profile)
    return `it is a ${String(runJson['kind'])} run of profile ${String(runJson['profile'])}`;
  if (runJson['tool_version'] !== TOOL_VERSION)
    return `it was made by version ${String(runJson['tool_version'])}, this is ${TOOL_VERSION}`;
  const resolved = await readJson(join(dir, 'config', 'resolved_manifest.json'));
  const recordedSpec = (resolved?.['profiles'] as Record<string, { sleeve?: unknown }> | undefined)?.[
    job.profile
  ]?.sleeve;
  const { manifest } = await readManifest(job.manifest);
  const current = Object.hasOwn(manifest.profiles, job.profile) ? manifest.profiles[job.profile] : undefined;
  const currentSpec = current !== undefined && 'sleeve' in current ? current.sleeve : undefined;
  if (recordedSpec === undefined || currentSpec === undefined || !sameJson(recordedSpec, currentSpec))
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
    const now = await sha256File(resolve(job.workspace, item.path)).catch(() => 'missing');
    if (now !== item.sha256) return `input ${item.path} changed since`;
  }
  return undefined;
}

/** Equal as JSON documents (key order and `undefined` members ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(JSON.parse(JSON.stringify(a))) === canonicalJson(JSON.parse(JSON.stringify(b)));
}
