/**
 * The coordinator's check of what a sleeve job answered. Whoever can write to the queue can also answer
 * a job (a rogue or buggy worker), so a result is untrusted data like a job: it must be a sleeve result
 * for exactly the planned profile and run id, and the run it names must be in the workspace as a
 * `success` sleeve run of that profile, recording the planned content key, that passes the same strict
 * audit a reused run passes (chain, anchor, every output hash, and the anchor's signature when the
 * coordinator has `QUANT_LEDGER_KEY`). Anything else is a coded failure of that sleeve, never a pin.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { isQuantError } from '../errors.js';
import { auditFailure, auditRun, LedgerKey, readRunJsonFile, runDir } from '../artifacts/index.js';
import type { JobFailure } from '../exec/job.js';
import type { SleeveJobResult } from './sleeve-job-spec.js';
import type { PlannedSleeve } from './sleeve-reservation.js';
import { recordedKey } from './sleeve-reuse.js';
import type { Env } from '../util/env.js';

const MAX_TEXT = 10_000;
const LEDGER_KEY_VARIABLE = 'QUANT_LEDGER_KEY';

/** What a sleeve job may answer (sleeve-job-spec.ts `SleeveJobResult`). */
const SleeveJobResultSchema = z.object({
  profile: z.string().max(200),
  run_id: z.string().max(128),
  status: z.enum(['produced', 'reused']),
  summary: z.string().max(MAX_TEXT),
  warnings: z.array(z.string().max(MAX_TEXT)).max(1000).optional(),
  sleeve_key: z.string().max(64).optional(),
});

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
};

const invalid = (job: PlannedSleeve, what: string): JobFailure => ({
  code: 'E_JOB_INVALID',
  message: `the result of the job for run ${job.run_id} (sleeve ${job.profile}) ${what}; it is not used`,
});

/**
 * The result of `job` as the coordinator may use it, or the failure of that sleeve: `E_JOB_INVALID`
 * for a result that does not answer this job or names a run that is not its finished run, an `E_AUDIT_*`
 * code for a run that fails the strict audit.
 */
export async function checkSleeveJobResult(
  value: unknown,
  job: PlannedSleeve,
  where: { readonly workspace: string; readonly env: Env },
): Promise<
  { readonly ok: true; readonly value: SleeveJobResult } | { readonly ok: false; readonly error: JobFailure }
> {
  const parsed = SleeveJobResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at =
      issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.map(String).join('.')}`;
    return {
      ok: false,
      error: invalid(job, `is not a sleeve result (${shown(value)}${at}: ${issue?.message ?? 'invalid'})`),
    };
  }
  const { warnings, sleeve_key, ...fields } = parsed.data;
  const result: SleeveJobResult = {
    ...fields,
    ...(warnings === undefined ? {} : { warnings }),
    ...(sleeve_key === undefined ? {} : { sleeve_key }),
  };
  if (result.profile !== job.profile || result.run_id !== job.run_id) {
    return {
      ok: false,
      error: invalid(job, `names run ${shown(result.run_id)} of profile ${shown(result.profile)} instead`),
    };
  }
  const runJson = await readRunJsonFile(
    join(runDir(where.workspace, job.run_id), 'run.json'),
    job.run_id,
  ).catch(() => undefined);
  if (runJson?.kind !== 'sleeve' || runJson.profile !== job.profile || runJson.status !== 'success') {
    const found =
      runJson === undefined
        ? 'no readable run.json'
        : `a ${runJson.kind} run of ${String(runJson.profile)}, status ${runJson.status}`;
    return { ok: false, error: invalid(job, `says ${result.status}, and runs/${job.run_id} holds ${found}`) };
  }
  if (job.sleeve_key !== undefined) {
    const key = await recordedKey(where.workspace, job.run_id);
    if (key !== job.sleeve_key) {
      return {
        ok: false,
        error: invalid(
          job,
          `names a run that records ${key === undefined ? 'no sleeve key' : `the sleeve key ${key.slice(0, 12)}…`}, not the planned ${job.sleeve_key.slice(0, 12)}… (its inputs changed while it ran)`,
        ),
      };
    }
  }
  return audited(result, job, where);
}

/** The strict audit of the run, as for a reused run; a signature problem says how to fix it. */
async function audited(
  result: SleeveJobResult,
  job: PlannedSleeve,
  where: { readonly workspace: string; readonly env: Env },
): Promise<
  { readonly ok: true; readonly value: SleeveJobResult } | { readonly ok: false; readonly error: JobFailure }
> {
  const key = LedgerKey.fromEnv(where.env);
  let problem;
  try {
    problem = auditFailure(await auditRun(where.workspace, job.run_id, { key, strict: true }));
  } catch (error) {
    if (!isQuantError(error)) throw error;
    problem = error;
  }
  if (problem === undefined) return { ok: true, value: result };
  const signature =
    problem.code === 'E_AUDIT_SIGNATURE'
      ? ` — the process that ran it signs with no ${LEDGER_KEY_VARIABLE} or another one; give every quant worker the coordinator's ${LEDGER_KEY_VARIABLE}`
      : '';
  return {
    ok: false,
    error: {
      code: problem.code,
      message: `run ${job.run_id} (sleeve ${job.profile}) fails the coordinator's strict audit: ${problem.message}${signature}`,
    },
  };
}
