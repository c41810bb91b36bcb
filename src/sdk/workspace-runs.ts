/**
 * Queries on the runs of a workspace, for the CLI, the MCP server and SDK users: list runs, read a
 * run's run.json, verify its ledger, locate its report, and the workspace confinement those callers
 * apply to paths they were given.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError } from '../errors.js';
import type { Env } from '../util/env.js';
import {
  assertValidRunId,
  LedgerKey,
  listRunsDetailed,
  readLedgerLoose,
  readRunJson,
  resolveInside,
  runDir,
  verifyLedger,
  type LedgerVerdict,
  type RunJson,
  type RunListing,
} from '../artifacts/index.js';
import { REPORT_HTML, REPORT_MD, RESOLVED_MANIFEST } from '../stages/index.js';
import { resolveArtifactPath } from './artifact-view.js';

export { resolveInside, runConfined } from '../artifacts/index.js';
export type { LedgerVerdict, RunJson, RunListing } from '../artifacts/index.js';

/**
 * The runs of a workspace, oldest id first, and the folders under runs/ that are not readable runs. A run
 * whose process died is settled with the key of `env` (`QUANT_LEDGER_KEY`): without it, or with a key
 * too short to use (a listing does not fail on it), a signed run is reported incomplete but left as it is.
 */
export function listWorkspaceRuns(
  workspace: string,
  profile: string | undefined,
  env: Env,
): Promise<RunListing> {
  const key = LedgerKey.forSettling(env);
  return listRunsDetailed(workspace, {
    ...(profile === undefined ? {} : { profile }),
    ...(key === undefined ? {} : { key }),
  });
}

/** run.json of a run (`E_RUN_ID`, `E_RUN_NOT_FOUND`). */
export function readRun(workspace: string, runId: string): Promise<RunJson> {
  return readRunJson(workspace, runId);
}

/**
 * Verify the hash chain of a run's audit.jsonl. Confined, the ledger's path must resolve inside the
 * workspace, symlinks included (`E_PATH_ESCAPE`).
 */
export async function verifyRunLedger(
  workspace: string,
  runId: string,
  confined: boolean,
): Promise<LedgerVerdict> {
  const file = confined
    ? await resolveArtifactPath(workspace, runId, 'audit.jsonl')
    : join(runDir(workspace, runId), 'audit.jsonl');
  return verifyLedger(file);
}

/** Which rendering of a meta run's report. */
export type ReportFormat = 'html' | 'md';

/** Absolute path of a run's report; `E_RUN_NOT_FOUND` / `E_ARTIFACT_MISSING` with what to run. */
export async function runReportPath(workspace: string, runId: string, format: ReportFormat): Promise<string> {
  const run = await readRunJson(workspace, runId);
  const rel = format === 'html' ? REPORT_HTML : REPORT_MD;
  const file = join(runDir(workspace, runId), rel);
  if (!existsSync(file) && run.kind !== 'meta') {
    throw new QuantError(
      'E_ARTIFACT_MISSING',
      `run ${runId} is a ${run.kind} run: only meta runs have a report`,
      {
        location: { file: `runs/${runId}/run.json` },
        hint: 'list the meta runs with: quant runs list',
      },
    );
  }
  if (!existsSync(file)) throw await noReport(workspace, run, rel);
  return file;
}

/** The stage, code and message of the last failed stage outcome of a run's ledger; undefined: none. */
async function failedStage(
  dir: string,
): Promise<{ stage: string; code: string; message: string } | undefined> {
  const records = await readLedgerLoose(join(dir, 'audit.jsonl')).catch(() => []);
  for (const r of records.reverse()) {
    if (r['type'] !== 'outcome' || r['status'] !== 'error') continue;
    const data = r['data'];
    const error =
      typeof data === 'object' && data !== null && !Array.isArray(data) ? data['error'] : undefined;
    const e = typeof error === 'object' && error !== null && !Array.isArray(error) ? error : {};
    const text = (x: unknown, fallback: string): string => (typeof x === 'string' ? x : fallback);
    return {
      stage: text(r['step'], '?'),
      code: text(e['code'], 'E_INTERNAL'),
      message: text(e['message'], ''),
    };
  }
  return undefined;
}

/** Whether meta.report's required inputs are in the run: the resolved manifest, returns and weights. */
async function reportInputsExist(dir: string, profile: string): Promise<boolean> {
  const text = await readFile(join(dir, RESOLVED_MANIFEST), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  let riskProfiles: unknown;
  try {
    riskProfiles = (JSON.parse(text) as { risk_profiles?: unknown }).risk_profiles;
  } catch {
    return false;
  }
  if (!Array.isArray(riskProfiles) || riskProfiles.length === 0) return false;
  return riskProfiles.every(
    (p) =>
      typeof p === 'string' &&
      existsSync(join(dir, 'data', `meta_returns_${profile}_${p}.parquet`)) &&
      existsSync(join(dir, 'data', `meta_optimized_${profile}_${p}.json`)),
  );
}

/**
 * `E_ARTIFACT_MISSING` for a meta run without its report: a run that failed says where and why and to
 * run it again; `meta.report` is suggested only when its inputs are in the run.
 */
async function noReport(workspace: string, run: RunJson, rel: string): Promise<QuantError> {
  const dir = runDir(workspace, run.run_id);
  const profile = run.profile ?? '<meta_profile>';
  const location = { file: `runs/${run.run_id}/${rel}` };
  const failure = run.status === 'success' ? undefined : await failedStage(dir);
  const cause =
    failure === undefined
      ? run.status === 'success'
        ? ''
        : ` (status ${run.status})`
      : ` (status ${run.status}: it failed at stage ${failure.stage} with ${failure.code}` +
        `${failure.message === '' ? '' : `: ${failure.message.length > 160 ? `${failure.message.slice(0, 159)}…` : failure.message}`})`;
  if (await reportInputsExist(dir, profile)) {
    return new QuantError('E_ARTIFACT_MISSING', `run ${run.run_id} has no ${rel}${cause}`, {
      location,
      hint: `write it with: quant stage run meta.report --run-id ${run.run_id} --param meta_profile=${profile}`,
      details: { status: run.status, ...(failure === undefined ? {} : { failed: failure }) },
    });
  }
  return new QuantError(
    'E_ARTIFACT_MISSING',
    `run ${run.run_id} has no ${rel}${cause}; the report's inputs (meta.returns, meta.optimize) are not in the run`,
    {
      location,
      hint: `fix the cause and run the meta profile again: quant meta run --profile ${profile} (its ledger: quant runs show quant://runs/${run.run_id}/audit.jsonl)`,
      details: { status: run.status, ...(failure === undefined ? {} : { failed: failure }) },
    },
  );
}

/**
 * Refuse (`E_PATH_ESCAPE`) a run folder, or the runs/ folder, that is a symlink out of the workspace,
 * before a run opens it. An invalid run id is `E_RUN_ID` first.
 */
export async function confineRunFolder(workspace: string, runId: string | undefined): Promise<void> {
  if (runId !== undefined) assertValidRunId(runId);
  await resolveInside(workspace, runId === undefined ? 'runs' : join('runs', runId));
}
