/**
 * Run folders written by the Python predecessor: no run.json, but `config/resolved_manifest.json` (the
 * predecessor's settings dump) with the run's `profile` and `replay_context.timestamp` — the moment the
 * run started, as `datetime.now().isoformat()` wrote it (local time, no UTC offset). Such a folder is a
 * candidate for "latest successful run of profile X" when it names X, its timestamp reads, and it holds
 * what a meta run reads (`data/portfolio_flattened.json` and at least one stream in `data/returns/`).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError } from '../errors.js';
import { assertConfined } from './file-access.js';
import { isValidRunId } from './run-id.js';
import { RUN_JSON, runsDir } from './run-folder.js';

export const PREDECESSOR_MANIFEST = 'config/resolved_manifest.json';

/** A predecessor run folder as found under `runs/`. */
export interface PredecessorRunInfo {
  readonly runId: string;
  readonly path: string;
  /** `profile` of its resolved manifest, when a string. */
  readonly profile: string | null;
  /** `replay_context.timestamp` as written, when a string. */
  readonly timestamp: string | null;
  /** The timestamp in microseconds since the epoch, read as UTC when it has no offset; null if unreadable. */
  readonly instant: number | null;
  /** Why it cannot be the latest run of its profile, or null when it can. */
  readonly unusable: string | null;
}

const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * An ISO-8601 date-time (`2026-01-10T09:15:02.481516`, `2024-06-01T00:00:00Z`, `...+01:00`) in
 * microseconds since the epoch; without an offset it is read as UTC. Null when it does not parse.
 */
export function instantMicros(text: string): number | null {
  const m = INSTANT_RE.exec(text.trim());
  if (m === null) return null;
  const [, date, hm, ss = '00', fraction = '', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${date}T${hm}:${ss}${offset}`);
  if (!Number.isFinite(ms)) return null;
  return ms * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function hasStream(path: string): Promise<boolean> {
  const names = await readdir(join(path, 'data', 'returns')).catch(() => [] as string[]);
  return names.some((n) => n.endsWith('.parquet') || n.endsWith('.csv'));
}

/**
 * The predecessor run in `runs/<runId>`, or undefined when the folder is not one (it has a run.json, or
 * no resolved manifest). A resolved manifest that does not parse makes the folder unusable, not an error:
 * one damaged folder must not stop the search for another profile's latest run.
 */
async function readPredecessorRun(workspace: string, runId: string): Promise<PredecessorRunInfo | undefined> {
  const path = join(runsDir(workspace), runId);
  if (await exists(join(path, RUN_JSON))) return undefined;
  const file = join(path, PREDECESSOR_MANIFEST);
  if (!(await exists(file))) return undefined;
  const base = { runId, path };
  let text: string;
  try {
    // A confined call (MCP, SDK option confine) never follows a link out of the workspace.
    await assertConfined(file, 'read');
    text = await readFile(file, 'utf8');
  } catch (error) {
    const unusable =
      error instanceof QuantError
        ? error.message
        : `${PREDECESSOR_MANIFEST} is unreadable (${(error as Error).message})`;
    return { ...base, profile: null, timestamp: null, instant: null, unusable };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const unusable = `${PREDECESSOR_MANIFEST} is not valid JSON (${(error as Error).message})`;
    return { ...base, profile: null, timestamp: null, instant: null, unusable };
  }
  const record = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  const profile = typeof record['profile'] === 'string' ? record['profile'] : null;
  const replay = record['replay_context'];
  const raw =
    typeof replay === 'object' && replay !== null
      ? (replay as Record<string, unknown>)['timestamp']
      : undefined;
  const timestamp = typeof raw === 'string' ? raw : null;
  const instant = timestamp === null ? null : instantMicros(timestamp);
  let unusable: string | null = null;
  if (timestamp === null) unusable = `no replay_context.timestamp in ${PREDECESSOR_MANIFEST}`;
  else if (instant === null)
    unusable = `replay_context.timestamp ${JSON.stringify(timestamp)} is not a date-time`;
  else if (!(await exists(join(path, 'data', 'portfolio_flattened.json'))))
    unusable = 'no data/portfolio_flattened.json';
  else if (!(await hasStream(path))) unusable = 'no return stream in data/returns/';
  return { ...base, profile, timestamp, instant, unusable };
}

/** Every predecessor run under `runs/` (optionally only those whose resolved manifest names `profile`), by run id. */
export async function listPredecessorRuns(
  workspace: string,
  profile?: string,
): Promise<PredecessorRunInfo[]> {
  let names: string[];
  try {
    const entries = await readdir(runsDir(workspace), { withFileTypes: true });
    names = entries.filter((e) => e.isDirectory() && isValidRunId(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: PredecessorRunInfo[] = [];
  for (const name of names) {
    const info = await readPredecessorRun(workspace, name);
    if (info !== undefined && (profile === undefined || info.profile === profile)) out.push(info);
  }
  return out;
}
