/**
 * What `quant audit verify` says of a run that did not finish: status `incomplete`, or `running` while no
 * live process holds its lock (the process was killed and nobody has settled the run yet). Its ledger may
 * be whole, but the run is not: the audit names where it stopped and the files of the run folder its
 * ledger does not record (written by the stage that was cut off).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerRecord } from './ledger-verify.js';
import type { AuditProblem } from './ledger-outputs.js';
import type { RunJson, RunPaths } from './run-folder.js';
import { inspectRunLock } from './run-lock.js';
import {
  describeInterruption,
  INTERRUPTED_STAGE,
  LAST_COMPLETED_STAGE,
  ledgerPosition,
} from './run-state.js';

/** How many unrecorded files the message names; `details.unrecorded` holds them all. */
const SHOWN = 5;

/** Whether the run's process is gone before it finished: `incomplete`, or `running` with no live holder. */
export async function runIsInterrupted(paths: RunPaths, json: RunJson | undefined): Promise<boolean> {
  if (json?.status === 'incomplete') return true;
  if (json?.status !== 'running') return false;
  // A holder on another host counts as live: its pid means nothing here.
  return (await inspectRunLock(paths.path))?.live !== true;
}

/** Files below `dir` (relative, `/`-separated), without run.json, the ledger and dot files (locks, temp files). */
async function runFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const rel = `${prefix}${entry.name}`;
    if (prefix === '' && (entry.name === 'run.json' || entry.name === 'audit.jsonl')) continue;
    if (entry.isDirectory()) out.push(...(await runFiles(join(dir, entry.name), `${rel}/`)));
    else out.push(rel);
  }
  return out;
}

/** Paths (relative to the run folder) that the outcome records of the ledger name as outputs. */
function recordedPaths(records: readonly LedgerRecord[], runId: string): Set<string> {
  const prefix = `runs/${runId}/`;
  const out = new Set<string>();
  for (const record of records) {
    const outputs = record.type === 'outcome' ? record.data['outputs'] : undefined;
    for (const item of Array.isArray(outputs) ? outputs : [outputs]) {
      const path =
        typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['path'] : null;
      if (typeof path === 'string' && path.startsWith(prefix)) out.add(path.slice(prefix.length));
    }
  }
  return out;
}

/** The `E_INTERRUPTED` problem of an interrupted run (see {@link runIsInterrupted}). */
export async function interruptionProblem(
  paths: RunPaths,
  json: RunJson,
  records: readonly LedgerRecord[],
  runJsonFile: string,
): Promise<AuditProblem> {
  const settled = json.status === 'incomplete';
  const where = settled
    ? describeInterruption(json)
    : await ledgerPosition(paths.audit).then((at) =>
        describeInterruption({ [INTERRUPTED_STAGE]: at.open, [LAST_COMPLETED_STAGE]: at.lastCompleted }),
      );
  const why = settled
    ? 'its process stopped before it finished'
    : 'run.json says running, but no live process holds its lock: the process was killed';
  const recorded = recordedPaths(records, json.run_id);
  const unrecorded = (await runFiles(paths.path)).filter((f) => !recorded.has(f));
  const listed = unrecorded.slice(0, SHOWN).join(', ');
  const more = unrecorded.length > SHOWN ? ` (and ${unrecorded.length - SHOWN} more)` : '';
  const files =
    unrecorded.length === 0
      ? 'every file of the run folder is recorded in its ledger'
      : `${unrecorded.length} file(s) of the run folder written but not recorded in its ledger: ${listed}${more}`;
  return {
    code: 'E_INTERRUPTED',
    message: `${runJsonFile}: run ${json.run_id} is incomplete (${where}): ${why}; ${files}`,
    file: runJsonFile,
    details: { status: 'incomplete', settled, unrecorded },
  };
}
