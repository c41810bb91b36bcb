/**
 * Workspace confinement of params given by an MCP client: every path-like param must resolve inside the
 * workspace, lexically and after symlinks, before any stage sees it.
 */
import { resolveInside } from '../sdk/workspace-runs.js';
import { QuantError, isQuantError } from '../errors.js';

const PATH_KEYS = new Set(['input', 'output', 'path']);

/** Whether a param names a file: `input`, `output`, `path`, or a name ending in `_file` / `_path`. */
function isPathParam(key: string): boolean {
  return PATH_KEYS.has(key) || key.endsWith('_file') || key.endsWith('_path');
}

async function confineOne(workspace: string, jsonPath: string, value: string): Promise<void> {
  try {
    await resolveInside(workspace, value);
  } catch (error) {
    if (!isQuantError(error)) throw error;
    throw new QuantError('E_PATH_ESCAPE', `param ${jsonPath}: ${error.message}`, {
      hint: 'the MCP server only reads and writes inside its workspace; use a path relative to it',
      location: { jsonPath },
      details: { param: jsonPath, value },
      cause: error,
    });
  }
}

/**
 * Refuse (`E_PATH_ESCAPE`, naming the param) any path-like param, at any depth, that resolves outside
 * `workspace`: `..`, absolute paths elsewhere, or a symlink of an existing parent pointing out. Relative
 * paths are judged against the workspace, which is where the server resolves them. A list under a
 * path-like key is a list of paths.
 */
export async function confineParamPaths(workspace: string, params: unknown): Promise<void> {
  await visit(workspace, params, '', false);
}

async function visit(workspace: string, value: unknown, at: string, pathLike: boolean): Promise<void> {
  if (typeof value === 'string') {
    if (pathLike) await confineOne(workspace, at, value);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) await visit(workspace, item, `${at}[${i}]`, pathLike);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    await visit(workspace, item, at === '' ? key : `${at}.${key}`, isPathParam(key));
  }
}
