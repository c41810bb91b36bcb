/**
 * Where a user-named output may land. A run's record (run.json, audit.jsonl, .lock, .reservation.json),
 * another run's folder, the run cache, the workspace's own state (`.quant/`) and the manifest are run state: an output that is one of them — or reaches one
 * through a symlink of the file or of a parent folder — is refused before anything is written. Confined
 * calls (the MCP server) may write outputs only into the run's own folder or the workspace's `exports/`.
 */
import { existsSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { QuantError } from '../errors.js';
import { displayPath } from './display-path.js';
import { isPathInside, realpathOfExistingPrefix } from './resolve-inside.js';
import { LOCK_FILE_NAME } from './run-lock.js';
import { RESERVATION_FILE } from './run-reservation.js';
import { WORKSPACE_STATE_DIR } from './workspace-id.js';

/** The workspace folder that receives outputs of confined calls besides the run folder. */
const EXPORTS_DIR = 'exports';

/** File names that are run state wherever they are: an output may never be named so. */
const RUN_STATE_FILES: ReadonlyMap<string, string> = new Map([
  ['run.json', 'the record of a run'],
  ['audit.jsonl', "a run's audit ledger"],
  [LOCK_FILE_NAME, "a run's lock"],
  [RESERVATION_FILE, "a coordinator's reservation of a run folder for a queue job"],
]);

export interface OutputPolicy {
  readonly workspace: string;
  /** The folder of the run being written; undefined while its id is not chosen yet. */
  readonly runDir?: string | undefined;
  /** The manifest of the run (the workspace's `manifest.json` is protected as well). */
  readonly manifest?: string | undefined;
  /** Only the run folder and `<workspace>/exports/` may receive outputs (the MCP server). */
  readonly confined?: boolean | undefined;
}

interface Layout {
  readonly ws: string;
  readonly runs: string;
  readonly cache: string;
  readonly state: string;
  readonly exports: string;
  readonly runDir: string | undefined;
  readonly manifests: readonly string[];
}

/** The workspace as given and as its real path (a workspace reached through a symlink has both). */
async function layouts(policy: OutputPolicy): Promise<[Layout, Layout]> {
  const lexical = (ws: string, runDir: string | undefined, manifests: string[]): Layout => ({
    ws,
    runs: join(ws, 'runs'),
    cache: join(ws, '.cache'),
    state: join(ws, WORKSPACE_STATE_DIR),
    exports: join(ws, EXPORTS_DIR),
    runDir,
    manifests,
  });
  const ws = resolve(policy.workspace);
  const runDir = policy.runDir === undefined ? undefined : resolve(policy.runDir);
  const manifests = [join(ws, 'manifest.json')];
  if (policy.manifest !== undefined) manifests.push(resolve(policy.manifest));
  return [
    lexical(ws, runDir, manifests),
    lexical(
      await realpathOfExistingPrefix(ws),
      runDir === undefined ? undefined : await realpathOfExistingPrefix(runDir),
      await Promise.all(manifests.map((m) => realpathOfExistingPrefix(m))),
    ),
  ];
}

/** The run folder (`runs/<id>`) a path under runs/ lies in. */
function runFolderOf(l: Layout, path: string): string {
  const first = relative(l.runs, path).split(sep)[0] ?? '';
  return join(l.runs, first);
}

/** Why `path` may not receive an output under layout `l`, or undefined when it may. */
function forbiddenBy(l: Layout, path: string, confined: boolean): string | undefined {
  const state = RUN_STATE_FILES.get(basename(path));
  if (state !== undefined) return `"${basename(path)}" is run state (${state})`;
  const shown = (p: string): string => displayPath(l.ws, p);
  if (isPathInside(l.cache, path)) return `it lies in the run cache ${shown(l.cache)}/`;
  if (isPathInside(l.state, path))
    return `it lies in the workspace's own state ${shown(l.state)}/ (its id, which queue jobs must match)`;
  if (l.manifests.includes(path)) return 'it is the workspace manifest';
  if (path === l.runDir) return 'it is the run folder itself';
  const inRun = l.runDir !== undefined && isPathInside(l.runDir, path);
  if (isPathInside(l.runs, path) && !inRun) {
    if (path === l.runs) return 'it is the runs/ folder';
    if (dirname(path) === l.runs && !existsSync(path))
      return `it would lie directly in ${shown(l.runs)}/, which holds run folders only`;
    const folder = shown(runFolderOf(l, path));
    if (l.runDir === undefined)
      return `it lies in the run folder ${folder}, and no run id names it as the run being written`;
    return `it lies in the folder of another run (${folder}), not in this run's ${shown(l.runDir)}`;
  }
  if (confined && !inRun && !(path !== l.exports && isPathInside(l.exports, path))) {
    const run = l.runDir === undefined ? 'runs/<run_id>/' : `${shown(l.runDir)}/`;
    return `a confined call writes outputs only into the run folder (${run}) or ${EXPORTS_DIR}/`;
  }
  return undefined;
}

/** A folder above real `path`, outside the workspace, that holds a run.json (another workspace's run). */
function foreignRunFolder(l: Layout, path: string): string | undefined {
  if (isPathInside(l.ws, path)) return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (dir !== l.runDir && existsSync(join(dir, 'run.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

interface Place {
  readonly path: string;
  /** A real path (symlinks resolved), as opposed to the path as given. */
  readonly real: boolean;
}

/** The places writing `abs` would reach: the path, its real path, and where a final symlink points. */
async function placesReached(abs: string): Promise<Place[]> {
  const out: Place[] = [
    { path: abs, real: false },
    { path: await realpathOfExistingPrefix(abs), real: true },
  ];
  const info = await lstat(abs).catch(() => undefined);
  if (info?.isSymbolicLink() === true) {
    // A dangling link is not followed by realpath; where it points is judged all the same.
    const parent = await realpathOfExistingPrefix(dirname(abs));
    out.push({ path: await realpathOfExistingPrefix(resolve(parent, await readlink(abs))), real: true });
  }
  return out;
}

function reasonFor(l: Layout, place: Place, confined: boolean): string | undefined {
  const why = forbiddenBy(l, place.path, confined);
  if (why !== undefined || !place.real) return why;
  const foreign = foreignRunFolder(l, place.path);
  return foreign === undefined ? undefined : `it lies in the run folder ${foreign} (it holds a run.json)`;
}

/**
 * Refuse (`E_OUTPUT_FORBIDDEN`) an output path that is, or reaches through a symlink, run state: a file
 * named run.json, audit.jsonl or .lock; anything in runs/ outside the run being written; anything in
 * `.cache/`; the manifest; a folder elsewhere that holds a run.json. Confined calls are further limited to
 * the run folder and `exports/`. `given` is the path as the user wrote it; returns the absolute path.
 */
export async function checkOutputPath(given: string, abs: string, policy: OutputPolicy): Promise<string> {
  const target = resolve(abs);
  const [lexical, real] = await layouts(policy);
  for (const place of await placesReached(target)) {
    const l = place.real ? real : lexical;
    const reason = reasonFor(l, place, policy.confined === true);
    if (reason === undefined) continue;
    const shown = displayPath(l.ws, place.path);
    const through =
      place.path === target || shown === displayPath(lexical.ws, target)
        ? ''
        : ` resolves through a link to ${shown}`;
    throw new QuantError('E_OUTPUT_FORBIDDEN', `output ${JSON.stringify(given)}${through}: ${reason}`, {
      location: { file: given },
      hint:
        policy.confined === true
          ? `name an output inside the run folder (the default) or ${EXPORTS_DIR}/ of the workspace`
          : "name an output outside runs/ (except this run's folder), .cache/ and the manifest; the default output lands in the run folder",
      details: { output: given, path: target, reaches: place.path },
    });
  }
  return target;
}
