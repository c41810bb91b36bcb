/**
 * Queries on the runs of a workspace, for the CLI, the MCP server and SDK users: list runs, read a
 * run's run.json, verify its ledger, locate its report, and the workspace confinement those callers
 * apply to paths they were given.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError } from '../errors.js';
import {
  assertValidRunId,
  listRunsDetailed,
  readRunJson,
  resolveInside,
  runDir,
  verifyLedger,
  type LedgerVerdict,
  type RunJson,
  type RunListing,
} from '../artifacts/index.js';
import { REPORT_HTML, REPORT_MD } from '../stages/index.js';
import { resolveArtifactPath } from './artifact-view.js';

export { resolveInside, runConfined } from '../artifacts/index.js';
export type { LedgerVerdict, RunJson, RunListing } from '../artifacts/index.js';

/** The runs of a workspace, oldest id first, and the folders under runs/ that are not readable runs. */
export function listWorkspaceRuns(workspace: string, profile?: string): Promise<RunListing> {
  return listRunsDetailed(workspace, profile === undefined ? {} : { profile });
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
  if (!existsSync(file)) {
    const profile = run.profile ?? '<meta_profile>';
    throw new QuantError('E_ARTIFACT_MISSING', `run ${runId} has no ${rel}`, {
      location: { file: `runs/${runId}/${rel}` },
      hint: `write it with: quant stage run meta.report --run-id ${runId} --param meta_profile=${profile}`,
    });
  }
  return file;
}

/**
 * Refuse (`E_PATH_ESCAPE`) a run folder, or the runs/ folder, that is a symlink out of the workspace,
 * before a run opens it. An invalid run id is `E_RUN_ID` first.
 */
export async function confineRunFolder(workspace: string, runId: string | undefined): Promise<void> {
  if (runId !== undefined) assertValidRunId(runId);
  await resolveInside(workspace, runId === undefined ? 'runs' : join('runs', runId));
}
