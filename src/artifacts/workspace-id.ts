/**
 * A workspace's identity: a random id in `<workspace>/.quant/workspace.json`, made once by the first
 * coordinator that sends jobs from it. Queue jobs carry it, and a worker refuses a job whose id is not
 * its own workspace's, so that two workspaces sharing a queue never cross. Copies of a workspace share
 * the id; the run reservations (run-reservation.ts) still tell them apart.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { QuantError } from '../errors.js';

export const WORKSPACE_STATE_DIR = '.quant';
const WORKSPACE_ID_FILE = 'workspace.json';
/** 128 random bits, lower-case hex. */
const WORKSPACE_ID_PATTERN = /^[0-9a-f]{32}$/;

/** `<workspace>/.quant/workspace.json`, absolute. */
function workspaceIdPath(workspace: string): string {
  return join(resolve(workspace), WORKSPACE_STATE_DIR, WORKSPACE_ID_FILE);
}

/**
 * The workspace's id, or `undefined` when it has none yet; `E_RUN_CORRUPT` when the file is not one
 * this tool wrote (then it is left alone: a human decides).
 */
export async function readWorkspaceId(workspace: string): Promise<string | undefined> {
  const file = workspaceIdPath(workspace);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let id: unknown;
  try {
    id = (JSON.parse(text) as { workspace_id?: unknown } | null)?.workspace_id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || !WORKSPACE_ID_PATTERN.test(id)) {
    throw new QuantError('E_RUN_CORRUPT', `${file} does not hold a workspace id`, {
      location: { file },
      hint: 'delete it: the next `quant meta run --execute-sleeves` makes a new one (workers then follow it)',
    });
  }
  return id;
}

/** The workspace's id, made now if it has none (exclusively: concurrent coordinators agree on one). */
export async function ensureWorkspaceId(workspace: string): Promise<string> {
  const existing = await readWorkspaceId(workspace);
  if (existing !== undefined) return existing;
  const file = workspaceIdPath(workspace);
  await mkdir(join(resolve(workspace), WORKSPACE_STATE_DIR), { recursive: true });
  const id = randomBytes(16).toString('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ workspace_id: id }, null, 2)}\n`, { flag: 'wx' });
  try {
    await link(tmp, file);
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readWorkspaceId(workspace)) ?? (await ensureWorkspaceId(workspace));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
