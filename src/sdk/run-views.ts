/**
 * The workspace as a viewer sees it (`quant serve`): runs as table rows, one run in full (the report's
 * figures, the fractal tree, the ledger with its audit, the artifacts) and a comparison of runs. Every
 * figure comes from the loaders the report uses (stages/meta/run-data.ts); this file only reads and
 * reshapes. Callers confine (QuantSDK's workspace queries run these inside the workspace's confinement).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { QuantError, isQuantError } from '../errors.js';
import { assertConfined, readLedgerLoose, readRunJson, runDir, type RunJson } from '../artifacts/index.js';
import { readManifest, isMetaProfile } from '../manifest/index.js';
import { readMetaRunData, REPORT_HTML, RESOLVED_MANIFEST } from '../stages/index.js';
import { readArtifactView, resolveArtifactPath } from './artifact-view.js';
import { verifyRunAudit } from './run-audit.js';
import { listWorkspaceRuns, runReportPath } from './workspace-runs.js';
import { TOOL_VERSION } from './version.js';
import { jsonDiff, jsonSafe } from './_json-view.js';
import type {
  ArtifactRow,
  AuditVerdict,
  CompareView,
  LedgerEntry,
  RiskProfileData,
  RunFailure,
  RunRow,
  RunView,
  RunsList,
  TreeNode,
  WeightDiffRow,
  WorkspaceInfo,
} from './run-view-types.js';
import type { Env } from '../util/env.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** A ledger record as a timeline entry. */
function ledgerEntry(r: Readonly<Record<string, unknown>>): LedgerEntry {
  const data = obj(r['data']);
  const error = obj(data['error']);
  const failed = str(error['code']);
  return {
    seq: num(r['seq']) ?? 0,
    ts: str(r['ts']) ?? '',
    type: str(r['type']) ?? '',
    step: str(r['step']) ?? '',
    status: str(r['status']) ?? '',
    summary: failed === null ? str(data['summary']) : `${failed}: ${str(error['message']) ?? ''}`,
    error: failed === null ? null : { code: failed, message: str(error['message']) ?? '' },
    duration_ms: num(data['duration_ms']),
  };
}

/** The ledger of a run as entries; [] when it cannot be read (the audit verdict says why). */
async function ledgerEntries(workspace: string, runId: string): Promise<LedgerEntry[]> {
  try {
    const file = await resolveArtifactPath(workspace, runId, 'audit.jsonl');
    return (await readLedgerLoose(file)).map(ledgerEntry);
  } catch (error) {
    if (isQuantError(error)) return [];
    throw error;
  }
}

/** Why a run failed or stopped, from its run.json and its ledger; null for the others. */
function runReason(run: RunJson, ledger: readonly LedgerEntry[]): string | null {
  if (run.status === 'incomplete') {
    const stage = str(run['interrupted_stage']);
    return stage === null ? 'interrupted' : `interrupted during stage ${stage}`;
  }
  if (run.status !== 'failed') return null;
  const failed = failedOutcome(ledger);
  return failed === undefined ? 'failed' : `${failed.step}: ${failed.summary ?? 'error'}`;
}

function failedOutcome(ledger: readonly LedgerEntry[]): LedgerEntry | undefined {
  return [...ledger].reverse().find((e) => e.type === 'outcome' && e.status === 'error');
}

/** The stage, code and message of a failed run; null for the others. */
function runFailure(run: RunJson, ledger: readonly LedgerEntry[]): RunFailure | null {
  if (run.status !== 'failed') return null;
  const failed = failedOutcome(ledger);
  if (failed === undefined)
    return { stage: null, code: null, message: 'failed (the ledger records no failed stage)' };
  return {
    stage: failed.step,
    code: failed.error?.code ?? null,
    message: failed.error?.message ?? failed.summary ?? 'error',
  };
}

function runRow(run: RunJson, ledger: readonly LedgerEntry[], latest: boolean): RunRow {
  const durations = ledger.map((e) => e.duration_ms).filter((d): d is number => d !== null);
  return {
    run_id: run.run_id,
    kind: run.kind,
    profile: run.profile,
    status: run.status,
    reason: runReason(run, ledger),
    failure: runFailure(run, ledger),
    created: run.created_at,
    duration_ms: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0),
    tool_version: run.tool_version,
    latest,
  };
}

/** The latest successful run of each kind and profile (the listing is oldest first). */
function latestIds(runs: readonly RunJson[]): Set<string> {
  const latest = new Map<string, string>();
  for (const r of runs) if (r.status === 'success') latest.set(`${r.kind}\u0000${r.profile ?? ''}`, r.run_id);
  return new Set(latest.values());
}

/**
 * Every run of the workspace as a table row, oldest first, and the unreadable folders under runs/. A run
 * whose process died is settled as `quant runs list` settles it, signed with the key of `env`
 * (`QUANT_LEDGER_KEY`); without it a signed one is shown incomplete, where it stopped, and left as it is.
 */
export async function listRunRows(workspace: string, env: Env): Promise<RunsList> {
  const { runs, skipped } = await listWorkspaceRuns(workspace, undefined, env);
  const latest = latestIds(runs);
  const rows: RunRow[] = [];
  for (const run of runs)
    rows.push(runRow(run, await ledgerEntries(workspace, run.run_id), latest.has(run.run_id)));
  return { runs: rows, skipped: skipped.map((s) => ({ run_id: s.run_id, reason: s.reason })) };
}

async function auditVerdict(workspace: string, runId: string, env: Env): Promise<AuditVerdict> {
  try {
    const report = await verifyRunAudit(workspace, runId, { env, strict: false });
    return {
      ok: report.ok,
      records: report.records,
      problems: report.problems.map((p) => ({ code: p.code, message: p.message })),
      anchor: report.anchor.state,
      signature: report.signature.state,
    };
  } catch (error) {
    // A run without a readable ledger (a sleeve run written by another tool) fails the audit; it is data.
    if (!isQuantError(error)) throw error;
    const problems = [{ code: error.code, message: error.message }];
    return { ok: false, records: 0, problems, anchor: null, signature: null };
  }
}

async function artifactRows(workspace: string, runId: string): Promise<ArtifactRow[]> {
  const view = await readArtifactView(workspace, runId, '');
  if (view.kind !== 'listing') return [];
  return view.files.map((f) => ({ path: f.path, bytes: f.bytes, mime_type: f.mimeType }));
}

interface MetaParts {
  readonly risk_profiles: RunView['risk_profiles'];
  readonly report_error: RunView['report_error'];
}

/** The report figures and trees of a meta run; a coded failure to read them is data, not an error. */
async function metaParts(workspace: string, run: RunJson): Promise<MetaParts> {
  if (run.kind !== 'meta' || run.profile === null) return { risk_profiles: [], report_error: null };
  try {
    const data = await readMetaRunData(runDir(workspace, run.run_id), { ...run, profile: run.profile });
    const risk_profiles = data.report.riskProfiles.map((p, i) => ({
      risk_profile: p.riskProfile,
      tree: data.trees[i] as TreeNode,
      data: jsonSafe(p) as RiskProfileData,
    }));
    return { risk_profiles, report_error: null };
  } catch (error) {
    if (!isQuantError(error)) throw error;
    return { risk_profiles: [], report_error: { code: error.code, message: error.message } };
  }
}

/** One run in full (`E_RUN_ID`, `E_RUN_NOT_FOUND`); a dead run is settled as {@link listRunRows} does. */
export async function runView(workspace: string, runId: string, env: Env): Promise<RunView> {
  runDir(workspace, runId); // E_RUN_ID before any file is touched
  const { runs } = await listWorkspaceRuns(workspace, undefined, env);
  const json = runs.find((r) => r.run_id === runId) ?? (await readRunJson(workspace, runId));
  const ledger = await ledgerEntries(workspace, runId);
  const files = await artifactRows(workspace, runId);
  return {
    run: runRow(json, ledger, latestIds(runs).has(runId)),
    run_json: json,
    ...(await metaParts(workspace, json)),
    has_html_report: files.some((f) => f.path === REPORT_HTML),
    ledger,
    audit: await auditVerdict(workspace, runId, env),
    artifacts: files,
  };
}

/** A weights diff: one row per key over the columns, largest spread first, then by key. */
function weightRows(columns: readonly ReadonlyMap<string, number>[]): WeightDiffRow[] {
  const keys = [...new Set(columns.flatMap((c) => [...c.keys()]))];
  const rows = keys.map((key) => {
    const values = columns.map((c) => c.get(key) ?? null);
    const present = values.map((v) => v ?? 0);
    return { key, values, spread: Math.max(...present) - Math.min(...present) };
  });
  return rows.sort((a, b) => b.spread - a.spread || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function treeWeights(node: TreeNode, out = new Map<string, number>()): Map<string, number> {
  for (const child of node.children) {
    out.set(child.path, child.effective_weight);
    treeWeights(child, out);
  }
  return out;
}

function physicalWeights(p: RiskProfileData): Map<string, number> {
  const exposure = p.exposure;
  if (exposure === undefined || 'omitted' in exposure) return new Map();
  return new Map(exposure.rows.map((r) => [r.symbol, r.net]));
}

/** The meta line of an in-sample chart (equity or drawdown). */
function metaLine(chart: {
  readonly lines: readonly { readonly role: string; readonly values: readonly (number | null)[] }[];
}) {
  return chart.lines.find((l) => l.role === 'meta')?.values ?? [];
}

/** The resolved manifest of a run, or null when it has none (a sleeve run). */
async function resolvedManifest(workspace: string, runId: string): Promise<unknown> {
  try {
    const view = await readArtifactView(workspace, runId, RESOLVED_MANIFEST);
    return view.kind === 'json' ? view.value : null;
  } catch (error) {
    if (isQuantError(error) && error.code === 'E_ARTIFACT_MISSING') return null;
    throw error;
  }
}

/**
 * Runs side by side: one column per risk profile of each run; weights (effective sleeve weights by tree
 * path, net physical weights by symbol), in-sample metrics and curves, and the resolved manifests' diff.
 */
export async function compareRuns(
  workspace: string,
  runIds: readonly string[],
  env: Env,
): Promise<CompareView> {
  const views: RunView[] = [];
  for (const id of runIds) views.push(await runView(workspace, id, env));
  const columns = views.flatMap((v) => v.risk_profiles.map((p) => ({ view: v, p })));
  const manifests: unknown[] = [];
  for (const id of runIds) manifests.push(await resolvedManifest(workspace, id));
  return {
    runs: views.map((v) => v.run),
    columns: columns.map(({ view, p }) => ({ run_id: view.run.run_id, risk_profile: p.risk_profile })),
    sleeve_weights: weightRows(columns.map(({ p }) => treeWeights(p.tree))),
    physical_weights: weightRows(columns.map(({ p }) => physicalWeights(p.data))),
    metrics: columns.map(({ p }) => p.data.metrics),
    risk_free: columns.map(({ p }) => p.data.riskFree ?? null),
    series: columns.map(({ view, p }) => ({
      run_id: view.run.run_id,
      risk_profile: p.risk_profile,
      dates: p.data.charts?.inSample.equity.dates ?? [],
      equity: p.data.charts === undefined ? [] : metaLine(p.data.charts.inSample.equity),
      drawdown: p.data.charts === undefined ? [] : metaLine(p.data.charts.inSample.drawdown),
    })),
    manifest_diff: jsonDiff(manifests),
  };
}

/** The workspace's name and the profiles of its manifest (a manifest that cannot be read is data). */
export async function workspaceInfo(workspace: string, manifestPath: string): Promise<WorkspaceInfo> {
  const base = { version: TOOL_VERSION, workspace: basename(workspace) };
  try {
    // Confined (the web workbench): a manifest that is a link out of the workspace is not read.
    await assertConfined(manifestPath, 'read');
    const { manifest } = await readManifest(manifestPath);
    const meta: string[] = [];
    const sleeve: string[] = [];
    for (const [name, profile] of Object.entries(manifest.profiles))
      (isMetaProfile(profile) ? meta : sleeve).push(name);
    return { ...base, profiles: { meta: meta.sort(), sleeve: sleeve.sort() }, manifest_error: null };
  } catch (error) {
    if (!isQuantError(error)) throw error;
    return {
      ...base,
      profiles: { meta: [], sleeve: [] },
      manifest_error: { code: error.code, message: error.message },
    };
  }
}

/** A file of a run folder, as bytes for a download. */
export interface ArtifactFile {
  /** The file's name (its last path segment). */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly mimeType: string;
}

const FILE_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  jsonl: 'application/jsonl',
  parquet: 'application/vnd.apache.parquet',
  csv: 'text/csv; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * The bytes of file `path` of run `runId` (`E_RUN_ID`, `E_PATH_ESCAPE` for a path that leaves the
 * workspace, directly or through a symlink; `E_RUN_NOT_FOUND`; `E_ARTIFACT_MISSING` for a folder, a
 * missing file, or run bookkeeping — hidden files such as the lock — which no listing shows).
 */
export async function readArtifactFile(
  workspace: string,
  runId: string,
  path: string,
): Promise<ArtifactFile> {
  const abs = await resolveArtifactPath(workspace, runId, path);
  if ((await stat(runDir(workspace, runId)).catch(() => undefined)) === undefined) {
    throw new QuantError('E_RUN_NOT_FOUND', `run ${runId} does not exist`, { hint: 'see `quant runs list`' });
  }
  const segments = path.split('/');
  const name = segments[segments.length - 1] ?? '';
  const info = await stat(abs).catch(() => undefined);
  if (path === '' || segments.some((s) => s.startsWith('.')) || info?.isFile() !== true) {
    throw new QuantError('E_ARTIFACT_MISSING', `run ${runId} has no file ${path}`, {
      location: { file: `runs/${runId}/${path}` },
      hint: 'the run view lists the files of the run',
    });
  }
  const ext = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '';
  return {
    name,
    bytes: new Uint8Array(await readFile(abs)),
    mimeType: FILE_TYPES[ext] ?? 'application/octet-stream',
  };
}

/** The HTML report of a meta run (`E_ARTIFACT_MISSING` says how to write it). */
export async function readReportHtml(workspace: string, runId: string): Promise<ArtifactFile> {
  await runReportPath(workspace, runId, 'html');
  return readArtifactFile(workspace, runId, REPORT_HTML);
}
