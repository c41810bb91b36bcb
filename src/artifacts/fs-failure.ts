/**
 * Failed file-system calls as coded errors (`E_READ_ONLY`, `E_PERMISSION`, `E_DISK_FULL`,
 * `E_WORKSPACE_IO`; the table is `environmentError` in errors.ts). This adds what only the file system
 * can tell: which file stands where a folder belongs (`runs is a file, not a folder`).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { environmentError } from '../errors.js';

/** The first existing path from the root down to `path` that is not a folder, if any. */
function blockingFile(path: string): string | undefined {
  const chain: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of chain) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * `error` as the coded error of a failed file-system call (`action` says what was being done, e.g.
 * `create the run folder /ws/runs/r1`); an error without an errno (a bug) is returned unchanged.
 */
export function fsFailure(
  error: unknown,
  action: string,
  options: { readonly showPath?: boolean; readonly file?: string } = {},
): unknown {
  const errno = error as NodeJS.ErrnoException | null | undefined;
  let reason: string | undefined;
  if ((errno?.code === 'ENOTDIR' || errno?.code === 'EEXIST') && typeof errno.path === 'string') {
    const file = blockingFile(errno.path);
    if (file !== undefined) reason = `${file} is a file, not a folder`;
  }
  return (
    environmentError(error, action, { ...options, ...(reason === undefined ? {} : { reason }) }) ?? error
  );
}

/**
 * `mkdir -p`, reporting the true cause. Node's recursive mkdir can report ENOENT for the folder asked for
 * when the real failure was creating a missing parent (EROFS on a read-only file system, EACCES): the
 * missing folders are then created one by one, so that the first refusal is the one thrown.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const missing: string[] = [];
    for (let p = path; !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
    for (const p of missing) await mkdir(p).catch(ignoreExisting);
    throw error;
  }
}

/** {@link makeDirectory}, synchronously. */
export function makeDirectorySync(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const missing: string[] = [];
    for (let p = path; !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
    for (const p of missing) {
      try {
        mkdirSync(p);
      } catch (inner) {
        ignoreExisting(inner);
      }
    }
    throw error;
  }
}

function ignoreExisting(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}
